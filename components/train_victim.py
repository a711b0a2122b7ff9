"""train_victim: Dataset -> Model (a Keras model from the zoo trained with a custom loop under a
``tf.distribute`` strategy; saved as ``model.keras`` with its per-epoch ``history.json``).
Checkpoints every epoch in ``work_dir`` and resumes there."""

from __future__ import annotations

import os

from components import base
from evoshift_tf import configs, models, training

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
    models.get(model_name, dataset.info.image_shape, dataset.info.num_classes)  # fail fast
    config = configs.from_dict(training.TrainConfig, params)
    info = dataset.info
    result = training.train(lambda: models.get(model_name, info.image_shape, info.num_classes),
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
        **base.params_from_config(training.TrainConfig, configs.field_docs(training.TrainConfig)),
    },
    executor=execute)

if __name__ == "__main__":
    base.main(SPEC)
