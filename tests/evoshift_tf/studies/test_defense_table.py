"""The defense table: attacks x defenses, final and peak accuracy, cells cached and resumed."""

import os

import numpy as np
import pytest

from evoshift_tf import attack, baselines
from evoshift_tf.studies import defenses, output, runner


def test_table_runs_caches_and_resumes(tiny_gray, tmp_path):
    budget = runner.Budget.smoke(epochs=2)
    shortcut = baselines.jacobsen_attack(4, 1, tiny_gray.info.image_shape)
    cache = str(tmp_path / "cells")
    attacks = {"clean": None, "jacobsen": shortcut}
    result = defenses.run(tiny_gray, budget, attacks, ("none", "mixup"), cache_dir=cache)
    assert len(os.listdir(cache)) == 4
    final = np.array(result["grid"]["final_test_accuracy"])
    peak = np.array(result["grid"]["peak_test_accuracy"])
    assert final.shape == (2, 2) and (peak >= final).all()
    for row in result["rows"]:
        assert row["peak_test_accuracy"] == max(row["test_curve"])
        assert row["final_test_accuracy"] == row["test_curve"][-1]
    assert result["attacks"] == ["clean (no attack)", "Jacobsen et al."]
    assert result["defenses"] == ["none", "MixUp"]
    table = result["table"]
    assert "2 epochs" in table and "| Jacobsen et al. |" in table and "best defense" in table
    json_path, png_path = output.save(result, str(tmp_path / "out"))
    assert os.path.getsize(png_path) > 1000

    def no_training(*args, **kwargs):
        raise AssertionError("a cached cell was trained again")

    runner_run_one, runner.run_one = runner.run_one, no_training
    try:
        again = defenses.run(tiny_gray, budget, attacks, ("none", "mixup"), cache_dir=cache)
    finally:
        runner.run_one = runner_run_one
    assert again["grid"] == result["grid"]


def test_attacks_resolve_from_files_or_baselines(tiny_gray, tmp_path):
    info = tiny_gray.info
    path = str(tmp_path / "ops.json")
    attack.save(baselines.get("ops", tiny_gray.train, 4, 1), path)
    evo = attack.random_attack(4, 1, info.image_shape, seed=9)
    got = defenses.resolve_attacks(tiny_gray.train, info, ("clean", "evoshift", "ops", "random"),
                                   {"ops": path, "random": "missing.json"}, evoshift=evo)
    assert got["clean"] is None and got["evoshift"] is evo
    np.testing.assert_array_equal(got["ops"].positions, attack.load(path).positions)
    assert got["random"].num_pixels == 1                     # built, the file being missing
    with pytest.raises(attack.AttackError, match="EvoShift"):
        defenses.resolve_attacks(tiny_gray.train, info, ("evoshift",))
    with pytest.raises(ValueError, match="clean"):
        defenses.resolve_attacks(tiny_gray.train, info, ("poison",))
    with pytest.raises(ValueError, match="median"):
        defenses.run(tiny_gray, runner.Budget.smoke(), {"clean": None}, ("median7",))
    assert defenses.DEFENSES == ("none", "median3", "gauss5", "jpeg10", "bits4", "augment",
                                 "mixup", "cutmix", "randaugment", "adversarial", "vib")


def test_baseline_file_of_another_dataset_or_shape_is_rebuilt(tiny_gray, tmp_path):
    import dataclasses
    info = tiny_gray.info
    other_shape = baselines.jacobsen_attack(info.num_classes, 1, (28, 28, 1))
    same_shape = dataclasses.replace(baselines.jacobsen_attack(info.num_classes, 1,
                                                               info.image_shape),
                                     provenance={"dataset": "fashion_mnist"})
    mine = dataclasses.replace(same_shape, provenance={"dataset": info.name})
    for name, a in (("other_shape", other_shape), ("other_data", same_shape), ("mine", mine)):
        attack.save(a, str(tmp_path / f"{name}.json"))
    for name in ("other_shape", "other_data"):
        got = defenses.resolve_attacks(tiny_gray.train, info, ["ops"],
                                       {"ops": str(tmp_path / f"{name}.json")})
        assert got["ops"].equals(baselines.get("ops", tiny_gray.train, info.num_classes))
    got = defenses.resolve_attacks(tiny_gray.train, info, ["ops"],
                                   {"ops": str(tmp_path / "mine.json")})
    assert got["ops"].equals(mine)
