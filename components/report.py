"""report: Metrics of every victim (+ attack, history, dataset) -> Report: summary table
(JSON, Markdown), Fig. 4 poisoned-sample grid, Fig. 5 search curve, bar chart of the arms."""

from __future__ import annotations

import os

from components import artifacts, base, cli
from evoshift_tf import figures, summary


def execute(inputs, outputs, params, work_dir):
    metrics_dirs = inputs["metrics"]
    metrics_dirs = [metrics_dirs] if isinstance(metrics_dirs, str) else list(metrics_dirs)
    rows = [artifacts.read_json(os.path.join(d, "metrics.json")) for d in metrics_dirs]
    table = summary.by_arm(rows)
    out = outputs["report"]
    artifacts.write_json(os.path.join(out, "summary.json"), {"arms": table, "victims": rows})
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(summary.markdown(table, summary.ARM_KEYS, name="arm", title="arm") + "\n")
    figures.arm_bars(os.path.join(out, "arms.png"), table)
    if "dataset" in inputs and "attack" in inputs:
        dataset = artifacts.load_dataset(inputs["dataset"])
        attack = artifacts.load_attack(inputs["attack"], dataset.info)
        figures.poisoned_grid(os.path.join(out, "poisoned_samples.png"), attack, dataset.train,
                            dataset.info)
    if "history" in inputs:
        figures.search_curve(os.path.join(out, "search_curve.png"),
                           artifacts.read_json(os.path.join(inputs["history"], "history.json")))


SPEC = base.ComponentSpec(
    name="report",
    inputs={"metrics": artifacts.METRICS, "dataset": artifacts.DATASET, "attack": artifacts.ATTACK,
            "history": artifacts.HISTORY},
    optional_inputs=("dataset", "attack", "history"),
    outputs={"report": artifacts.REPORT}, parameters={}, executor=execute)

if __name__ == "__main__":
    cli.main(SPEC)
