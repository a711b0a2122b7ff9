"""TFRecord files: ``<split>.tfrecord``, one ``tf.train.Example`` per image in source order.

Features: ``image`` (bytes: the PNG of the ``[H, W, C] uint8`` image, or its raw ``H*W*C``
uint8 bytes in row-major HWC order with ``encoding="raw"``), ``image/format`` (``b"png"`` or
``b"raw"``), and int64 ``label``, ``index`` (0..N-1), ``height`` (H), ``width`` (W),
``channels`` (C). TensorFlow is imported on first use, not with the module.
"""

from __future__ import annotations

import os
from typing import Callable, Sequence

import numpy as np

from evoshift_tf import data
from evoshift_tf.errors import UnknownNameError
from evoshift_tf.interchange.errors import PoisonMismatchError
from evoshift_tf.interchange.png import _mode, encode_png

TFRECORD_ENCODINGS = ("png", "raw")


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
