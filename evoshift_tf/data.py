"""Dataset sources -> (images uint8 NHWC, labels int64) + DatasetInfo.

Sources:
  * the Debian package ``dataset-fashion-mnist`` (gzipped IDX files), the embedded default;
  * tensorflow-datasets for named datasets (always ``download=False``: no network here);
  * a user's own ``.npz`` file with ``x_train, y_train, x_test, y_test`` arrays;
  * an image folder, ``train/<class>/<image>`` and ``test/<class>/<image>`` (the layout of
    ``keras.utils.image_dataset_from_directory`` and torchvision's ``ImageFolder``): see
    :mod:`evoshift_tf.image_folder` for the label and file order and the pixel rules;
  * a folder of the four gzipped IDX files (MNIST layout).

Images stay ``uint8`` so that poisoning writes exact pixel values; models rescale inside.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import struct
import zlib
from typing import Callable, Sequence

import numpy as np

from evoshift_tf.errors import UserError

DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
TFDS_NAMES = {
    "mnist": "mnist",
    "fashion_mnist": "fashion_mnist",
    "svhn_cropped": "svhn_cropped",
    "cifar10": "cifar10",
    "stl10": "stl10",
    "imagenet_resized/64x64": "imagenet_resized/64x64",
}
_IDX_IMAGES_MAGIC = 2051
_IDX_LABELS_MAGIC = 2049


class DatasetError(UserError):
    """A dataset is missing, truncated or inconsistent; the message says how to fix it."""


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What a model needs to know about a dataset.

    Attributes:
      name: dataset name, e.g. ``"fashion_mnist"``.
      num_classes: number of labels C.
      image_shape: ``(H, W, channels)``.
      class_names: C human-readable names.
    """

    name: str
    num_classes: int
    image_shape: tuple[int, int, int]
    class_names: tuple[str, ...]

    @property
    def channels(self) -> int:
        return self.image_shape[2]

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "DatasetInfo":
        return cls(name=d["name"], num_classes=int(d["num_classes"]),
                   image_shape=tuple(int(s) for s in d["image_shape"]),
                   class_names=tuple(d["class_names"]))


@dataclasses.dataclass(frozen=True)
class Split:
    """One split: ``x`` ``[N, H, W, C] uint8`` and ``y`` ``[N] int64``."""

    x: np.ndarray
    y: np.ndarray

    def __post_init__(self):
        validate_split(self.x, self.y)

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def take(self, indices: np.ndarray) -> "Split":
        return Split(self.x[indices], self.y[indices])


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A train/test pair with its :class:`DatasetInfo`."""

    info: DatasetInfo
    train: Split
    test: Split


def validate_split(x: np.ndarray, y: np.ndarray) -> None:
    """Raise :class:`DatasetError` unless ``x`` is ``[N,H,W,C] uint8`` and ``y`` ``[N]`` ints."""
    if x.dtype != np.uint8 or x.ndim != 4:
        raise DatasetError(f"images must be uint8 [N, H, W, C], got {x.dtype} {x.shape}")
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise DatasetError(f"labels must be [N={x.shape[0]}], got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise DatasetError(f"labels must be integers, got {y.dtype}")


# ---------------------------------------------------------------- IDX (Debian files)

def read_idx(path: str) -> np.ndarray:
    """Read a gzipped IDX file (uint8 payload) into an array.

    Validates the magic number, that the payload size matches the header, and that the
    gzip stream is complete. Raises :class:`DatasetError` naming the file otherwise.
    """
    if not os.path.exists(path):
        raise DatasetError(
            f"missing dataset file {path}; install it with "
            "`apt-get install -y dataset-fashion-mnist` or pass --data_dir")
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (EOFError, OSError, zlib.error) as e:
        raise DatasetError(f"{path} is truncated or not gzip ({e}); reinstall "
                           "`apt-get install --reinstall -y dataset-fashion-mnist`") from e
    if len(raw) < 8:
        raise DatasetError(f"{path}: header too short ({len(raw)} bytes)")
    magic, count = struct.unpack(">II", raw[:8])
    if magic == _IDX_LABELS_MAGIC:
        dims, offset = (count,), 8
    elif magic == _IDX_IMAGES_MAGIC:
        if len(raw) < 16:
            raise DatasetError(f"{path}: image header too short")
        rows, cols = struct.unpack(">II", raw[8:16])
        dims, offset = (count, rows, cols), 16
    else:
        raise DatasetError(f"{path}: bad IDX magic {magic}, expected "
                           f"{_IDX_IMAGES_MAGIC} (images) or {_IDX_LABELS_MAGIC} (labels)")
    expected = int(np.prod(dims))
    if len(raw) - offset != expected:
        raise DatasetError(f"{path}: header says {dims} = {expected} bytes, file has "
                           f"{len(raw) - offset}; the file is truncated or corrupt")
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(dims)


def load_idx_dir(directory: str = DEBIAN_FASHION_MNIST_DIR, name: str = "fashion_mnist",
                 class_names: Sequence[str] = FASHION_MNIST_CLASSES) -> Dataset:
    """Load the four ``*-ubyte.gz`` files of an MNIST-layout directory."""
    def pair(prefix: str) -> Split:
        x = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz"))
        y = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz"))
        if x.ndim != 3 or y.ndim != 1 or x.shape[0] != y.shape[0]:
            raise DatasetError(f"{directory}/{prefix}: {x.shape} images vs {y.shape} labels")
        return Split(x[..., None], y.astype(np.int64))

    train, test = pair("train"), pair("t10k")
    num_classes = int(max(train.y.max(), test.y.max())) + 1
    names = tuple(class_names) if len(class_names) == num_classes else tuple(
        str(i) for i in range(num_classes))
    info = DatasetInfo(name, num_classes, tuple(train.x.shape[1:]), names)
    return Dataset(info, train, test)


# ---------------------------------------------------------------- tensorflow-datasets

def load_tfds(name: str, data_dir: str | None = None) -> Dataset:
    """Load a named dataset that is already prepared on disk (never downloads).

    ``stl10``'s test split is ``test``; every dataset here has ``train`` and ``test``.
    """
    import tensorflow_datasets as tfds

    if name not in TFDS_NAMES:
        raise DatasetError(f"unknown tfds dataset {name!r}; known: {sorted(TFDS_NAMES)}")
    try:
        # Batched iteration, not ``batch_size=-1``: the latter aborts the process
        # (std::length_error) under ``tfds.testing.mock_data``, whose splits have no cardinality.
        splits, tinfo = tfds.load(TFDS_NAMES[name], split=["train", "test"], data_dir=data_dir,
                                  download=False, as_supervised=True, with_info=True)
        splits = [_to_arrays(s) for s in splits]
    except Exception as e:  # tfds raises AssertionError / DatasetNotFoundError variants
        raise DatasetError(
            f"tensorflow-datasets has no prepared copy of {name!r} in "
            f"{data_dir or '~/tensorflow_datasets'} ({type(e).__name__}: {e}). Prepare it on a "
            f"machine with internet (`tfds build {name}`) and copy the folder, or pass an .npz "
            "with x_train, y_train, x_test, y_test.") from e
    (xtr, ytr), (xte, yte) = splits
    label = tinfo.features["label"]
    info = DatasetInfo(name, int(label.num_classes), tuple(int(s) for s in xtr.shape[1:]),
                       tuple(label.names))
    return Dataset(info, Split(xtr.astype(np.uint8), ytr.astype(np.int64)),
                   Split(xte.astype(np.uint8), yte.astype(np.int64)))


def _to_arrays(ds, batch: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """A supervised ``tf.data`` split -> ``(images, labels)`` numpy arrays."""
    xs, ys = [], []
    for x, y in ds.batch(batch).as_numpy_iterator():
        xs.append(x)
        ys.append(y)
    if not xs:
        raise DatasetError("tensorflow-datasets returned an empty split")
    return np.concatenate(xs), np.concatenate(ys)


# ---------------------------------------------------------------- .npz

def load_npz(path: str, name: str | None = None) -> Dataset:
    """Load a user's ``.npz`` with ``x_train, y_train, x_test, y_test`` (images uint8 NHW[C])."""
    if not os.path.exists(path):
        raise DatasetError(f"missing dataset file {path}")
    try:
        with np.load(path) as z:
            arrays = {k: z[k] for k in ("x_train", "y_train", "x_test", "y_test")}
            class_names = tuple(str(c) for c in z["class_names"]) if "class_names" in z else None
    except KeyError as e:
        raise DatasetError(f"{path} lacks array {e}; expected x_train, y_train, x_test, y_test")
    except (ValueError, OSError, zlib.error, EOFError) as e:
        raise DatasetError(f"{path} is not a readable .npz ({e})") from e
    for k in ("x_train", "x_test"):
        if arrays[k].ndim == 3:
            arrays[k] = arrays[k][..., None]
    train = Split(arrays["x_train"], arrays["y_train"].astype(np.int64))
    test = Split(arrays["x_test"], arrays["y_test"].astype(np.int64))
    if train.x.shape[1:] != test.x.shape[1:]:
        raise DatasetError(f"{path}: train images {train.x.shape[1:]} vs test {test.x.shape[1:]}")
    num_classes = int(max(train.y.max(), test.y.max())) + 1
    info = DatasetInfo(name or os.path.splitext(os.path.basename(path))[0], num_classes,
                       tuple(train.x.shape[1:]),
                       class_names or tuple(str(i) for i in range(num_classes)))
    return Dataset(info, train, test)


def save_npz(path: str, dataset: Dataset) -> None:
    """Write ``dataset`` in the format :func:`load_npz` reads."""
    np.savez_compressed(path, x_train=dataset.train.x, y_train=dataset.train.y,
                        x_test=dataset.test.x, y_test=dataset.test.y,
                        class_names=np.array(dataset.info.class_names))


def load(source: str = "fashion_mnist", data_dir: str | None = None,
         progress: Callable[[int, int], None] | None = None) -> Dataset:
    """One entry point: ``fashion_mnist`` (Debian IDX files, else tfds), a tfds name, or a path.

    Args:
      source: a dataset name (see ``TFDS_NAMES``), a ``.npz`` path, an image folder (with
        ``train/<class>/`` and ``test/<class>/`` sub-folders; named after the folder) or a folder
        of IDX files.
      data_dir: for ``fashion_mnist``/``mnist``: a directory of ``*-ubyte.gz`` files; for other
        names: the tfds data directory.
      progress: for an image folder, called as ``progress(done, total)`` while decoding.
    """
    if source.endswith(".npz"):
        return load_npz(source)
    if os.path.isdir(source):
        from evoshift_tf import image_folder   # imports this module: import it late
        if image_folder.is_image_folder(source):
            return image_folder.load(source, progress=progress)
        if not any(f.endswith("-ubyte.gz") for f in os.listdir(source)):
            raise DatasetError(
                f"{source} is neither an image folder ({image_folder.LAYOUT}) nor a folder of "
                "IDX files (train-images-idx3-ubyte.gz, ...)")
        return load_idx_dir(source, name=os.path.basename(os.path.normpath(source)))
    if source == "fashion_mnist":
        directory = data_dir or DEBIAN_FASHION_MNIST_DIR
        if os.path.isdir(directory) or data_dir:
            return load_idx_dir(directory)
        raise DatasetError(
            f"Fashion-MNIST not found in {directory}; install it with "
            "`apt-get install -y dataset-fashion-mnist` (Debian) or pass --data_dir")
    if source in TFDS_NAMES:
        return load_tfds(source, data_dir)
    if os.sep in source:
        raise DatasetError(f"no such file or folder {source}; expected a .npz file, an image "
                           "folder (train/<class>/<image>, test/<class>/<image>) or a folder of "
                           "IDX files")
    raise DatasetError(f"unknown dataset {source!r}: give one of {sorted(TFDS_NAMES)}, "
                       "a .npz file, an image folder or a folder of IDX files")


def source_digest(source: str, data_dir: str | None = None) -> str:
    """A digest of the files a dataset source reads (their paths, sizes and modification
    times; no pixel is read): it changes when a user's ``.npz``, image folder or IDX folder is
    edited, so a pipeline rerun re-ingests it. ``""`` for a dataset name (tfds's, Debian's)."""
    paths = [p for p in (source, data_dir) if p and os.path.exists(p)]
    stamp = hashlib.sha256()
    for path in paths:
        files = ([path] if os.path.isfile(path) else
                 sorted(os.path.join(d, f) for d, _, names in os.walk(path) for f in names))
        for f in files:
            st = os.stat(f)
            stamp.update(f"{os.path.relpath(f, path)}\0{st.st_size}\0{st.st_mtime_ns}\n"
                         .encode())
    return stamp.hexdigest()[:16] if paths else ""


# ---------------------------------------------------------------- subsets and splits

def balanced_subset(split: Split, per_class: int, num_classes: int, seed: int = 0) -> Split:
    """A class-balanced random subset: ``min(per_class, n_c)`` images of every class, shuffled."""
    rng = np.random.default_rng(seed)
    picks = []
    for c in range(num_classes):
        idx = np.flatnonzero(split.y == c)
        picks.append(rng.choice(idx, size=min(per_class, idx.size), replace=False))
    order = rng.permutation(np.concatenate(picks))
    return split.take(order)


def holdout_split(split: Split, holdout_per_class: int, num_classes: int,
                  seed: int = 0) -> tuple[Split, Split]:
    """Split a training set into (fit, held-out) with ``holdout_per_class`` images per class held
    out. The search measures fitness on the held-out part, never on the test set (Sec. V-C)."""
    rng = np.random.default_rng(seed)
    held = []
    for c in range(num_classes):
        idx = np.flatnonzero(split.y == c)
        if idx.size <= holdout_per_class:
            raise DatasetError(f"class {c} has {idx.size} images, cannot hold out "
                               f"{holdout_per_class}")
        held.append(rng.choice(idx, size=holdout_per_class, replace=False))
    held_idx = rng.permutation(np.concatenate(held))
    mask = np.ones(len(split), bool)
    mask[held_idx] = False
    return split.take(np.flatnonzero(mask)), split.take(held_idx)


def make_synthetic(num_classes: int = 4, per_class: int = 64, image_shape=(12, 12, 1),
                   test_per_class: int = 16, seed: int = 0, name: str = "synthetic") -> Dataset:
    """A small learnable dataset for tests and smoke runs.

    Class ``c`` is a blurry blob at a class-specific location plus noise, so a CNN learns it
    from semantics, and a class-wise pixel can still become a shortcut.
    """
    rng = np.random.default_rng(seed)
    h, w, ch = image_shape
    centers = rng.uniform(0.25, 0.75, size=(num_classes, 2)) * np.array([h, w])
    yy, xx = np.mgrid[0:h, 0:w]

    def draw(n):
        y = np.repeat(np.arange(num_classes), n)
        jitter = rng.normal(0, 1.0, size=(y.size, 2))
        c = centers[y] + jitter
        d2 = (yy[None] - c[:, 0, None, None]) ** 2 + (xx[None] - c[:, 1, None, None]) ** 2
        img = 200 * np.exp(-d2 / (2 * (0.12 * h) ** 2)) + rng.normal(0, 20, size=d2.shape)
        img = np.clip(img, 0, 255).astype(np.uint8)[..., None].repeat(ch, axis=-1)
        order = rng.permutation(y.size)
        return Split(img[order], y[order].astype(np.int64))

    info = DatasetInfo(name, num_classes, (h, w, ch),
                       tuple(f"class{i}" for i in range(num_classes)))
    return Dataset(info, draw(per_class), draw(test_per_class))
