import keras
import numpy as np
import pytest
import tensorflow as tf

from evoshift_tf.victims import optimizers, training


def _adabound_reference(p, grads, lr=1e-3, final_lr=0.1, b1=0.9, b2=0.999, gamma=1e-3, eps=1e-8):
    """AdaBound by hand (Luo et al. 2019, Algorithm 2 + bias correction) in float64."""
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        lo, hi = final_lr * (1 - 1 / (gamma * t + 1)), final_lr * (1 + 1 / (gamma * t))
        p = p - np.clip(alpha / (np.sqrt(v) + eps), lo, hi) * m
    return p


def test_adabound_matches_its_update_rule_on_a_quadratic():
    # minimise 0.5 * ||A p - b||^2; gradients depend on the trajectory, so compare step by step
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=4)
    var = tf.Variable(np.zeros(3, np.float32))
    opt = optimizers.AdaBound(learning_rate=0.05, final_lr=0.1, gamma=0.1)
    p_ref = np.zeros(3)
    grads_seen = []
    for _ in range(25):
        g = a.T @ (a @ var.numpy().astype(np.float64) - b)
        grads_seen.append(g)
        opt.apply_gradients([(tf.constant(g, tf.float32), var)])
    p_ref = _adabound_reference(p_ref, grads_seen, lr=0.05, final_lr=0.1, gamma=0.1)
    np.testing.assert_allclose(var.numpy(), p_ref, rtol=1e-4, atol=1e-5)
    loss0 = 0.5 * np.sum(b ** 2)
    assert 0.5 * np.sum((a @ var.numpy() - b) ** 2) < loss0  # and it descends


def test_adabound_step_is_bounded_by_final_lr_band():
    # a tiny gradient makes Adam's step lr/sqrt(v) huge; AdaBound clips it at eta_u(1) * m
    var = tf.Variable([0.0])
    opt = optimizers.AdaBound(learning_rate=1.0, final_lr=0.1, gamma=1e-3)
    opt.apply_gradients([(tf.constant([1e-6]), var)])
    upper = 0.1 * (1 + 1 / 1e-3)
    np.testing.assert_allclose(-var.numpy(), upper * 0.1 * 1e-6, rtol=1e-4)


def test_adabound_serialises():
    opt = optimizers.AdaBound(learning_rate=0.01, final_lr=0.2)
    again = keras.optimizers.deserialize(keras.optimizers.serialize(opt))
    assert isinstance(again, optimizers.AdaBound) and again.final_lr == 0.2


def test_registry_builds_every_name_and_rejects_unknown():
    for name in optimizers.NAMES:
        assert isinstance(optimizers.get(name, 1e-3), keras.optimizers.Optimizer)
    assert optimizers.get("sgd", 0.1, momentum=0.9).momentum == 0.9
    with pytest.raises(KeyError, match="adabound"):
        optimizers.get("lamb", 1e-3)
    with pytest.raises(ValueError, match="known"):
        training.TrainConfig(optimizer="lamb")
    assert isinstance(training.make_optimizer(training.TrainConfig(optimizer="adabound")),
                      optimizers.AdaBound)
