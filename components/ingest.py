"""ingest: a dataset source (Debian Fashion-MNIST, tfds name, .npz, image folder, IDX folder) ->
Dataset artifact (``dataset.npz``, uint8 NHWC, + ``info.json``).

An image folder (``train/<class>/<image>``, ``test/<class>/<image>``; see
:mod:`evoshift_tf.image_folder`) is decoded here, once: every later step reads the artifact, and
a rerun of a pipeline with the same parameters reuses it unless the folder's files changed
(their names, sizes and times are part of the step's fingerprint: :func:`data.source_digest`)."""

from __future__ import annotations

import sys

from absl import logging

from components import artifacts, base, cli
from evoshift_tf import data


def execute(inputs, outputs, params, work_dir):
    from tqdm import tqdm

    with tqdm(unit="img", desc="decode images", delay=1,   # shown for image folders only
              disable=not sys.stderr.isatty()) as bar:
        def progress(done, total):
            bar.total = total
            bar.update(done - bar.n)
        dataset = data.load(params["dataset"], params["data_dir"] or None, progress=progress)
    if params["max_train"] > 0:
        dataset = data.Dataset(dataset.info, dataset.train.take(slice(0, params["max_train"])),
                               dataset.test)
    if params["max_test"] > 0:
        dataset = data.Dataset(dataset.info, dataset.train,
                               dataset.test.take(slice(0, params["max_test"])))
    artifacts.save_dataset(outputs["dataset"], dataset)
    logging.info("ingest: %s, %d train + %d test images of shape %s, %d classes",
                 dataset.info.name, len(dataset.train), len(dataset.test),
                 dataset.info.image_shape, dataset.info.num_classes)


SPEC = base.ComponentSpec(
    name="ingest", inputs={}, outputs={"dataset": artifacts.DATASET},
    parameters={
        "dataset": base.Parameter(str, "fashion_mnist", "dataset name (fashion_mnist, mnist, "
                                  "svhn_cropped, cifar10, stl10, imagenet_resized/64x64), a .npz "
                                  "file, an image folder (train/<class>/<image> and "
                                  "test/<class>/<image>, optional classes.txt; named after the "
                                  "folder) or a folder of IDX files"),
        "data_dir": base.Parameter(str, "", "IDX folder for fashion_mnist (default "
                                   f"{data.DEBIAN_FASHION_MNIST_DIR}) or the tfds data_dir"),
        "max_train": base.Parameter(int, 0, "keep the first N training images (0 = all; an "
                                    "image folder's first N are class-balanced)"),
        "max_test": base.Parameter(int, 0, "keep the first N test images (0 = all)"),
    },
    executor=execute,
    source_digest=lambda p: data.source_digest(p["dataset"], p["data_dir"] or None))

if __name__ == "__main__":
    cli.main(SPEC)
