"""Cross-dataset transfer (Table 3) through tfds.testing.mock_data (nothing is downloaded)."""

import json

import numpy as np
import pytest
import tensorflow_datasets as tfds

from evoshift_tf import attack as attack_lib
from evoshift_tf.analysis import cross_dataset
from evoshift_tf import data
from evoshift_tf.victims.recipe import VictimRecipe


def test_mapping_round_trip_and_checks(tmp_path):
    m = cross_dataset.CIFAR10_TO_STL10
    assert m.names == ["airplane", "cat", "deer", "dog", "ship", "truck"]
    path = tmp_path / "map.json"
    path.write_text(json.dumps(m.to_json()))
    assert cross_dataset.LabelMapping.load(str(path)) == m
    with pytest.raises(ValueError, match="same target label"):
        cross_dataset.LabelMapping("a", "b", {"x": [0, 1], "y": [2, 1]})
    cifar = data.DatasetInfo("cifar10", 10, (32, 32, 3), (
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"))
    stl = data.DatasetInfo("stl10", 10, (96, 96, 3), (
        "airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"))
    m.check(cifar, stl)                                   # real names agree with the indices
    wrong = cross_dataset.LabelMapping("cifar10", "stl10", {"cat": [3, 1]})
    with pytest.raises(ValueError, match="mismatch"):
        wrong.check(cifar, stl)


def test_restrict_relabels_target_to_source_labels():
    x = np.zeros((6, 2, 2, 1), np.uint8)
    split = data.Split(x, np.array([0, 1, 2, 3, 2, 0]))
    out = cross_dataset.restrict(split, np.array([2, 0]), np.array([7, 5]))
    np.testing.assert_array_equal(out.y, [5, 7, 7, 5])


def test_shared_class_accuracy_counts_other_predictions_wrong():
    m = cross_dataset.LabelMapping("s", "t", {"a": [0, 1], "b": [3, 0]})
    acc = cross_dataset.shared_class_accuracy(np.array([0, 2, 3, 3]), np.array([0, 0, 3, 3]), m)
    assert acc == {"a": 0.5, "b": 1.0}


def test_table3_on_mock_cifar10_and_stl10():
    with tfds.testing.mock_data(num_examples=40):
        source = data.load_tfds("cifar10")
        target = data.load_tfds("stl10")
    assert target.info.image_shape == (96, 96, 3)
    m = cross_dataset.CIFAR10_TO_STL10
    tgt = cross_dataset.target_test_set(target, m, (32, 32))
    assert tgt.x.shape[1:] == (32, 32, 3) and tgt.x.dtype == np.uint8
    assert set(np.unique(tgt.y)) <= set(m.source_labels.tolist())
    atk = attack_lib.random_attack(10, 1, (32, 32, 3), seed=0)
    rows = cross_dataset.table3(source, target, m, {"clean": None, "random_np1": atk},
                                VictimRecipe.from_params(model="colornet", epochs=1, batch_size=8))
    assert [r["arm"] for r in rows] == ["clean", "random_np1"]
    for r in rows:
        assert set(r["target"]) == set(m.names) | {"mean"}
        vals = [v for v in r["target"].values() if not np.isnan(v)]
        assert vals and all(0.0 <= v <= 1.0 for v in vals)


def test_table3_trains_the_recipe_given(tiny_color, monkeypatch):
    from evoshift_tf.victims import training
    calls = []

    def fake_train(make_model, x, y, config, strategy=None, **kwargs):   # no training: record
        calls.append((make_model(), config))
        return training.TrainResult(calls[-1][0], [])

    monkeypatch.setattr(training, "train", fake_train)
    target = data.make_synthetic(num_classes=3, per_class=8, image_shape=(14, 14, 3), seed=2)
    m = cross_dataset.LabelMapping("a", "b", {"class0": [0, 0], "class2": [2, 2]})
    recipe = VictimRecipe.from_params(model="graynet", preprocessing=("median3",), epochs=2,
                                      batch_size=8)
    rows = cross_dataset.table3(tiny_color, target, m, {"clean": None}, recipe, seed=6)
    assert [r["arm"] for r in rows] == ["clean"] and set(rows[0]["target"]) == {"class0", "class2",
                                                                   "mean"}
    (model, config), = calls
    assert config == recipe.train_config(6)
    assert model.name == "graynet" and model.input.shape[1:] == (10, 10, 3)
    assert any("median" in layer.name for layer in model.layers)
