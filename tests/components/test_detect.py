"""The detect component and ``evoshift detect``: a report folder with report.json, the score maps
and the PNG; a missing dataset is one line ``error: ...``."""

import os
import subprocess
import sys

import numpy as np

from components import artifacts, base, detect
from evoshift_tf import attack, data

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _dataset_artifact(folder, dataset):
    os.makedirs(folder)
    artifacts.save_dataset(folder, dataset)
    artifacts.write_json(os.path.join(folder, artifacts.METADATA),
                         {"type": artifacts.DATASET,
                          "content_hash": artifacts.content_hash(folder)})
    return folder


def test_detect_writes_report_scores_and_picture(tmp_path, tiny_gray):
    a = attack.random_attack(4, 2, tiny_gray.info.image_shape, seed=0)
    poisoned = data.Dataset(tiny_gray.info, data.Split(
        attack.apply(a, tiny_gray.train.x, tiny_gray.train.y), tiny_gray.train.y), tiny_gray.test)
    for name, ds, expected in (("clean", tiny_gray, False), ("poisoned", poisoned, True)):
        folder = _dataset_artifact(str(tmp_path / name), ds)
        out = str(tmp_path / f"{name}_report")
        base.run_executor(detect.SPEC, {"dataset": folder}, {"report": out}, {})
        report = artifacts.read_json(os.path.join(out, "report.json"))
        assert report["poisoned"] is expected and report["dataset"] == "synthetic"
        assert report["threshold"] == 0.7 and report["images"] == len(ds.train)
        flagged = [{(p["row"], p["col"]) for p in c["flagged"]} for c in report["classes"]]
        assert flagged == ([{tuple(p) for p in a.positions[k]} for k in range(4)] if expected
                           else [set()] * 4)
        assert np.load(os.path.join(out, "scores.npy")).shape == (4, 12, 12)
        assert os.path.getsize(os.path.join(out, "flagged_pixels.png")) > 1000
        meta = artifacts.read_metadata(out)
        assert meta["type"] == artifacts.REPORT and meta["producer"] == "detect"


def test_bad_threshold_is_refused_before_reading_data(tmp_path):
    try:
        base.run_executor(detect.SPEC, {"dataset": str(tmp_path / "none")},
                          {"report": str(tmp_path / "r")}, {"threshold": 0.0})
    except base.InputError as e:
        assert "threshold=0.0" in str(e)
    else:
        raise AssertionError("threshold 0 was accepted")


def test_command_on_a_missing_dataset_prints_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pipelines.cli", "detect",
                             f"--dataset={tmp_path / 'nowhere'}", f"--report={tmp_path / 'out'}"],
                            cwd=REPO, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": REPO})
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "nowhere" in lines[0], lines
    assert not os.path.exists(tmp_path / "out")
