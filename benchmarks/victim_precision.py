"""Victim training speed in float32 and in mixed bfloat16, the same victim on the same images.

    python -m benchmarks.victim_precision                                   # ResNet-20, 32x32x3
    python -m benchmarks.victim_precision --dataset=PATH --images=5000 --rounds=3

Trains ``--model`` with ``cropflip`` augmentation for one epoch on ``--images`` class-balanced
training images (a folder, .npz or registry dataset; default: random 32x32x3 images, so that it
needs no data), alternating the two precisions ``--rounds`` times (a busy machine slows both
alike), and reports each arm's median seconds per 1,000 images and their ratio. Writes JSON with
the CPU flags (``evoshift_tf.hardware.machine``).
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from absl import app, flags

from evoshift_tf import atomic, data, hardware, summary
from evoshift_tf.victims.recipe import VictimRecipe

FLAGS = flags.FLAGS
flags.DEFINE_string("dataset", "", "dataset source (empty: random 32x32x3 images, 10 classes)")
flags.DEFINE_string("model", "resnet20", "victim model")
flags.DEFINE_integer("images", 2560, "training images per epoch")
flags.DEFINE_integer("batch_size", 128, "batch size")
flags.DEFINE_integer("rounds", 3, "alternating rounds per precision")
flags.DEFINE_string("out", "benchmarks/results/victim_precision.json", "JSON to write")


def _images():
    if FLAGS.dataset:
        ds = data.load(FLAGS.dataset)
        c = ds.info.num_classes
        return data.balanced_subset(ds.train, FLAGS.images // c, c), ds.info
    synthetic = data.make_synthetic(num_classes=10, per_class=FLAGS.images // 10,
                                    image_shape=(32, 32, 3), seed=0)
    return synthetic.train, synthetic.info


def _epoch_seconds(split, info, precision: str) -> float:
    recipe = VictimRecipe.from_params(model=FLAGS.model, preprocessing=("cropflip",), epochs=2,
                                      batch_size=FLAGS.batch_size, precision=precision)
    result = recipe.build(info.image_shape, info.num_classes, seed=0).train(split.x, split.y)
    return result.history[-1]["seconds"]          # the second epoch: tracing excluded


def main(argv):
    del argv
    split, info = _images()
    seconds = {"float32": [], "bfloat16": []}
    for _ in range(FLAGS.rounds):
        for precision in seconds:
            seconds[precision].append(_epoch_seconds(split, info, precision))
    per_1000 = {p: statistics.median(s) / len(split) * 1000 for p, s in seconds.items()}
    rows = [{"precision": p, "median_s_per_1000_images": round(v, 3),
             "speed_vs_float32": round(per_1000["float32"] / v, 2)} for p, v in per_1000.items()]
    print(summary.text_table(rows, list(rows[0]),
                             f"{FLAGS.model}, {len(split)} images, batch {FLAGS.batch_size}"))
    machine = hardware.machine()
    print("machine:", machine)
    atomic.write_json(FLAGS.out, {"rows": rows, "seconds": seconds, "model": FLAGS.model,
                                  "images": len(split), "dataset": info.name,
                                  "batch_size": FLAGS.batch_size, "machine": machine,
                                  "measured": time.strftime("%Y-%m-%d")})


if __name__ == "__main__":
    app.run(main)
