"""Benchmark the search's hot path: training a CMA-ES population of GrayNets.

    python -m benchmarks.population                    # lambda in {4, 8, 16}, 10k images
    python -m benchmarks.population --lambdas=8 --images=5000 --out=benchmarks/results/pop.json

Prints one table, side by side, measured in one process:
  (a) naive: a fresh Keras model per candidate, ``compile`` + ``fit`` one epoch (batch 128, Adam);
  (b) the population trainer in float32; (c) in bfloat16;
with model-images/s, seconds per generation, effective GFLOP/s (16.8 MFLOP per GrayNet training
image, forward + backward) and the fraction of the measured matmul peak of that precision. A
second table times one whole generation (train on ``--images``, fitness on 2k held-out images,
the discriminator) for the naive evaluator and the population evaluator, and the population
path's fixed cost (decode, masks, weight reset) as a share of the generation. Writes JSON.
"""

from __future__ import annotations

import json
import os
import time

import keras
import numpy as np
import tensorflow as tf
from absl import app, flags

from evoshift_tf import attack, data, models
from evoshift_tf.search import population, scorer
from evoshift_tf.models.simple_cnn import GRAYNET_SPEC

FLAGS = flags.FLAGS
flags.DEFINE_list("lambdas", ["4", "8", "16"], "population sizes to measure")
flags.DEFINE_integer("images", 10000, "training images per model per epoch")
flags.DEFINE_integer("holdout", 2000, "held-out images for the fitness in the generation table")
flags.DEFINE_list("precisions", ["float32", "bfloat16"], "population trainer precisions")
flags.DEFINE_boolean("naive", True, "also measure the naive Keras loop")
flags.DEFINE_string("out", "benchmarks/results/population.json", "JSON output path")
flags.DEFINE_string("devices", "auto", "population devices (evoshift_tf.search.population.resolve_devices)")
flags.DEFINE_integer("intra_op_threads", 0, "TensorFlow intra-op threads (0 = TF's default)")
flags.DEFINE_integer("inter_op_threads", 0, "TensorFlow inter-op threads (0 = TF's default): "
                     "the population graph has P independent convolution chains per step")

MFLOP_PER_IMAGE = 16.8  # GrayNet, 28x28x1, same padding, forward + backward


def matmul_peak(dtype, n=2048, reps=8) -> float:
    """Measured GFLOP/s of an n x n matmul in ``dtype``."""
    a = tf.random.normal([n, n], dtype=tf.float32)
    a = tf.cast(a, dtype)
    f = tf.function(lambda x: tf.reduce_sum(tf.cast(tf.matmul(x, x), tf.float32)))
    f(a).numpy()
    start = time.perf_counter()
    for _ in range(reps):
        f(a).numpy()
    return 2 * n ** 3 * reps / (time.perf_counter() - start) / 1e9


def dense_attacks(lam, info, seed=0):
    attacks = [attack.random_attack(info.num_classes, 1, info.image_shape, seed=seed + i)
               for i in range(lam)]
    mp = [a.masks_and_patterns() for a in attacks]
    return attacks, tf.constant(np.stack([m for m, _ in mp])), tf.constant(np.stack([p for _, p in mp]))


def naive_epoch(attacks, split, info) -> float:
    """Seconds for one epoch of a fresh Keras GrayNet per candidate (build+compile+fit)."""
    start = time.perf_counter()
    for a in attacks:
        m = models.get("graynet", info.image_shape, info.num_classes)
        m.compile(keras.optimizers.Adam(1e-3),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        m.fit(attack.apply(a, split.x, split.y).astype(np.float32), split.y, batch_size=128,
              epochs=1, verbose=0)
    return time.perf_counter() - start


def population_epoch(lam, precision, split, info, masks, patterns, reps=2) -> tuple[float, float]:
    """(trace seconds, steady seconds per epoch) of the population trainer."""
    pop = population.classifier(GRAYNET_SPEC, lam, info.image_shape, info.num_classes,
                                precision=precision, devices=FLAGS.devices)
    x, y = tf.constant(split.x), tf.constant(split.y)
    seeds = np.zeros((lam, 2))
    pop.reset(seeds)
    start = time.perf_counter()
    pop.fit(x, y, masks, patterns, 1, seed=0)
    first = time.perf_counter() - start
    times = []
    for r in range(reps):
        pop.reset(seeds + r)
        start = time.perf_counter()
        pop.fit(x, y, masks, patterns, 1, seed=r + 1)
        times.append(time.perf_counter() - start)
    return first - min(times), min(times)


def generation_times(lam, fit, held, info, naive: bool) -> dict:
    cfg = scorer.EvaluatorConfig(devices=FLAGS.devices)
    rng = np.random.default_rng(0)
    genomes = rng.uniform(size=(lam, attack.genome_size(info.num_classes, 1, 1)))
    ev = scorer.PopulationEvaluator(fit, held, info, lam, cfg)
    ev(genomes, 0)  # trace
    start = time.perf_counter()
    ev(genomes, 1)
    pop_gen = time.perf_counter() - start
    start = time.perf_counter()
    scorer._decode_dense(genomes, info, 1)
    ev.classifier.reset(ev._init_seeds(2))
    fixed = time.perf_counter() - start
    out = {"lambda": lam, "population_generation_s": pop_gen, "fixed_cost_s": fixed,
           "fixed_cost_share": fixed / pop_gen}
    if naive:
        kev = scorer.KerasEvaluator(fit, held, info, scorer.EvaluatorConfig(domain_weight=0))
        start = time.perf_counter()
        kev(genomes, 0)
        out["naive_generation_s"] = time.perf_counter() - start
        out["speedup"] = out["naive_generation_s"] / pop_gen
    return out


def main(argv):
    del argv
    tf.config.threading.set_intra_op_parallelism_threads(FLAGS.intra_op_threads)
    tf.config.threading.set_inter_op_parallelism_threads(FLAGS.inter_op_threads)
    ds = data.load("fashion_mnist")
    info = ds.info
    fit_pool, held = data.holdout_split(ds.train, FLAGS.holdout // info.num_classes,
                                        info.num_classes)
    split = data.balanced_subset(fit_pool, FLAGS.images // info.num_classes, info.num_classes)
    images = (len(split) // 128) * 128
    peaks = {p: matmul_peak(tf.bfloat16 if p == "bfloat16" else tf.float32)
             for p in ("float32", "bfloat16")}
    rows = []
    for lam in [int(l) for l in FLAGS.lambdas]:
        attacks, masks, patterns = dense_attacks(lam, info)
        if FLAGS.naive:
            t = naive_epoch(attacks, split, info)
            rows.append({"path": "naive keras fit", "lambda": lam, "seconds": t,
                         "trace_s": None, "precision": "float32"})
        for precision in FLAGS.precisions:
            trace, t = population_epoch(lam, precision, split, info, masks, patterns)
            rows.append({"path": f"population {precision}", "lambda": lam, "seconds": t,
                         "trace_s": trace, "precision": precision})
    for r in rows:
        r["model_images_per_s"] = r["lambda"] * images / r["seconds"]
        r["gflops"] = r["model_images_per_s"] * MFLOP_PER_IMAGE / 1e3
        r["peak_fraction"] = r["gflops"] / peaks[r["precision"]]
        naive = [n for n in rows if n["lambda"] == r["lambda"] and n["path"].startswith("naive")]
        r["vs_naive"] = naive[0]["seconds"] / r["seconds"] if naive else None
    gens = [generation_times(8, split, held, info, FLAGS.naive)]

    print(f"\nmatmul peak: float32 {peaks['float32']:.0f} GFLOP/s, bfloat16 "
          f"{peaks['bfloat16']:.0f} GFLOP/s; {images} images/epoch, batch 128, Adam")
    print(f"{'path':<22}{'lambda':>7}{'s/epoch':>10}{'model-img/s':>13}{'GFLOP/s':>9}"
          f"{'of peak':>9}{'vs naive':>9}{'trace s':>9}")
    for r in rows:
        print(f"{r['path']:<22}{r['lambda']:>7}{r['seconds']:>10.2f}{r['model_images_per_s']:>13.0f}"
              f"{r['gflops']:>9.1f}{r['peak_fraction']:>9.2f}"
              f"{(r['vs_naive'] or float('nan')):>9.2f}"
              f"{(r['trace_s'] if r['trace_s'] is not None else float('nan')):>9.2f}")
    print("\nwhole generation (lambda = 8, train + fitness on held-out + discriminator):")
    for g in gens:
        print(f"  population {g['population_generation_s']:.1f} s"
              + (f", naive {g['naive_generation_s']:.1f} s ({g['speedup']:.2f}x)"
                 if "naive_generation_s" in g else "")
              + f"; fixed cost {g['fixed_cost_s'] * 1e3:.0f} ms = {100 * g['fixed_cost_share']:.1f}%")
    os.makedirs(os.path.dirname(FLAGS.out) or ".", exist_ok=True)
    with open(FLAGS.out, "w") as f:
        json.dump({"devices": population.resolve_devices(FLAGS.devices) or "one",
                   "threads": {"intra_op": FLAGS.intra_op_threads,
                               "inter_op": FLAGS.inter_op_threads},
                   "peaks_gflops": peaks, "images_per_epoch": images, "rows": rows,
                   "generations": gens, "device": tf.config.list_physical_devices()[-1].name},
                  f, indent=1, default=str)
    print("wrote", FLAGS.out)


if __name__ == "__main__":
    app.run(main)
