"""poison: Dataset + PixelAttack -> poisoned Dataset (training split poisoned by label; the test
split stays clean). All classes, the first k classes (Sec. VIII-C) or a fraction of each."""

from __future__ import annotations

import os

import numpy as np

from components import artifacts, base, cli
from evoshift_tf import attack, data


def execute(inputs, outputs, params, work_dir):
    dataset = artifacts.load_dataset(inputs["dataset"])
    a = artifacts.load_attack(inputs["attack"], dataset.info)
    classes = None if params["classes"] < 0 else params["classes"]
    mask = attack.poison_mask(dataset.train.y, dataset.info.num_classes, classes,
                              params["rate"], params["seed"])
    x = attack.apply(a, dataset.train.x, dataset.train.y, mask)
    poisoned = data.Dataset(dataset.info, data.Split(x, dataset.train.y), dataset.test)
    artifacts.save_dataset(outputs["poisoned"], poisoned)
    np.save(os.path.join(outputs["poisoned"], "poisoned_mask.npy"), mask)


SPEC = base.ComponentSpec(
    name="poison", inputs={"dataset": artifacts.DATASET, "attack": artifacts.ATTACK},
    outputs={"poisoned": artifacts.DATASET},
    parameters={
        "classes": base.Parameter(int, -1, "attack only classes 0..k-1 (Sec. VIII-C); -1 = all"),
        "rate": base.Parameter(float, 1.0, "fraction of each attacked class's training images "
                               "poisoned, in (0, 1]"),
        "seed": base.Parameter(int, 0, "seed of the draw when rate < 1"),
    },
    executor=execute)

if __name__ == "__main__":
    cli.main(SPEC)
