"""The detector's picture: one score map per class with the flagged pixels marked."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from evoshift_tf.figures.canvas import plt, save


def detection_maps(path: str, scores: np.ndarray, flagged: np.ndarray, threshold: float,
                   class_names: Sequence[str] | None = None, title: str = "") -> None:
    """A grid of the ``C`` score maps ``scores [C, H, W]`` (:class:`evoshift_tf.detect.
    DetectionReport`'s specificity, colour scale 0..1), the ``flagged [C, H, W]`` positions
    boxed in red; each panel's title: class name, its largest score, how many pixels flagged.
    (No colour bar: matplotlib's tight layout, which every figure uses, cannot place one beside a
    grid; the title states the scale.)"""
    c, h, w = scores.shape
    names = list(class_names) if class_names is not None else [str(k) for k in range(c)]
    cols = min(c, 5)
    rows = math.ceil(c / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.1 * cols, 2.6 * rows + 0.6), squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        if k >= c:
            ax.axis("off")
            continue
        ax.imshow(np.clip(scores[k], 0.0, 1.0), cmap="magma", vmin=0.0, vmax=1.0)
        ax.set_xticks([]), ax.set_yticks([])
        for r, col in np.argwhere(flagged[k]):
            ax.add_patch(plt.Rectangle((col - 0.5, r - 0.5), 1, 1, fill=False, color="red",
                                       linewidth=1.0))
        n = int(flagged[k].sum())
        ax.set_title(f"{names[k][:14]}\nmax {scores[k].max():.2f}, {n} flagged", fontsize=7,
                     color="red" if n else "black")
    fig.suptitle(f"{title or 'Pixel-poison detector: score per class and position'}\n"
                 f"colour: score 0 (black) to 1 (white); red boxes: flagged (score >= "
                 f"{threshold:g})", fontsize=9)
    save(fig, path)
