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
                                 "mixup", "cutmix", "randaugment", "adversarial", "vib",
                                 "detect_repair")


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


def test_detect_repair_column_repairs_the_poisoned_set_before_training(tiny_gray, monkeypatch):
    """The detector column sees the whole poisoned training subset: it flags the trigger pixels
    of the poisoned row (and nothing on the clean row) and the victim trains on the repair."""
    from evoshift_tf import detect
    shortcut = attack.random_attack(4, 2, tiny_gray.info.image_shape, seed=0)
    trained_on = []
    train = runner.recipe_lib.Victim.train

    def train_and_record(victim, x, y, **kwargs):
        trained_on.append(x)
        return train(victim, x, y, **kwargs)

    monkeypatch.setattr(runner.recipe_lib.Victim, "train", train_and_record)
    result = defenses.run(tiny_gray, runner.Budget.smoke(), {"clean": None, "random": shortcut},
                          ("detect_repair",))
    clean, poisoned = result["rows"]
    assert result["defenses"] == ["detect + repair"]
    assert clean["dataset_defenses"]["detect_repair"]["poisoned"] is False
    summary = poisoned["dataset_defenses"]["detect_repair"]
    assert summary["poisoned"] and summary["flagged_pixels"] == 8
    x, y = tiny_gray.train.x, tiny_gray.train.y
    np.testing.assert_array_equal(trained_on[0], x)
    xp = attack.apply(shortcut, x, y)
    np.testing.assert_array_equal(trained_on[1], detect.repair(xp, y, detect.detect(xp, y, 4)))


def test_cells_of_earlier_columns_keep_their_cache_keys():
    """Adding dataset defenses to a column must not orphan the cells cached before they existed
    (keys computed before the field was added)."""
    table = defenses.defenses_table()
    shortcut = baselines.jacobsen_attack(4, 1, (12, 12, 1))
    smoke, default = runner.Budget.smoke(), defenses.default_budget()
    assert defenses.cell_key("synthetic", shortcut, table["none"], smoke, 0) == "00c3de08a001a228"
    assert defenses.cell_key("synthetic", shortcut, table["median3"], smoke, 0) == (
        "538f562145e7d663")
    assert defenses.cell_key("fashion_mnist", None, table["vib"], default, 0) == (
        "8d80987c4f19fef9")
    assert defenses.cell_key("fashion_mnist", None, table["detect_repair"], default, 0) not in (
        defenses.cell_key("fashion_mnist", None, table["none"], default, 0),)
