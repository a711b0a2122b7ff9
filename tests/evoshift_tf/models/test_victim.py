"""The user's own model as the victim: a registry name, a ``.keras`` file (re-initialised) or
``module:function``; a model whose input or output does not fit the dataset is refused with
both shapes named."""

import sys
import textwrap

import keras
import numpy as np
import pytest

from evoshift_tf.victims import defenses
from evoshift_tf.models import victim
from evoshift_tf.models.victim import ModelError

SHAPE, CLASSES = (12, 12, 1), 4


def small_cnn(input_shape=SHAPE, num_classes=CLASSES, softmax=False):
    """A user's model: raw pixels in, logits out."""
    return keras.Sequential([
        keras.Input(shape=input_shape),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(num_classes, activation="softmax" if softmax else None),
    ], name="user_cnn")


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """An importable module ``user_nets`` with functions of several signatures."""
    (tmp_path / "user_nets.py").write_text(textwrap.dedent("""
        import keras

        def sized(input_shape, num_classes):
            return keras.Sequential([keras.Input(shape=input_shape), keras.layers.Flatten(),
                                     keras.layers.Dense(num_classes)], name="sized")

        def fixed():
            return keras.Sequential([keras.Input(shape=(12, 12, 1)), keras.layers.Flatten(),
                                     keras.layers.Dense(4)], name="fixed")

        def wrong_classes(input_shape):
            return keras.Sequential([keras.Input(shape=input_shape), keras.layers.Flatten(),
                                     keras.layers.Dense(7)], name="seven")

        def not_a_model():
            return 3

        NUMBER = 5
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "user_nets", raising=False)   # this test's file, not a cached one
    return "user_nets"


def test_kind_of_each_spec():
    assert victim.kind("graynet") == "registry"
    assert victim.kind("nets/my.keras") == "keras_file"
    assert victim.kind("pkg.nets:build") == "function"
    assert victim.kind("resnet9000") == "registry"        # unknown: check() says so


def test_registry_name_builds_the_zoo_model_with_preprocessing():
    m = victim.build("graynet", SHAPE, CLASSES, preprocessing=defenses.get("median3", SHAPE))
    assert m.name == "graynet" and m.output.shape[-1] == CLASSES
    assert any(isinstance(layer, defenses.MedianFilter) for layer in m.layers)


def test_keras_file_is_reinitialised(tmp_path):
    path = str(tmp_path / "mine.keras")
    saved = small_cnn()
    saved.layers[-1].kernel.assign(np.full(saved.layers[-1].kernel.shape, 0.5, np.float32))
    saved.save(path)
    keras.utils.set_random_seed(0)
    m = victim.build(path, SHAPE, CLASSES)
    fresh = m.get_layer("user_cnn").layers[-1].kernel.numpy()
    assert fresh.shape == saved.layers[-1].kernel.shape
    assert not np.allclose(fresh, 0.5)                       # new initial weights
    assert m.input.shape[1:] == SHAPE and m.output.shape[1:] == (CLASSES,)
    assert m(np.zeros((2, *SHAPE), np.float32)).shape == (2, CLASSES)


def test_module_function_gets_the_arguments_it_accepts(user_module):
    for fn in ("sized", "fixed"):
        m = victim.build(f"{user_module}:{fn}", SHAPE, CLASSES)
        assert m(np.zeros((3, *SHAPE), np.float32)).shape == (3, CLASSES)


def test_preprocessing_is_prepended_to_a_users_model(user_module):
    m = victim.build(f"{user_module}:sized", SHAPE, CLASSES,
                     preprocessing=defenses.get("median3", SHAPE))
    names = [layer.name for layer in m.layers]
    assert names[1] == "rescale" and names[-2] == "to_pixels" and names[-1] == "sized"
    assert any(isinstance(layer, defenses.MedianFilter) for layer in m.layers)


def test_misfit_input_or_output_is_refused_naming_both_shapes(tmp_path, user_module):
    path = str(tmp_path / "big.keras")
    small_cnn(input_shape=(28, 28, 1)).save(path)
    with pytest.raises(ModelError, match=r"takes input shape \(28, 28, 1\), but the dataset's "
                                         r"images are \(12, 12, 1\)"):
        victim.build(path, SHAPE, CLASSES)
    with pytest.raises(ModelError, match=r"outputs shape \(7,\) per image, but the dataset has "
                                         r"4 classes: expected \(4,\) logits"):
        victim.build(f"{user_module}:wrong_classes", SHAPE, CLASSES)
    with pytest.raises(ModelError, match=r"takes input shape \(12, 12, 1\), but the dataset's "
                                         r"images are \(10, 10, 3\)"):
        victim.build(f"{user_module}:fixed", (10, 10, 3), CLASSES)


def test_softmax_output_is_refused(tmp_path):
    path = str(tmp_path / "probs.keras")
    small_cnn(softmax=True).save(path)
    with pytest.raises(ModelError, match=r"ends in a softmax; a victim must output logits"):
        victim.build(path, SHAPE, CLASSES)


def test_bad_specs_name_the_value_and_what_was_expected(tmp_path, user_module):
    with pytest.raises(ModelError, match=r"unknown model 'resnet9000'; known models: \[.*graynet"):
        victim.check("resnet9000")
    with pytest.raises(ModelError, match=r"model file '.*missing.keras' does not exist"):
        victim.check(str(tmp_path / "missing.keras"))
    with pytest.raises(ModelError, match=r"cannot import module 'no_such_module'"):
        victim.check("no_such_module:build")
    with pytest.raises(ModelError, match=r"module 'user_nets' has no 'nope'"):
        victim.check(f"{user_module}:nope")
    with pytest.raises(ModelError, match=r"'NUMBER' is a int, expected a function"):
        victim.check(f"{user_module}:NUMBER")
    with pytest.raises(ModelError, match=r"returned a int, expected a keras.Model"):
        victim.build(f"{user_module}:not_a_model", SHAPE, CLASSES)
    with pytest.raises(ModelError, match=r"dropout=0.4 .* apply to registry models only"):
        victim.check(f"{user_module}:sized", dropout=0.4)
    (tmp_path / "junk.keras").write_text("not a zip")
    with pytest.raises(ModelError, match=r"cannot load model file '.*junk.keras'"):
        victim.build(str(tmp_path / "junk.keras"), SHAPE, CLASSES)


def test_source_digest_changes_when_the_users_model_changes(tmp_path, user_module):
    assert victim.source_digest("graynet") is None
    path = str(tmp_path / "net.keras")
    small_cnn().save(path)
    before = victim.source_digest(path)
    keras.Sequential([keras.Input(shape=SHAPE), keras.layers.Flatten(),
                      keras.layers.Dense(CLASSES)]).save(path)
    assert victim.source_digest(path) != before
    module_digest = victim.source_digest(f"{user_module}:sized")
    with open(tmp_path / "user_nets.py", "a") as f:
        f.write("\n# edited\n")
    assert victim.source_digest(f"{user_module}:sized") != module_digest
    with pytest.raises(ModelError):
        victim.source_digest(str(tmp_path / "missing.keras"))
