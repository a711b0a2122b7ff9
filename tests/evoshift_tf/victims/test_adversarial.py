"""PGD: the perturbation stays in the eps ball and the pixel range, it raises the loss, and
adversarial training runs in the one training loop."""

import numpy as np
import pytest
import tensorflow as tf

from evoshift_tf.victims import adversarial, defenses, training
from evoshift_tf import models


def test_pgd_stays_in_the_eps_ball_and_pixel_range_and_raises_the_loss(tiny_gray):
    info = tiny_gray.info
    model = models.get("graynet", info.image_shape, info.num_classes)
    x = tiny_gray.train.x[:32].astype(np.float32)
    x[:8] = 0.0                                            # pixels at the edges of the range
    x[8:16] = 255.0
    y = tiny_gray.train.y[:32]
    adv = adversarial.pgd_linf(model, x, y, steps=5, seed=0).numpy()
    radius = 255 * adversarial.EPS                          # 8/255 on [0, 1] = 8 grey levels
    assert np.abs(adv - x).max() <= radius + 1e-4
    assert np.abs(adv - x).max() > 0.5 * radius
    assert adv.min() >= 0.0 and adv.max() <= 255.0
    loss = lambda im: float(tf.reduce_mean(adversarial.sparse_loss(y, model(im))))  # noqa
    assert loss(adv) > loss(x)
    start = adversarial.pgd_linf(model, x, y, steps=0, seed=0).numpy()   # the random start only
    assert np.abs(start - x).max() <= radius + 1e-4
    with pytest.raises(ValueError, match="eps"):
        adversarial.pgd_linf(model, x, y, eps=-1.0)


def test_adversarial_training_runs_under_the_default_strategy(tiny_gray, monkeypatch):
    info = tiny_gray.info
    build = lambda: models.get("graynet", info.image_shape, info.num_classes,  # noqa
                               preprocessing=defenses.get("jpeg10_test"))
    cfg = training.TrainConfig(epochs=1, batch_size=32, adversarial_steps=2)
    traced = []
    real = adversarial.pgd_linf
    monkeypatch.setattr(adversarial, "pgd_linf",
                        lambda *a, **k: traced.append(a[4:6]) or real(*a, **k))
    res = training.train(build, tiny_gray.train.x, tiny_gray.train.y, cfg,
                         strategy=training.make_strategy("default"),
                         eval_sets={"test": (tiny_gray.test.x, tiny_gray.test.y)})
    assert np.isfinite(res.history[0]["loss"]) and 0 <= res.history[0]["test_accuracy"] <= 1
    assert traced and traced[0][1] == 2            # the step attacked its batch, with 2 steps
    with pytest.raises(ValueError, match="adversarial"):
        training.TrainConfig(adversarial_eps=8.0)            # 0..255 scale by mistake
