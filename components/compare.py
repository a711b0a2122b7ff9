"""compare: Metrics of every victim of a sweep -> Report: one row per recipe (mean and std over
its victims) as ``comparison.json`` and ``comparison.md``, and a bar chart ``comparison.png``."""

from __future__ import annotations

import os

from components import artifacts, base, cli
from evoshift_tf import figures, summary

KEYS = ("clean_test_accuracy", "poisoned_train_accuracy", "alpha_S", "alpha_N")


def execute(inputs, outputs, params, work_dir):
    dirs = inputs["metrics"]
    rows = [artifacts.read_json(os.path.join(d, "metrics.json"))
            for d in ([dirs] if isinstance(dirs, str) else dirs)]
    table = summary.by_arm(rows, keys=KEYS, order=())
    out = outputs["report"]
    artifacts.write_json(os.path.join(out, "comparison.json"), {"recipes": table, "victims": rows})
    with open(os.path.join(out, "comparison.md"), "w") as f:
        f.write(summary.markdown(table, KEYS, name="arm", title="recipe") + "\n")
    figures.arm_bars(os.path.join(out, "comparison.png"), table,
                   keys=("clean_test_accuracy", "poisoned_train_accuracy", "alpha_S"))


SPEC = base.ComponentSpec(name="compare", inputs={"metrics": artifacts.METRICS},
                          outputs={"report": artifacts.REPORT}, parameters={}, executor=execute)

if __name__ == "__main__":
    cli.main(SPEC)
