"""tf.distribute: MirroredStrategy over 2 logical CPU devices gives the default strategy's
weights on the same global batch; MultiWorkerMirroredStrategy with 2 worker processes on
127.0.0.1 (TF_CONFIG) trains to the accuracy of one worker and every worker saves."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from evoshift_tf.victims import training

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
WORKER = os.path.join(HERE, "distribute_worker.py")


def _env(**extra):
    env = {**os.environ, "PYTHONPATH": REPO, "TF_CPP_MIN_LOG_LEVEL": "2", **extra}
    env.pop("TF_CONFIG", None)
    env.update(extra)
    return env


def _run(strategy, tmp_path, tag, cpus=1, epochs=2, size=12, env=None):
    out, export = tmp_path / f"{tag}.json", tmp_path / f"{tag}_model"
    return (subprocess.Popen([sys.executable, WORKER, strategy, str(out), str(export),
                              str(epochs), str(cpus), "64", str(size)],
                             env=env or _env(), cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True), out, export)


def _wait(proc, timeout=300):
    text, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, text[-3000:]


MIRRORED_VS_DEFAULT = """
import json, sys
import numpy as np
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from evoshift_tf import data, models
from evoshift_tf.victims import training
d = data.make_synthetic(num_classes=4, per_class=64, image_shape=(12, 12, 1), seed=0)
# SGD, not Adam: Adam is almost blind to a gradient scaled by the replica count
config = training.TrainConfig(epochs=2, batch_size=32, optimizer="sgd", learning_rate=0.1,
                              seed=0)
out = {}
for name in ("default", "mirrored"):
    strategy = training.make_strategy(name)
    r = training.train(lambda: models.get("graynet", (12, 12, 1), 4), d.train.x, d.train.y,
                       config, strategy)
    out[name] = {"replicas": strategy.num_replicas_in_sync,
                 "devices": (list(strategy.extended.worker_devices) if name == "mirrored"
                             else []),
                 "weights": [w.tolist() for w in r.model.get_weights()],
                 "loss": [h["loss"] for h in r.history]}
json.dump(out, open(sys.argv[1], "w"))
"""


def test_mirrored_two_logical_cpus_matches_default_strategy(tmp_path):
    out = tmp_path / "out.json"
    # GPUs hidden: "mirrored" prefers them, and this test is about two logical CPUs
    r = subprocess.run([sys.executable, "-c", MIRRORED_VS_DEFAULT, str(out)],
                       env=_env(CUDA_VISIBLE_DEVICES=""),
                       cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.load(open(out))
    a, b = res["default"], res["mirrored"]
    assert (a["replicas"], b["replicas"]) == (1, 2)
    assert [d.split("/")[-1] for d in b["devices"]] == ["device:CPU:0", "device:CPU:1"]
    # 2 epochs x 8 steps of SGD on the same global batches: same weights up to float
    # summation order (per-replica partial sums, then an all-reduce)
    for wa, wb in zip(a["weights"], b["weights"]):
        np.testing.assert_allclose(np.array(wb), np.array(wa), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(b["loss"], a["loss"], rtol=1e-5)


@pytest.mark.slow
def test_two_workers_train_like_one_and_every_worker_saves(tmp_path):
    procs = []
    for tf_config in map(json.dumps, training.local_cluster_tf_configs(2)):
        out, export = tmp_path / "mw.json", tmp_path / "mw_model"
        procs.append(subprocess.Popen(
            [sys.executable, WORKER, "multiworker", str(out), str(export), "2", "1", "64", "12"],
            env=_env(TF_CONFIG=tf_config), cwd=REPO, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True))
    for p in procs:
        _wait(p)
    single, out1, _ = _run("default", tmp_path, "single")
    _wait(single)
    chief, other = json.load(open(out)), json.load(open(f"{out}.1"))
    one = json.load(open(out1))
    assert chief["chief"] and not other["chief"] and chief["replicas"] == 2
    for wa, wb in zip(chief["weights"], other["weights"]):      # workers stay in sync
        np.testing.assert_array_equal(np.array(wa), np.array(wb))
    for wa, wb in zip(chief["weights"], one["weights"]):        # and match one worker
        np.testing.assert_allclose(np.array(wa), np.array(wb), rtol=1e-4, atol=1e-5)
    assert abs(chief["test_accuracy"] - one["test_accuracy"]) <= 1 / 64
    # the chief's export is the real one; the other worker's throw-away copy is gone
    assert (export / "model.keras").exists() and (export / "saved_model").is_dir()
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["mw.json", "mw.json.1", "mw_model", "single.json", "single_model"])
