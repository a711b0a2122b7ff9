import numpy as np
import pytest

from evoshift_tf import attack, baselines, data
from evoshift_tf.errors import UserError


def _reference_score(images, labels, k, r, c, colour):
    """The authors' objective computed literally: mean/std of |v - x| over images and channels."""
    x = images[labels == k][:, r, c, :] / 255.0
    d = np.abs(np.asarray(colour, float) - x)
    return d.mean() / (d.std() + 1e-6)


def test_ops_scores_match_literal_objective(tiny_color):
    x, y = tiny_color.train.x, tiny_color.train.y
    s = baselines.ops_scores(x, y, 3)
    assert s.shape == (3, 10, 10, 8)
    for k, r, c, v in [(0, 0, 0, 0), (1, 4, 7, 5), (2, 9, 3, 7)]:
        colour = [(v >> 2) & 1, (v >> 1) & 1, v & 1]
        np.testing.assert_allclose(s[k, r, c, v], _reference_score(x, y, k, r, c, colour),
                                   rtol=1e-6)


def test_ops_finds_the_planted_shortcut_pixel():
    # class k's images are dark everywhere except pixel (k, k) which is uniformly bright: the
    # best one-pixel change for class k is writing 0 at (k, k) (large, constant change)
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 50)
    x = rng.integers(0, 120, (150, 8, 8, 1)).astype(np.uint8)
    x[np.arange(150), y, y, 0] = 250
    a = baselines.ops_attack(data.Split(x, y), 3, 1)
    np.testing.assert_array_equal(a.positions[:, 0], [[0, 0], [1, 1], [2, 2]])
    np.testing.assert_array_equal(a.values[:, 0, 0], [0, 0, 0])


def test_ops_pairs_are_distinct_across_classes(tiny_gray):
    a = baselines.get("ops", tiny_gray.train, 4, num_pixels=2)
    pairs = {(int(r), int(c), int(v)) for (r, c), (v,) in zip(a.positions.reshape(-1, 2),
                                                             a.values.reshape(-1, 1))}
    assert len(pairs) == 8 and set(a.values.ravel()) <= {0, 255}


def test_jacobsen_is_fixed_saturated_and_distinct():
    a = baselines.jacobsen_attack(10, 2, (28, 28, 1))
    assert (a.values == 255).all()
    assert len({tuple(p) for p in a.positions.reshape(-1, 2)}) == 20
    assert a.equals(baselines.jacobsen_attack(10, 2, (28, 28, 1)))


def test_every_baseline_round_trips_through_the_attack_file(tiny_gray, tmp_path):
    for name in baselines.NAMES:
        a = baselines.get(name, tiny_gray.train, 4, num_pixels=1, seed=1)
        attack.save(a, str(tmp_path / f"{name}.json"))
        assert attack.load(str(tmp_path / f"{name}.json")).equals(a)
    with pytest.raises(KeyError, match="ops"):
        baselines.get("badnets", tiny_gray.train, 4)


def test_random_places_the_searchs_patches_at_its_l0_budget(tiny_gray):
    """With the search's ``patch_size`` the random reference changes as many pixels per image
    as the attack it is compared with."""
    single = baselines.get("random", tiny_gray.train, 4, num_pixels=2, seed=5)
    patches = baselines.get("random", tiny_gray.train, 4, num_pixels=2, seed=5, patch_size=3)
    assert patches.num_pixels == 2 * 9
    assert len({tuple(p) for p in patches.positions[0]}) == 18
    x = attack.apply(patches, tiny_gray.train.x, tiny_gray.train.y)
    changed = (x != tiny_gray.train.x).any(-1).sum((1, 2))
    assert changed.max() <= 18 and changed.mean() > 9
    assert single.num_pixels == 2


def test_only_random_places_patches(tiny_gray):
    with pytest.raises(UserError, match="only the random baseline"):
        baselines.get("ops", tiny_gray.train, 4, patch_size=3)
