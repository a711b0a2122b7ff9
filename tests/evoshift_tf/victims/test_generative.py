"""PSNR of VAE-GAN reconstructions (Sec. VIII-I) and the attack study."""

import numpy as np
import pytest

from evoshift_tf import attack as attack_lib
from evoshift_tf.victims import generative
from evoshift_tf import metrics


def test_psnr_hand_computed():
    ref = np.zeros((2, 2, 2, 1), np.uint8)
    rec = np.zeros((2, 2, 2, 1), np.float32)
    rec[0, 0, 0, 0] = 255.0               # image 0: MSE = 255^2 / 4 -> 10 log10(4) dB
    rec[1] = 25.5                         # image 1: MSE = 25.5^2 -> 20 dB
    expected = (10 * np.log10(4.0) + 20.0) / 2   # mean of per-image PSNRs = 13.0103 dB
    assert metrics.psnr(ref, rec) == pytest.approx(expected, abs=1e-9)
    assert metrics.psnr(ref, rec) == pytest.approx(13.0103, abs=1e-4)
    # identical images: MSE is floored at 1e-12, so a finite 10 log10(255^2 / 1e-12) dB
    assert metrics.psnr(ref[:1], ref[:1].astype(np.float32)) == pytest.approx(168.1308, abs=1e-4)


@pytest.mark.slow
def test_attack_study_poisoned_arm_learns_the_pixels(tiny_gray):
    d = tiny_gray
    atk = attack_lib.PixelAttack(np.tile([[[0, 0]]], (4, 1, 1)), np.full((4, 1, 1), 255),
                                 d.info.image_shape)
    out = generative.attack_study(d.train.x, d.train.y, d.test.x, {"clean": None, "np1": atk},
                                  generative.VAEGANConfig.smoke(epochs=15, batch_size=16,
                                                                learning_rate=2e-3))
    assert set(out) == {"clean", "np1"}
    for arm in out.values():
        assert 0 < arm["psnr_db"] < 60
        assert arm["reconstructions"].shape == d.test.x.shape
    # the poisoned VAE-GAN paints the corner pixel that clean images do not have
    corner = lambda arm: out[arm]["reconstructions"][:, 0, 0, 0].mean()  # noqa: E731
    assert corner("np1") > corner("clean")
