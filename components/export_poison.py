"""export_poison: Dataset -> a folder other tools read (PNG per image in source order,
TFRecord, or .npz), so a poison made here can be judged by Image Shortcut Squeezing, ART or
any PyTorch loader. Layouts: :mod:`evoshift_tf.interchange`.

    python -m components.export_poison --dataset=RUN/poison --exported=OUT --format=png

``--png_names=index`` writes ``OUT/train/<index>.png``, the names ISS's ``folder_load`` opens
(``--poison_path=OUT/train/``)."""

from __future__ import annotations

import sys

from absl import logging

from components import artifacts, base, cli
from evoshift_tf.errors import UnknownNameError
from evoshift_tf import interchange

EXPORT = "DatasetExport"
"""Artifact type of the output: a folder of files for other tools (not a Dataset artifact)."""


def check(params):
    if params["format"] not in interchange.FORMATS:
        raise UnknownNameError(f"unknown format {params['format']!r}; expected one of "
                         f"{list(interchange.FORMATS)}")
    if params["png_names"] not in interchange.PNG_NAMES:
        raise UnknownNameError(f"unknown png_names {params['png_names']!r}; expected one of "
                         f"{list(interchange.PNG_NAMES)}")
    if params["tfrecord_encoding"] not in interchange.TFRECORD_ENCODINGS:
        raise UnknownNameError(f"unknown tfrecord_encoding {params['tfrecord_encoding']!r}; expected "
                         f"one of {list(interchange.TFRECORD_ENCODINGS)}")
    splits = [s for s in params["splits"].split(",") if s]
    if not splits or set(splits) - set(interchange.SPLITS):
        raise ValueError(f"splits={params['splits']!r}; expected a comma-separated subset of "
                         f"{list(interchange.SPLITS)}")


def execute(inputs, outputs, params, work_dir):
    from tqdm import tqdm

    dataset = artifacts.load_dataset(inputs["dataset"])
    splits = [s for s in params["splits"].split(",") if s]
    total = sum(len(getattr(dataset, s)) for s in splits)
    with tqdm(total=total, unit="img", desc=f"export {params['format']}",
              disable=not sys.stderr.isatty()) as bar:
        counts = interchange.export(
            dataset, outputs["exported"], params["format"], splits, params["png_names"],
            params["tfrecord_encoding"], workers=params["workers"], progress=bar.update)
    logging.info("exported %s as %s: %s images", dataset.info.name, params["format"], counts)


SPEC = base.ComponentSpec(
    name="export_poison", inputs={"dataset": artifacts.DATASET}, outputs={"exported": EXPORT},
    parameters={
        "format": base.Parameter(str, "png", f"one of {list(interchange.FORMATS)}: png = "
                                 "<split>/<index>_<label>.png in source order, tfrecord = "
                                 "<split>.tfrecord of tf.train.Example, npz = dataset.npz"),
        "splits": base.Parameter(str, "train,test", "comma-separated splits to write (png, "
                                 "tfrecord; npz always holds both)"),
        "png_names": base.Parameter(str, "index_label", "index_label = <index>_<label>.png; "
                                    "index = <index>.png (what Image Shortcut Squeezing reads)"),
        "tfrecord_encoding": base.Parameter(str, "png", "image bytes in each tf.train.Example: "
                                            "png (lossless) or raw (H*W*C uint8)"),
        "workers": base.Parameter(int, 1, "threads writing PNGs (more help on network volumes)"),
    },
    executor=execute, check=check)

if __name__ == "__main__":
    cli.main(SPEC)
