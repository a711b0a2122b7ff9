"""The SGD <-> Adam loss surface of a model trained on poisoned data (Sec. VIII-G-1, Eq. (14),
Fig. 9; the interpolation of Goodfellow et al. 2015).

Two models are trained from the *same* initialisation (same seed, same batch order), one with
SGD and one with Adam; then the weights ``w_alpha = alpha w_Adam + (1 - alpha) w_SGD`` are
evaluated for alpha in [-0.5, 1.5] on the (poisoned) training set and the clean test set.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import keras
import numpy as np

from evoshift_tf.victims import training


def interpolate(w_sgd: list, w_adam: list, alpha: float) -> list:
    """``alpha w_Adam + (1 - alpha) w_SGD`` per weight tensor. Eq. (14)."""
    if len(w_sgd) != len(w_adam):
        raise ValueError(f"weight lists differ in length: {len(w_sgd)} vs {len(w_adam)}")
    return [alpha * a + (1.0 - alpha) * s for s, a in zip(w_sgd, w_adam)]


def loss_and_accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray,
                      batch_size: int = 1000) -> tuple[float, float]:
    """Mean cross-entropy (nats) and accuracy of ``model`` (emitting logits) on ``(x, y)``."""
    logits = training.predict_logits(model, x, batch_size).astype(np.float64)
    logits -= logits.max(-1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean()), float(np.mean(logits.argmax(-1) == y))


def surface(model: keras.Model, w_sgd: list, w_adam: list, eval_sets: dict,
            alphas=np.linspace(-0.5, 1.5, 21)) -> list[dict]:
    """Evaluate ``model`` at ``w_alpha`` for each alpha on ``eval_sets`` (name -> (x, y)):
    rows ``{"alpha", "<name>_loss", "<name>_accuracy"}``. The model's weights are restored."""
    original = model.get_weights()
    rows = []
    try:
        for a in alphas:
            model.set_weights(interpolate(w_sgd, w_adam, float(a)))   # Eq. (14)
            row = {"alpha": float(a)}
            for name, (x, y) in eval_sets.items():
                row[f"{name}_loss"], row[f"{name}_accuracy"] = loss_and_accuracy(model, x, y)
            rows.append(row)
    finally:
        model.set_weights(original)
    return rows


def sgd_vs_adam(build_model: Callable[[], keras.Model], x: np.ndarray, y: np.ndarray,
                eval_sets: dict, config: training.TrainConfig = training.TrainConfig(),
                sgd_learning_rate: float = 0.01, adam_learning_rate: float = 1e-3,
                alphas=np.linspace(-0.5, 1.5, 21), strategy=None) -> dict:
    """Train SGD and Adam from the same init (``config.seed``) on ``(x, y)`` and evaluate the
    path between them. Returns ``{"rows": [...], "sgd_history", "adam_history"}``."""
    sgd = training.train(build_model, x, y, dataclasses.replace(
        config, optimizer="sgd", learning_rate=sgd_learning_rate), strategy)
    adam = training.train(build_model, x, y, dataclasses.replace(
        config, optimizer="adam", learning_rate=adam_learning_rate), strategy)
    rows = surface(adam.model, sgd.model.get_weights(), adam.model.get_weights(), eval_sets,
                   alphas)
    return {"rows": rows, "sgd_history": sgd.history, "adam_history": adam.history}
