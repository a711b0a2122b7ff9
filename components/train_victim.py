"""train_victim: Dataset -> Model (a Keras model from the zoo trained with a custom loop under a
``tf.distribute`` strategy; saved as ``model.keras`` and exported as a SavedModel
``saved_model/`` serving uint8 images, with its per-epoch ``history.json``).
Checkpoints every epoch in ``work_dir`` and resumes there."""

from __future__ import annotations

import os

from components import base
from evoshift_tf import configs, defenses, models, training
from evoshift_tf.models import victim



def check(params):
    """Model, strategy and recipe are valid (before any data is read or step runs)."""
    params = dict(params)
    model_name, strategy_name = params.pop("model"), params.pop("strategy")
    victim.check(model_name, params["dropout"], params["weight_decay"])
    if strategy_name not in training.STRATEGIES:
        raise ValueError(f"unknown strategy {strategy_name!r}; known: {list(training.STRATEGIES)}")
    for name in (n for n in params.pop("preprocessing").split(",") if n):
        if name not in defenses.NAMES:
            raise ValueError(f"unknown preprocessing {name!r}; known: {list(defenses.NAMES)}")
    for key in ("dropout", "weight_decay"):
        if not 0.0 <= params.pop(key) < (1.0 if key == "dropout" else float("inf")):
            raise ValueError(f"{key} out of range")
    return model_name, strategy_name, configs.from_dict(training.TrainConfig, params)


def route_outputs(outputs, params):
    """Under ``multiworker`` every worker runs this step (collective ops need all of them);
    only the chief writes the real output folder, the others write throw-away folders."""
    if params["strategy"] != "multiworker" or training.tf_config_is_chief():
        return outputs
    import tempfile
    scratch = tempfile.mkdtemp(prefix="evoshift-nonchief-")
    return {k: os.path.join(scratch, k) for k in outputs}


def execute(inputs, outputs, params, work_dir):
    model_name, strategy_name, config = check(params)
    dataset = base.load_dataset(inputs["dataset"])
    info = dataset.info
    strategy = training.make_strategy(strategy_name)
    recipe = {"dropout": params["dropout"], "weight_decay": params["weight_decay"]}
    names = [n for n in params["preprocessing"].split(",") if n]

    def build():
        layers = [layer for n in names for layer in defenses.get(n, info.image_shape)]
        return victim.build(model_name, info.image_shape, info.num_classes,
                            preprocessing=layers, **recipe)

    result = training.train(build, dataset.train.x, dataset.train.y, config, strategy,
                            checkpoint_dir=os.path.join(work_dir, "checkpoint"))
    training.export(result.model, outputs["model"], strategy)
    base.write_json(os.path.join(outputs["model"], "history.json"), result.history)
    base.write_json(os.path.join(outputs["model"], "info.json"), info.to_json())


SPEC = base.ComponentSpec(
    name="train_victim", inputs={"dataset": base.DATASET}, outputs={"model": base.MODEL},
    parameters={
        "model": base.Parameter(str, "graynet", "victim: a registry name "
                                f"({', '.join(models.names())}), a .keras file (re-initialised, "
                                "trained from scratch) or module:function returning a Keras "
                                "model (see evoshift_tf.models.victim)"),
        "strategy": base.Parameter(str, "default", f"tf.distribute strategy "
                                   f"{list(training.STRATEGIES)} (multiworker: from TF_CONFIG)"),
        "dropout": base.Parameter(float, 0.0, "dropout rate before the head (paper Fig. 7: 0.4)"),
        "weight_decay": base.Parameter(float, 0.0, "L2 coefficient on kernels (paper: 0.01)"),
        "preprocessing": base.Parameter(str, "", "comma-separated input defenses/augmentation "
                                        f"from {list(defenses.NAMES)}"),
        **base.params_from_config(training.TrainConfig, configs.field_docs(training.TrainConfig)),
    },
    executor=execute, check=check, route_outputs=route_outputs)

if __name__ == "__main__":
    base.main(SPEC)
