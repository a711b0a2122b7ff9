"""baseline: a reference attack in the same file format as EvoShift's (Table 4 "Random")."""

from __future__ import annotations

import os

from components import base
from evoshift_tf import attack


def execute(inputs, outputs, params, work_dir):
    info = base.load_dataset(inputs["dataset"]).info
    if params["method"] != "random":
        raise ValueError(f"unknown baseline {params['method']!r}; known: ['random']")
    a = attack.random_attack(info.num_classes, params["num_pixels"], info.image_shape,
                             params["seed"])
    attack.save(a, os.path.join(outputs["attack"], "attack.json"))


SPEC = base.ComponentSpec(
    name="baseline", inputs={"dataset": base.DATASET}, outputs={"attack": base.ATTACK},
    parameters={
        "method": base.Parameter(str, "random", "baseline attack: random (uniform positions and "
                                 "values, the search's starting distribution)"),
        "num_pixels": base.Parameter(int, 1, "N_p, pixels per class"),
        "seed": base.Parameter(int, 0, "random seed (same seed = the search's x0)"),
    },
    executor=execute)

if __name__ == "__main__":
    base.main(SPEC)
