"""Poisons in and out: a (poisoned) :class:`~evoshift_tf.data.Dataset` to and from files that
other availability-poisoning tools read and write.

Export (:func:`export`, one of :data:`FORMATS`):

* ``png``: one PNG per image, in source order, ``<folder>/<split>/<index>_<label>.png``
  (``names="index_label"``, the default: the label travels with the file) or
  ``<folder>/<split>/<index>.png`` (``names="index"``: exactly what Image Shortcut Squeezing's
  ``folder_load`` opens, ``poison_path + str(i) + ".png"`` for ``i`` in source order, labels
  taken from the clean dataset). The index is *not* zero-padded (``str(i)``, as ISS builds it);
  readers here sort by the integer, never by the string. 1-channel images are 8-bit grayscale
  PNGs (mode ``L``), 3-channel ones RGB, 4-channel ones RGBA. PNG is lossless, so the round
  trip is bit-exact.
* ``tfrecord``: ``<folder>/<split>.tfrecord``, one ``tf.train.Example`` per image in source
  order with ``image`` (PNG bytes, or the raw ``H*W*C`` uint8 bytes with ``encoding="raw"``),
  ``image/format`` (``b"png"`` or ``b"raw"``), ``label``, ``index``, ``height``, ``width``,
  ``channels``. :func:`tfrecord_dataset` reads it back as a ``tf.data.Dataset``.
* ``npz``: ``<folder>/dataset.npz`` written by :func:`evoshift_tf.data.save_npz` (``x_train,
  y_train, x_test, y_test, class_names``), read by :func:`evoshift_tf.data.load_npz`.

Every export also writes ``<folder>/dataset_info.json``: the :class:`DatasetInfo`, the format,
the layout and the number of images per split.

Import (:func:`import_poison`): a poisoned *training set* made by any tool (a PNG folder in
either naming, a ``.npz`` with at least ``x_train`` and ``y_train``, or one of our
``.tfrecord`` files), validated against the clean dataset it claims to poison (same count, same
labels in the same order, same image shape and dtype; :class:`PoisonMismatchError` otherwise),
with a :class:`PixelDiffReport` of how many pixels per image it changed. The result is a
``Dataset`` whose train split is the poison and whose test split is the clean test split, so
any victim, defense and metric of this package can judge it.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import zlib
from concurrent import futures
from typing import Callable, Sequence

import numpy as np
from PIL import Image

from evoshift_tf.errors import UnknownNameError
from evoshift_tf import data

FORMATS = ("png", "tfrecord", "npz")
PNG_NAMES = ("index_label", "index")
TFRECORD_ENCODINGS = ("png", "raw")
INFO_FILE = "dataset_info.json"
NPZ_FILE = "dataset.npz"
SPLITS = ("train", "test")
_MODES = {1: "L", 3: "RGB", 4: "RGBA"}
_PNG_NAME = re.compile(r"^(\d+)(?:_(\d+))?\.png$", re.IGNORECASE)


class PoisonMismatchError(data.DatasetError):
    """A foreign poisoned training set does not fit the clean dataset it claims to poison (count,
    labels, order, image shape or dtype); the message names the file or index and what was
    expected. A ``ValueError``."""


# ---------------------------------------------------------------- the difference report

@dataclasses.dataclass(frozen=True)
class PixelDiffReport:
    """How a poisoned training set differs from its clean source, image by image.

    A pixel is one ``(row, col)`` position; it counts as changed when any of its channels
    differs. Values are in uint8 levels (0..255).

    Attributes:
      num_images: N, images compared.
      pixels_per_image: ``H * W``.
      images_changed: images with at least one changed pixel.
      fraction_changed: ``images_changed / N`` in [0, 1].
      changed_pixels_mean: mean changed pixels per image, over all N images.
      changed_pixels_max: most changed pixels in one image.
      changed_pixels_quantiles: ``{"0.5": ., "0.9": ., "0.99": ., "1.0": .}`` of the per-image
        count (linear interpolation), over all N images.
      changed_pixels_histogram: ``{k: number of images with exactly k changed pixels}`` for every
        k that occurs (keys are ints; JSON turns them into strings).
      linf_mean: mean over images of the largest absolute change in the image (uint8 levels).
      linf_max: largest absolute change in any image (uint8 levels; 8/255 L-inf poisons give 8).
    """

    num_images: int
    pixels_per_image: int
    images_changed: int
    fraction_changed: float
    changed_pixels_mean: float
    changed_pixels_max: int
    changed_pixels_quantiles: dict
    changed_pixels_histogram: dict
    linf_mean: float
    linf_max: int

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        d["changed_pixels_histogram"] = {str(k): v for k, v in
                                         self.changed_pixels_histogram.items()}
        return d

    def summary(self) -> str:
        """One line for a log: ``3/256 images changed (1.2 %), pixels changed per image mean
        0.0234 max 2 of 144, L-inf max 200``."""
        return (f"{self.images_changed}/{self.num_images} images changed "
                f"({100 * self.fraction_changed:.1f} %), pixels changed per image mean "
                f"{self.changed_pixels_mean:.4g} max {self.changed_pixels_max} of "
                f"{self.pixels_per_image}, L-inf max {self.linf_max}")


def changed_pixels(clean: np.ndarray, poisoned: np.ndarray, chunk: int = 8192
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per-image changed-pixel count and L-inf change.

    Args:
      clean, poisoned: ``[N, H, W, C] uint8``, the same shape.
      chunk: images compared at once (bounds the int16 temporary to ``chunk*H*W*C*2`` bytes).
    Returns:
      ``(count int64 [N], linf int64 [N])``: pixels (positions, any channel) that differ, and
      the largest absolute difference in uint8 levels.
    """
    if clean.shape != poisoned.shape:
        raise PoisonMismatchError(f"images {poisoned.shape} vs clean {clean.shape}")
    n = clean.shape[0]
    count = np.zeros(n, np.int64)
    linf = np.zeros(n, np.int64)
    for s in range(0, n, chunk):
        a = clean[s:s + chunk].astype(np.int16)
        b = poisoned[s:s + chunk].astype(np.int16)
        diff = np.abs(a - b)
        count[s:s + chunk] = (diff.max(axis=-1) > 0).sum(axis=(1, 2))
        linf[s:s + chunk] = diff.max(axis=(1, 2, 3))
    return count, linf


def diff_report(clean: np.ndarray, poisoned: np.ndarray,
                quantiles: Sequence[float] = (0.5, 0.9, 0.99, 1.0)) -> PixelDiffReport:
    """The :class:`PixelDiffReport` of ``poisoned`` against ``clean`` (``[N, H, W, C] uint8``)."""
    count, linf = changed_pixels(clean, poisoned)
    n = int(count.size)
    if n == 0:
        raise PoisonMismatchError("no images to compare (N = 0)")
    values, counts = np.unique(count, return_counts=True)
    return PixelDiffReport(
        num_images=n,
        pixels_per_image=int(clean.shape[1] * clean.shape[2]),
        images_changed=int((count > 0).sum()),
        fraction_changed=float((count > 0).mean()),
        changed_pixels_mean=float(count.mean()),
        changed_pixels_max=int(count.max()),
        changed_pixels_quantiles={str(q): float(v) for q, v in
                                  zip(quantiles, np.quantile(count, quantiles))},
        changed_pixels_histogram={int(k): int(c) for k, c in zip(values, counts)},
        linf_mean=float(linf.mean()),
        linf_max=int(linf.max()))


# ---------------------------------------------------------------- PNG

def _mode(channels: int) -> str:
    if channels not in _MODES:
        raise data.DatasetError(f"cannot write {channels}-channel images as PNG; expected "
                                f"1 (grayscale), 3 (RGB) or 4 (RGBA) channels")
    return _MODES[channels]


def _to_pil(image: np.ndarray) -> Image.Image:
    """``[H, W, C] uint8`` -> a PIL image of mode L (C=1), RGB (C=3) or RGBA (C=4)."""
    _mode(image.shape[-1])
    return Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)


def encode_png(image: np.ndarray, compress_level: int = 1) -> bytes:
    """PNG bytes of one ``[H, W, C] uint8`` image (lossless at every ``compress_level``)."""
    buf = io.BytesIO()
    _to_pil(image).save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()


def png_name(index: int, label: int, names: str = "index_label") -> str:
    """``"17_3.png"`` (``names="index_label"``) or ``"17.png"`` (``names="index"``)."""
    if names == "index_label":
        return f"{index}_{label}.png"
    if names == "index":
        return f"{index}.png"
    raise UnknownNameError(f"unknown PNG naming {names!r}; expected one of {PNG_NAMES}")


def _in_blocks(fn: Callable[[list[int]], None], n: int, workers: int,
               progress: Callable[[int], None] | None) -> None:
    """``fn(rows)`` over ``range(n)`` in blocks of at most 1024 on ``workers`` threads;
    ``progress(done)`` after each block, from the calling thread."""
    blocks = np.array_split(np.arange(n), max(1, -(-n // 1024), min(workers * 4, n)))
    with futures.ThreadPoolExecutor(max(1, workers)) as pool:
        jobs = {pool.submit(fn, b.tolist()): b.size for b in blocks if b.size}
        for f in futures.as_completed(jobs):
            f.result()
            if progress is not None:
                progress(jobs[f])


def write_png_split(split: data.Split, folder: str, names: str = "index_label",
                    compress_level: int = 1, workers: int = 1,
                    progress: Callable[[int], None] | None = None) -> int:
    """Write every image of ``split`` as ``folder/<index>[_<label>].png`` in source order.

    Args:
      split: ``x [N, H, W, C] uint8`` (C in 1, 3, 4), ``y [N]``.
      folder: created if missing; must hold no PNG yet (stale files would corrupt the order).
      names: ``"index_label"`` or ``"index"`` (see :func:`png_name`).
      compress_level: zlib level 0..9 (all lossless); 1 is fast and near the smallest for
        28x28 images.
      workers: threads encoding and writing. Measured on a 2-core Xeon (AVX-512) with a local
        disk, beside a running benchmark: one thread wrote Fashion-MNIST's 60,000 training
        images in 6.8 s (8.9k images/s, 31.5 MB; read back in 5.9 s), two threads took 10.5 s
        (the per-file Python work holds the GIL). More may pay on a high-latency volume.
      progress: called with the number of images just written (a progress bar's ``update``).
    Returns:
      the number of files written, N.
    """
    png_name(0, 0, names)          # validates ``names``
    _mode(split.x.shape[-1])
    os.makedirs(folder, exist_ok=True)
    if any(f.lower().endswith(".png") for f in os.listdir(folder)):
        raise data.DatasetError(f"{folder} already holds PNG files; expected an empty folder "
                                "(old images would mix with the new ones)")
    labels = split.y.astype(np.int64)

    def write(rows):
        for i in rows:
            _to_pil(split.x[i]).save(os.path.join(folder, png_name(i, labels[i], names)),
                                     format="PNG", compress_level=compress_level)

    _in_blocks(write, len(split), workers, progress)
    return len(split)


def list_png_folder(folder: str) -> tuple[list[str], np.ndarray | None]:
    """The PNG files of a folder in index order, and their labels if the names carry them.

    Accepts ``<index>.png`` or ``<index>_<label>.png`` (not a mix); indices must be exactly
    ``0..N-1`` (zero-padded or not). Other files (``.json``, ``.txt``) are ignored.

    Returns:
      ``(paths [N], labels int64 [N] or None)``.
    """
    if not os.path.isdir(folder):
        raise data.DatasetError(f"no PNG folder at {folder}")
    parsed = {}
    with_label = set()
    for name in os.listdir(folder):
        if not name.lower().endswith(".png"):
            continue
        m = _PNG_NAME.match(name)
        if m is None:
            raise PoisonMismatchError(f"{os.path.join(folder, name)}: expected a name "
                                      "<index>.png or <index>_<label>.png")
        index = int(m.group(1))
        if index in parsed:
            raise PoisonMismatchError(f"{folder}: two files for index {index}: "
                                      f"{parsed[index][0]} and {name}")
        parsed[index] = (name, None if m.group(2) is None else int(m.group(2)))
        with_label.add(m.group(2) is not None)
    if not parsed:
        raise PoisonMismatchError(f"{folder} holds no .png files; expected <index>.png or "
                                  "<index>_<label>.png in source order")
    if len(with_label) > 1:
        raise PoisonMismatchError(f"{folder} mixes <index>.png and <index>_<label>.png names; "
                                  "expected one naming for every file")
    n = len(parsed)
    indices = np.fromiter(parsed, np.int64, n)
    if indices.min() != 0 or indices.max() != n - 1:
        missing = sorted(set(range(int(indices.max()) + 1)) - set(parsed.keys()))[:5]
        raise PoisonMismatchError(f"{folder}: {n} PNGs with indices {indices.min()}.."
                                  f"{indices.max()}; expected indices 0..{n - 1} with none "
                                  f"missing (first missing: {missing})")
    names = [parsed[i][0] for i in range(n)]
    labels = (np.array([parsed[i][1] for i in range(n)], np.int64)
              if with_label == {True} else None)
    return [os.path.join(folder, f) for f in names], labels


def read_png(path: str, image_shape: Sequence[int] | None = None) -> np.ndarray:
    """One PNG -> ``[H, W, C] uint8``; with ``image_shape`` = ``(H, W, C)`` the file must be an
    8-bit PNG of that size whose mode is L (C=1), RGB (C=3) or RGBA (C=4), else
    :class:`PoisonMismatchError` naming the file."""
    try:
        with Image.open(path) as im:
            im.load()
            mode, size = im.mode, im.size
            x = np.asarray(im)
    except (OSError, SyntaxError, zlib.error) as e:
        raise PoisonMismatchError(f"{path}: not a readable PNG ({e})") from e
    if image_shape is not None:
        h, w, c = (int(s) for s in image_shape)
        want = _MODES.get(c)
        if mode != want or size != (w, h):
            raise PoisonMismatchError(
                f"{path}: {size[1]}x{size[0]} PNG of mode {mode}, expected {h}x{w} mode {want} "
                f"(shape {(h, w, c)} uint8, like the clean images)")
    if x.dtype != np.uint8:
        raise PoisonMismatchError(f"{path}: {x.dtype} pixels, expected 8-bit (uint8)")
    return x[..., None] if x.ndim == 2 else x


def read_png_folder(folder: str, image_shape: Sequence[int] | None = None, workers: int = 1,
                    progress: Callable[[int], None] | None = None
                    ) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Every PNG of ``folder`` in index order (see :func:`list_png_folder`).

    Returns:
      ``(x [N, H, W, C] uint8, labels int64 [N] or None, paths [N])``. Without
      ``image_shape`` the first file fixes the shape every other file must have.
    """
    paths, labels = list_png_folder(folder)
    if image_shape is None:
        image_shape = read_png(paths[0]).shape
    x = np.empty((len(paths), *image_shape), np.uint8)

    def read(rows):
        for i in rows:
            x[i] = read_png(paths[i], image_shape)

    _in_blocks(read, len(paths), workers, progress)
    return x, labels, paths


# ---------------------------------------------------------------- TFRecord

def _example(image: np.ndarray, label: int, index: int, encoding: str, compress_level: int):
    import tensorflow as tf

    payload = encode_png(image, compress_level) if encoding == "png" else image.tobytes()
    b = lambda v: tf.train.Feature(bytes_list=tf.train.BytesList(value=[v]))  # noqa: E731
    i = lambda v: tf.train.Feature(int64_list=tf.train.Int64List(value=[int(v)]))  # noqa: E731
    h, w, c = image.shape
    return tf.train.Example(features=tf.train.Features(feature={
        "image": b(payload), "image/format": b(encoding.encode()), "label": i(label),
        "index": i(index), "height": i(h), "width": i(w), "channels": i(c)}))


def write_tfrecord_split(split: data.Split, path: str, encoding: str = "png",
                         compress_level: int = 1,
                         progress: Callable[[int], None] | None = None) -> int:
    """Write ``split`` to one TFRecord file, one ``tf.train.Example`` per image in source order
    (features in the module docstring). Returns N."""
    import tensorflow as tf

    if encoding not in TFRECORD_ENCODINGS:
        raise UnknownNameError(f"unknown TFRecord encoding {encoding!r}; expected one of "
                         f"{TFRECORD_ENCODINGS}")
    if encoding == "png":
        _mode(split.x.shape[-1])
    with tf.io.TFRecordWriter(path) as w:
        for i in range(len(split)):
            w.write(_example(split.x[i], split.y[i], i, encoding,
                             compress_level).SerializeToString())
            if progress is not None and (i + 1) % 1024 == 0:
                progress(1024)
    if progress is not None and len(split) % 1024:
        progress(len(split) % 1024)
    return len(split)


def tfrecord_dataset(path: str, image_shape: Sequence[int]):
    """A ``tf.data.Dataset`` of ``(image uint8 [H, W, C], label int64 [])`` from a file written
    by :func:`write_tfrecord_split` (PNG or raw records), in file order. A record whose
    ``height``, ``width`` or ``channels`` differ from ``image_shape`` fails the iteration
    (``tf.errors.InvalidArgumentError``)."""
    import tensorflow as tf

    h, w, c = (int(s) for s in image_shape)
    spec = {k: tf.io.FixedLenFeature([], tf.string) for k in ("image", "image/format")}
    spec.update({k: tf.io.FixedLenFeature([], tf.int64) for k in
                 ("label", "index", "height", "width", "channels")})

    def parse(record):
        f = tf.io.parse_single_example(record, spec)
        image = tf.cond(tf.equal(f["image/format"], "png"),
                        lambda: tf.io.decode_png(f["image"], channels=c, dtype=tf.uint8),
                        lambda: tf.reshape(tf.io.decode_raw(f["image"], tf.uint8), [h, w, c]))
        checks = [tf.debugging.assert_equal(f[k], tf.constant(v, tf.int64), message=(
            f"record {k} differs from the expected {k} {v} of {(h, w, c)} images"))
            for k, v in (("height", h), ("width", w), ("channels", c))]
        with tf.control_dependencies(checks):   # decode_png would convert channels silently
            image = tf.identity(image)
        return tf.ensure_shape(image, [h, w, c]), f["label"]

    return tf.data.TFRecordDataset(path).map(parse, num_parallel_calls=tf.data.AUTOTUNE,
                                             deterministic=True)


def read_tfrecord(path: str, image_shape: Sequence[int], batch: int = 4096) -> data.Split:
    """All records of ``path`` as a :class:`~evoshift_tf.data.Split` (source order)."""
    import tensorflow as tf

    if not os.path.exists(path):
        raise data.DatasetError(f"missing TFRecord file {path}")
    dims_spec = {k: tf.io.FixedLenFeature([], tf.int64) for k in ("height", "width", "channels")}
    try:           # shapes first (no decoding), for an error that names the record
        dims = np.concatenate([np.stack([d["height"], d["width"], d["channels"]], -1) for d in
                               tf.data.TFRecordDataset(path).batch(batch).map(
                                   lambda r: tf.io.parse_example(r, dims_spec))
                               .as_numpy_iterator()] or [np.zeros((0, 3), np.int64)])
    except Exception as e:  # tf.errors.* (not a TFRecord, missing features)
        raise PoisonMismatchError(f"{path}: not a TFRecord of tf.train.Example with height, "
                                  f"width, channels ({type(e).__name__})") from e
    bad = np.flatnonzero((dims != np.asarray(image_shape)).any(-1))
    if bad.size:
        got = tuple(dims[bad[0]].tolist())
        raise PoisonMismatchError(f"{path}: record {bad[0]} holds a {got} image, expected "
                                  f"{tuple(image_shape)} ({bad.size} of {len(dims)} records "
                                  "differ)")
    xs, ys = [], []
    try:
        for x, y in tfrecord_dataset(path, image_shape).batch(batch).as_numpy_iterator():
            xs.append(x)
            ys.append(y)
    except Exception as e:  # tf.errors.* (corrupt record, wrong shape) -> a clear ValueError
        raise PoisonMismatchError(f"{path}: cannot read as records of {tuple(image_shape)} "
                                  f"uint8 images ({type(e).__name__}: {e})") from e
    if not xs:
        raise PoisonMismatchError(f"{path} holds no records")
    return data.Split(np.concatenate(xs), np.concatenate(ys).astype(np.int64))


# ---------------------------------------------------------------- export

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
    """Write ``dataset`` to ``folder`` in format ``fmt`` (see the module docstring).

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


# ---------------------------------------------------------------- import

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
