"""What every figure shares: matplotlib's file-only Agg backend, an image panel, an atomic save."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")              # PNG files only: no display, safe in workers and tests
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from evoshift_tf import atomic  # noqa: E402

DPI = 110
"""Resolution of every PNG unless a figure asks for another."""


def image(ax, img: np.ndarray) -> None:
    """``img [H, W, C] uint8`` on ``ax`` (grey 0..255 for one channel, RGB for three), no ticks."""
    ax.set_xticks([]), ax.set_yticks([])
    if img.shape[-1] == 1:
        ax.imshow(img[..., 0], cmap="gray", vmin=0, vmax=255)
    else:
        ax.imshow(img.astype(np.uint8))


def save(fig, path: str, dpi: int = DPI) -> str:
    """Write ``fig`` as a PNG at ``path`` and close it. Atomic: drawn into a temporary file in
    the same folder, then renamed, so a crash never leaves a half-written PNG. Returns ``path``."""
    try:
        with atomic.replacing(path) as tmp:
            fig.tight_layout()
            fig.savefig(tmp, dpi=dpi, format="png")
    finally:
        plt.close(fig)
    return path
