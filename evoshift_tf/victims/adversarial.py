"""PGD adversarial examples under an L-inf budget (Madry et al., ICLR 2018, arXiv:1706.06083).

Used by the training loop for PGD adversarial training (``TrainConfig.adversarial_steps``), the
defense that One-Pixel Shortcut and similar availability poisons are usually judged against. Our
models take raw pixel values ``0..255`` (they rescale inside), so a budget of ``eps`` on ``[0, 1]``
pixels (the CIFAR convention 8/255) is ``255 * eps`` here; callers pass the ``[0, 1]`` values
and this module scales them.

Cost: ``steps`` forward and backward passes to build the perturbation, plus the training step's
own: ``steps + 1`` passes per batch instead of 1.
"""

from __future__ import annotations

from typing import Callable

import keras
import tensorflow as tf

EPS = 8 / 255
"""Default L-inf radius on ``[0, 1]`` pixels (the CIFAR-10 convention, Madry et al.)."""
STEP_SIZE = 2 / 255
"""Default PGD step on ``[0, 1]`` pixels (Madry et al.'s CIFAR-10 value)."""
STEPS = 10
"""Default number of PGD steps when adversarial training is switched on (Rice et al., ICML 2020,
train with PGD-10)."""
PIXEL_MAX = 255.0
"""Largest raw pixel value: the models' input scale."""


def sparse_loss(labels, logits):
    """Per-example cross-entropy, ``labels [B] int`` -> ``[B]``."""
    return keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)


def soft_loss(labels, logits):
    """Per-example cross-entropy, ``labels [B, K]`` probabilities -> ``[B]``."""
    return keras.losses.categorical_crossentropy(labels, logits, from_logits=True)


def pgd_linf(model: keras.Model, images, labels, eps: float = EPS, step_size: float = STEP_SIZE,
             steps: int = STEPS, loss_fn: Callable = sparse_loss, seed: int | None = None):
    """L-inf PGD with a uniform random start: maximise ``loss_fn(labels, model(x))`` over
    ``|x - images|_inf <= eps``, ``x`` in the valid pixel range.

    Args:
      model: returns logits for ``[B, H, W, C]`` raw pixels ``0..255``; called with
        ``training=False`` (no dropout or training-only augmentation in the attack's gradient,
        no batch-norm statistics updated by it: the TRADES/MART convention).
      images: ``[B, H, W, C]`` float32 (or uint8) raw pixels ``0..255``.
      labels: what ``loss_fn`` takes (``[B]`` int for :func:`sparse_loss`, ``[B, K]`` for
        :func:`soft_loss`).
      eps, step_size: L-inf radius and step on ``[0, 1]`` pixels (scaled by 255 here).
      steps: signed-gradient ascent steps (0 = the random start only).
      seed: op seed of the random start (default: from the global seed).

    Returns ``[B, H, W, C]`` float32 adversarial images in ``[0, 255]`` with
    ``|x_adv - images|_inf <= 255 * eps``; no gradient flows back through them.
    """
    if eps < 0 or step_size < 0 or steps < 0:
        raise ValueError(f"PGD needs eps, step_size, steps >= 0; got {eps}, {step_size}, {steps}")
    x0 = tf.cast(images, tf.float32)
    radius, alpha = PIXEL_MAX * eps, PIXEL_MAX * step_size
    lo = tf.maximum(x0 - radius, 0.0)
    hi = tf.minimum(x0 + radius, PIXEL_MAX)
    start = x0 + tf.random.uniform(tf.shape(x0), -radius, radius, seed=seed)
    x = tf.clip_by_value(start, lo, hi)

    def ascend(i, x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(loss_fn(labels, model(x, training=False)))
        grad = tape.gradient(loss, x)
        return i + 1, tf.clip_by_value(x + alpha * tf.sign(grad), lo, hi)  # project

    if steps:
        _, x = tf.while_loop(lambda i, _: i < steps, ascend, (tf.constant(0), x))
    return tf.stop_gradient(x)
