"""The defenses a search candidate trains through (``SearchConfig.defenses``).

A defender does not train naively; the search can train its candidates the way a defended victim
trains, so that the attack it returns is the one that survives that defense. Any name of the
victims' registry (:data:`evoshift_tf.victims.defenses.NAMES`: median filters, JPEG, bit depth,
grayscale, Gaussian noise, augmentation, ...) acts as the same Keras layers a victim's model
would hold, on the whole population's poisoned batch at once (``[P * B, H, W, C]``, no loop over
candidates), in training and, for the train-and-test forms (``median3``), on the held-out images
the cost is measured on. ``mixup`` and ``cutmix`` mix the poisoned batch with a partner image of
the same batch and soften the labels (:func:`mix`), with one partner and one box per image shared
by all candidates (common random numbers).

With several defenses every candidate is trained once per defense, from the same weights and
batch order, and its costs are combined (:data:`COMBINE`): ``max``, the defender's best choice
(the attacker's worst case), or ``mean``.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from evoshift_tf.errors import UnknownNameError
from evoshift_tf.victims import defenses as victim_defenses

MIXING = ("mixup", "cutmix")
"""Label-mixing defenses (training only)."""
COMBINE = ("max", "mean")
"""How the costs under several defenses combine into one per candidate."""


def parse(text: str) -> tuple[str, ...]:
    """``"median3,jpeg10"`` -> ``("median3", "jpeg10")``; ``""`` -> ``()``. Every name must be a
    victim defense layer (:func:`evoshift_tf.victims.defenses.get`), ``mixup`` or ``cutmix``;
    :class:`UnknownNameError` lists them otherwise."""
    names = tuple(n.strip() for n in str(text).split(",") if n.strip())
    for name in names:
        if name not in MIXING:
            try:
                victim_defenses.check_name(name)
            except UnknownNameError as e:
                raise UnknownNameError(f"search defenses: {e}; or one of {list(MIXING)}") from None
    if len(set(names)) != len(names):
        raise UnknownNameError(f"search defenses: {text!r} names a defense twice")
    return names


def check_combine(rule: str) -> None:
    if rule not in COMBINE:
        raise UnknownNameError(f"unknown defense_cost {rule!r}; known: {list(COMBINE)}")


def layers(name: str, image_shape, seed: int | None = None) -> list:
    """The input layers of defense ``name`` (none for ``mixup`` / ``cutmix``)."""
    return [] if name in MIXING else victim_defenses.get(name, image_shape, seed=seed)


def mixing(name: str) -> str:
    """``mixup`` / ``cutmix`` for a label-mixing defense, else ``none``."""
    return name if name in MIXING else "none"


def combine(costs: np.ndarray, rule: str) -> np.ndarray:
    """``costs [D, P]`` (one row per defense) -> ``[P]``: the worst case (``max``) or ``mean``."""
    check_combine(rule)
    costs = np.asarray(costs, np.float64)
    return costs.max(0) if rule == "max" else costs.mean(0)


def _beta(shape, alpha: float, seed):
    """``Beta(alpha, alpha)`` draws from two stateless gammas."""
    a = tf.random.stateless_gamma(shape, seed, alpha=alpha)
    b = tf.random.stateless_gamma(shape, seed + [1, 0], alpha=alpha)
    return a / (a + b)


def mix(x, y, num_classes: int, name: str, seed, alpha: float = victim_defenses.MIXING_ALPHA):
    """MixUp or CutMix of a population's batch.

    Args:
      x: ``[P, B, H, W, C]`` float images (each candidate's poisoned copy of the batch).
      y: ``[B] int`` labels (the same for every candidate).
      name: ``mixup`` or ``cutmix``; seed: ``int32 [2]`` stateless seed.
    Returns:
      ``(x' [P, B, H, W, C], soft labels [B, num_classes])``: image ``i`` of every candidate is
      mixed with image ``perm[i]`` of the same candidate, with the same weight (MixUp,
      ``w ~ Beta(alpha, alpha)``) or box (CutMix: side ``sqrt(1 - lam)`` of the image,
      ``lam ~ Beta(alpha, alpha)``, centre uniform, clipped; labels weighted by the exact
      fraction of pixels kept, as in Yun et al.'s code), so candidates differ only by their
      poison.
    """
    b = tf.shape(y)[0]
    h, w = x.shape[2], x.shape[3]
    perm = tf.random.experimental.stateless_shuffle(tf.range(b), seed=seed)
    partner = tf.gather(x, perm, axis=1)
    onehot = tf.one_hot(y, num_classes)
    if name == "mixup":
        weight = _beta([b], alpha, seed + [0, 1])                               # [B]
        out = weight[:, None, None, None] * x + (1.0 - weight[:, None, None, None]) * partner
        kept = weight
    elif name == "cutmix":
        lam = _beta([b], alpha, seed + [0, 1])
        side = tf.sqrt(1.0 - lam)
        centre = tf.random.stateless_uniform([b, 2], seed + [0, 2])
        size = tf.constant([h, w], tf.float32)
        lo = tf.clip_by_value(tf.round((centre - side[:, None] / 2) * size), 0.0, size)
        hi = tf.clip_by_value(tf.round((centre + side[:, None] / 2) * size), 0.0, size)
        rows = tf.range(h, dtype=tf.float32)[None, :]
        cols = tf.range(w, dtype=tf.float32)[None, :]
        in_rows = tf.cast((rows >= lo[:, :1]) & (rows < hi[:, :1]), tf.float32)     # [B, H]
        in_cols = tf.cast((cols >= lo[:, 1:]) & (cols < hi[:, 1:]), tf.float32)     # [B, W]
        box = (in_rows[:, :, None] * in_cols[:, None, :])[..., None]            # [B, H, W, 1]
        out = x * (1.0 - box) + partner * box
        kept = 1.0 - tf.reduce_mean(box, axis=[1, 2, 3])
    else:
        raise UnknownNameError(f"unknown mixing {name!r}; known: {list(MIXING)}")
    soft = kept[:, None] * onehot + (1.0 - kept[:, None]) * tf.gather(onehot, perm)
    return out, soft
