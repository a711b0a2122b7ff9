"""The floor designs' pixel rules on hand-made images (the benchmark's numbers come from
running it)."""

import numpy as np

from research import floor_designs as cct
from evoshift_tf import attack


def _two_groups():
    """Shoes (5, 7, 9) dark everywhere but their own ``(20, c)`` strip; clothes bright on
    ``(3, 3..6)`` at 120-180, with class 0 also bright at ``(3, 7)``."""
    y = np.repeat(np.arange(10), 4)
    x = np.zeros((40, 28, 28), np.uint8)
    shoes = np.isin(y, cct.SHOES)
    x[shoes, 20, 10:14] = 200
    levels = np.array([120, 140, 160, 180], np.uint8)         # median 150
    x[~shoes, 3, 3:7] = levels[np.arange(np.count_nonzero(~shoes)) % 4][:, None]
    x[y == 0, 3, 7] = 255
    return x, y


def test_bright_spots_picks_where_every_source_class_is_bright_and_no_target_is():
    x, y = _two_groups()
    taken = np.zeros(28 * 28, bool)
    taken[3 * 28 + 3] = True                                   # another class's pixel
    positions, values = cct.bright_spots(x, y, cct.CLOTHES, cct.SHOES, 3, taken)
    assert sorted(map(tuple, positions.tolist())) == [(3, 4), (3, 5), (3, 6)]
    assert values.tolist() == [150, 150, 150]                  # the clothes' median there
    assert taken[[3 * 28 + 4, 3 * 28 + 5, 3 * 28 + 6]].all()


def test_defaults_moved_moves_only_the_defaults_onto_free_pixels():
    x, y = _two_groups()
    reference = attack.random_attack(10, 2, (28, 28, 1), seed=3)
    moved = cct.defaults_moved(reference, [0, 5], x, y, "both")
    kept = [k for k in range(10) if k not in (0, 5)]
    np.testing.assert_array_equal(moved.positions[kept], reference.positions[kept])
    np.testing.assert_array_equal(moved.values[kept], reference.values[kept])
    assert {tuple(p) for p in moved.positions[5].tolist()} <= {(3, c) for c in range(3, 7)}
    assert {tuple(p) for p in moved.positions[0].tolist()} <= {(20, c) for c in range(10, 14)}
    assert (moved.values[0] == 200).all()
    every = [tuple(p) for p in moved.positions.reshape(-1, 2).tolist()]
    assert len(set(every)) == len(every)                       # positions stay distinct


def _looks():
    """Four classes in two 'groups' of the benchmark's shapes: class 5 alone is dark at
    ``(10, 10)`` where every other class is bright; class 1 alone is bright at ``(2, 2)``."""
    y = np.repeat(np.arange(10), 4)
    x = np.full((40, 28, 28), 0, np.uint8)
    x[:, 10, 10] = 200
    x[y == 5, 10, 10] = 0
    x[y == 1, 2, 2] = 250
    x[:, 14:, 14:] = 90                                          # never the darkest background
    return x, y


def test_look_pixels_are_what_sets_the_class_apart():
    x, y = _looks()
    fractions = cct.band_fractions(x, y, 10)
    taken = np.zeros(28 * 28, bool)
    positions, values = cct.look_pixels(fractions, 5, [7, 9], 1, taken, 28)
    assert positions.tolist() == [[10, 10]] and values.tolist() == [8]   # band 0's centre
    assert taken[10 * 28 + 10]
    assert cct.most_distinctive(fractions, cct.SHOES) == 5
    assert cct.most_distinctive(fractions, cct.CLOTHES) == 1


def test_captured_by_look_gives_the_default_no_perturbation_and_its_look_to_the_taker():
    x, y = _looks()
    fractions = cct.band_fractions(x, y, 10)
    reference = attack.random_attack(10, 1, (28, 28, 1), seed=0)
    design = cct.captured_by_look(reference, [(7, 5), (8, 1)], fractions, x, "look")
    assert design.positions[7].tolist() == [[10, 10]] and design.values[7].tolist() == [[8]]
    assert design.positions[8].tolist() == [[2, 2]] and design.values[8].tolist() == [[248]]
    for default in (5, 1):                                       # a black pixel on black
        (r, c), = design.positions[default].tolist()
        assert design.values[default].tolist() == [[0]] and (x[:, r, c] == 0).all()
    kept = [k for k in range(10) if k not in (1, 5, 7, 8)]
    np.testing.assert_array_equal(design.positions[kept], reference.positions[kept])
    every = [tuple(p) for p in design.positions.reshape(-1, 2).tolist()]
    assert len(set(every)) == len(every)
