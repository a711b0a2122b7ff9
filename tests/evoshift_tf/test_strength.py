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


def test_clean_confusion_rows_sum_to_one_and_its_diagonal_is_the_accuracy(tiny_gray):
    info = tiny_gray.info
    shortcut = baselines.jacobsen_attack(info.num_classes, 2, info.image_shape)
    recipe = strength.JudgeRecipe(epochs=1, batch_size=16, overlay_images=0)
    for row in strength.judge([None, shortcut], tiny_gray, recipe):
        confusion = np.array(row["clean_confusion"])
        assert confusion.shape == (info.num_classes, info.num_classes)
        np.testing.assert_allclose(confusion.sum(1), 1.0)
        share = np.bincount(tiny_gray.test.y, minlength=info.num_classes) / len(tiny_gray.test.y)
        np.testing.assert_allclose(np.diag(confusion) @ share, row["clean_test_accuracy"])


def test_clean_destinations_of_a_victim_with_two_default_classes():
    confusion = np.zeros((4, 4))
    confusion[[0, 1], 0] = 1.0                     # class 1 goes to class 0, which keeps its own
    confusion[2, 3], confusion[3, 3] = 1.0, 0.8    # class 2 goes to class 3
    confusion[3, 2] = 0.2
    found = strength.clean_destinations(confusion)
    assert found["destination"] == [0, 0, 3, 3]
    assert found["absorbing"] == [0, 3]
    assert found["absorbing_own_accuracy"] == (1.0 + 0.8) / 4
