"""The pixel rules of the designs aimed at the two-defaults floor
(``benchmarks/cross_class_triggers``): no flags, so tests can import them."""

from __future__ import annotations

import numpy as np

from evoshift_tf import attack

BANDS = 16
BRIGHT = 50                              # a pixel this bright (of 255) counts as covered
SHOES = (5, 7, 9)                        # Sandal, Sneaker, Ankle boot
CLOTHES = (0, 2, 3, 4, 6, 1, 8)          # tops, then Trouser and Bag (grouped with them by victims)


def band_fractions(x: np.ndarray, y: np.ndarray, num_classes: int) -> np.ndarray:
    """``[C, H*W, BANDS]``: the fraction of class ``c``'s images whose pixel falls in each band
    of ``256 / BANDS`` levels. ``x [N, H, W] uint8``, ``y [N]``."""
    n, pixels = len(y), x.shape[1] * x.shape[2]
    band = x.reshape(n, pixels).astype(np.int64) // (256 // BANDS)
    index = (y[:, None] * pixels + np.arange(pixels)) * BANDS + band          # [N, H*W]
    counts = np.bincount(index.ravel(), minlength=num_classes * pixels * BANDS)
    counts = counts.reshape(num_classes, pixels, BANDS)
    return counts / np.bincount(y, minlength=num_classes)[:, None, None]


def shifted(group: tuple[int, ...], shift: int) -> dict[int, int]:
    """A derangement of ``group``: each class to the one ``shift`` places on."""
    return {k: group[(i + shift) % len(group)] for i, k in enumerate(group)}


def cross_class_attack(fractions: np.ndarray, sigma: dict[int, int], groups, image_shape,
                       name: str) -> attack.PixelAttack:
    """One pixel per class ``k``: the value band ``sigma(k)`` has there and its group's other
    classes lack (band centre written), at distinct positions."""
    num_classes, pixels, _ = fractions.shape
    positions = np.zeros((num_classes, 1, 2), np.int64)
    values = np.zeros((num_classes, 1, 1), np.uint8)
    taken = np.zeros(pixels, bool)
    for k in range(num_classes):                                # classes, not pixels
        group = next(g for g in groups if k in g)
        others = [j for j in group if j != sigma[k]]
        score = fractions[sigma[k]] - fractions[others].max(0)                 # [H*W, BANDS]
        score[taken] = -np.inf
        p, b = np.unravel_index(int(np.argmax(score)), score.shape)
        taken[p] = True
        positions[k, 0] = divmod(int(p), image_shape[1])
        values[k, 0, 0] = b * (256 // BANDS) + 256 // BANDS // 2
    return attack.PixelAttack(positions, values, image_shape,
                              provenance={"method": name, "sigma": {str(k): v for k, v in
                                                                    sigma.items()}})


def bright_spots(x: np.ndarray, y: np.ndarray, source: tuple[int, ...], target: tuple[int, ...],
                 count: int, taken: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``count`` free positions ``[count, 2]`` where every ``source`` class is most often at
    least ``BRIGHT`` and the ``target`` classes rarely are (argmax of
    ``min_s P(bright | s) - max_t P(bright | t)``), and ``source``'s median values there
    ``[count]`` (where fewer positions score above zero, the rest are background pixels that
    the median leaves unchanged). ``x [N, H, W] uint8``; ``taken [H*W]`` bool, updated."""
    n, width = len(y), x.shape[2]
    bright = (x.reshape(n, -1) >= BRIGHT)
    share = np.stack([bright[y == c].mean(0) for c in source + target])          # [S+T, H*W]
    score = share[:len(source)].min(0) - share[len(source):].max(0)
    score[taken] = -np.inf
    chosen = np.argsort(-score, kind="stable")[:count]
    taken[chosen] = True
    values = np.median(x.reshape(n, -1)[np.isin(y, source)][:, chosen], axis=0)
    return np.stack(np.divmod(chosen, width), axis=1), values.astype(np.uint8)


def defaults_moved(reference: attack.PixelAttack, defaults: list[int], x, y,
                   name: str) -> attack.PixelAttack:
    """``reference`` with each class in ``defaults`` given :func:`bright_spots` of the other
    coarse group (its own pixel count, positions distinct from every other class's)."""
    positions, values = reference.positions.copy(), reference.values.copy()
    taken = np.zeros(x.shape[1] * x.shape[2], bool)
    kept = [k for k in range(reference.num_classes) if k not in defaults]
    taken[positions[kept, :, 0].ravel() * x.shape[2] + positions[kept, :, 1].ravel()] = True
    for k in defaults:
        own, other = (SHOES, CLOTHES) if k in SHOES else (CLOTHES, SHOES)
        positions[k], spot_values = bright_spots(x, y, other, own, reference.num_pixels, taken)
        values[k] = spot_values[:, None]
    return attack.PixelAttack(positions, values, reference.image_shape,
                              provenance={"method": name, "moved": list(defaults)})
