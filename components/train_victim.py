"""train_victim: Dataset -> Model (a Keras model from the zoo trained with a custom loop under a
``tf.distribute`` strategy; saved as ``model.keras`` with its per-epoch ``history.json``).
Checkpoints every epoch in ``work_dir`` and resumes there."""

from __future__ import annotations

import os

from components import base
from evoshift_tf import configs, defenses, models, training

STRATEGIES = ("default", "mirrored")


def make_strategy(name: str):
    import tensorflow as tf
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    raise ValueError(f"unknown strategy {name!r}; known: {list(STRATEGIES)}")


def execute(inputs, outputs, params, work_dir):
    dataset = base.load_dataset(inputs["dataset"])
    params = dict(params)
    model_name, strategy_name = params.pop("model"), params.pop("strategy")
    info = dataset.info
    recipe = {"dropout": params.pop("dropout"), "weight_decay": params.pop("weight_decay")}
    names = [n for n in params.pop("preprocessing").split(",") if n]

    def build():
        layers = [layer for n in names for layer in defenses.get(n, info.image_shape)]
        return models.get(model_name, info.image_shape, info.num_classes, preprocessing=layers,
                          **recipe)

    build()  # fail fast on a bad model or defense name
    config = configs.from_dict(training.TrainConfig, params)
    result = training.train(build,
                            dataset.train.x, dataset.train.y, config, make_strategy(strategy_name),
                            checkpoint_dir=os.path.join(work_dir, "checkpoint"))
    result.model.save(os.path.join(outputs["model"], "model.keras"))
    base.write_json(os.path.join(outputs["model"], "history.json"), result.history)
    base.write_json(os.path.join(outputs["model"], "info.json"), info.to_json())


SPEC = base.ComponentSpec(
    name="train_victim", inputs={"dataset": base.DATASET}, outputs={"model": base.MODEL},
    parameters={
        "model": base.Parameter(str, "graynet", f"victim architecture ({', '.join(models.names())})"),
        "strategy": base.Parameter(str, "default", f"tf.distribute strategy {list(STRATEGIES)}"),
        "dropout": base.Parameter(float, 0.0, "dropout rate before the head (paper Fig. 7: 0.4)"),
        "weight_decay": base.Parameter(float, 0.0, "L2 coefficient on kernels (paper: 0.01)"),
        "preprocessing": base.Parameter(str, "", "comma-separated input defenses/augmentation "
                                        f"from {list(defenses.NAMES)}"),
        **base.params_from_config(training.TrainConfig, configs.field_docs(training.TrainConfig)),
    },
    executor=execute)

if __name__ == "__main__":
    base.main(SPEC)
