"""evaluate: Model + clean Dataset (+ poisoned Dataset, + PixelAttack) -> Metrics: clean test
accuracy, poisoned train accuracy, per-class accuracy, confusion matrix, alpha_S (Eq. (12)),
alpha_N (Eq. (13)) and the proxy A-distance of the poisoned training images (Eq. (7))."""

from __future__ import annotations

import os

import keras

from components import artifacts, base, cli
from evoshift_tf import evaluate


def execute(inputs, outputs, params, work_dir):
    clean = artifacts.load_dataset(inputs["dataset"])
    model = keras.saving.load_model(os.path.join(inputs["model"], "model.keras"))
    poisoned = artifacts.load_dataset(inputs["poisoned"]) if "poisoned" in inputs else None
    attack = artifacts.load_attack(inputs["attack"], clean.info) if "attack" in inputs else None
    report = evaluate.evaluate(model, clean, poisoned.train if poisoned else None, attack,
                                 max_train=params["max_train_images"], seed=params["seed"],
                                 overlay_images=params["overlay_images"])
    report.update({"arm": params["arm"], "victim_seed": params["victim_seed"]})
    artifacts.write_json(os.path.join(outputs["metrics"], "metrics.json"), report)


SPEC = base.ComponentSpec(
    name="evaluate",
    inputs={"model": artifacts.MODEL, "dataset": artifacts.DATASET, "poisoned": artifacts.DATASET,
            "attack": artifacts.ATTACK},
    optional_inputs=("poisoned", "attack"),
    outputs={"metrics": artifacts.METRICS},
    parameters={
        "arm": base.Parameter(str, "", "label of this model in reports (clean, evoshift, random)"),
        "victim_seed": base.Parameter(int, 0, "the victim's training seed, for reports"),
        "overlay_images": base.Parameter(int, 2000, "clean test images overlaid with each "
                                         "class's pattern for alpha_N, Eq. (13) (0 = all)"),
        "max_train_images": base.Parameter(int, 10000, "training images used for the poisoned "
                                           "train accuracy and the A-distance (0 = all)"),
        "seed": base.Parameter(int, 0, "seed of the train subset and the discriminator"),
    },
    executor=execute)

if __name__ == "__main__":
    cli.main(SPEC)
