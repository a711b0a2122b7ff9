import numpy as np
import pytest

from evoshift_tf import attack, metrics


def test_alpha_s_hand_computed():
    # 10 classes, 24 % clean accuracy: (0.24 - 0.1) / 0.9
    assert metrics.semantic_sensitivity(0.24, 10) == pytest.approx(0.14 / 0.9)
    assert metrics.semantic_sensitivity(0.1, 10) == pytest.approx(0.0)
    assert metrics.semantic_sensitivity(1.0, 10) == pytest.approx(1.0)


def test_alpha_n_on_a_hand_computed_case():
    # A 'model' that answers class 1 whenever pixel (0,0) is 255, else 0.
    a = attack.PixelAttack(np.array([[[1, 1]], [[0, 0]], [[2, 2]]]),
                           np.array([[[9]], [[255]], [[9]]]), (3, 3, 1))
    images = np.zeros((4, 3, 3, 1), np.uint8)
    predict = lambda x: np.where(x[:, 0, 0, 0] == 255, 1, 0)
    # overlay k=0: predicts 0 -> hit 4/4; k=1: predicts 1 -> 4/4; k=2: predicts 0 -> 0/4
    acc = metrics.overlay_accuracy(predict, a, images)
    assert acc == pytest.approx(2 / 3)
    assert metrics.nuisance_sensitivity(acc, 3) == pytest.approx((2 / 3 - 1 / 3) / (2 / 3))


def test_proxy_a_distance_range():
    assert metrics.proxy_a_distance(0.5) == 0.0
    assert metrics.proxy_a_distance(0.0) == 2.0


def test_psnr_hand_computed():
    ref = np.zeros((1, 2, 2, 1))
    rec = np.full((1, 2, 2, 1), 10.0)
    assert metrics.psnr(ref, rec) == pytest.approx(10 * np.log10(255 ** 2 / 100))


def test_confusion_and_per_class():
    pred, lab = np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2])
    assert metrics.confusion_matrix(pred, lab, 3).tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    assert metrics.per_class_accuracy(pred, lab, 3) == [1.0, 1.0, 0.5]
