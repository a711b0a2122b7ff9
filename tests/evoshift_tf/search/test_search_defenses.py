"""Defenses inside the search and the patch search space: what a user of
``SearchConfig(defenses=..., patch_size=...)`` relies on."""

import numpy as np
import pytest
import tensorflow as tf

from evoshift_tf import attack, search
from evoshift_tf.errors import UnknownNameError, UserError
from evoshift_tf.models.simple_cnn import GRAYNET_SPEC
from evoshift_tf.search import defenses, population, scorer
from evoshift_tf.victims import defenses as victim_defenses


def test_parse_takes_victim_defenses_and_mixing_and_lists_the_known_names():
    assert defenses.parse("") == ()
    assert defenses.parse(" median3, jpeg10 ,cutmix,none") == ("median3", "jpeg10", "cutmix",
                                                              "none")
    with pytest.raises(UnknownNameError, match="unknown defense 'median7'.*median3.*cutmix"):
        defenses.parse("median3,median7")
    with pytest.raises(UnknownNameError, match="twice"):
        defenses.parse("jpeg10,jpeg10")


def test_a_bad_search_config_is_refused_when_built():
    with pytest.raises(UnknownNameError, match="median7"):
        search.SearchConfig(defenses="median7")
    with pytest.raises(UnknownNameError, match="defense_cost 'min'"):
        search.SearchConfig(defense_cost="min")
    with pytest.raises(UserError, match="patch_size"):
        search.SearchConfig(patch_size=0)
    assert search.SearchConfig().defense_names == ("none",)


def test_combine_is_the_worst_case_or_the_mean():
    costs = np.array([[-3.0, -1.0], [-2.0, -4.0]])
    np.testing.assert_allclose(defenses.combine(costs, "max"), [-2.0, -1.0])
    np.testing.assert_allclose(defenses.combine(costs, "mean"), [-2.5, -2.5])


def _constant_batch(b=6, h=8, w=8):
    """Candidate 0's image i is all ``i``, candidate 1's all ``10 + i``: ``[2, B, H, W, 1]``."""
    values = tf.range(b, dtype=tf.float32)[None, :, None, None, None]
    return tf.concat([values, values + 10.0], 0) * tf.ones([2, b, h, w, 1])


@pytest.mark.parametrize("name", ["cutmix", "mixup"])
def test_mixing_shares_partner_and_box_across_candidates_and_labels_match_the_pixels(name):
    x, y = _constant_batch(), tf.range(6)
    out, soft = defenses.mix(x, y, 6, name, tf.constant([3, 4]))
    out, soft = out.numpy(), soft.numpy()
    np.testing.assert_allclose(out[1] - 10.0, out[0], atol=1e-5)    # same partner, same box
    np.testing.assert_allclose(soft.sum(1), 1.0, atol=1e-6)
    for i in range(6):            # the label weight of image i's class is its share of the image
        j = int(np.argmax(np.where(np.arange(6) == i, -1, soft[i])))   # the partner's class
        if soft[i, j] == 0:
            continue              # paired with itself or nothing pasted: image unchanged
        if name == "cutmix":
            assert np.isclose(np.mean(out[0, i] == i), soft[i, i], atol=1e-6)
        else:                     # out = w i + (1 - w) j
            assert np.isclose(out[0, i].mean(), soft[i, i] * i + soft[i, j] * j, atol=1e-4)


def _trainer(tiny_gray, name):
    info = tiny_gray.info
    return population.PopulationClassifier(
        GRAYNET_SPEC, 2, info.image_shape, info.num_classes, batch_size=16,
        preprocessing=defenses.layers(name, info.image_shape, seed=0),
        mixing=defenses.mixing(name))


@pytest.mark.parametrize("name, acts_at_test", [("jpeg10", False), ("median3", True),
                                                ("cutmix", False)])
def test_defense_acts_on_the_test_images_only_in_its_train_and_test_form(tiny_gray, name,
                                                                         acts_at_test):
    """Evaluation sees the defense exactly when a defended victim's test images would."""
    x, y = tf.constant(tiny_gray.test.x), tf.constant(tiny_gray.test.y)
    masks, patterns = (tf.constant(d) for d in attack.stack_dense(
        [None, None], tiny_gray.info.num_classes, tiny_gray.info.image_shape))
    seeds = np.array([[5, 0], [5, 1]])
    plain, defended = _trainer(tiny_gray, "none"), _trainer(tiny_gray, name)
    plain.reset(seeds)
    defended.reset(seeds)            # the same weights
    a = plain.evaluate(x, y, masks, patterns, poisoned=False).clean_ce
    b = defended.evaluate(x, y, masks, patterns, poisoned=False).clean_ce
    assert np.allclose(a, b, atol=1e-6) != acts_at_test


def test_training_through_a_defense_changes_what_is_learned(tiny_gray):
    x, y = tf.constant(tiny_gray.train.x), tf.constant(tiny_gray.train.y)
    masks, patterns = (tf.constant(d) for d in attack.stack_dense(
        [None, None], tiny_gray.info.num_classes, tiny_gray.info.image_shape))
    losses = {}
    for name in ("none", "jpeg10", "cutmix"):
        trainer = _trainer(tiny_gray, name)
        trainer.reset(np.array([[5, 0], [5, 0]]))
        losses[name] = trainer.fit(x, y, masks, patterns, epochs=1, seed=1)
        assert np.all(np.isfinite(losses[name]))
        np.testing.assert_allclose(losses[name][0], losses[name][1], rtol=1e-5)  # same draws
    assert not np.allclose(losses["none"], losses["jpeg10"])
    assert not np.allclose(losses["none"], losses["cutmix"])


def test_patch_genes_decode_to_squares_of_one_value_inside_the_image():
    shape, k = (12, 10, 3), 3
    g = np.random.default_rng(0).uniform(size=attack.genome_size(2, 2, 3))
    g[0] = g[5] = 1.0              # class 0's first patch at the bottom-right corner
    g[1] = 0.999
    a = attack.decode(g, 2, 2, shape, patch_size=k)
    assert a.num_pixels == 2 * k * k
    first = a.positions[0, :k * k]
    assert first.min(0).tolist() == [shape[0] - k, shape[1] - k]        # kept inside
    assert first.max(0).tolist() == [shape[0] - 1, shape[1] - 1]
    assert len({tuple(v) for v in a.values[0, :k * k]}) == 1             # one value per patch
    corners = attack.patch_corners(a, k)
    assert corners.num_pixels == 2
    assert attack.decode(attack.encode(corners, k), 2, 2, shape, k).equals(a)
    with pytest.raises(attack.AttackError, match="patch_size"):
        attack.decode(g, 2, 2, shape, patch_size=11)


def test_a_search_through_defenses_returns_patches_and_combines_the_costs(tiny_gray):
    config = search.SearchConfig.smoke(defenses="median3,cutmix", patch_size=2,
                                       inject_baselines=True, domain_weight=0.0)
    result = search.run(tiny_gray, config)
    assert result.best_attack.num_pixels == 4
    assert result.best_attack.provenance["config"]["defenses"] == "median3,cutmix"
    for row in result.history:
        by = row["best_semantic_by_defense"]
        assert set(by) == {"median3", "cutmix"}
        assert row["best_semantic"] == pytest.approx(max(by.values()))


def test_the_keras_reference_evaluator_refuses_defenses(tiny_gray):
    with pytest.raises(UserError, match="PopulationEvaluator"):
        scorer.KerasEvaluator(tiny_gray.train, tiny_gray.test, tiny_gray.info,
                              scorer.EvaluatorConfig(defenses="median3"))


def test_every_victim_defense_layer_runs_on_a_population_batch(tiny_color):
    """Every registry name a search can train through, on colour images (jpeg, gray, bits)."""
    info = tiny_color.info
    x, y = tf.constant(tiny_color.train.x[:16]), tf.constant(tiny_color.train.y[:16])
    masks, patterns = (tf.constant(d) for d in attack.stack_dense(
        [None, None], info.num_classes, info.image_shape))
    for name in ("cropflip", "gray", "bits4", "gauss1", "jpeg10", "median3_train"):
        assert name in victim_defenses.NAMES
        trainer = population.PopulationClassifier(
            GRAYNET_SPEC, 2, info.image_shape, info.num_classes, batch_size=8,
            preprocessing=defenses.layers(name, info.image_shape, seed=0))
        trainer.reset(np.array([[1, 0], [1, 1]]))
        assert np.all(np.isfinite(trainer.fit(x, y, masks, patterns, epochs=1))), name
