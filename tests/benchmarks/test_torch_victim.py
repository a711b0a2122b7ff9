"""The PyTorch victim script: the folder read as the package reads it, the package's poison, the
crop and flip, and rows that are written per victim and reused. The training tests need PyTorch
(not a dependency of the package: they are skipped where it is not installed)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from benchmarks import torch_victim
from evoshift_tf import attack, image_folder
from tests.image_folders import make_folder

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CLASSES = ("cat", "airplane", "bird")


@pytest.fixture()
def folder(tmp_path):
    root = str(tmp_path / "tiny")
    make_folder(root, CLASSES, per_split={"train": {c: 6 for c in CLASSES},
                                          "test": {c: 3 for c in CLASSES}}, shape=(8, 8, 3))
    return root


def test_folder_is_read_in_the_package_order_with_its_pixels(folder):
    mine = torch_victim.load_folder(folder, threads=2)
    package = image_folder.load(folder)
    assert mine["class_names"] == package.info.class_names == ("airplane", "bird", "cat")
    for split, theirs in (("train", package.train), ("test", package.test)):
        x, y = mine[split]
        np.testing.assert_array_equal(x, theirs.x)
        np.testing.assert_array_equal(y, theirs.y)
    x, y = torch_victim.first_images(*mine["train"], 6)
    assert np.bincount(y).tolist() == [2, 2, 2]                     # class-balanced


def test_poison_is_the_packages_and_a_wrong_shape_is_refused(folder, tmp_path):
    x, y = torch_victim.load_folder(folder)["train"]
    a = attack.random_attack(3, 2, (8, 8, 3), seed=1)
    path = str(tmp_path / "a.json")
    attack.save(a, path)
    np.testing.assert_array_equal(torch_victim.poisoned(path, x, y, 3), attack.apply(a, x, y))
    assert torch_victim.poisoned(torch_victim.CLEAN, x, y, 3) is x
    attack.save(attack.random_attack(3, 1, (9, 9, 3)), path)
    with pytest.raises(attack.AttackError):
        torch_victim.poisoned(path, x, y, 3)


def test_a_changed_attack_file_is_a_new_row(tmp_path):
    path = str(tmp_path / "a.json")
    attack.save(attack.random_attack(3, 1, (8, 8, 3), seed=0), path)
    first = torch_victim.attack_key(path)
    attack.save(attack.random_attack(3, 1, (8, 8, 3), seed=1), path)
    assert first.startswith("a@") and torch_victim.attack_key(path) != first


def test_missing_attack_file_is_a_usage_error(folder, capsys):
    with pytest.raises(SystemExit):
        torch_victim.parse_args([f"--dataset={folder}", "--attacks=clean,nope.json"])
    assert "no such attack file nope.json" in capsys.readouterr().err


def test_crop_flip_moves_whole_windows_of_the_padded_image():
    torch = pytest.importorskip("torch")
    x = torch.arange(2 * 3 * 5 * 5, dtype=torch.float32).reshape(2, 3, 5, 5)
    out = torch_victim.crop_flip(x, torch.Generator().manual_seed(0), pad=2)
    assert out.shape == x.shape
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    windows = [padded[:, :, r:r + 5, c:c + 5] for r in range(5) for c in range(5)]
    for i in range(2):                       # each image is one window, maybe mirrored
        assert any(torch.equal(out[i], w[i]) or torch.equal(out[i], w[i].flip(2))
                   for w in windows)
    same = torch_victim.crop_flip(x, torch.Generator().manual_seed(0), pad=2)
    assert torch.equal(out, same)                                       # seeded


def test_rows_written_per_victim_and_reused(folder, tmp_path):
    pytest.importorskip("torch")
    path = str(tmp_path / "ops.json")
    attack.save(attack.random_attack(3, 1, (8, 8, 3), seed=0), path)
    out = str(tmp_path / "rows.json")
    args = torch_victim.parse_args([f"--dataset={folder}", f"--attacks=clean,{path}",
                                    "--epochs=2", "--batch_size=8", f"--out={out}",
                                    "--device=cpu"])
    lines = []
    rows = torch_victim.run(args, log=lines.append)
    saved = json.load(open(out))
    assert [r["attack"] for r in saved["rows"]] == ["clean", "ops.json"] == \
        [r["attack"] for r in rows]
    for r in saved["rows"]:
        assert len(r["test_accuracy_per_epoch"]) == 2 and r["test_images"] == 9
        assert 0.0 <= r["clean_test_accuracy"] <= r["peak_test_accuracy"] <= 1.0
    assert saved["machine"]["device"] == "cpu" and saved["recipe"]["weight_decay"] == 5e-4
    assert any("| ops.json | 2 | 0 |" in line for line in lines)
    lines.clear()
    torch_victim.run(args, log=lines.append)                          # nothing left to train
    assert not any("epoch 1/" in line for line in lines)
    assert json.load(open(out)) == saved
    os.remove(path)


def test_the_script_runs_where_tensorflow_is_not_installed():
    """The GPU machine it is written for has PyTorch and no TensorFlow: its help comes up with
    TensorFlow made unimportable."""
    code = ("import sys, runpy; sys.modules['tensorflow'] = None; "
            "sys.argv = ['torch_victim', '--help']; "
            "runpy.run_module('benchmarks.torch_victim', run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "--dataset" in done.stdout
