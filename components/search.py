"""search: EvoShift (CMA-ES, Algorithm 1) on a Dataset's training split -> PixelAttack +
SearchHistory. The search checkpoints every generation in ``work_dir`` and resumes there, and
writes each generation's history row as TensorBoard scalars ``search/<field>`` (best and mean
cost, ...) to ``<run_root>/tensorboard/<step>`` (:func:`components.artifacts.tensorboard_dir`).

With the optional input ``start_attack`` (an attack artifact: a baseline's, an earlier search's,
an imported one) the search starts from that attack (``search.run``'s ``seed_attacks``): it is
evaluated in the first generation and kept as a finalist, and it is returned unless a found
attack beats it by ``start_margin`` standard errors; with ``start_sigma`` > 0 the search is a
local one around it. It must match the dataset's image shape and classes; one with fewer pixels
than ``num_pixels`` grows (``attack.extend``: N_p = 1 -> 5, as the strength benchmark does)."""

from __future__ import annotations

import os

from components import artifacts, base, cli
from evoshift_tf import configs, data, search


def check(params):
    """The search budget is valid (``SearchConfig`` raises a clear error otherwise)."""
    configs.from_dict(search.SearchConfig,
                      {k: v for k, v in params.items() if k != "monitor_per_class"})
    if params["monitor_per_class"] < 0:
        raise ValueError(f"monitor_per_class={params['monitor_per_class']} must be >= 0")


def execute(inputs, outputs, params, work_dir):
    dataset = artifacts.load_dataset(inputs["dataset"])
    params = dict(params)
    monitor_per_class = params.pop("monitor_per_class")
    config = configs.from_dict(search.SearchConfig, params)
    monitor = (data.balanced_subset(dataset.test, monitor_per_class, dataset.info.num_classes)
               if monitor_per_class > 0 else None)
    starts = ((artifacts.load_attack(inputs["start_attack"], dataset.info),)
              if "start_attack" in inputs else ())
    checkpoint_dir = os.path.join(work_dir, "search")
    tensorboard = TensorBoardScalars(artifacts.tensorboard_dir(outputs["history"]),
                                     fresh=not _has_files(checkpoint_dir))
    try:
        result = search.run(dataset, config, checkpoint_dir=checkpoint_dir, monitor=monitor,
                            callbacks=(tensorboard,), seed_attacks=starts)
    finally:
        tensorboard.close()
    from evoshift_tf import attack
    attack.save(result.best_attack, os.path.join(outputs["attack"], "attack.json"))
    artifacts.write_json(os.path.join(outputs["history"], "history.json"), result.history)
    _write_csv(os.path.join(outputs["history"], "history.csv"), result.history)


def _has_files(folder):
    return os.path.isdir(folder) and bool(os.listdir(folder))


class TensorBoardScalars:
    """A search callback: every numeric field of a generation's history row (``best_cost``,
    ``mean_cost``, ``best_semantic``, ``sigma``, ...) as the scalar ``search/<field>`` at step
    ``generation``, in ``logdir``. ``fresh``: the search starts over (no checkpoint), so event
    files of an earlier run in ``logdir`` are removed instead of overlaid."""

    def __init__(self, logdir: str, fresh: bool = True):
        import tensorflow as tf
        if fresh and os.path.isdir(logdir):
            for name in os.listdir(logdir):
                if name.startswith("events.out.tfevents."):
                    os.remove(os.path.join(logdir, name))
        os.makedirs(logdir, exist_ok=True)
        self.logdir = logdir
        self._writer = tf.summary.create_file_writer(logdir)

    def __call__(self, row: dict) -> None:
        from evoshift_tf.victims.training import write_scalar
        with self._writer.as_default():
            for key, value in row.items():
                if key != "generation" and isinstance(value, (int, float)) \
                        and not isinstance(value, bool):
                    write_scalar(f"search/{key}", value, step=int(row["generation"]))
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()


def _write_csv(path, rows):
    keys = list(rows[0]) if rows else []
    with open(path, "w") as f:
        f.write(",".join(keys) + "\n")
        for r in rows:
            f.write(",".join("" if r.get(k) is None else str(r.get(k)) for k in keys) + "\n")


SPEC = base.ComponentSpec(
    name="search", inputs={"dataset": artifacts.DATASET, "start_attack": artifacts.ATTACK},
    optional_inputs=("start_attack",),
    outputs={"attack": artifacts.ATTACK, "history": artifacts.HISTORY},
    parameters={**base.params_from_config(search.SearchConfig,
                                          configs.field_docs(search.SearchConfig)),
                "monitor_per_class": base.Parameter(
                    int, 100, "test images per class whose accuracy under each generation's best "
                    "candidate is recorded for the Fig. 5 plot only (never used by the search; 0 = off)")},
    executor=execute, check=check)

if __name__ == "__main__":
    cli.main(SPEC)
