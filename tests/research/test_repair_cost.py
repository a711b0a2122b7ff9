"""Repair with full recall leaves no trace of the trigger: the repaired set is the clean set
smoothed at the flagged positions."""

import numpy as np

from evoshift_tf import attack, data
from research import repair_cost


def _train(n=400, shape=(16, 16, 1)):
    rng = np.random.default_rng(0)
    return data.Split(rng.integers(0, 256, (n, *shape), dtype=np.uint8), np.arange(n) % 10)


def test_repaired_poison_equals_the_clean_set_smoothed_at_the_flagged_positions():
    train = _train()
    a = attack.random_attack(10, 4, (16, 16, 1), seed=1)
    got = repair_cost.repair_against_smoothing(a, train, 10)
    assert got["recall"] == 1.0 and got["precision"] == 1.0
    assert got["positions"] == 40 and got["fraction"] == 40 / 256
    assert got["identical"]
    assert got["mean_abs_change"] > 0


def test_rows_are_named_by_patches_per_class():
    root = "benchmarks/results/attacks_defense_aware_fashion_mnist"
    assert repair_cost.name_of(f"{root}_np4/evoshift_all_seed0.json") == "np4/evoshift_all_seed0"
    assert repair_cost.name_of(f"{root}/evoshift_all_seed0.json") == "np1/evoshift_all_seed0"
