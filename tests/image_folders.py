"""Small generated image folders (``root/<split>/<class>/<i>.<ext>``) for the tests."""

import os

import numpy as np
from PIL import Image


def write_image(path, array):
    array = array[..., 0] if array.ndim == 3 and array.shape[2] == 1 else array
    save(Image.fromarray(array), path)


def save(image, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    image.save(path)


def make_folder(root, classes, per_split=None, shape=(6, 5, 3), ext="png", seed=0):
    """``root/<split>/<class>/<i>.<ext>`` with ``per_split[split][class]`` random images; returns
    ``{path: array}``."""
    rng = np.random.default_rng(seed)
    per_split = per_split or {"train": {c: 2 for c in classes}, "test": {c: 1 for c in classes}}
    written = {}
    for split, counts in per_split.items():
        for c, count in counts.items():
            for i in range(count):
                path = os.path.join(root, split, c, f"{i:02d}.{ext}")
                array = rng.integers(0, 256, shape, dtype=np.uint8)
                write_image(path, array)
                written[path] = array
    return written
