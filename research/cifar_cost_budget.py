"""How much training must a search candidate get on CIFAR-10 before the cost tells attacks apart?

    python -m research.cifar_cost_budget --dataset=<cifar10 folder>       # about 15 min here

On Fashion-MNIST one epoch on 500 images per class ranks attacks; on CIFAR-10 (ColorNet, 1 epoch
on 500 per class) the search's candidates scored -0.02 to -0.09 while the One-Pixel Shortcut it
injected scored -2.69 (``docs/cifar10.md``). This scores fixed attacks (the committed CIFAR-10
baselines and EvoShift attack, random draws) with the search's own scorer at several candidate
budgets (``--configs``: ``SearchConfig`` overrides, each scored over ``--repeats`` generations)
and prints, per budget, each attack's cost (mean and spread over repeats) and the seconds per
generation. Writes ``research/results/cifar_cost_budget.json``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time

import numpy as np
from absl import app, flags

from evoshift_tf import atomic, attack, baselines, data, hardware, search
from evoshift_tf.search import scorer
from evoshift_tf.studies.reproduction import driver

FLAGS = flags.FLAGS


def define_flags() -> None:
    """Flags, defined only when run as a script."""
    flags.DEFINE_string("dataset", None, "CIFAR-10 image folder (train/<class>, test/<class>)")
    flags.DEFINE_multi_string("configs", ['{"epochs": 1}', '{"epochs": 3}',
                                          '{"epochs": 1, "defenses": "cropflip"}',
                                          '{"epochs": 3, "defenses": "cropflip"}'],
                              "SearchConfig overrides, one JSON object per budget")
    flags.DEFINE_integer("repeats", 2, "generations (init and batch-order seeds) per budget")
    flags.DEFINE_integer("per_class", 500, "fit images per class")
    flags.DEFINE_string("evoshift_attack",
                        "benchmarks/results/attacks_cifar10_jpeg75/evoshift_np1_seed0.json",
                        "the EvoShift attack scored beside the baselines (its sha256 is recorded: "
                        "the committed result scored an earlier search's seed-0 attack)")
    flags.DEFINE_string("out", "research/results/cifar_cost_budget.json", "result JSON")


def attacks_to_score(train, num_classes: int) -> dict[str, attack.PixelAttack]:
    """The baselines, ``--evoshift_attack`` (if the file exists) and random placements: 8 at
    most (one generation)."""
    named = {"ops": baselines.get("ops", train, num_classes),
             "jacobsen": baselines.get("jacobsen", train, num_classes)}
    if os.path.exists(FLAGS.evoshift_attack):
        named["evoshift_seed0"] = attack.load(FLAGS.evoshift_attack)
    for s in range(8 - len(named)):
        named[f"random_{s}"] = baselines.get("random", train, num_classes, seed=s)
    return named


def score(ds, named: dict, overrides: dict) -> dict:
    """Each attack's cost under ``overrides``: ``{name: [cost per repeat]}`` and seconds."""
    config = search.SearchConfig(per_class=FLAGS.per_class, **overrides)
    config = dataclasses.replace(config, model=config.search_model(ds.info.image_shape[-1]))
    _, fit, holdout = search.search_split(ds, config)
    genomes = np.stack([attack.encode(a) for a in named.values()])
    evaluator = scorer.PopulationEvaluator(fit, holdout, ds.info, len(genomes), config)
    costs, seconds = [], []
    for r in range(FLAGS.repeats):
        t = time.time()
        costs.append(evaluator(genomes, generation=r).semantic.tolist())
        seconds.append(time.time() - t)
    return {"costs": dict(zip(named, np.array(costs).T.tolist())), "seconds": seconds}


def main(argv):
    del argv
    ds = data.load(FLAGS.dataset)
    named = attacks_to_score(ds.train, ds.info.num_classes)
    rows = []
    for text in FLAGS.configs:
        overrides = json.loads(text)
        result = score(ds, named, overrides)
        rows.append({"overrides": overrides, **result})
        print(f"\n{text}: {np.mean(result['seconds']):.0f} s per generation")
        for name, c in result["costs"].items():
            print(f"  {name:16s} {np.mean(c):7.3f}  (repeats {', '.join(f'{v:.3f}' for v in c)})")
    scored = ({"evoshift_attack": FLAGS.evoshift_attack,
               "evoshift_attack_sha256": driver.file_sha256(FLAGS.evoshift_attack)}
              if "evoshift_seed0" in named else {})
    atomic.write_json(FLAGS.out, {"dataset": ds.info.name, "per_class": FLAGS.per_class,
                                  **scored, "rows": rows, "machine": hardware.machine(),
                                  "measured": time.strftime("%Y-%m-%d")})


if __name__ == "__main__":
    define_flags()
    flags.mark_flag_as_required("dataset")
    app.run(main)
