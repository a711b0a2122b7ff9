"""baseline: a reference attack in the same file format as EvoShift's (random placement, the
Jacobsen et al. 2018 heuristic, One-Pixel Shortcut; see ``evoshift_tf.baselines``)."""

from __future__ import annotations

import os

from components import artifacts, base, cli
from evoshift_tf import attack, baselines


def execute(inputs, outputs, params, work_dir):
    dataset = artifacts.load_dataset(inputs["dataset"])
    a = baselines.get(params["method"], dataset.train, dataset.info.num_classes,
                      params["num_pixels"], params["seed"], params["patch_size"])
    attack.save(a, os.path.join(outputs["attack"], "attack.json"))


SPEC = base.ComponentSpec(
    name="baseline", inputs={"dataset": artifacts.DATASET}, outputs={"attack": artifacts.ATTACK},
    parameters={
        "method": base.Parameter(str, "random", f"baseline attack, one of {list(baselines.NAMES)}: "
                                 "random (uniform positions and values, the search's starting "
                                 "distribution), jacobsen (Jacobsen et al. 2018 fixed placement), "
                                 "ops (One-Pixel Shortcut, Wu et al. 2023)"),
        "num_pixels": base.Parameter(int, 1, "N_p, pixels per class"),
        "seed": base.Parameter(int, 0, "random seed (same seed = the search's x0)"),
        "patch_size": base.Parameter(int, 1, "k: random places k x k squares (the search's "
                                     "patch_size, the same L0 budget); 1 for the others"),
    },
    executor=execute)

if __name__ == "__main__":
    cli.main(SPEC)
