"""tf.distribute: MirroredStrategy over 2 logical CPU devices gives the default strategy's
weights on the same global batch; MultiWorkerMirroredStrategy with 2 worker processes on
127.0.0.1 (TF_CONFIG) trains to the accuracy of one worker and every worker saves."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

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


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def test_mirrored_two_logical_cpus_matches_default_strategy(tmp_path):
    p1, out1, _ = _run("default", tmp_path, "default")
    _wait(p1)
    p2, out2, export2 = _run("mirrored", tmp_path, "mirrored", cpus=2)
    _wait(p2)
    a, b = json.load(open(out1)), json.load(open(out2))
    assert (a["replicas"], b["replicas"]) == (1, 2)
    for wa, wb in zip(a["weights"], b["weights"]):
        np.testing.assert_allclose(np.array(wb), np.array(wa), rtol=1e-4, atol=1e-5)
    assert abs(a["test_accuracy"] - b["test_accuracy"]) < 1e-9
    assert (export2 / "model.keras").exists() and (export2 / "saved_model").is_dir()


@pytest.mark.slow
def test_two_workers_train_like_one_and_every_worker_saves(tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for i in range(2):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})
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
