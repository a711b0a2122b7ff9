"""Import a poisoned training set made by another tool and check it against its clean source.

The poison (a PNG folder in either naming, a ``.npz`` with ``x_train [N, H, W(, C)] uint8`` and
``y_train [N]``, or one of our ``.tfrecord`` files) must match the clean training set: the same
N, the same labels in the same order, ``(H, W, C)`` uint8 images; otherwise
:class:`PoisonMismatchError` names the file or index. The result carries a
:class:`PixelDiffReport` of the pixels it changed per image.
"""

from __future__ import annotations

import dataclasses
import os
import zlib
from typing import Sequence

import numpy as np

from evoshift_tf import data
from evoshift_tf.interchange.diff import PixelDiffReport, diff_report
from evoshift_tf.interchange.errors import PoisonMismatchError
from evoshift_tf.interchange.export_folder import INFO_FILE, read_info
from evoshift_tf.interchange.png import read_png_folder
from evoshift_tf.interchange.tfrecord import read_tfrecord


@dataclasses.dataclass(frozen=True)
class ImportedPoison:
    """A foreign poisoned training set, checked against its clean source.

    Attributes:
      dataset: train = the imported poisoned images with the clean labels, test = the clean
        test split, info = the clean dataset's info.
      report: how many pixels per image the poison changed.
      source: the file or folder it was read from.
    """

    dataset: data.Dataset
    report: PixelDiffReport
    source: str


def _check_labels(labels: np.ndarray, clean_y: np.ndarray, where) -> None:
    """``where(i)`` names the file or array entry of index ``i``."""
    if labels.shape != clean_y.shape:
        raise PoisonMismatchError(f"{where(None)}: {labels.shape[0]} labels, expected "
                                  f"{clean_y.shape[0]} (the clean training set's count)")
    bad = np.flatnonzero(labels != clean_y)
    if bad.size:
        i = int(bad[0])
        raise PoisonMismatchError(
            f"{where(i)}: label {labels[i]}, expected {clean_y[i]} (the clean training label at "
            f"index {i}; {bad.size} of {labels.size} labels differ); the poison must keep the "
            "clean dataset's labels and order")


def read_poisoned_train(path: str, image_shape: Sequence[int]
                        ) -> tuple[np.ndarray, np.ndarray | None, str, list[str] | None]:
    """A foreign training set as ``(x [N, H, W, C] uint8, labels [N] or None, source, files)``;
    ``files`` names the PNG of each index (None for an array file).

    ``path``: a ``.npz`` (``x_train`` and ``y_train``; ``x_train`` may be ``[N, H, W]`` for
    1 channel), a ``.tfrecord`` written by :func:`write_tfrecord_split`, a PNG folder, or an
    export folder with a ``train/`` subfolder of PNGs.
    """
    if not os.path.exists(path):
        raise data.DatasetError(f"missing poisoned training set {path}; expected a folder of "
                                "PNGs, a .npz or a .tfrecord")
    if path.endswith(".npz"):
        try:
            with np.load(path) as z:
                missing = [k for k in ("x_train", "y_train") if k not in z]
                if missing:
                    raise PoisonMismatchError(f"{path} lacks {missing}; expected arrays x_train "
                                              f"[N, H, W(, C)] uint8 and y_train [N] (found "
                                              f"{sorted(z.files)})")
                x, y = z["x_train"], z["y_train"]
        except (ValueError, OSError, zlib.error, EOFError) as e:
            if isinstance(e, PoisonMismatchError):
                raise
            raise PoisonMismatchError(f"{path} is not a readable .npz ({e})") from e
        if x.ndim == 3:
            x = x[..., None]
        if x.dtype != np.uint8:
            raise PoisonMismatchError(f"{path}: x_train is {x.dtype}, expected uint8 (0..255); "
                                      "convert float images with np.round(x * 255)")
        if x.shape[1:] != tuple(image_shape):
            raise PoisonMismatchError(f"{path}: x_train images are {x.shape[1:]}, expected "
                                      f"{tuple(image_shape)} like the clean images")
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
            raise PoisonMismatchError(f"{path}: y_train is {y.dtype} {y.shape}, expected "
                                      "integer labels [N]")
        return x, y.astype(np.int64), path, None
    if path.endswith(".tfrecord"):
        split = read_tfrecord(path, image_shape)
        return split.x, split.y, path, None
    folder = os.path.join(path, "train") if os.path.isdir(os.path.join(path, "train")) else path
    info = read_info(path)
    if info is not None and tuple(info.image_shape) != tuple(image_shape):
        raise PoisonMismatchError(f"{path}/{INFO_FILE}: images {info.image_shape}, expected "
                                  f"{tuple(image_shape)} like the clean images")
    x, labels, files = read_png_folder(folder, image_shape)
    return x, labels, folder, files


def import_poison(path: str, clean: data.Dataset) -> ImportedPoison:
    """Read a poisoned training set made by another tool and check it against ``clean``.

    Checks: N equals the clean training set's N; the labels (from the ``.npz``, the TFRecord,
    or the ``<index>_<label>.png`` names) equal the clean labels in the same order
    (``<index>.png`` folders carry none, so the clean labels are used); every image has the
    clean ``(H, W, C)`` and is uint8.

    Returns:
      :class:`ImportedPoison`: the dataset (poisoned train with clean labels, clean test) and
      the :class:`PixelDiffReport`.
    Raises:
      PoisonMismatchError (a ValueError) naming the file or index and what was expected.
    """
    shape = tuple(clean.info.image_shape)
    x, labels, source, files = read_poisoned_train(path, shape)
    n = len(clean.train)
    if x.shape[0] != n:
        raise PoisonMismatchError(f"{source}: {x.shape[0]} images, expected {n} (the clean "
                                  f"{clean.info.name} training set's count, in source order)")
    if labels is not None:
        if files is not None:
            where = lambda i: source if i is None else files[i]  # noqa: E731
        else:
            where = lambda i: source if i is None else f"{source}: y_train[{i}]"  # noqa: E731
        _check_labels(labels, clean.train.y, where)
    report = diff_report(clean.train.x, x)
    dataset = data.Dataset(clean.info, data.Split(x, clean.train.y.astype(np.int64)),
                           clean.test)
    return ImportedPoison(dataset, report, source)
