"""SGD <-> Adam interpolation (Eq. 14)."""

import numpy as np
import pytest

from evoshift_tf import models
from evoshift_tf.victims import training
from evoshift_tf.analysis import loss_surface


def test_interpolate_endpoints_and_extrapolation():
    s, a = [np.zeros(3), np.ones((2, 2))], [np.ones(3) * 2, np.zeros((2, 2))]
    np.testing.assert_allclose(loss_surface.interpolate(s, a, 0.0)[0], 0.0)
    np.testing.assert_allclose(loss_surface.interpolate(s, a, 1.0)[0], 2.0)
    np.testing.assert_allclose(loss_surface.interpolate(s, a, 1.5)[1], -0.5)
    np.testing.assert_allclose(loss_surface.interpolate(s, a, -0.5)[0], -1.0)
    with pytest.raises(ValueError, match="length"):
        loss_surface.interpolate(s, a[:1], 0.5)


def test_sgd_vs_adam_endpoints_match_trained_models(tiny_gray):
    d = tiny_gray
    cfg = training.TrainConfig(epochs=1, batch_size=32, seed=3)
    out = loss_surface.sgd_vs_adam(
        lambda: models.get("graynet", d.info.image_shape, d.info.num_classes),
        d.train.x, d.train.y, {"train": (d.train.x, d.train.y), "test": (d.test.x, d.test.y)},
        cfg, alphas=[-0.5, 0.0, 1.0, 1.5])
    rows = {r["alpha"]: r for r in out["rows"]}
    assert set(rows) == {-0.5, 0.0, 1.0, 1.5}
    # alpha = 1 is the Adam model itself: its train loss equals a direct evaluation
    adam = training.train(lambda: models.get("graynet", d.info.image_shape, d.info.num_classes),
                          d.train.x, d.train.y, training.TrainConfig(
                              epochs=1, batch_size=32, seed=3, optimizer="adam"))
    loss, acc = loss_surface.loss_and_accuracy(adam.model, d.train.x, d.train.y)
    assert rows[1.0]["train_loss"] == pytest.approx(loss, rel=1e-4)
    assert rows[1.0]["train_accuracy"] == pytest.approx(acc)
    assert rows[0.0]["train_loss"] != pytest.approx(loss, rel=1e-3)
    # alpha = 0 is the SGD model (lr 0.01) trained from the same init
    sgd = training.train(lambda: models.get("graynet", d.info.image_shape, d.info.num_classes),
                         d.train.x, d.train.y, training.TrainConfig(
                             epochs=1, batch_size=32, seed=3, optimizer="sgd", learning_rate=0.01))
    loss, acc = loss_surface.loss_and_accuracy(sgd.model, d.test.x, d.test.y)
    assert rows[0.0]["test_loss"] == pytest.approx(loss, rel=1e-4)
    assert rows[0.0]["test_accuracy"] == pytest.approx(acc)
    assert all(np.isfinite(r["test_loss"]) for r in out["rows"])
