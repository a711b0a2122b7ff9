"""Crash safety: a step whose output is missing or does not match its content hash reruns; a
pipeline killed with SIGKILL in the middle of the search and of victim training resumes (at most
the generation / epoch in flight is lost) and ends with the attack and metrics of an
uninterrupted run (op determinism on)."""

import glob
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from components import artifacts, baseline, ingest, poison
from evoshift_tf import attack, data
from pipelines import local_runner
from pipelines.dag import Node, Pipeline, Ref

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _small_pipeline(npz):
    d = Ref("ingest", "dataset")
    return Pipeline("small", (
        Node("ingest", ingest.SPEC, {}, {"dataset": npz}),
        Node("random", baseline.SPEC, {"dataset": d}, {"num_pixels": 2}),
        Node("poison", poison.SPEC, {"dataset": d, "attack": Ref("random", "attack")}, {}),
    ))


def test_a_step_whose_output_hash_mismatches_or_is_missing_reruns(npz_dataset, tmp_path):
    root = str(tmp_path / "run")
    p = _small_pipeline(npz_dataset)
    first = local_runner.run(p, root)
    assert {k: v["status"] for k, v in first.items()} == {"ingest": "ran", "random": "ran",
                                                          "poison": "ran"}
    assert all(v["status"] == "reused" for v in local_runner.run(p, root).values())
    out = local_runner.output_dir(root, "poison", "poisoned")
    good = open(os.path.join(out, "dataset.npz"), "rb").read()
    with open(os.path.join(out, "dataset.npz"), "r+b") as f:      # silent corruption
        f.seek(len(good) // 2)
        f.write(b"\x00garbage\x00")
    assert not artifacts.is_complete(out)
    again = local_runner.run(p, root)
    assert {k: v["status"] for k, v in again.items()} == {"ingest": "reused", "random": "reused",
                                                          "poison": "ran"}
    assert open(os.path.join(out, "dataset.npz"), "rb").read() == good   # rebuilt identically
    os.remove(os.path.join(local_runner.output_dir(root, "random", "attack"), artifacts.METADATA))
    again = local_runner.run(p, root)
    # the attack is rebuilt with the same content, so its consumer is still reusable
    assert again["random"]["status"] == "ran" and again["poison"]["status"] == "reused"


# ---------------------------------------------------------------- kill -9 and resume

def _cmd(npz, root):
    return [sys.executable, "-m", "pipelines.run", "--preset=smoke", f"--dataset={npz}",
            f"--run_root={root}", "--generations=5", "--victim_epochs=5", "--victim_seeds=1",
            "--deterministic"]


def _env():
    return {**os.environ, "PYTHONPATH": REPO, "TF_CPP_MIN_LOG_LEVEL": "2"}


def _run_to_end(npz, root, log):
    with open(log, "w") as f:
        r = subprocess.run(_cmd(npz, root), cwd=REPO, env=_env(), stdout=f,
                           stderr=subprocess.STDOUT, timeout=900)
    assert r.returncode == 0, open(log).read()[-3000:]


def _read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError):
        return None


def _run_and_kill(npz, root, log, progress, timeout=600):
    """Start the pipeline, SIGKILL it as soon as ``progress()`` says so; return what it said."""
    with open(log, "w") as f:
        proc = subprocess.Popen(_cmd(npz, root), cwd=REPO, env=_env(), stdout=f,
                                stderr=subprocess.STDOUT)
        start = time.time()
        try:
            while time.time() - start < timeout:
                seen = progress()
                if seen is not None:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait()
                    return seen
                assert proc.poll() is None, "finished before it could be killed:\n" + \
                    open(log).read()[-2000:]
                time.sleep(0.02)
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
    raise AssertionError("no progress to kill at")


def _results(root):
    a = attack.load(os.path.join(root, "search", "attack", "attack.json"))
    hist = _read_json(os.path.join(root, "search", "history", "history.json"))
    metrics = {d: _read_json(os.path.join(root, d, "metrics", "metrics.json"))
               for d in sorted(os.listdir(root)) if d.startswith("evaluate_")}
    victims = {d: _read_json(os.path.join(root, d, "model", "history.json"))
               for d in sorted(os.listdir(root)) if d.startswith("train_")}
    return a, hist, metrics, victims


@pytest.mark.slow
def test_kill_9_mid_search_and_mid_training_resumes_to_the_same_result(tmp_path):
    npz = str(tmp_path / "data.npz")
    data.save_npz(npz, data.make_synthetic(num_classes=4, per_class=400, image_shape=(28, 28, 1),
                                           seed=0))
    ref_root, root = str(tmp_path / "ref"), str(tmp_path / "run")
    _run_to_end(npz, ref_root, str(tmp_path / "ref.log"))
    assert _read_json(os.path.join(ref_root, local_runner.RUN_RECORD))["preset"] == "smoke"

    def state():   # the search's checkpoint (under a work folder keyed by the step fingerprint)
        found = glob.glob(os.path.join(root, "search", ".work", "*", "search",
                                       "search_state.json"))
        return found[0] if found else ""

    def mid_search():
        meta = _read_json(state())
        return meta["generation"] if meta and 2 <= meta["generation"] < 5 else None

    _run_and_kill(npz, root, str(tmp_path / "kill1.log"), mid_search)
    done = _read_json(state())["generation"]          # what the checkpoint holds after the kill
    assert not artifacts.is_complete(os.path.join(root, "search", "attack"))

    def mid_training():
        for d in sorted(os.listdir(root)):
            if d.startswith("train_"):
                for path in glob.glob(os.path.join(root, d, ".work", "*", "checkpoint",
                                                   "history.json")):
                    h = _read_json(path)
                    if h and 1 <= len(h) < 5 and not os.path.exists(os.path.join(root, d,
                                                                                 "model")):
                        return path
        return None

    victim_history = _run_and_kill(npz, root, str(tmp_path / "kill2.log"), mid_training)
    log2 = open(tmp_path / "kill2.log").read()
    assert f"resuming search at generation {done}" in log2        # <= 1 generation lost
    epochs_done = len(_read_json(victim_history))
    _run_to_end(npz, root, str(tmp_path / "final.log"))
    log3 = open(tmp_path / "final.log").read()
    assert f"resuming training at epoch {epochs_done}" in log3   # <= 1 epoch lost
    assert "search: reused" in log3

    a_ref, h_ref, m_ref, v_ref = _results(ref_root)
    a, h, m, v = _results(root)
    assert a.equals(a_ref)
    assert a.provenance["best_cost"] == a_ref.provenance["best_cost"]
    drop = lambda rows, k: [{x: y for x, y in r.items() if x != k} for r in rows]  # noqa: E731
    assert drop(h, "elapsed_s") == drop(h_ref, "elapsed_s")
    assert m == m_ref and len(m) == 3
    assert {k: drop(x, "seconds") for k, x in v.items()} == \
        {k: drop(x, "seconds") for k, x in v_ref.items()}
