"""detect: Dataset -> Report of the pixel-poison detector (``evoshift_tf.detect``): whether the
training split carries a class-wise pixel trigger, which pixels of which class, with a picture.

    evoshift detect --dataset=DIR --report=OUT

writes ``OUT/report.json`` (verdict, threshold, largest score, per class the flagged pixels with
their values and scores), ``OUT/scores.npy`` (``float32 [C, H, W]`` score maps) and
``OUT/flagged_pixels.png`` (the score maps, flagged pixels boxed in red). Needs no model: seconds
for Fashion-MNIST or CIFAR-10. ``evoshift_tf.detect.repair`` (the defense table's column
``detect_repair``) repairs what it flags."""

from __future__ import annotations

import os

import numpy as np
from absl import logging

from components import artifacts, base, cli
from evoshift_tf import detect, figures


def execute(inputs, outputs, params, work_dir):
    dataset = artifacts.load_dataset(inputs["dataset"])
    info = dataset.info
    report = detect.detect(dataset.train.x, dataset.train.y, info.num_classes,
                           params["threshold"], params["tolerance"])
    out = outputs["report"]
    artifacts.write_json(os.path.join(out, "report.json"),
                         {"dataset": info.name, "images": len(dataset.train),
                          **report.to_json(info.class_names)})
    np.save(os.path.join(out, "scores.npy"), report.scores)
    figures.detection_maps(os.path.join(out, "flagged_pixels.png"), report.scores, report.flagged,
                           report.threshold, info.class_names,
                           f"{info.name}: {'POISONED' if report.poisoned else 'no alarm'} "
                           f"(largest score {report.max_score:.2f}, threshold "
                           f"{report.threshold:g})")
    logging.info("detect: %s: %s, largest score %.3f (threshold %g), %d pixels flagged%s",
                 info.name, "poisoned" if report.poisoned else "no alarm", report.max_score,
                 report.threshold, int(report.flagged.sum()),
                 "".join(f"; {info.class_names[k]}: {report.positions(k).tolist()}"
                         for k in range(info.num_classes) if report.flagged[k].any()))


def check(params):
    if not 0.0 < params["threshold"] <= 1.0:
        raise ValueError(f"threshold={params['threshold']}: expected a score in (0, 1]")
    if not 0 <= params["tolerance"] <= 255:
        raise ValueError(f"tolerance={params['tolerance']}: expected 0..255 pixel levels")


SPEC = base.ComponentSpec(
    name="detect", inputs={"dataset": artifacts.DATASET}, outputs={"report": artifacts.REPORT},
    parameters={
        "threshold": base.Parameter(float, detect.THRESHOLD, "score (in (0, 1]) at or above "
                                    "which a pixel is flagged; measured on clean Fashion-MNIST "
                                    "(largest 0.51) and CIFAR-10 (0.05), docs/detector.md"),
        "tolerance": base.Parameter(int, detect.TOLERANCE, "value window half-width in pixel "
                                    "levels (0 = exact values, as every committed poison "
                                    "writes; >0 for poisons whose values vary per image)"),
    },
    executor=execute, check=check)

if __name__ == "__main__":
    cli.main(SPEC)
