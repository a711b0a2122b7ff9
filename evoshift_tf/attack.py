"""The class-wise few-pixel attack as data (Sec. V-A).

A :class:`PixelAttack` holds, for each class ``k``, ``N_p`` pixels ``(row, col)`` and the value
written there: every training image of class ``k`` gets ``x[r, c] = v`` (Sec. V-A). The CMA-ES
genome is a float vector in ``[0, 1]^(C * N_p * (2 + channels))``; :func:`decode` is the only
place that rounds.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np

from evoshift_tf import atomic
from evoshift_tf.errors import UserError


class AttackError(UserError):
    """An attack file or genome that does not fit the data it is used with."""


@dataclasses.dataclass(frozen=True)
class PixelAttack:
    """Class-wise pixel perturbation.

    Attributes:
      positions: ``int64 [C, N_p, 2]`` of ``(row, col)``.
      values: ``uint8 [C, N_p, channels]`` written at those positions.
      image_shape: ``(H, W, channels)`` of the images it applies to.
      provenance: free-form JSON-able dict (method, fitness, seed, dataset...).
    """

    positions: np.ndarray
    values: np.ndarray
    image_shape: tuple[int, int, int]
    provenance: dict = dataclasses.field(default_factory=dict, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "positions", np.asarray(self.positions, dtype=np.int64))
        object.__setattr__(self, "values", np.asarray(self.values))
        object.__setattr__(self, "image_shape", tuple(int(s) for s in self.image_shape))
        validate(self)
        object.__setattr__(self, "values", self.values.astype(np.uint8))

    @property
    def num_classes(self) -> int:
        return int(self.positions.shape[0])

    @property
    def num_pixels(self) -> int:
        """N_p, pixels per class."""
        return int(self.positions.shape[1])

    @property
    def channels(self) -> int:
        return self.image_shape[2]

    def masks_and_patterns(self) -> tuple[np.ndarray, np.ndarray]:
        """Dense form: ``mask [C, H, W, 1] float32`` (1 at attacked pixels) and
        ``pattern [C, H, W, ch] float32`` (the written values there, 0 elsewhere)."""
        c, n = self.positions.shape[:2]
        h, w, ch = self.image_shape
        mask = np.zeros((c, h, w, 1), np.float32)
        pattern = np.zeros((c, h, w, ch), np.float32)
        k = np.repeat(np.arange(c), n)
        r, col = self.positions.reshape(-1, 2).T
        mask[k, r, col, 0] = 1.0
        pattern[k, r, col, :] = self.values.reshape(-1, ch)
        return mask, pattern

    def equals(self, other: "PixelAttack") -> bool:
        return (self.image_shape == other.image_shape
                and np.array_equal(self.positions, other.positions)
                and np.array_equal(self.values, other.values))


def validate(attack: PixelAttack) -> None:
    """Raise :class:`AttackError` unless shapes agree and pixels lie inside the image."""
    p, v, shape = attack.positions, attack.values, attack.image_shape
    if len(shape) != 3 or min(shape) < 1:
        raise AttackError(f"image_shape must be (H, W, channels), got {shape}")
    if p.ndim != 3 or p.shape[2] != 2:
        raise AttackError(f"positions must be [C, N_p, 2], got {p.shape}")
    if p.shape[0] < 1 or p.shape[1] < 1:
        raise AttackError(f"need at least one class and N_p >= 1 pixel per class, got "
                          f"C={p.shape[0]}, N_p={p.shape[1]}")
    if v.shape != (p.shape[0], p.shape[1], shape[2]):
        raise AttackError(f"values must be [C, N_p, channels] = "
                          f"{(p.shape[0], p.shape[1], shape[2])}, got {v.shape}")
    h, w = shape[:2]
    if p.min() < 0 or (p[..., 0] >= h).any() or (p[..., 1] >= w).any():
        raise AttackError(f"positions must lie in [0, {h}) x [0, {w}); got rows "
                          f"{p[..., 0].min()}..{p[..., 0].max()}, cols "
                          f"{p[..., 1].min()}..{p[..., 1].max()}")
    if np.issubdtype(v.dtype, np.floating) and not np.all(np.isfinite(v)):
        raise AttackError("values must be finite")
    if v.min() < 0 or v.max() > 255:
        raise AttackError(f"values must lie in [0, 255], got {v.min()}..{v.max()}")


def check_compatible(attack: PixelAttack, image_shape, num_classes: int) -> None:
    """Raise :class:`AttackError` if the attack was made for other images or classes."""
    if tuple(image_shape) != attack.image_shape:
        raise AttackError(f"attack is for images {attack.image_shape}, data has "
                          f"{tuple(image_shape)}")
    if num_classes != attack.num_classes:
        raise AttackError(f"attack has {attack.num_classes} classes, data has {num_classes}")


# ---------------------------------------------------------------- genome

def genome_size(num_classes: int, num_pixels: int, channels: int) -> int:
    """CMA-ES dimension: ``C * N_p * (2 + channels)`` (3 per pixel gray, 5 colour; Sec. V-A)."""
    if num_pixels < 1:
        raise AttackError(f"N_p must be >= 1, got {num_pixels}")
    return num_classes * num_pixels * (2 + channels)


def repair_positions(positions: np.ndarray, image_shape) -> np.ndarray:
    """Make every attacked pixel distinct: ``int [C, N_p, 2] -> int [C, N_p, 2]``.

    Pixels are taken in order (class 0's first, then class 1's, ...); a pixel whose cell is
    already taken moves to the nearest free cell (Euclidean distance, ties to the first cell in
    row-major order). So no two classes share a position and no class repeats one; an attack
    that is already valid is returned unchanged. Needs ``C * N_p <= H * W``.
    """
    h, w = int(image_shape[0]), int(image_shape[1])
    flat = positions.reshape(-1, 2).astype(np.int64)
    if flat.shape[0] > h * w:
        raise AttackError(f"{flat.shape[0]} pixels cannot be distinct in a {h}x{w} image")
    cells = flat[:, 0] * w + flat[:, 1]
    _, first = np.unique(cells, return_index=True)
    duplicates = np.setdiff1d(np.arange(cells.size), first)
    if duplicates.size == 0:
        return positions.astype(np.int64)
    taken = np.zeros(h * w, bool)
    taken[cells[first]] = True
    grid = np.stack(np.divmod(np.arange(h * w), w), -1)                 # [H*W, 2]
    for i in duplicates:                                               # only the collisions
        d2 = np.sum((grid - flat[i]) ** 2, axis=1).astype(np.float64)
        d2[taken] = np.inf
        cells[i] = int(np.argmin(d2))
        taken[cells[i]] = True
    return np.stack(np.divmod(cells, w), -1).reshape(positions.shape)


def decode(genome: np.ndarray, num_classes: int, num_pixels: int,
           image_shape, patch_size: int = 1) -> PixelAttack:
    """Genome in ``[0, 1]^D`` (clipped) -> :class:`PixelAttack`, valid by construction.

    Layout ``[C, N_p, (row, col, v_1..v_ch)]``; ``row = min(floor(g * H), H - 1)``, likewise
    col, and ``v = round(g * 255)``; then :func:`repair_positions` moves colliding pixels to
    the nearest free cell. Pass the CMA-ES phenotype (``search`` maps the mean through the bound
    transform first). Accepts a batch ``[P, D]`` and returns a list then.

    With ``patch_size = k > 1`` each of the ``N_p`` genes is a ``k x k`` square of one value
    whose top-left corner is ``row = min(floor(g * (H - k + 1)), H - k)`` (likewise col), so the
    attack has ``N_p * k^2`` pixels per class, listed patch by patch, each patch row-major from
    its top-left corner (:func:`patch_corners` reads them back).
    """
    g = np.asarray(genome, dtype=np.float64)
    if g.ndim == 2:
        return [decode(row, num_classes, num_pixels, image_shape, patch_size) for row in g]
    h, w, ch = (int(s) for s in image_shape)
    k = _check_patch(patch_size, h, w)
    size = genome_size(num_classes, num_pixels, ch)
    if g.shape != (size,):
        raise AttackError(f"genome must have {size} numbers (C={num_classes}, "
                          f"N_p={num_pixels}, channels={ch}), got {g.shape}")
    g = np.clip(g, 0.0, 1.0).reshape(num_classes, num_pixels, 2 + ch)
    rows = np.minimum(np.floor(g[..., 0] * (h - k + 1)), h - k)
    cols = np.minimum(np.floor(g[..., 1] * (w - k + 1)), w - k)
    values = np.rint(g[..., 2:] * 255.0)
    corners = np.stack([rows, cols], -1).astype(np.int64)              # [C, N_p, 2]
    offsets = np.stack(np.divmod(np.arange(k * k), k), -1)             # [k^2, 2] row-major
    positions = (corners[:, :, None] + offsets).reshape(num_classes, -1, 2)
    values = np.repeat(values, k * k, axis=1)                          # [C, N_p k^2, ch]
    positions = repair_positions(positions, (h, w))
    return PixelAttack(positions, values.astype(np.uint8), (h, w, ch))


def _check_patch(patch_size: int, h: int, w: int) -> int:
    k = int(patch_size)
    if not 1 <= k <= min(h, w):
        raise AttackError(f"patch_size must be in 1..{min(h, w)} for {h}x{w} images, got "
                          f"{patch_size}")
    return k


def patch_corners(attack: PixelAttack, patch_size: int) -> PixelAttack:
    """The first pixel of each ``patch_size^2`` block of ``attack``'s pixels: ``N_p`` pixels per
    class, the patches' top-left corners and values for an attack :func:`decode` made with that
    ``patch_size`` (the identity for 1)."""
    k2 = int(patch_size) ** 2
    if attack.num_pixels % k2:
        raise AttackError(f"an attack of {attack.num_pixels} pixels per class is not made of "
                          f"{patch_size}x{patch_size} patches")
    return PixelAttack(attack.positions[:, ::k2], attack.values[:, ::k2], attack.image_shape,
                       attack.provenance)


def encode(attack: PixelAttack, patch_size: int = 1) -> np.ndarray:
    """:class:`PixelAttack` -> genome at the centre of each decoded cell (``decode`` inverts it).

    With ``patch_size = k > 1`` each pixel becomes the top-left corner of a ``k x k`` patch of
    its value (moved inside the image where it would stick out), so ``decode(encode(a, k), ...,
    patch_size=k)`` grows every pixel of ``a`` into a patch; pass :func:`patch_corners` of an
    attack already made of patches."""
    h, w, _ = attack.image_shape
    k = _check_patch(patch_size, h, w)
    corner = np.minimum(attack.positions, [h - k, w - k])
    rows = (corner[..., 0:1] + 0.5) / (h - k + 1)
    cols = (corner[..., 1:2] + 0.5) / (w - k + 1)
    vals = attack.values.astype(np.float64) / 255.0
    return np.concatenate([rows, cols, vals], -1).reshape(-1)


def extend(attack: PixelAttack, num_pixels: int) -> PixelAttack:
    """An attack with ``num_pixels >= attack.num_pixels`` per class that contains ``attack``:
    pixel ``j`` repeats pixel ``j mod N_p`` (same value), moved by :func:`repair_positions` to the
    nearest free cell, so each class's pixels grow into a small blob of its own values. Used to
    start an N_p search from the best (N_p - 1) attack."""
    if num_pixels < attack.num_pixels:
        raise AttackError(f"cannot extend N_p={attack.num_pixels} to {num_pixels}")
    j = np.arange(num_pixels) % attack.num_pixels
    positions = repair_positions(attack.positions[:, j], attack.image_shape)
    return PixelAttack(positions, attack.values[:, j], attack.image_shape,
                       {"method": "extended", "from": attack.provenance})


def random_attack(num_classes: int, num_pixels: int, image_shape, seed: int = 0,
                  patch_size: int = 1) -> PixelAttack:
    """Random placement baseline (Table 4 "Random"): one uniform draw of the genome, the
    distribution the search starts from (its ``x0``); with ``patch_size = k`` every gene is a
    ``k x k`` square, the search's patches at the same L0 budget."""
    rng = np.random.default_rng(seed)
    g = rng.uniform(size=genome_size(num_classes, num_pixels, int(image_shape[2])))
    attack = decode(g, num_classes, num_pixels, image_shape, patch_size)
    return dataclasses.replace(attack, provenance={"method": "random", "seed": seed})


# ---------------------------------------------------------------- poisoning

def poison_mask(labels: np.ndarray, num_classes: int, classes: int | None = None,
                rate: float = 1.0, seed: int = 0) -> np.ndarray:
    """Which images to poison: ``bool [N]``.

    Args:
      labels: ``[N]`` ints.
      classes: attack only classes ``0..classes-1`` (Sec. VIII-C); ``None`` = all.
      rate: fraction of each attacked class's images poisoned, in ``(0, 1]``; a seeded draw.
    """
    if classes is not None and not 0 <= classes <= num_classes:
        raise AttackError(f"classes must be in [0, {num_classes}], got {classes}")
    if not 0.0 < rate <= 1.0:
        raise AttackError(f"poison rate must be in (0, 1], got {rate}")
    attacked = labels < (num_classes if classes is None else classes)
    if rate < 1.0:
        rng = np.random.default_rng(seed)
        chosen = np.zeros_like(attacked)
        for c in np.unique(labels[attacked]):
            idx = np.flatnonzero(labels == c)
            chosen[rng.choice(idx, size=int(round(rate * idx.size)), replace=False)] = True
        attacked &= chosen
    return attacked


def apply(attack: PixelAttack, images: np.ndarray, labels: np.ndarray,
          mask: np.ndarray | None = None) -> np.ndarray:
    """Poison by label: ``x[i, r_k, c_k] = v_k`` for ``k = labels[i]`` (a scatter, no copies of
    untouched pixels beyond the output array).

    Args:
      images: ``[N, H, W, ch] uint8``; not modified.
      labels: ``[N]`` ints in ``[0, C)``.
      mask: optional ``bool [N]``; only those images are poisoned (see :func:`poison_mask`).
    Returns:
      ``[N, H, W, ch] uint8`` poisoned copy.
    """
    check_compatible(attack, images.shape[1:], attack.num_classes)
    out = images.copy()
    idx = np.arange(images.shape[0]) if mask is None else np.flatnonzero(mask)
    k = labels[idx]
    if k.size and (k.min() < 0 or k.max() >= attack.num_classes):
        raise AttackError(f"labels must be in [0, {attack.num_classes}), got {k.min()}..{k.max()}")
    rows = attack.positions[k, :, 0]                # [M, N_p]
    cols = attack.positions[k, :, 1]
    out[idx[:, None], rows, cols] = attack.values[k]  # [M, N_p, ch]
    return out


def stack_dense(attacks: list[PixelAttack | None], num_classes: int,
                image_shape) -> tuple[np.ndarray, np.ndarray]:
    """P attacks in dense form for the population trainer: ``masks [P, C, H, W, 1]`` and
    ``patterns [P, C, H, W, ch]`` float32 (:meth:`PixelAttack.masks_and_patterns` of each);
    ``None`` stands for clean training (all-zero mask)."""
    h, w, ch = (int(s) for s in image_shape)
    masks = np.zeros((len(attacks), num_classes, h, w, 1), np.float32)
    patterns = np.zeros((len(attacks), num_classes, h, w, ch), np.float32)
    for p, a in enumerate(attacks):                      # P attacks, not images or pixels
        if a is not None:
            masks[p], patterns[p] = a.masks_and_patterns()
    return masks, patterns


def overlay(attack: PixelAttack, images: np.ndarray, target_class: int) -> np.ndarray:
    """Write class ``target_class``'s pattern on every image (for alpha_N, Eq. (13))."""
    labels = np.full(images.shape[0], target_class, np.int64)
    return apply(attack, images, labels)


def apply_tf(x, y, mask, pattern):
    """In-graph poisoning of a float batch.

    Args:
      x: ``[B, H, W, ch]`` float images (0..255).
      y: ``[B]`` int labels.
      mask: ``[C, H, W, 1]``, pattern ``[C, H, W, ch]`` from :meth:`PixelAttack.masks_and_patterns`.
    Returns: ``[B, H, W, ch]`` poisoned batch.
    """
    import tensorflow as tf

    m = tf.gather(mask, y)
    return x * (1.0 - m) + m * tf.gather(pattern, y)


# ---------------------------------------------------------------- files

def to_json(attack: PixelAttack) -> dict[str, Any]:
    return {
        "format": "evoshift_tf.PixelAttack/1",
        "image_shape": list(attack.image_shape),
        "num_classes": attack.num_classes,
        "num_pixels": attack.num_pixels,
        "positions": attack.positions.tolist(),
        "values": attack.values.astype(int).tolist(),
        "provenance": attack.provenance,
    }


def from_json(d: dict[str, Any]) -> PixelAttack:
    try:
        attack = PixelAttack(np.array(d["positions"], dtype=np.int64),
                             np.array(d["values"], dtype=np.int64),
                             tuple(d["image_shape"]), dict(d.get("provenance", {})))
    except (KeyError, TypeError, ValueError) as e:
        if isinstance(e, AttackError):
            raise
        raise AttackError(f"not a PixelAttack: {type(e).__name__}: {e}") from e
    if attack.num_classes != d.get("num_classes", attack.num_classes) or \
            attack.num_pixels != d.get("num_pixels", attack.num_pixels):
        raise AttackError("num_classes / num_pixels disagree with the positions array")
    return attack


def save(attack: PixelAttack, path: str) -> None:
    """Write the attack as JSON atomically (temp file, then rename)."""
    atomic.write_json(path, to_json(attack))


def load(path: str, image_shape=None, num_classes: int | None = None) -> PixelAttack:
    """Read and validate an attack JSON; optionally check it fits ``image_shape``/``num_classes``."""
    try:
        with open(path) as f:
            d = json.load(f)
    except FileNotFoundError:
        raise AttackError(f"attack file {path} does not exist") from None
    except json.JSONDecodeError as e:
        raise AttackError(f"attack file {path} is not valid JSON (truncated?): {e}") from e
    attack = from_json(d)
    if image_shape is not None:
        check_compatible(attack, image_shape,
                         attack.num_classes if num_classes is None else num_classes)
    return attack
