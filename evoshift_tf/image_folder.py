"""Image folders as a dataset source: ``<root>/train/<class>/<image>`` and
``<root>/test/<class>/<image>``, the layout ``keras.utils.image_dataset_from_directory`` and
torchvision's ``ImageFolder`` read, decoded once to ``uint8 [N, H, W, C]``.

Layout and order (:func:`list_files`):

* **classes** are the sub-folders of ``train/`` and ``test/`` (hidden ones, ``.name``, skipped);
  both splits must have the same class folders, and each must hold at least one image.
* **label order**: an optional ``<root>/classes.txt`` (one class name per line, the line number
  is the label; blank lines and surrounding spaces ignored) that names every class folder
  exactly once; without it, the folder names sorted as Python sorts strings (by code point), as
  torchvision and Keras do. CIFAR-10's label order (airplane, automobile, bird, cat, deer, dog,
  frog, horse, ship, truck) is alphabetical, so its class folders give CIFAR-10's labels without
  a ``classes.txt``.
* **files of a class**: every file whose extension is in :data:`IMAGE_EXTENSIONS` (any case)
  under the class folder, sub-folders included, in torchvision's order: folders walked in sorted
  order, file names sorted as strings (so ``10.jpg`` comes before ``2.jpg``: zero-pad numbers to
  keep a numeric order). Other files are skipped and counted in a log line.
* **dataset order**: classes interleaved, the first file of every class in label order, then the
  second, and so on (a class that runs out drops out). So the first N images of a split are
  class-balanced (what ``ingest --max_train`` keeps); torchvision lists a class's files
  together instead. :func:`list_files` gives the file of every index.
* **name**: the folder's base name (``.../cifar10_jpeg75`` -> ``cifar10_jpeg75``).

Pixels (:func:`decode_images`): every image of both splits must have the same height, width
and channels. Grayscale files give C = 1, colour files C = 3; palette images become RGB, 1-bit
images 0/255 grayscale, CMYK JPEGs RGB. An alpha channel is dropped when every pixel of the
image is opaque (alpha 255), and refused otherwise (we do not guess a background). 16-bit and
float images are refused. JPEG and 8-bit PNG files are decoded by TensorFlow in a ``tf.data``
pipeline on every core (JPEG with ``dct_method="INTEGER_ACCURATE"``, bit-identical to Pillow,
the decoder torchvision uses, on the 60,000 CIFAR-10 JPEGs); other formats (BMP, GIF, TIFF,
WebP, PPM) by Pillow, one file at a time.

Every mistake is an :class:`ImageFolderError` (a :class:`~evoshift_tf.errors.UserError`) with a
one-line message naming the folder or file and what was expected.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Callable, Sequence

import numpy as np

from evoshift_tf import data

SPLITS = ("train", "test")
CLASSES_FILE = "classes.txt"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".ppm", ".pgm", ".pbm", ".tif",
                    ".tiff", ".webp")
LAYOUT = "train/<class>/<image> and test/<class>/<image>"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_DECODED, _NEEDS_PILLOW, _TRANSPARENT = 0, 1, 2   # status of a file after the tf.data pass
_EXPORT_INFO = "dataset_info.json"                # at the root of an `evoshift export` folder


class ImageFolderError(data.DatasetError):
    """An image folder that does not fit the layout, or an image that cannot be used; the
    message names the folder or file and what was expected."""


@dataclasses.dataclass(frozen=True)
class FolderListing:
    """The files of an image folder, in dataset order.

    Attributes:
      root: the folder.
      class_names: C names, index = label.
      class_order: ``"classes.txt"`` or ``"sorted folder names"``: where the label order came from.
      paths: ``{"train": (...), "test": (...)}``, the file of every image index.
      labels: ``{"train": int64[N], "test": int64[N]}``.
      skipped: files without an image extension that were left out.
    """

    root: str
    class_names: tuple[str, ...]
    class_order: str
    paths: dict
    labels: dict
    skipped: tuple[str, ...] = ()


def is_image_folder(path: str) -> bool:
    """``path`` has a ``train/`` or a ``test/`` sub-folder (the other one is then required)."""
    return any(os.path.isdir(os.path.join(path, s)) for s in SPLITS)


def _names(items: Sequence[str], limit: int = 5) -> str:
    items = sorted(items)
    return str(items[:limit])[:-1] + (f", ... {len(items) - limit} more]" if len(items) > limit
                                      else "]")


def _class_folders(root: str, split: str) -> list[str]:
    folder = os.path.join(root, split)
    if not os.path.isdir(folder):
        raise ImageFolderError(f"{root}: no {split}/ folder; expected an image folder with "
                               f"{LAYOUT}")
    classes = [e.name for e in os.scandir(folder)
               if e.is_dir() and not e.name.startswith(".")]
    if not classes:
        hint = (f" ({root} holds {_EXPORT_INFO}, written by `evoshift export`: read it with "
                "evoshift_tf.interchange.load_export)"
                if os.path.exists(os.path.join(root, _EXPORT_INFO)) else "")
        raise ImageFolderError(f"{folder} holds no class folders; expected "
                               f"{split}/<class>/<image>{hint}")
    return classes


def _class_order(root: str, folders: set[str]) -> tuple[tuple[str, ...], str]:
    path = os.path.join(root, CLASSES_FILE)
    if not os.path.exists(path):
        return tuple(sorted(folders)), "sorted folder names"
    try:
        with open(path, encoding="utf-8") as f:
            names = [line.strip() for line in f if line.strip()]
    except (OSError, UnicodeDecodeError) as e:
        raise ImageFolderError(f"{path}: not a readable text file ({e}); expected one class "
                               "name per line") from e
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ImageFolderError(f"{path} names {_names(repeated)} more than once; expected every "
                               "class folder once, in label order")
    unknown, missing = set(names) - folders, folders - set(names)
    if unknown or missing:
        parts = ([f"names {_names(unknown)} that have no class folder"] if unknown else []) + (
            [f"leaves out the class folder(s) {_names(missing)}"] if missing else [])
        raise ImageFolderError(f"{path} {' and '.join(parts)}; expected every class folder "
                               "once, in label order")
    return tuple(names), CLASSES_FILE


def _class_files(folder: str, skipped: list[str]) -> list[str]:
    """Image files under ``folder`` in torchvision's order (sorted walk, sorted names)."""
    files = []
    for parent, _, names in sorted(os.walk(folder, followlinks=True)):
        if any(part.startswith(".") for part in os.path.relpath(parent, folder).split(os.sep)
               if part != "."):
            continue                                   # inside a hidden folder
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = os.path.join(parent, name)
            if os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS:
                files.append(path)
            else:
                skipped.append(path)
    return files


def list_files(root: str) -> FolderListing:
    """The files and labels of an image folder in dataset order (see the module docstring),
    without decoding anything. Raises :class:`ImageFolderError`."""
    if not os.path.isdir(root):
        raise ImageFolderError(f"no such folder {root}; expected an image folder with {LAYOUT}")
    folders = {s: set(_class_folders(root, s)) for s in SPLITS}
    for a, b in (SPLITS, SPLITS[::-1]):
        only = folders[a] - folders[b]
        if only:
            raise ImageFolderError(f"{root}: class folder(s) {_names(only)} in {a}/ but not in "
                                   f"{b}/; expected the same class folders in both splits")
    class_names, class_order = _class_order(root, folders["train"])
    skipped: list[str] = []
    paths, labels = {}, {}
    for split in SPLITS:
        per_class = []
        for name in class_names:
            folder = os.path.join(root, split, name)
            files = _class_files(folder, skipped)
            if not files:
                raise ImageFolderError(
                    f"{folder}: no image files; expected at least one image per class "
                    f"(extensions {', '.join(IMAGE_EXTENSIONS)})")
            per_class.append(files)
        y = np.concatenate([np.full(len(f), c, np.int64) for c, f in enumerate(per_class)])
        rank = np.concatenate([np.arange(len(f)) for f in per_class])
        order = np.lexsort((y, rank))                 # rank first, then label: interleaved
        flat = [p for files in per_class for p in files]
        paths[split] = tuple(flat[i] for i in order)
        labels[split] = y[order]
    return FolderListing(root, class_names, class_order, paths, labels, tuple(skipped))


# ---------------------------------------------------------------- decoding

def _tf_decode(path):
    """``(image [H, W, C] uint8, status)`` of one file: decoded by TF (JPEG, 8-bit PNG; an
    opaque alpha channel dropped), left to Pillow (``image`` empty), or transparent."""
    import tensorflow as tf

    raw = tf.io.read_file(path)
    is_png = tf.equal(tf.strings.substr(raw, 0, 8), _PNG_SIGNATURE)
    png_8bit = tf.logical_and(is_png, tf.not_equal(tf.strings.substr(raw, 24, 1), b"\x10"))
    image = tf.case(
        [(tf.io.is_jpeg(raw),
          lambda: tf.io.decode_jpeg(raw, channels=0, dct_method="INTEGER_ACCURATE")),
         (png_8bit, lambda: tf.io.decode_png(raw, channels=0, dtype=tf.uint8))],
        default=lambda: tf.zeros([0, 0, 0], tf.uint8))
    channels = tf.shape(image)[2]
    has_alpha = tf.logical_or(tf.equal(channels, 2), tf.equal(channels, 4))
    opaque = tf.cond(has_alpha, lambda: tf.reduce_all(tf.equal(image[..., -1], 255)),
                     lambda: tf.constant(True))
    image = tf.cond(tf.logical_and(has_alpha, opaque), lambda: image[..., :-1], lambda: image)
    status = tf.case([(tf.equal(tf.size(image), 0), lambda: tf.constant(_NEEDS_PILLOW)),
                      (tf.logical_not(opaque), lambda: tf.constant(_TRANSPARENT))],
                     default=lambda: tf.constant(_DECODED))
    return image, status


def _tf_decode_to(shape):
    """The ``tf.data`` map: ``(index, path) -> (index, image [*shape], its own shape, status)``;
    an image of another shape comes back as zeros (its shape says so), so batches stay dense
    (``ragged_batch`` doubled the decoding time)."""
    import tensorflow as tf

    def fn(index, path):
        image, status = _tf_decode(path)
        own = tf.shape(image)
        fits = tf.reduce_all(tf.equal(own, shape))
        image = tf.cond(fits, lambda: tf.reshape(image, shape),
                        lambda: tf.zeros(shape, tf.uint8))
        return index, image, own, status
    return fn


def _transparent(path: str) -> ImageFolderError:
    return ImageFolderError(f"{path}: has transparent pixels (alpha < 255); expected opaque "
                            "images (an alpha channel is dropped only where every pixel is opaque)")


def decode_with_pillow(path: str) -> np.ndarray:
    """One file -> ``[H, W, C] uint8`` with the module's mode rules, by Pillow. Raises
    :class:`ImageFolderError` naming the file if it is unreadable, transparent, 16-bit or float."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            mode = im.mode
            if mode in ("I", "F") or mode.startswith("I;"):
                raise ImageFolderError(f"{path}: {mode} image (16-bit or float); expected 8-bit "
                                       "grayscale or colour images")
            if mode == "P":
                im = im.convert("RGBA" if "transparency" in im.info else "RGB")
            elif mode == "PA":
                im = im.convert("RGBA")
            elif mode == "1":
                im = im.convert("L")
            elif mode not in ("L", "LA", "RGB", "RGBA"):
                im = im.convert("RGB")             # CMYK, YCbCr, LAB, HSV
            image = np.asarray(im)
    except ImageFolderError:
        raise
    except Exception as e:  # Pillow raises OSError, SyntaxError, ValueError, DecompressionBomb...
        raise ImageFolderError(f"{path}: not a readable image ({type(e).__name__}: {e})") from e
    if image.ndim == 2:
        image = image[..., None]
    if image.shape[2] in (2, 4):
        if not np.all(image[..., -1] == 255):
            raise _transparent(path)
        image = image[..., :-1]
    return np.ascontiguousarray(image, dtype=np.uint8)


def _shape_text(shape) -> str:
    return f"{shape[0]}x{shape[1]} with {shape[2]} channel(s)"


def decode_images(paths: Sequence[str], batch_size: int = 256,
                  progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Decode image files into one ``[N, H, W, C] uint8`` array (index i = ``paths[i]``).

    JPEG and 8-bit PNG files go through a ``tf.data`` pipeline (parallel map over every core);
    files it cannot decode are retried with :func:`decode_with_pillow`, which names the file if
    it fails too. Every image must have the height, width and channels of the first one decoded;
    the first that differs is an error naming both files.

    Args:
      paths: N >= 1 image files.
      batch_size: images per ``tf.data`` batch (a memory/overhead trade-off only).
      progress: called as ``progress(done, N)`` after each batch.
    """
    import tensorflow as tf

    n = len(paths)
    if n == 0:
        raise ImageFolderError("no image files to decode")
    try:   # the first file sets the shape every other one must have
        first, status = (v.numpy() for v in _tf_decode(tf.constant(paths[0])))
    except tf.errors.OpError:
        first, status = None, _NEEDS_PILLOW
    if status == _TRANSPARENT:
        raise _transparent(paths[0])
    if status == _NEEDS_PILLOW:
        first = decode_with_pillow(paths[0])
    x = np.empty((n, *first.shape), np.uint8)

    def differ(index: int, shape) -> ImageFolderError:
        return ImageFolderError(
            f"images differ in size or channels: {paths[0]} is {_shape_text(x.shape[1:])}, "
            f"{paths[index]} is {_shape_text(shape)}; expected every image of train/ and test/ "
            "to have the same height, width and channels")

    ds = tf.data.Dataset.from_tensor_slices((np.arange(n, dtype=np.int64), list(paths)))
    ds = (ds.map(_tf_decode_to(first.shape), num_parallel_calls=tf.data.AUTOTUNE)
          .ignore_errors()                       # unreadable files: retried with Pillow below
          .batch(batch_size).prefetch(2))
    retry = np.ones(n, bool)
    done = 0
    for index, images, shapes, status in ds:
        index, shapes, status = index.numpy(), shapes.numpy(), status.numpy()
        transparent = index[status == _TRANSPARENT]
        if transparent.size:
            raise _transparent(paths[transparent.min()])
        decoded = status == _DECODED
        wrong = np.flatnonzero(decoded & np.any(shapes != x.shape[1:], axis=1))
        if wrong.size:
            raise differ(index[wrong[0]], shapes[wrong[0]])
        x[index[decoded]] = images.numpy()[decoded]
        retry[index[decoded]] = False
        done += index.size
        if progress:
            progress(done, n)
    for i in np.flatnonzero(retry):              # other formats, and files TF could not read
        image = decode_with_pillow(paths[i])
        if image.shape != x.shape[1:]:
            raise differ(i, image.shape)
        x[i] = image
    return x


def load(root: str, name: str | None = None,
         progress: Callable[[int, int], None] | None = None) -> data.Dataset:
    """An image folder -> :class:`~evoshift_tf.data.Dataset` (``uint8 [N, H, W, C]``, labels
    ``int64``), in the order and with the rules of the module docstring.

    Args:
      root: the folder holding ``train/`` and ``test/`` (and optionally ``classes.txt``).
      name: the dataset name; default the folder's base name.
      progress: called as ``progress(done, total)`` while decoding (train and test together).
    """
    from absl import logging

    listing = list_files(root)
    if listing.skipped:
        logging.warning("%s: skipped %d file(s) without an image extension, e.g. %s", root,
                        len(listing.skipped), listing.skipped[0])
    train, test = listing.paths["train"], listing.paths["test"]
    start = time.time()
    x = decode_images(train + test, progress=progress)
    logging.info("%s: decoded %d train + %d test images of shape %s in %.1f s (labels from %s)",
                 root, len(train), len(test), x.shape[1:], time.time() - start,
                 listing.class_order)
    name = name or os.path.basename(os.path.normpath(os.path.abspath(root)))
    info = data.DatasetInfo(name, len(listing.class_names), tuple(int(s) for s in x.shape[1:]),
                            listing.class_names)
    return data.Dataset(info, data.Split(x[:len(train)], listing.labels["train"]),
                        data.Split(x[len(train):], listing.labels["test"]))
