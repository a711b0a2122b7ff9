"""train_victim with the user's own model: a ``.keras`` file (re-initialised, trained from
scratch) and ``module:function``, 1 epoch on tiny data; a model that does not fit the dataset is
refused with both shapes named; the sweep's recipes and the main job take the same specs."""

import json
import os
import textwrap

import keras
import numpy as np
import pytest

from components import artifacts, base, ingest, train_victim
from evoshift_tf.models.victim import ModelError
from pipelines import sweep_pipeline


def user_cnn(input_shape, num_classes):
    return keras.Sequential([keras.Input(shape=input_shape), keras.layers.Rescaling(1 / 255),
                             keras.layers.Conv2D(4, 3, activation="relu"),
                             keras.layers.Flatten(), keras.layers.Dense(num_classes)],
                            name="user_cnn")


@pytest.fixture
def dataset(tmp_path, npz_dataset):
    ds = str(tmp_path / "ds")
    base.run_executor(ingest.SPEC, {}, {"dataset": ds}, {"dataset": npz_dataset})
    return ds


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "my_victims.py").write_text(textwrap.dedent("""
        import keras

        def mlp(input_shape, num_classes, hidden=16):
            return keras.Sequential([keras.Input(shape=input_shape),
                                     keras.layers.Rescaling(1 / 255), keras.layers.Flatten(),
                                     keras.layers.Dense(hidden, activation="relu"),
                                     keras.layers.Dense(num_classes)], name="mlp")

        def for_mnist():
            return keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Flatten(),
                                     keras.layers.Dense(10)], name="mnist_mlp")
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    return "my_victims"


def _train(ds, out, **params):
    return base.run_executor(train_victim.SPEC, {"dataset": ds}, {"model": out},
                             {"epochs": 1, "batch_size": 32, **params})


def test_keras_file_victim_is_trained_from_scratch(tmp_path, dataset, tiny_gray):
    path = str(tmp_path / "mine.keras")
    original = user_cnn((12, 12, 1), 4)
    for layer in original.layers:                 # a marker no fresh init or epoch comes near
        if hasattr(layer, "kernel"):
            layer.kernel.assign(np.full(layer.kernel.shape, 7.0, "float32"))
    original.save(path)
    out = str(tmp_path / "model")
    _train(dataset, out, model=path)
    assert artifacts.is_complete(out)
    trained = keras.saving.load_model(os.path.join(out, "model.keras"))
    assert trained.get_layer("user_cnn") is not None
    assert trained(tiny_gray.test.x[:3].astype("float32")).shape == (3, 4)
    for layer in trained.get_layer("user_cnn").layers:   # re-initialised, not fine-tuned
        if hasattr(layer, "kernel"):
            assert np.abs(layer.kernel.numpy()).max() < 3.0, layer.name
    assert [h["epoch"] for h in json.load(open(os.path.join(out, "history.json")))] == [1]


def test_module_function_victim_with_a_defense(tmp_path, dataset, user_module):
    out = str(tmp_path / "model")
    _train(dataset, out, model=f"{user_module}:mlp", preprocessing="median3")
    trained = keras.saving.load_model(os.path.join(out, "model.keras"))
    assert [layer.name for layer in trained.layers][-1] == "mlp"
    assert any("median" in type(layer).__name__.lower() for layer in trained.layers)


def test_misfit_model_is_refused_before_training(tmp_path, dataset, user_module):
    out = str(tmp_path / "model")
    with pytest.raises(ModelError, match=r"model 'my_victims:for_mnist' takes input shape "
                                         r"\(28, 28, 1\), but the dataset's images are "
                                         r"\(12, 12, 1\)"):
        _train(dataset, out, model=f"{user_module}:for_mnist")
    assert not os.path.exists(out)
    with pytest.raises(ValueError, match=r"train_victim: dropout=0.4 and weight_decay=0.0 "
                                         r"apply to registry models only"):
        _train(dataset, out, model=f"{user_module}:mlp", dropout=0.4)


def test_sweep_recipes_take_user_models(tmp_path, user_module):
    path = str(tmp_path / "mine.keras")
    user_cnn((12, 12, 1), 4).save(path)
    recipes = sweep_pipeline.normalize_recipes([{"name": "file", "model": path},
                                                {"name": "fn", "model": f"{user_module}:mlp"}])
    assert [r["model"] for r in recipes] == [path, f"{user_module}:mlp"]
    with pytest.raises(ValueError, match=r"model file '.*nope.keras' does not exist"):
        sweep_pipeline.normalize_recipes([{"model": str(tmp_path / "nope.keras")}])
