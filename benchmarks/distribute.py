"""Seconds per epoch of one GrayNet victim under each tf.distribute strategy, in one run:

    nice -n 10 python benchmarks/distribute.py            # ~3 min on 2 CPU cores
    python benchmarks/distribute.py --per_class=100 --epochs=2   # quicker

* default: one device;
* mirrored: MirroredStrategy over the GPUs, or over 2 logical CPU devices on a CPU machine;
* multiworker: MultiWorkerMirroredStrategy, 2 worker processes on 127.0.0.1 (TF_CONFIG).

Every mode trains the same model on the same seeded synthetic 28x28x1 data (10 classes) with the
same global batch in a fresh process (so no mode inherits another's threads or graphs) and
reports the median seconds of the epochs after the first (the first includes tracing). On a
2-core CPU machine the three share the same 2 cores: the table shows the *overhead* of each
strategy (replica splitting, all-reduce, gRPC between processes), not a speed-up.
Prints a table and writes ``benchmarks/results/distribute.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from absl import app, flags

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAGS = flags.FLAGS
flags.DEFINE_integer("per_class", 600, "synthetic training images per class (10 classes)")
flags.DEFINE_integer("epochs", 3, "epochs per mode (the first one is not timed)")
flags.DEFINE_integer("batch_size", 128, "global batch size")
flags.DEFINE_string("out", os.path.join(REPO, "benchmarks", "results", "distribute.json"),
                    "where the JSON goes")
flags.DEFINE_string("worker", "", "internal: run one training process for this strategy")
flags.DEFINE_string("result", "", "internal: the worker's JSON output")


def worker(strategy_name: str, result: str) -> None:
    import numpy as np
    import tensorflow as tf
    if strategy_name == "mirrored" and not tf.config.list_physical_devices("GPU"):
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from evoshift_tf import data, models
    from evoshift_tf.victims import training
    d = data.make_synthetic(num_classes=10, per_class=FLAGS.per_class, image_shape=(28, 28, 1),
                            seed=0)
    strategy = training.make_strategy(strategy_name)
    config = training.TrainConfig(epochs=FLAGS.epochs, batch_size=FLAGS.batch_size, seed=0)
    res = training.train(lambda: models.get("graynet", d.info.image_shape, 10), d.train.x,
                         d.train.y, config, strategy)
    acc = float(np.mean(training.predict_labels(res.model, d.test.x) == d.test.y))
    secs = [h["seconds"] for h in res.history]
    if training.is_chief(strategy):
        with open(result, "w") as f:
            json.dump({"replicas": strategy.num_replicas_in_sync, "seconds": secs,
                       "test_accuracy": acc}, f)


def _spawn(strategy, result, tf_config=None):
    env = {**os.environ, "PYTHONPATH": REPO, "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("TF_CONFIG", None)
    if tf_config:
        env["TF_CONFIG"] = json.dumps(tf_config)
    args = [sys.executable, os.path.abspath(__file__), f"--worker={strategy}",
            f"--result={result}", f"--per_class={FLAGS.per_class}", f"--epochs={FLAGS.epochs}",
            f"--batch_size={FLAGS.batch_size}"]
    return subprocess.Popen(args, env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def main(argv):
    del argv
    if FLAGS.worker:
        return worker(FLAGS.worker, FLAGS.result)
    import tempfile
    tmp = tempfile.mkdtemp(prefix="distribute-bench-")
    rows = []
    for mode in ("default", "mirrored", "multiworker"):
        result = os.path.join(tmp, f"{mode}.json")
        start = time.time()
        if mode == "multiworker":
            from evoshift_tf.victims.training import local_cluster_tf_configs
            procs = [_spawn(mode, result, cfg) for cfg in local_cluster_tf_configs(2)]
        else:
            procs = [_spawn(mode, result)]
        for p in procs:
            _, err = p.communicate()
            if p.returncode:
                raise RuntimeError(f"{mode} worker failed:\n{err[-3000:]}")
        with open(result) as f:
            r = json.load(f)
        timed = sorted(r["seconds"][1:] or r["seconds"])
        rows.append({"mode": mode, "processes": len(procs), "replicas": r["replicas"],
                     "seconds_per_epoch": timed[len(timed) // 2],
                     "first_epoch_s": r["seconds"][0], "test_accuracy": r["test_accuracy"],
                     "wall_s": time.time() - start})
    import platform
    import tensorflow as tf
    from evoshift_tf import atomic, summary
    info = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "gpus": [d.name for d in tf.config.list_physical_devices("GPU")],
            "tensorflow": tf.__version__, "images": 10 * FLAGS.per_class,
            "batch_size": FLAGS.batch_size, "epochs": FLAGS.epochs, "model": "graynet 28x28x1"}
    print(f"GrayNet, {info['images']} images 28x28x1, global batch {FLAGS.batch_size}, "
          f"{os.cpu_count()} CPUs, GPUs: {info['gpus'] or 'none'}")
    print(summary.markdown_table(
        ["strategy", "processes", "replicas", "s/epoch (median after 1st)", "1st epoch s",
         "test acc"],
        ([r["mode"], r["processes"], r["replicas"], f"{r['seconds_per_epoch']:.2f}",
          f"{r['first_epoch_s']:.2f}", f"{r['test_accuracy']:.3f}"] for r in rows)))
    if not info["gpus"]:
        print("(all modes share the same CPU cores: this shows overhead, not speed-up)")
    print("wrote", atomic.write_json(FLAGS.out, {"info": info, "rows": rows}))


if __name__ == "__main__":
    app.run(main)
