"""``python -m studies.defenses`` end to end on a tiny .npz dataset (slow: a new process)."""

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_defense_table_script_smoke(tmp_path, npz_dataset):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "studies.defenses", f"--dataset={npz_dataset}",
           "--train_images=0", "--test_images=0", "--epochs=1", "--batch_size=32",
           "--rows=clean,jacobsen", "--defenses=none,jpeg10", f"--out={out}"]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads((out / "defenses.json").read_text())
    assert result["defense_keys"] == ["none", "jpeg10"] and len(result["rows"]) == 4
    assert (out / "defenses.png").exists() and "JPEG-10" in (out / "defenses.md").read_text()
    assert len(os.listdir(out / "defense_cells")) == 4
