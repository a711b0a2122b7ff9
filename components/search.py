"""search: EvoShift (CMA-ES, Algorithm 1) on a Dataset's training split -> PixelAttack +
SearchHistory. The search checkpoints every generation in ``work_dir`` and resumes there."""

from __future__ import annotations

import os

from components import base
from evoshift_tf import configs, data, search


def check(params):
    """The search budget is valid (``SearchConfig`` raises a clear error otherwise)."""
    configs.from_dict(search.SearchConfig,
                      {k: v for k, v in params.items() if k != "monitor_per_class"})
    if params["monitor_per_class"] < 0:
        raise ValueError(f"monitor_per_class={params['monitor_per_class']} must be >= 0")


def execute(inputs, outputs, params, work_dir):
    dataset = base.load_dataset(inputs["dataset"])
    params = dict(params)
    monitor_per_class = params.pop("monitor_per_class")
    config = configs.from_dict(search.SearchConfig, params)
    monitor = (data.balanced_subset(dataset.test, monitor_per_class, dataset.info.num_classes)
               if monitor_per_class > 0 else None)
    result = search.run(dataset, config, checkpoint_dir=os.path.join(work_dir, "search"),
                        monitor=monitor)
    from evoshift_tf import attack
    attack.save(result.best_attack, os.path.join(outputs["attack"], "attack.json"))
    base.write_json(os.path.join(outputs["history"], "history.json"), result.history)
    _write_csv(os.path.join(outputs["history"], "history.csv"), result.history)


def _write_csv(path, rows):
    keys = list(rows[0]) if rows else []
    with open(path, "w") as f:
        f.write(",".join(keys) + "\n")
        for r in rows:
            f.write(",".join("" if r.get(k) is None else str(r.get(k)) for k in keys) + "\n")


SPEC = base.ComponentSpec(
    name="search", inputs={"dataset": base.DATASET},
    outputs={"attack": base.ATTACK, "history": base.HISTORY},
    parameters={**base.params_from_config(search.SearchConfig,
                                          configs.field_docs(search.SearchConfig)),
                "monitor_per_class": base.Parameter(
                    int, 100, "test images per class whose accuracy under each generation's best "
                    "candidate is recorded for the Fig. 5 plot only (never used by the search; 0 = off)")},
    executor=execute, check=check)

if __name__ == "__main__":
    base.main(SPEC)
