"""The CutMix experiment compares compact and spread triggers at equal L0 budgets."""

import numpy as np

from evoshift_tf import attack
from research import cutmix_spread


def _train(n=40, shape=(28, 28, 1)):
    rng = np.random.default_rng(0)
    return (rng.integers(0, 256, (n, *shape), dtype=np.uint8), np.arange(n) % 10)


def test_square_is_one_compact_block_per_class_of_side_squared_pixels():
    x, y = _train()
    a = cutmix_spread.square(type("S", (), {"x": x, "y": y})(), 10, 4)
    for k in range(10):
        rows, cols = a.positions[k, :, 0], a.positions[k, :, 1]
        assert len(set(zip(rows.tolist(), cols.tolist()))) == 16
        assert rows.max() - rows.min() == 3 and cols.max() - cols.min() == 3
        assert len(np.unique(a.values[k], axis=0)) == 1          # one value per class


def test_attacks_pair_spread_and_square_at_each_square_budget():
    x, y = _train()
    named = cutmix_spread.attacks_for(type("S", (), {"x": x, "y": y})(), 10, ["1", "9", "10"])
    assert sorted(named) == ["spread_1", "spread_10", "spread_9", "square_9"]
    assert named["spread_9"].positions.shape[1] == named["square_9"].positions.shape[1] == 9
    spread = named["spread_9"].positions[0]
    assert np.ptp(spread[:, 0]) > 2 or np.ptp(spread[:, 1]) > 2   # not one 3x3 block
    assert isinstance(named["square_9"], attack.PixelAttack)


def test_table_gives_mean_and_std_over_victim_seeds_per_defense():
    """The project's population std (as every other table), a dash for a cell not measured."""
    rows = [{"attack": "spread_9", "defense": d, "clean_test_accuracy": v}
            for d, v in (("none", 0.3), ("none", 0.5), ("cutmix", 0.6))]
    text = cutmix_spread.table(rows, ["spread_9"], ["none", "cutmix", "mixup"])
    assert "| spread_9 | 0.400 ± 0.100 | 0.600 ± 0.000 | - |" in text
