"""How a poisoned training set differs from its clean source, image by image.

Inputs are two ``[N, H, W, C] uint8`` arrays of the same shape. A pixel is one ``(row, col)``
position and counts as changed when any of its C channels differs; the L-inf change is the
largest absolute difference in uint8 levels (0..255). :func:`changed_pixels` gives both per
image (``int64 [N]``), :func:`diff_report` sums them up in a :class:`PixelDiffReport`.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from evoshift_tf.interchange.errors import PoisonMismatchError


@dataclasses.dataclass(frozen=True)
class PixelDiffReport:
    """How a poisoned training set differs from its clean source, image by image.

    A pixel is one ``(row, col)`` position; it counts as changed when any of its channels
    differs. Values are in uint8 levels (0..255).

    Attributes:
      num_images: N, images compared.
      pixels_per_image: ``H * W``.
      images_changed: images with at least one changed pixel.
      fraction_changed: ``images_changed / N`` in [0, 1].
      changed_pixels_mean: mean changed pixels per image, over all N images.
      changed_pixels_max: most changed pixels in one image.
      changed_pixels_quantiles: ``{"0.5": ., "0.9": ., "0.99": ., "1.0": .}`` of the per-image
        count (linear interpolation), over all N images.
      changed_pixels_histogram: ``{k: number of images with exactly k changed pixels}`` for every
        k that occurs (keys are ints; JSON turns them into strings).
      linf_mean: mean over images of the largest absolute change in the image (uint8 levels).
      linf_max: largest absolute change in any image (uint8 levels; 8/255 L-inf poisons give 8).
    """

    num_images: int
    pixels_per_image: int
    images_changed: int
    fraction_changed: float
    changed_pixels_mean: float
    changed_pixels_max: int
    changed_pixels_quantiles: dict
    changed_pixels_histogram: dict
    linf_mean: float
    linf_max: int

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        d["changed_pixels_histogram"] = {str(k): v for k, v in
                                         self.changed_pixels_histogram.items()}
        return d

    def summary(self) -> str:
        """One line for a log: ``3/256 images changed (1.2 %), pixels changed per image mean
        0.0234 max 2 of 144, L-inf max 200``."""
        return (f"{self.images_changed}/{self.num_images} images changed "
                f"({100 * self.fraction_changed:.1f} %), pixels changed per image mean "
                f"{self.changed_pixels_mean:.4g} max {self.changed_pixels_max} of "
                f"{self.pixels_per_image}, L-inf max {self.linf_max}")


def changed_pixels(clean: np.ndarray, poisoned: np.ndarray, chunk: int = 8192
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per-image changed-pixel count and L-inf change.

    Args:
      clean, poisoned: ``[N, H, W, C] uint8``, the same shape.
      chunk: images compared at once (bounds the int16 temporary to ``chunk*H*W*C*2`` bytes).
    Returns:
      ``(count int64 [N], linf int64 [N])``: pixels (positions, any channel) that differ, and
      the largest absolute difference in uint8 levels.
    """
    if clean.shape != poisoned.shape:
        raise PoisonMismatchError(f"images {poisoned.shape} vs clean {clean.shape}")
    n = clean.shape[0]
    count = np.zeros(n, np.int64)
    linf = np.zeros(n, np.int64)
    for s in range(0, n, chunk):
        a = clean[s:s + chunk].astype(np.int16)
        b = poisoned[s:s + chunk].astype(np.int16)
        diff = np.abs(a - b)
        count[s:s + chunk] = (diff.max(axis=-1) > 0).sum(axis=(1, 2))
        linf[s:s + chunk] = diff.max(axis=(1, 2, 3))
    return count, linf


def diff_report(clean: np.ndarray, poisoned: np.ndarray,
                quantiles: Sequence[float] = (0.5, 0.9, 0.99, 1.0)) -> PixelDiffReport:
    """The :class:`PixelDiffReport` of ``poisoned`` against ``clean`` (``[N, H, W, C] uint8``)."""
    count, linf = changed_pixels(clean, poisoned)
    n = int(count.size)
    if n == 0:
        raise PoisonMismatchError("no images to compare (N = 0)")
    values, counts = np.unique(count, return_counts=True)
    return PixelDiffReport(
        num_images=n,
        pixels_per_image=int(clean.shape[1] * clean.shape[2]),
        images_changed=int((count > 0).sum()),
        fraction_changed=float((count > 0).mean()),
        changed_pixels_mean=float(count.mean()),
        changed_pixels_max=int(count.max()),
        changed_pixels_quantiles={str(q): float(v) for q, v in
                                  zip(quantiles, np.quantile(count, quantiles))},
        changed_pixels_histogram={int(k): int(c) for k, c in zip(values, counts)},
        linf_mean=float(linf.mean()),
        linf_max=int(linf.max()))
