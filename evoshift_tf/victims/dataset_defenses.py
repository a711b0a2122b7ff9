"""Defenses that transform the labelled training *set* before a victim trains on it.

A layer of the model (:mod:`evoshift_tf.victims.defenses`) sees one batch; a defense that must
compare images across the whole labelled training set cannot be one. Each entry here is a
function ``(x [N, H, W, ch] uint8, y [N], num_classes) -> (x' [N, H, W, ch] uint8, summary)``,
applied to the (possibly poisoned) training images once, before training; the test images are
never touched. ``summary`` is a small JSON-able dict of what it did.

- ``detect_repair``: the pixel-poison detector (:func:`evoshift_tf.detect.detect`) and, where it
  flags pixels, their repair from the neighbourhood (:func:`evoshift_tf.detect.repair`). A clean
  set with no alarm is returned unchanged.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from evoshift_tf import detect
from evoshift_tf.errors import UnknownNameError


def detect_repair(x: np.ndarray, y: np.ndarray, num_classes: int) -> tuple[np.ndarray, dict]:
    """:func:`evoshift_tf.detect.detect_and_repair` at its measured defaults; the summary holds
    the verdict, the largest score and the flagged pixels per class."""
    repaired, report = detect.detect_and_repair(x, y, num_classes)
    return repaired, {"poisoned": report.poisoned, "max_score": round(report.max_score, 4),
                      "flagged_pixels": int(report.flagged.sum()),
                      "flagged": [report.positions(k).tolist() for k in range(num_classes)]}


_REGISTRY: dict[str, Callable] = {"detect_repair": detect_repair}
NAMES = tuple(_REGISTRY)
"""Known dataset-level defenses."""


def get(name: str) -> Callable:
    """The defense function ``name``; :class:`UnknownNameError` lists the known names."""
    if name not in _REGISTRY:
        raise UnknownNameError(f"unknown dataset defense {name!r}; known: {list(NAMES)}")
    return _REGISTRY[name]


def apply(names, x: np.ndarray, y: np.ndarray, num_classes: int) -> tuple[np.ndarray, dict]:
    """Every defense of ``names`` in order: ``(x', {name: summary})`` (``x`` itself when
    ``names`` is empty)."""
    summaries = {}
    for name in names:
        x, summaries[name] = get(name)(x, y, num_classes)
    return x, summaries
