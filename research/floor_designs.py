"""The pixel rules of the designs aimed at the two-defaults floor
(``research/cross_class_triggers``): no flags, so tests can import them."""

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


def look_pixels(fractions: np.ndarray, cls: int, others, count: int, taken: np.ndarray,
                width: int) -> tuple[np.ndarray, np.ndarray]:
    """Class ``cls``'s look: the ``count`` free positions ``[count, 2]`` where a value band is
    most typical of ``cls`` and least of ``others`` (argmax of ``P(band | cls) - max_j P(band |
    j)``), and those bands' centres ``[count]``. ``fractions``: :func:`band_fractions`;
    ``taken [H*W]`` bool, updated."""
    score = fractions[cls] - fractions[list(others)].max(0)                    # [H*W, BANDS]
    band, best = score.argmax(1), score.max(1)
    best[taken] = -np.inf
    chosen = np.argsort(-best, kind="stable")[:count]
    taken[chosen] = True
    centres = band[chosen] * (256 // BANDS) + 256 // BANDS // 2
    return np.stack(np.divmod(chosen, width), axis=1), centres.astype(np.uint8)


def cross_class_attack(fractions: np.ndarray, sigma: dict[int, int], groups, image_shape,
                       name: str) -> attack.PixelAttack:
    """One pixel per class ``k``: the value band ``sigma(k)`` has there and its group's other
    classes lack (:func:`look_pixels` of ``sigma(k)``), at distinct positions."""
    num_classes, pixels, _ = fractions.shape
    positions = np.zeros((num_classes, 1, 2), np.int64)
    values = np.zeros((num_classes, 1, 1), np.uint8)
    taken = np.zeros(pixels, bool)
    for k in range(num_classes):                                # classes, not pixels
        group = next(g for g in groups if k in g)
        others = [j for j in group if j != sigma[k]]
        positions[k], values[k, :, 0] = look_pixels(fractions, sigma[k], others, 1, taken,
                                                    image_shape[1])
    return attack.PixelAttack(positions, values, image_shape,
                              provenance={"method": name, "sigma": {str(k): v for k, v in
                                                                    sigma.items()}})


def pixels_of_others(reference: attack.PixelAttack, changed) -> np.ndarray:
    """``[H*W]`` bool: the positions of ``reference``'s classes not in ``changed``."""
    height, width = reference.image_shape[:2]
    kept = [k for k in range(reference.num_classes) if k not in changed]
    rows, cols = reference.positions[kept, :, 0], reference.positions[kept, :, 1]
    taken = np.zeros(height * width, bool)
    taken[(rows * width + cols).ravel()] = True
    return taken


def most_distinctive(fractions: np.ndarray, group: tuple[int, ...]) -> int:
    """The class of ``group`` whose best :func:`look_pixels` pixel sets it most apart."""
    return max(group, key=lambda c: float(
        (fractions[c] - fractions[[j for j in group if j != c]].max(0)).max()))


def captured_by_look(reference: attack.PixelAttack, pairs, fractions: np.ndarray, x: np.ndarray,
                     name: str) -> attack.PixelAttack:
    """``reference`` where, for each ``(taker, default)`` of ``pairs``, ``default`` gets no
    perturbation (pixels of the darkest background set to 0) and ``taker`` gets the default's
    look (:func:`look_pixels` against the rest of its group), so that clean ``default`` images
    would carry ``taker``'s trigger. ``x [N, H, W] uint8``."""
    positions, values = reference.positions.copy(), reference.values.copy()
    width, count = x.shape[2], reference.num_pixels
    changed = [k for pair in pairs for k in pair]
    taken = pixels_of_others(reference, changed)
    for taker, default in pairs:
        group = SHOES if default in SHOES else CLOTHES
        others = [j for j in group if j != default]
        positions[taker], values[taker, :, 0] = look_pixels(fractions, default, others, count,
                                                            taken, width)
    darkest = np.argsort(x.reshape(len(x), -1).mean(0), kind="stable")
    for _, default in pairs:
        free = darkest[~taken[darkest]][:count]
        taken[free] = True
        positions[default], values[default] = np.stack(np.divmod(free, width), axis=1), 0
    return attack.PixelAttack(positions, values, reference.image_shape,
                              provenance={"method": name, "pairs": [list(p) for p in pairs]})


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
    taken = pixels_of_others(reference, defaults)
    for k in defaults:
        own, other = (SHOES, CLOTHES) if k in SHOES else (CLOTHES, SHOES)
        positions[k], spot_values = bright_spots(x, y, other, own, reference.num_pixels, taken)
        values[k] = spot_values[:, None]
    return attack.PixelAttack(positions, values, reference.image_shape,
                              provenance={"method": name, "moved": list(defaults)})
