"""studies/_cli.py, the one helper of the study scripts: budget flags, the attack source,
result files and tables."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from absl import flags

from evoshift_tf import attack
from evoshift_tf.studies import defenses, runner
from studies import _cli


@pytest.fixture
def study_flags(monkeypatch):
    """The study flags on a private FlagValues, parsed from ``args``."""
    def parse(*args):
        fv = flags.FlagValues()
        _cli.define_study_flags(fv)
        fv(["prog", *args])
        monkeypatch.setattr(_cli, "FLAGS", fv)
        return fv
    return parse


def test_study_flags_keep_their_documented_names_and_defaults(study_flags):
    fv = study_flags()
    assert {k: fv[k].default for k in ("dataset", "preset", "out", "attack", *_cli.BUDGET_FLAGS)
            } == {"dataset": "fashion_mnist", "preset": "default", "out": "runs/studies",
                  "attack": [], **{k: None for k in _cli.BUDGET_FLAGS}}


def test_budget_is_the_preset_with_the_flags_overrides(study_flags):
    study_flags("--epochs=2", "--repeats=5")
    assert _cli.budget() == runner.Budget(epochs=2, repeats=5)
    assert _cli.budget(default=defenses.default_budget) == defenses.default_budget(epochs=2,
                                                                                   repeats=5)
    study_flags("--preset=paper", "--seed=3")
    assert _cli.budget() == runner.Budget.paper(seed=3)
    assert _cli.budget(default=defenses.default_budget) == runner.Budget.paper(seed=3)


def test_attacks_come_from_the_given_files_matched_by_num_pixels(tmp_path, tiny_gray):
    info = tiny_gray.info
    files = {}
    for n in (1, 2):
        files[n] = str(tmp_path / f"a{n}.json")
        attack.save(attack.random_attack(info.num_classes, n, info.image_shape, seed=n), files[n])
    got = _cli.attacks(tiny_gray, [2, 1], [files[1], files[2]], str(tmp_path / "root"))
    assert sorted(got) == [1, 2] and got[2].num_pixels == 2
    np.testing.assert_array_equal(got[1].positions, attack.load(files[1]).positions)
    one = _cli.attack(tiny_gray, 2, files[2], str(tmp_path / "root"))
    assert one.equals(got[2]) and not os.path.exists(tmp_path / "root")   # nothing searched


def test_print_table_prints_and_returns_it(capsys):
    text = _cli.print_table([{"arm": "clean", "psnr": 14.5}], ["arm", "psnr"], "VAE-GAN")
    assert capsys.readouterr().out == text + "\n" and "14.5000" in text


@pytest.mark.slow
def test_a_one_attack_study_script_runs_end_to_end(tmp_path, npz_dataset, tiny_gray):
    path = str(tmp_path / "np1.json")
    attack.save(attack.random_attack(4, 1, tiny_gray.info.image_shape, seed=0), path)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "studies.regularizers", f"--dataset={npz_dataset}",
           "--preset=smoke", f"--attack={path}", "--num_pixels=1", f"--out={out}"]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| no-reg | 1 |" in done.stdout
    assert "oneDNN" not in done.stderr and "cuInit" not in done.stderr  # TensorFlow's C++ lines
    assert json.loads((out / "fig7_regularizers.json").read_text())["budget"]["epochs"] == 1
