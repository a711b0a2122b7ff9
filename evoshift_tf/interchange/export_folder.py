"""Export folders: a :class:`~evoshift_tf.data.Dataset` (``[N, H, W, C] uint8`` images, int64
labels) written in one of :data:`FORMATS` (layouts in :mod:`evoshift_tf.interchange`), with a
``dataset_info.json`` beside it (the :class:`~evoshift_tf.data.DatasetInfo`, the format, the
layout and the number of images per split), and read back.
"""

from __future__ import annotations

import json
import os
from typing import Callable, Sequence

from evoshift_tf import data
from evoshift_tf.errors import UnknownNameError
from evoshift_tf.interchange.png import read_png_folder, write_png_split
from evoshift_tf.interchange.tfrecord import read_tfrecord, write_tfrecord_split

FORMATS = ("png", "tfrecord", "npz")
INFO_FILE = "dataset_info.json"
NPZ_FILE = "dataset.npz"
SPLITS = ("train", "test")


def _write_info(folder: str, dataset: data.Dataset, fmt: str, layout: str, counts: dict,
                **extra) -> None:
    with open(os.path.join(folder, INFO_FILE), "w") as f:
        json.dump({"info": dataset.info.to_json(), "format": fmt, "layout": layout,
                   "num_images": counts, **extra}, f, indent=1)


def read_info(folder: str) -> data.DatasetInfo | None:
    """The :class:`DatasetInfo` in ``folder/dataset_info.json``, or None if there is none."""
    path = os.path.join(folder, INFO_FILE)
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            return data.DatasetInfo.from_json(json.load(f)["info"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise data.DatasetError(f"{path}: not a dataset_info.json written by export ({e})")


def export(dataset: data.Dataset, folder: str, fmt: str = "png",
           splits: Sequence[str] = SPLITS, png_names: str = "index_label",
           tfrecord_encoding: str = "png", compress_level: int = 1, workers: int = 1,
           progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Write ``dataset`` to ``folder`` in format ``fmt`` (layouts: :mod:`evoshift_tf.interchange`).

    Args:
      dataset: uint8 NHWC images, int64 labels.
      folder: created if missing.
      fmt: one of :data:`FORMATS`.
      splits: which of ``("train", "test")`` to write (png and tfrecord; npz holds both).
      png_names: ``"index_label"`` or ``"index"`` (ISS's ``folder_load``).
      tfrecord_encoding: ``"png"`` or ``"raw"``.
      compress_level: zlib level of the PNGs (lossless at every level).
      workers: threads writing PNGs.
      progress: called with the number of images just written (png and tfrecord).
    Returns:
      ``{split: images written}``.
    """
    if fmt not in FORMATS:
        raise UnknownNameError(f"unknown export format {fmt!r}; expected one of {FORMATS}")
    bad = [s for s in splits if s not in SPLITS]
    if bad or not splits:
        raise UnknownNameError(f"unknown split(s) {bad or list(splits)}; expected some of {SPLITS}")
    os.makedirs(folder, exist_ok=True)
    if fmt == "npz":
        data.save_npz(os.path.join(folder, NPZ_FILE), dataset)
        counts = {s: len(getattr(dataset, s)) for s in SPLITS}
        _write_info(folder, dataset, fmt, NPZ_FILE, counts)
        return counts
    counts = {}
    for s in splits:
        split = getattr(dataset, s)
        if fmt == "png":
            counts[s] = write_png_split(split, os.path.join(folder, s), png_names,
                                        compress_level, workers, progress)
        else:
            counts[s] = write_tfrecord_split(split, os.path.join(folder, f"{s}.tfrecord"),
                                             tfrecord_encoding, compress_level, progress)
    if fmt == "png":
        layout = {"index_label": "<split>/<index>_<label>.png",
                  "index": "<split>/<index>.png"}[png_names]
        _write_info(folder, dataset, fmt, layout, counts, png_names=png_names)
    else:
        _write_info(folder, dataset, fmt, "<split>.tfrecord", counts,
                    tfrecord_encoding=tfrecord_encoding)
    return counts


def load_export(folder: str) -> data.Dataset:
    """Read back a folder written by :func:`export` (any format, both splits present)."""
    info = read_info(folder)
    if info is None:
        raise data.DatasetError(f"{folder} has no {INFO_FILE}; expected a folder written by "
                                "interchange.export")
    with open(os.path.join(folder, INFO_FILE)) as f:
        fmt = json.load(f)["format"]
    if fmt == "npz":
        d = data.load_npz(os.path.join(folder, NPZ_FILE))
        return data.Dataset(info, d.train, d.test)
    parts = {}
    for s in SPLITS:
        if fmt == "png":
            x, y, _ = read_png_folder(os.path.join(folder, s), info.image_shape)
            if y is None:
                raise data.DatasetError(f"{folder}/{s} is named <index>.png (no labels); read "
                                        "it with import_poison against the clean dataset")
            parts[s] = data.Split(x, y)
        else:
            parts[s] = read_tfrecord(os.path.join(folder, f"{s}.tfrecord"), info.image_shape)
    return data.Dataset(info, parts["train"], parts["test"])
