import json

import numpy as np
import pytest

from evoshift_tf import models
from evoshift_tf.victims import training


def _build(info):
    return lambda: models.get("graynet", info.image_shape, info.num_classes)


def test_training_learns_and_records_history(tiny_gray):
    info = tiny_gray.info
    res = training.train(_build(info), tiny_gray.train.x, tiny_gray.train.y,
                         training.TrainConfig(epochs=4, batch_size=16),
                         eval_sets={"test": (tiny_gray.test.x, tiny_gray.test.y)})
    assert [h["epoch"] for h in res.history] == [1, 2, 3, 4]
    assert res.history[-1]["test_accuracy"] > 0.7
    assert res.history[-1]["loss"] < res.history[0]["loss"]


def test_seeded_and_resumable(tiny_gray, tmp_path):
    info, cfg = tiny_gray.info, training.TrainConfig(epochs=3, batch_size=32, seed=4)
    x, y = tiny_gray.train.x, tiny_gray.train.y
    straight = training.train(_build(info), x, y, cfg)
    ckpt = str(tmp_path / "ckpt")
    first = training.train(_build(info), x, y,
                           training.TrainConfig(epochs=2, batch_size=32, seed=4),
                           checkpoint_dir=ckpt)
    resumed = training.train(_build(info), x, y, cfg, checkpoint_dir=ckpt)
    assert len(resumed.history) == 3
    # epochs 1-2 are the checkpointed run's rows (their wall times too): not trained again
    assert resumed.history[:2] == first.history
    for a, b in zip(straight.model.get_weights(), resumed.model.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_a_bfloat16_victim_learns_with_float32_weights_and_restores_the_policy(tiny_gray):
    """Mixed bfloat16 (``precision="bfloat16"``, or ``auto`` where it is native): the layers
    compute in bfloat16, the weights and the loss stay float32, the logits come out float32,
    and the global Keras policy is what it was before."""
    import keras
    info = tiny_gray.info
    before = keras.config.dtype_policy().name
    res = training.train(_build(info), tiny_gray.train.x, tiny_gray.train.y,
                         training.TrainConfig(epochs=4, batch_size=16, precision="bfloat16"),
                         eval_sets={"test": (tiny_gray.test.x, tiny_gray.test.y)})
    assert keras.config.dtype_policy().name == before
    assert res.model.layers[-1].dtype_policy.name == "mixed_bfloat16"
    assert {v.dtype for v in res.model.trainable_variables} == {"float32"}
    assert training.predict_logits(res.model, tiny_gray.test.x[:4]).dtype == np.float32
    assert res.history[-1]["test_accuracy"] > 0.7


def test_an_unknown_victim_precision_is_refused():
    with pytest.raises(ValueError, match=r"precision='fp16': expected 'auto' or one of"):
        training.TrainConfig(precision="fp16")


def test_bad_recipe_is_rejected():
    with pytest.raises(ValueError, match="optimizer"):
        training.TrainConfig(optimizer="lbfgs")
    with pytest.raises(KeyError, match="graynet"):
        models.get("vgg99", (28, 28, 1), 10)


def test_graynet_has_the_papers_parameter_count():
    assert models.get("graynet", (28, 28, 1), 10).count_params() == 615_594


def test_local_cluster_tf_configs_give_each_worker_its_index():
    configs = training.local_cluster_tf_configs(3)
    workers = configs[0]["cluster"]["worker"]
    assert len(set(workers)) == 3 and all(w.startswith("127.0.0.1:") for w in workers)
    assert [c["task"] for c in configs] == [{"type": "worker", "index": i} for i in range(3)]
    assert all(c["cluster"] == configs[0]["cluster"] for c in configs)
    assert [training.tf_config_is_chief(json.dumps(c)) for c in configs] == [True, False, False]


def test_mixing_trains_on_soft_labels(tiny_gray):
    info = tiny_gray.info
    losses = {}
    for mixing in ("none", "mixup", "cutmix"):
        res = training.train(_build(info), tiny_gray.train.x, tiny_gray.train.y,
                             training.TrainConfig(epochs=1, batch_size=32, mixing=mixing))
        losses[mixing] = res.history[0]["loss"]
    assert all(np.isfinite(v) for v in losses.values())
    # same seed and batches: only the mixed images and soft labels differ, and they are harder
    assert losses["mixup"] > losses["none"] and losses["cutmix"] > losses["none"]
    with pytest.raises(ValueError, match="mixing"):
        training.TrainConfig(mixing="mosaic")


def test_tensorboard_scalars_per_epoch(tiny_gray, tmp_path):
    import tensorflow as tf
    info, board = tiny_gray.info, str(tmp_path / "tb")
    training.train(_build(info), tiny_gray.train.x, tiny_gray.train.y,
                   training.TrainConfig(epochs=2, batch_size=64),
                   eval_sets={"test": (tiny_gray.test.x, tiny_gray.test.y)},
                   tensorboard_dir=board)
    scalars = {}
    for name in tf.io.gfile.listdir(board):
        for event in tf.compat.v1.train.summary_iterator(f"{board}/{name}"):
            for v in event.summary.value:
                scalars.setdefault(v.tag, []).append(
                    (event.step, float(tf.make_ndarray(v.tensor))))
                assert v.metadata.plugin_data.plugin_name == "scalars"
    assert {"victim/loss", "victim/train_accuracy", "victim/test_accuracy",
            "victim/seconds"} <= set(scalars)
    assert [s for s, _ in scalars["victim/test_accuracy"]] == [1, 2]
