"""One training process for the tf.distribute tests and benchmark (not a test module).

    python tests/evoshift_tf/distribute_worker.py STRATEGY OUT_JSON EXPORT_DIR [EPOCHS] [CPUS]

Trains GrayNet on a seeded synthetic set under STRATEGY (``default``, ``mirrored``,
``multiworker`` from ``TF_CONFIG``), exports it to EXPORT_DIR (chief: the real folder, other
workers: throw-away ones) and writes accuracy, a weight checksum, the weights and seconds per
epoch to OUT_JSON (every worker; the non-chief's name gets its task id).
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(strategy_name, out_json, export_dir, epochs=2, logical_cpus=1, per_class=64, size=28):
    import numpy as np
    import tensorflow as tf
    if logical_cpus > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * logical_cpus)
    from evoshift_tf import data, models
    from evoshift_tf.victims import training
    if os.environ.get("EVOSHIFT_DETERMINISTIC"):
        tf.config.experimental.enable_op_determinism()
    d = data.make_synthetic(num_classes=4, per_class=per_class, image_shape=(size, size, 1),
                            seed=0)
    strategy = training.make_strategy(strategy_name)
    config = training.TrainConfig(epochs=epochs, batch_size=32, seed=0)
    result = training.train(lambda: models.get("graynet", d.info.image_shape, 4),
                            d.train.x, d.train.y, config, strategy)
    training.export(result.model, export_dir, strategy)
    acc = float(np.mean(training.predict_labels(result.model, d.test.x) == d.test.y))
    weights = [w.tolist() for w in result.model.get_weights()]
    chief = training.is_chief(strategy)
    if not chief:
        out_json = f"{out_json}.{strategy.cluster_resolver.task_id}"
    with open(out_json, "w") as f:
        json.dump({"strategy": strategy_name, "replicas": strategy.num_replicas_in_sync,
                   "chief": chief, "test_accuracy": acc,
                   "seconds_per_epoch": [h["seconds"] for h in result.history],
                   "weights": weights}, f)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0], args[1], args[2], *(int(a) for a in args[3:]))
