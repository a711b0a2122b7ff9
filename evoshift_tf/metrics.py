"""Robustness metrics: accuracy, alpha_S (Eq. (12)), alpha_N (Eq. (13)), proxy A-distance (Eq. (7))."""

from __future__ import annotations

from typing import Callable

import numpy as np

from evoshift_tf import attack as attack_lib

PredictFn = Callable[[np.ndarray], np.ndarray]
"""``images [N, H, W, C] uint8 -> predicted labels [N] int``."""


def accuracy(predictions: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of ``predictions == labels``."""
    predictions, labels = np.asarray(predictions), np.asarray(labels)
    if predictions.shape != labels.shape or labels.size == 0:
        raise ValueError(f"need equal non-empty shapes, got {predictions.shape} {labels.shape}")
    return float(np.mean(predictions == labels))


def semantic_sensitivity(clean_test_accuracy: float, num_classes: int) -> float:
    """alpha_S: clean test accuracy of a model trained on attacked data, rescaled so that
    chance (1/C) is 0 and perfect is 1. Eq. (12)."""
    chance = 1.0 / num_classes
    return (clean_test_accuracy - chance) / (1.0 - chance)


def nuisance_sensitivity(overlay_accuracy: float, num_classes: int) -> float:
    """alpha_N: the rate at which images overlaid with class k's pattern are classified as k
    (averaged over k uniform), rescaled so chance is 0. Eq. (13)."""
    chance = 1.0 / num_classes
    return (overlay_accuracy - chance) / (1.0 - chance)


def overlay_accuracy(predict: PredictFn, attack: attack_lib.PixelAttack,
                     images: np.ndarray) -> float:
    """``E_k E_x I[F(x + delta_k) = k]``, the numerator of Eq. (13), over all C classes."""
    hits = [np.mean(predict(attack_lib.overlay(attack, images, k)) == k)
            for k in range(attack.num_classes)]
    return float(np.mean(hits))


def proxy_a_distance(discriminator_error: float) -> float:
    """d_A = 2 (1 - 2 eps) with eps the held-out error of a clean-vs-attacked discriminator.
    Eq. (7) / Sec. IV-A. In [-2, 2]; 0 at chance, 2 when perfectly separable."""
    return 2.0 * (1.0 - 2.0 * discriminator_error)


def per_class_accuracy(predictions: np.ndarray, labels: np.ndarray,
                       num_classes: int) -> list[float]:
    """Accuracy of each class's images, ``[C]`` (NaN for a class with no image)."""
    return [float(np.mean(predictions[labels == c] == c)) if np.any(labels == c) else float("nan")
            for c in range(num_classes)]


def confusion_matrix(predictions: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """``int64 [C, C]``: row = true label, column = prediction."""
    m = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(m, (labels, predictions), 1)
    return m


def psnr(reference: np.ndarray, reconstruction: np.ndarray, max_value: float = 255.0) -> float:
    """Peak signal-to-noise ratio in dB, mean over images: 10 log10(max^2 / MSE)."""
    ref = np.asarray(reference, np.float64)
    rec = np.asarray(reconstruction, np.float64)
    mse = np.mean((ref - rec) ** 2, axis=tuple(range(1, ref.ndim)))
    return float(np.mean(10.0 * np.log10(max_value ** 2 / np.maximum(mse, 1e-12))))


def visibility(clean: np.ndarray, poisoned: np.ndarray) -> dict:
    """What a poison costs in visibility, over the images it changed.

    Args:
      clean, poisoned: ``[N, H, W, C] uint8`` (the same images before and after).
    Returns:
      ``changed_pixels``: mean number of pixel positions (any channel) changed per image;
      ``psnr_db``: mean PSNR (dB, :func:`psnr`) of the changed images against their clean
      originals; ``changed_images``: fraction of images changed at all.
    """
    clean, poisoned = np.asarray(clean), np.asarray(poisoned)
    changed = np.any(clean != poisoned, axis=-1)                      # [N, H, W]
    per_image = changed.sum(axis=(1, 2))
    hit = per_image > 0
    return {"changed_pixels": float(per_image.mean()),
            "psnr_db": psnr(clean[hit], poisoned[hit]) if hit.any() else float("inf"),
            "changed_images": float(hit.mean())}
