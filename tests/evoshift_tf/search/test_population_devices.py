"""The population spread over several devices trains the same candidates as one device."""

import json
import os
import subprocess
import sys

import pytest

from evoshift_tf.search import population

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

SHARDED_VS_ONE = r"""
import json, sys
import numpy as np, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from evoshift_tf import attack, data
from evoshift_tf.search import population
from evoshift_tf.models.simple_cnn import GRAYNET_SPEC
d = data.make_synthetic(num_classes=4, per_class=32, image_shape=(12, 12, 1), seed=0)
atks = [attack.random_attack(4, 1, (12, 12, 1), seed=s) for s in range(3)]
mp = [a.masks_and_patterns() for a in atks]
m, p = tf.constant(np.stack([a for a, _ in mp])), tf.constant(np.stack([b for _, b in mp]))
x, y = tf.constant(d.train.x), tf.constant(d.train.y)
tx, ty = tf.constant(d.test.x), tf.constant(d.test.y)
seeds = np.stack([np.arange(3), np.arange(3) * 7], 1)
out = {}
for name, devices in (("one", "none"), ("sharded", "/CPU:0,/CPU:1")):
    pop = population.classifier(GRAYNET_SPEC, 3, (12, 12, 1), 4, batch_size=16, devices=devices)
    pop.reset(seeds)
    loss = pop.fit(x, y, m, p, 2, seed=5)
    s = pop.evaluate(tx, ty, m, p)
    out[name] = {"type": type(pop).__name__, "loss": loss.tolist(),
                 "acc": s.clean_accuracy.tolist(), "ce_p": s.poisoned_ce.tolist(),
                 "w2": pop.keras_weights(2)[0].ravel()[:5].tolist()}
json.dump(out, open(sys.argv[1], "w"))
"""


def test_sharded_population_equals_one_device(tmp_path):
    out = tmp_path / "out.json"
    env = {**os.environ, "PYTHONPATH": REPO, "CUDA_VISIBLE_DEVICES": ""}
    r = subprocess.run([sys.executable, "-c", SHARDED_VS_ONE, str(out)], env=env, cwd=REPO,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(out.read_text())
    assert res["one"]["type"] == "PopulationClassifier"
    assert res["sharded"]["type"] == "ShardedPopulationClassifier"
    for key in ("loss", "acc", "ce_p", "w2"):   # candidate 2 lives alone on the second device
        assert res["sharded"][key] == pytest.approx(res["one"][key], rel=1e-4, abs=1e-5), key


def test_device_specs():
    assert population.resolve_devices("none") is None
    assert population.resolve_devices("auto") is None       # no GPUs here
    assert population.resolve_devices("/CPU:0") == ["/CPU:0"]
    with pytest.raises(ValueError, match="unknown devices"):
        population.resolve_devices("/GPU:7")
    assert population._shard_sizes(8, 3) == [3, 3, 2]
    assert population._shard_sizes(2, 4) == [1, 1]
