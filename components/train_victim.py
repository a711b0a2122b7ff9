"""train_victim: Dataset -> Model (a Keras model from the zoo trained with a custom loop under a
``tf.distribute`` strategy; saved as ``model.keras`` and exported as a SavedModel
``saved_model/`` serving uint8 images, with its per-epoch ``history.json``).
Checkpoints every epoch in ``work_dir`` and resumes there. Writes each epoch's numbers as
TensorBoard scalars ``victim/<field>`` (loss, train accuracy, seconds) to
``<run_root>/tensorboard/<step>`` (:func:`components.artifacts.tensorboard_dir`); view a run with
``tensorboard --logdir <run_root>/tensorboard``.

Input defenses are layers named in ``preprocessing`` (``evoshift_tf.victims.defenses.NAMES``: median,
noise, JPEG, grayscale, bit depth, RandAugment, augmentation); MixUp/CutMix are ``mixing``, PGD
adversarial training ``adversarial_steps`` (with ``adversarial_eps``, ``adversarial_step_size``),
vibCE the ``vib`` model."""

from __future__ import annotations

import os
import shutil

from components import artifacts, base, cli
from evoshift_tf.errors import UnknownNameError
from evoshift_tf import configs, models
from evoshift_tf.victims import defenses, recipe as recipe_lib, training


def check(params):
    """Strategy and recipe are valid (before any data is read or step runs); returns
    ``(VictimRecipe, strategy name, seed)``."""
    params = dict(params)
    strategy_name, seed = params.pop("strategy"), params.pop("seed")
    if strategy_name not in training.STRATEGIES:
        raise UnknownNameError(f"unknown strategy {strategy_name!r}; known: {list(training.STRATEGIES)}")
    recipe = recipe_lib.VictimRecipe.from_params(**params)
    recipe.validate()
    return recipe, strategy_name, seed


def route_outputs(outputs, params):
    """Under ``multiworker`` every worker runs this step (collective ops need all of them);
    only the chief writes the real output folder, the others write throw-away folders."""
    if params["strategy"] != "multiworker" or training.tf_config_is_chief():
        return outputs
    import tempfile
    scratch = tempfile.mkdtemp(prefix="evoshift-nonchief-")
    return {k: os.path.join(scratch, k) for k in outputs}


def execute(inputs, outputs, params, work_dir):
    recipe, strategy_name, seed = check(params)
    dataset = artifacts.load_dataset(inputs["dataset"])
    info = dataset.info
    strategy = training.make_strategy(strategy_name)
    victim = recipe.build(info.image_shape, info.num_classes, seed, seed_defenses=False)
    checkpoint_dir = os.path.join(work_dir, "checkpoint")
    board = artifacts.tensorboard_dir(outputs["model"])
    if not os.path.isdir(checkpoint_dir):      # a fresh start: drop an earlier run's curves
        shutil.rmtree(board, ignore_errors=True)
    result = victim.train(dataset.train.x, dataset.train.y, strategy=strategy,
                          checkpoint_dir=checkpoint_dir, tensorboard_dir=board)
    training.export(result.model, outputs["model"], strategy)
    artifacts.write_json(os.path.join(outputs["model"], "history.json"), result.history)
    artifacts.write_json(os.path.join(outputs["model"], "info.json"), info.to_json())


SPEC = base.ComponentSpec(
    name="train_victim", inputs={"dataset": artifacts.DATASET}, outputs={"model": artifacts.MODEL},
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
                                        f"from {list(defenses.NAMES)} (also jpeg<1..100>[_test], "
                                        "bits<1..8>[_test])"),
        **base.params_from_config(training.TrainConfig, configs.field_docs(training.TrainConfig)),
    },
    executor=execute, check=check, route_outputs=route_outputs)

if __name__ == "__main__":
    cli.main(SPEC)
