"""import_poison: a poisoned training set made by another tool (a PNG folder in source order,
``<index>_<label>.png`` or ``<index>.png``; a ``.npz`` with ``x_train, y_train``; a
``.tfrecord`` from export_poison) + the clean Dataset it claims to poison -> a Dataset
(poisoned train, clean test) that train_victim, the defenses and evaluate take like any other.

    python -m components.import_poison --dataset=RUN/ingest --poisoned=OUT --path=FOREIGN

The import is refused (count, labels, order, shape, dtype) with an error naming the file or
index and what was expected. ``pixel_difference.json`` beside the payload reports how many
pixels per image the poison changed (mean, max, quantiles, histogram, fraction of images)."""

from __future__ import annotations

import os

from absl import logging

from components import artifacts, base, cli
from evoshift_tf import interchange

REPORT_FILE = "pixel_difference.json"


def check(params):
    if not params["path"]:
        raise ValueError("path is required: a folder of PNGs (<index>_<label>.png or "
                         "<index>.png, or a folder with train/), a .npz or a .tfrecord")


def execute(inputs, outputs, params, work_dir):
    clean = artifacts.load_dataset(inputs["dataset"])
    imported = interchange.import_poison(params["path"], clean)
    artifacts.save_dataset(outputs["poisoned"], imported.dataset)
    artifacts.write_json(os.path.join(outputs["poisoned"], REPORT_FILE),
                    {"source": os.path.abspath(imported.source), **imported.report.to_json()})
    logging.info("imported %s: %s", imported.source, imported.report.summary())


SPEC = base.ComponentSpec(
    name="import_poison", inputs={"dataset": artifacts.DATASET},
    outputs={"poisoned": artifacts.DATASET},
    parameters={
        "path": base.Parameter(str, "", "the foreign poisoned training set: a PNG folder "
                               "(<index>_<label>.png or <index>.png in source order, or a folder "
                               "holding train/), a .npz with x_train and y_train, or a "
                               ".tfrecord written by export_poison"),
    },
    executor=execute, check=check)

if __name__ == "__main__":
    cli.main(SPEC)
