"""Reference attacks to compare EvoShift with, in the same :class:`PixelAttack` format.

- ``random``: uniform positions and values (Table 4 "Random"; :func:`attack.random_attack`).
- ``jacobsen``: the heuristic placement of Jacobsen et al. 2018 ("Excessive invariance causes
  adversarial vulnerability", arXiv:1811.00401, the paper's baseline [29] in Table 1). Our reading:
  in their shiftMNIST experiment the label is written into the image as a single saturated pixel at
  a fixed, class-specific location chosen by hand, with no optimisation against the data or a
  model. We implement it as: the ``C x N_p`` pixels sit at the centres of an even
  ``ceil(sqrt(C N_p))``-square grid over the image (row-major, class ``k`` takes cells
  ``k N_p .. k N_p + N_p - 1``), each set to 255 in every channel. Deterministic; ``seed`` unused.
- ``ops``: One-Pixel Shortcut (Wu et al., ICLR 2023, "One-Pixel Shortcut: on the learning
  preference of deep neural networks"), model-free: for each class ``k`` it picks the position
  ``(r, c)`` and the boundary colour ``v in {0, 255}^channels`` maximising
  ``mean_i |v - x_i[r, c]| / std_i |v - x_i[r, c]|`` over the class's training images (mean and
  std over images and channels, pixels in [0, 1]): a pixel that changes every image of the class a
  lot and by the same amount. Pairs ``(position, colour)`` already taken by an earlier class are
  excluded (as in the authors' code); with ``N_p > 1`` the ``N_p`` best pairs are taken. Because
  ``|v - x|`` is affine in ``x`` for a boundary colour, the score for every position and colour
  comes from per-class first and second moments of the pixels: one pass over the data, no loop
  over images or pixels.

``get(name, train, num_classes, num_pixels, seed)`` builds any of them; see :data:`NAMES`.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from evoshift_tf.errors import UnknownNameError, UserError
from evoshift_tf import attack as attack_lib
from evoshift_tf.data import Split

NAMES = ("random", "jacobsen", "ops")


def jacobsen_attack(num_classes: int, num_pixels: int, image_shape) -> attack_lib.PixelAttack:
    """Fixed, class-indexed saturated pixels on an even grid (see module docstring)."""
    h, w, ch = (int(s) for s in image_shape)
    total = num_classes * num_pixels
    side = math.ceil(math.sqrt(total))
    j = np.arange(total)
    rows = ((j // side) * h + h // 2) // side
    cols = ((j % side) * w + w // 2) // side
    positions = np.stack([rows, cols], -1).reshape(num_classes, num_pixels, 2)
    values = np.full((num_classes, num_pixels, ch), 255, np.uint8)
    return attack_lib.PixelAttack(positions, values, (h, w, ch),
                                  {"method": "jacobsen", "reading": "fixed class-indexed grid, 255"})


def ops_scores(images: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """One-Pixel Shortcut objective ``[C, H, W, 2^ch]``: ``mean |v - x| / std |v - x|`` over each
    class's images and channels, for every position and boundary colour ``v`` (colour index bits
    = channels, most significant first). ``images [N, H, W, ch] uint8``, ``labels [N]``."""
    n, h, w, ch = images.shape
    onehot = np.eye(num_classes, dtype=np.float64)[labels]             # [N, C]
    counts = onehot.sum(0)
    if (counts == 0).any():
        raise ValueError(f"every class needs images; counts per class: {counts.tolist()}")
    x = images.reshape(n, -1).astype(np.float64) / 255.0
    m1 = (onehot.T @ x) / counts[:, None]                              # E[x]   [C, H*W*ch]
    m2 = (onehot.T @ (x * x)) / counts[:, None]                        # E[x^2]
    m1, m2 = m1.reshape(num_classes, h, w, ch), m2.reshape(num_classes, h, w, ch)
    colours = ((np.arange(2 ** ch)[:, None] >> np.arange(ch)[::-1]) & 1).astype(np.float64)
    a, b = colours, 1.0 - 2.0 * colours                                # |v - x| = a + b x
    mean = np.einsum("vc,khwc->khwv", b, m1) / ch + a.mean(1)
    sq = (np.einsum("vc,khwc->khwv", a * a, np.ones_like(m1)) + 2 * np.einsum("vc,khwc->khwv", a * b, m1)
          + np.einsum("vc,khwc->khwv", b * b, m2)) / ch               # E[(a + b x)^2]
    std = np.sqrt(np.maximum(sq - mean ** 2, 0.0))
    return mean / (std + 1e-6)


def ops_attack(train: Split, num_classes: int, num_pixels: int = 1) -> attack_lib.PixelAttack:
    """One-Pixel Shortcut (Wu et al. 2023) on ``train``; see the module docstring."""
    _, h, w, ch = train.x.shape
    scores = ops_scores(train.x, train.y, num_classes).reshape(num_classes, -1)  # [C, H*W*V]
    taken = np.zeros(scores.shape[1], bool)
    picks = []
    for k in range(num_classes):                     # classes in order, as the authors do
        s = np.where(taken, -np.inf, scores[k])
        best = np.argsort(-s, kind="stable")[:num_pixels]
        taken[best] = True
        picks.append(best)
    picks = np.array(picks)                                             # [C, N_p]
    pos, colour = np.divmod(picks, 2 ** ch)
    positions = np.stack(np.divmod(pos, w), -1)
    values = ((colour[..., None] >> np.arange(ch)[::-1]) & 1) * 255
    best = scores[np.arange(num_classes)[:, None], picks]
    return attack_lib.PixelAttack(positions, values.astype(np.uint8), (h, w, ch),
                                  {"method": "ops", "score": best.tolist()})


def get(name: str, train: Split, num_classes: int, num_pixels: int = 1,
        seed: int = 0, patch_size: int = 1) -> attack_lib.PixelAttack:
    """Baseline attack ``name`` (one of :data:`NAMES`) for ``train`` images; ``patch_size``
    (``k x k`` squares, the search's ``SearchConfig.patch_size``) for ``random`` only.
    ``KeyError`` lists the known names."""
    shape = train.x.shape[1:]
    if name == "random":
        return attack_lib.random_attack(num_classes, num_pixels, shape, seed, patch_size)
    if patch_size != 1 and name in NAMES:
        raise UserError(f"patch_size={patch_size}: only the random baseline places "
                        f"patches; {name} places single pixels")
    if name == "jacobsen":
        return jacobsen_attack(num_classes, num_pixels, shape)
    if name == "ops":
        a = ops_attack(train, num_classes, num_pixels)
        return dataclasses.replace(a, provenance={**a.provenance, "images": len(train)})
    raise UnknownNameError(f"unknown baseline {name!r}; known: {list(NAMES)}")
