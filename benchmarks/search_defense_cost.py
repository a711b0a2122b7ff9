"""What a defense inside the search costs: one generation's time per defense, as a ratio to the
undefended generation measured in the same run.

    python -m benchmarks.search_defense_cost          # Fashion-MNIST, about 5 minutes on 2 cores
    python -m benchmarks.search_defense_cost --dataset=PATH_TO_CIFAR10_FOLDER --per_class=500

One generation = the default search's work for one population (``SearchConfig``: P = 8
candidates, batch 32, one epoch on ``--per_class`` images per class, the cost on the held-out
images, the discriminator), scored by ``PopulationEvaluator`` with ``defenses`` set to one
defense, or to all of them (each candidate then trains once per defense). Defenses are timed in
turns, ``--repeats`` rounds, after one untimed generation each (graph tracing); the table gives
the median seconds and the ratio to ``none``. Writes JSON with the CPU flags.
"""

from __future__ import annotations

import os
import time

import numpy as np
from absl import app, flags

from evoshift_tf import atomic, attack, data, hardware, search
from evoshift_tf import summary
from evoshift_tf.search import scorer, strategy

FLAGS = flags.FLAGS


def define_flags() -> None:
    flags.DEFINE_string("dataset", "fashion_mnist", "dataset name, .npz or image folder")
    flags.DEFINE_string("settings", "none;median3;jpeg10;bits4;augment;cutmix;"
                        "median3,jpeg10,augment,cutmix",
                        "';'-separated settings to time, each a SearchConfig.defenses value "
                        "(several comma-separated defenses train every candidate once per "
                        "defense); none: undefended")
    flags.DEFINE_integer("per_class", 1000, "fit images per class")
    flags.DEFINE_integer("repeats", 2, "timed rounds")
    flags.DEFINE_string("out", "", "JSON path (default benchmarks/results/"
                        "search_defense_cost_<dataset>.json)")


def settings() -> list[str]:
    return [s.strip() for s in FLAGS.settings.split(";") if s.strip()]


def evaluator_for(dataset, setting: str) -> scorer.PopulationEvaluator:
    """The default search's scorer through ``setting``, traced (one generation run)."""
    config = search.SearchConfig(defenses="" if setting == "none" else setting,
                                 per_class=FLAGS.per_class)
    _, fit, holdout = strategy.search_split(dataset, config)
    evaluator = scorer.PopulationEvaluator(fit, holdout, dataset.info, config.population,
                                           config.evaluator_config())
    evaluator(_genomes(dataset.info, config.population), 0)
    return evaluator


def _genomes(info, population: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(size=(population, attack.genome_size(
        info.num_classes, 1, info.channels)))


def timed(evaluator, generation: int) -> float:
    start = time.perf_counter()
    evaluator(_genomes(evaluator.info, evaluator.population_size), generation)
    return time.perf_counter() - start


def main(argv):
    del argv
    dataset = data.load(FLAGS.dataset)
    names = settings()
    for s in names:
        if s != "none":
            search.SearchConfig(defenses=s)                 # unknown names fail first
    evaluators = {s: evaluator_for(dataset, s) for s in names}
    times = {s: [] for s in names}
    for r in range(FLAGS.repeats):          # in turns: a change in load hits every setting
        for s in names:
            times[s].append(timed(evaluators[s], r + 1))
    base = float(np.median(times["none"])) if "none" in times else None
    rows = [{"defenses": s, "seconds": round(float(np.median(t)), 2),
             "ratio_to_none": None if base is None else round(float(np.median(t)) / base, 2),
             "all_seconds": [round(x, 2) for x in t]} for s, t in times.items()]
    out = FLAGS.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                    f"search_defense_cost_{dataset.info.name}.json")
    atomic.write_json(out, {"rows": rows, "machine": hardware.machine(),
                            "per_class": FLAGS.per_class, "dataset": dataset.info.name,
                            "measured": time.strftime("%Y-%m-%d")})
    print(f"machine: {hardware.machine()}")
    print(summary.text_table(rows, ["defenses", "seconds", "ratio_to_none"],
                             f"one search generation (P = 8) on {dataset.info.name}"))


if __name__ == "__main__":
    define_flags()
    app.run(main)
