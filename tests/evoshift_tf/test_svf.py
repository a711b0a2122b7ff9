"""SVF transfer (Sec. V-E, Eq. 9) on small synthetic attacks."""

import numpy as np
import pytest

from evoshift_tf import attack as attack_lib
from evoshift_tf import svf as svf_lib


def _corner_attack():
    """3 classes on 8x8 gray, all pixels near the top-left corner or bottom-right corner."""
    pos = np.array([[[0, 0]], [[1, 1]], [[7, 7]]])
    vals = np.array([[[255]], [[200]], [[10]]])
    return attack_lib.PixelAttack(pos, vals, (8, 8, 1))


def test_svf_matches_hand_computed_gaussian_sum():
    a = _corner_attack()
    svf = svf_lib.spatial_value_function(a, sigma=1.0, normalize=False)
    # at (0, 0): PSF of (0,0) = 1, of (1,1) = exp(-2/2), of (7,7) = exp(-98/2)
    assert svf[0, 0] == pytest.approx(1 + np.exp(-1) + np.exp(-49))
    assert svf.shape == (8, 8)
    p = svf_lib.spatial_value_function(a, sigma=1.0)
    assert p.sum() == pytest.approx(1.0)
    # mass where the source pixels are: the three attacked pixels are the local maxima
    assert p[0, 0] > p[0, 4] and p[7, 7] > p[4, 4] and p[1, 1] > p[4, 1]


def test_resize_bilinear_matches_tf_image_resize():
    import tensorflow as tf
    img = np.random.default_rng(0).uniform(size=(7, 5))
    ours = svf_lib.resize_bilinear(img, (16, 11))
    ref = tf.image.resize(img[None, ..., None], (16, 11), "bilinear").numpy()[0, ..., 0]
    np.testing.assert_allclose(ours, ref, atol=1e-6)


def test_target_svf_keeps_mass_near_scaled_source_pixels():
    a = _corner_attack()
    prob = svf_lib.target_svf(a, (16, 16), sigma=1.0)
    assert prob.sum() == pytest.approx(1.0)
    # the top-left 4x4 block (source 2x2 block holding 2 of 3 pixels) and bottom-right 2x2
    # of the target hold most of the mass
    assert prob[:4, :4].sum() + prob[12:, 12:].sum() > 0.6
    assert prob[6:10, 6:10].sum() < 0.02


def test_sampled_positions_follow_the_svf():
    prob = np.zeros((10, 10))
    prob[2, 3], prob[7, 8] = 0.75, 0.25
    rng = np.random.default_rng(0)
    pos = svf_lib.sample_positions(prob, 4000, rng, replace=True)
    frac = np.mean((pos[:, 0] == 2) & (pos[:, 1] == 3))
    assert frac == pytest.approx(0.75, abs=0.03)
    assert set(map(tuple, pos)) == {(2, 3), (7, 8)}
    # empirical histogram of a smooth SVF matches the SVF (total variation)
    a = _corner_attack()
    p = svf_lib.target_svf(a, (12, 12), sigma=2.0)
    s = svf_lib.sample_positions(p, 20000, rng, replace=True)
    hist = np.zeros_like(p)
    np.add.at(hist, (s[:, 0], s[:, 1]), 1)
    assert 0.5 * np.abs(hist / hist.sum() - p).sum() < 0.05


def test_transfer_attack_is_seeded_valid_and_distinct():
    a = _corner_attack()
    t1 = svf_lib.transfer_attack(a, (16, 16, 3), num_classes=3, num_pixels=4, seed=5)
    t2 = svf_lib.transfer_attack(a, (16, 16, 3), num_classes=3, num_pixels=4, seed=5)
    t3 = svf_lib.transfer_attack(a, (16, 16, 3), num_classes=3, num_pixels=4, seed=6)
    assert t1.equals(t2) and not t1.equals(t3)
    assert t1.positions.shape == (3, 4, 2) and t1.values.shape == (3, 4, 3)
    flat = t1.positions.reshape(-1, 2)
    assert len(set(map(tuple, flat))) == 12          # "shared": no pixel used by two classes
    # gray source values repeated over colour channels, class k <- source class k
    np.testing.assert_array_equal(t1.values[0], np.full((4, 3), 255))
    np.testing.assert_array_equal(t1.values[2], np.full((4, 3), 10))
    assert t1.provenance["method"] == "svf_transfer"


def test_per_class_assignment_keeps_class_layout():
    a = _corner_attack()
    t = svf_lib.transfer_attack(a, (16, 16, 1), num_pixels=3, sigma=0.7,
                                 assignment="per_class", seed=0)
    assert np.all(t.positions[2] >= 10)             # class 2's source pixel was at (7, 7)
    assert np.all(t.positions[0] <= 5)


def test_clusters_split_svf_for_more_target_classes():
    a = _corner_attack()
    t = svf_lib.transfer_attack(a, (32, 32, 1), num_classes=6, num_pixels=2, sigma=1.5,
                                 assignment="clusters", seed=1)
    assert t.positions.shape == (6, 2, 2)
    # regions are disjoint, so classes never share a pixel
    assert len(set(map(tuple, t.positions.reshape(-1, 2)))) == 12
    prob = svf_lib.target_svf(a, (32, 32), 1.5)
    regions = svf_lib.svf_regions(prob, 6, np.random.default_rng(0))
    assert len(np.unique(regions)) == 6


def test_values_modes_and_errors():
    a = _corner_attack()
    assert np.all(svf_lib.transfer_attack(a, (8, 8, 1), values=17).values == 17)
    r = svf_lib.transfer_attack(a, (8, 8, 1), num_pixels=5, values="random", seed=0)
    assert r.values.std() > 0
    with pytest.raises(svf_lib.TransferError, match="assignment"):
        svf_lib.transfer_attack(a, (8, 8, 1), assignment="nope")
    with pytest.raises(svf_lib.TransferError, match="sigma"):
        svf_lib.spatial_value_function(a, sigma=0)
    with pytest.raises(svf_lib.TransferError, match="distinct"):
        svf_lib.sample_positions(np.eye(3), 4, np.random.default_rng(0))
    base = svf_lib.random_placement(3, 2, (8, 8, 1), seed=0, values="source", source=a)
    np.testing.assert_array_equal(base.values[:, :, 0], [[255, 255], [200, 200], [10, 10]])


@pytest.mark.slow
def test_victim_study_rows_on_a_tiny_target(tiny_gray):
    from evoshift_tf.analysis import cross_dataset
    from evoshift_tf.victims.recipe import VictimRecipe
    src_attack = attack_lib.random_attack(4, 1, (12, 12, 1), seed=0)
    target = cross_dataset.resized(tiny_gray, (16, 16))
    assert target.info.image_shape == (16, 16, 1)
    rows = svf_lib.victim_study(src_attack, target, num_pixels=(1, 2),
                                recipe=VictimRecipe.from_params(model="graynet", epochs=1, batch_size=32))
    assert [(r["arm"], r["num_pixels"]) for r in rows] == [
        ("clean", 0), ("svf", 1), ("random", 1), ("svf", 2), ("random", 2)]
    assert all(0 <= r["clean_test_accuracy"] <= 1 for r in rows)
    svf2 = attack_lib.from_json(rows[3]["attack"])
    assert svf2.image_shape == (16, 16, 1) and svf2.num_pixels == 2


def test_victim_study_trains_the_recipe_given_with_each_seed(tiny_gray, monkeypatch):
    from evoshift_tf.analysis import cross_dataset
    from evoshift_tf.victims import training
    from evoshift_tf.victims.recipe import VictimRecipe
    calls = []

    def fake_train(make_model, x, y, config, strategy=None, **kwargs):   # no training: record
        calls.append((make_model(), config, strategy))
        return training.TrainResult(calls[-1][0], [])

    monkeypatch.setattr(training, "train", fake_train)
    target = cross_dataset.resized(tiny_gray, (16, 16))
    recipe = VictimRecipe.from_params(model="graynet", dropout=0.25, epochs=1, batch_size=16,
                                      optimizer="sgd")
    rows = svf_lib.victim_study(attack_lib.random_attack(4, 1, (12, 12, 1), seed=0), target,
                                num_pixels=(1,), recipe=recipe, seeds=(3, 4), strategy="S")
    assert [(r["arm"], r["seed"]) for r in rows] == [
        ("clean", 3), ("svf", 3), ("random", 3), ("clean", 4), ("svf", 4), ("random", 4)]
    assert [c.seed for _, c, _ in calls] == [3, 3, 3, 4, 4, 4]
    assert all(c == recipe.train_config(c.seed) and s == "S" for _, c, s in calls)
    model = calls[0][0]
    assert model.name == "graynet" and model.input.shape[1:] == (16, 16, 1)
    assert any(layer.name.startswith("dropout") for layer in model.layers)
