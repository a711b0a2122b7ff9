"""Attack strength: victims of several attacks trained together on the full poisoned set."""

import numpy as np

from evoshift_tf import attack, baselines, metrics, strength


def test_stack_dense_marks_clean_as_all_zero(tiny_attack, tiny_gray):
    info = tiny_gray.info
    masks, patterns = attack.stack_dense([None, tiny_attack], info.num_classes, info.image_shape)
    assert masks.shape == (2, 4, 12, 12, 1) and patterns.shape == (2, 4, 12, 12, 1)
    assert not masks[0].any() and not patterns[0].any()
    m, p = tiny_attack.masks_and_patterns()
    np.testing.assert_array_equal(masks[1], m)
    np.testing.assert_array_equal(patterns[1], p)


def test_a_shortcut_poison_hurts_its_victim_and_not_the_clean_one(tiny_gray):
    info = tiny_gray.info
    shortcut = baselines.jacobsen_attack(info.num_classes, 2, info.image_shape)
    recipe = strength.JudgeRecipe(epochs=3, batch_size=16, overlay_images=0)
    clean, poisoned = strength.judge([None, shortcut], tiny_gray, recipe)
    assert "alpha_N" not in clean and clean["clean_test_accuracy"] > 0.6
    assert poisoned["clean_test_accuracy"] < clean["clean_test_accuracy"] - 0.2
    assert poisoned["alpha_N"] > 0.5
    assert poisoned["alpha_S"] == metrics.semantic_sensitivity(
        poisoned["clean_test_accuracy"], info.num_classes)
