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

Modules: ``png`` (PNG folders), ``tfrecord`` (TFRecord files), ``export_folder`` (:func:`export`,
:func:`load_export`), ``poison_import`` (:func:`import_poison`), ``diff`` (the
:class:`PixelDiffReport`), ``errors`` (:class:`PoisonMismatchError`). Every public name is
importable from ``evoshift_tf.interchange``.
"""

from evoshift_tf.interchange.diff import PixelDiffReport, changed_pixels, diff_report
from evoshift_tf.interchange.errors import PoisonMismatchError
from evoshift_tf.interchange.export_folder import (FORMATS, INFO_FILE, NPZ_FILE, SPLITS, export,
                                                   load_export, read_info)
from evoshift_tf.interchange.png import (PNG_NAMES, encode_png, list_png_folder, png_name,
                                         read_png, read_png_folder, write_png_split)
from evoshift_tf.interchange.poison_import import (ImportedPoison, import_poison,
                                                   read_poisoned_train)
from evoshift_tf.interchange.tfrecord import (TFRECORD_ENCODINGS, read_tfrecord,
                                              tfrecord_dataset, write_tfrecord_split)

__all__ = ["FORMATS", "INFO_FILE", "ImportedPoison", "NPZ_FILE", "PNG_NAMES", "PixelDiffReport",
           "PoisonMismatchError", "SPLITS", "TFRECORD_ENCODINGS", "changed_pixels",
           "diff_report", "encode_png", "export", "import_poison", "list_png_folder",
           "load_export", "png_name", "read_info", "read_png", "read_png_folder",
           "read_poisoned_train", "read_tfrecord", "tfrecord_dataset", "write_png_split",
           "write_tfrecord_split"]
