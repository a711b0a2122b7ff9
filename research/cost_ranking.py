"""Does the search's cost rank attacks the way full-set victims do?

    python -m research.cost_ranking                                    # about 10 min here
    python -m research.cost_ranking --configs='{"batch_size":128,"term":"score"}'

Reference attacks (hand-made border patterns, the benchmark's committed attacks, the baselines)
are judged by the strength benchmark's victims (:func:`evoshift_tf.strength.judge`: GrayNet,
5 epochs on the full poisoned set) and scored by the search's scorer at each ``--configs``
(a JSON object per config, overrides of ``SearchConfig``; each scored over ``--repeats``
generations). Prints, per config and statistic, Spearman's rank correlation with the victims'
clean test accuracy (a good cost: high correlation for the cost, which the search minimises).
"""

from __future__ import annotations

import glob
import json
import os

import numpy as np
from absl import app, flags

from evoshift_tf import attack, baselines, data, search, strength, summary
from evoshift_tf.search import scorer

FLAGS = flags.FLAGS
flags.DEFINE_multi_string("configs", ['{"batch_size":128,"term":"score"}', '{}'],
                          "SearchConfig overrides, one JSON object per config")
flags.DEFINE_integer("repeats", 4, "generations (init and batch-order seeds) per config")
flags.DEFINE_integer("victim_epochs", 5, "epochs of the judging victims")
flags.DEFINE_string("attack_dir", "benchmarks/results/attacks", "committed N_p=1 attacks")


def reference_attacks(ds) -> dict[str, attack.PixelAttack]:
    shape = ds.info.image_shape
    top = np.array([(0, 2 + 2 * k) for k in range(10)])[:, None, :]

    def border(values):
        return attack.PixelAttack(top, np.array(values)[:, None, None], shape)

    out = {"top255": border([255] * 10), "top_one_invisible": border([255] * 9 + [0]),
           "top_graded": border(np.linspace(255, 30, 10).astype(int))}
    for name in ("ops", "jacobsen", "random"):
        out[name] = baselines.get(name, ds.train, 10, 1)
    for path in sorted(glob.glob(os.path.join(FLAGS.attack_dir, "evoshift_np1_seed*.json"))):
        out[os.path.basename(path)[:-5]] = attack.load(path)
    return out


def main(argv):
    del argv
    ds = data.load("fashion_mnist")
    attacks = reference_attacks(ds)
    truth = np.array([r["clean_test_accuracy"] for r in strength.judge(
        list(attacks.values()), ds, strength.JudgeRecipe(epochs=FLAGS.victim_epochs))])
    genomes = np.stack([attack.encode(a) for a in attacks.values()])
    results = {"victim_clean_test_accuracy": dict(zip(attacks, truth.tolist())), "configs": []}
    for text in FLAGS.configs:
        cfg = search.SearchConfig(**json.loads(text))
        _, fit, hold = search.search_split(ds, cfg)
        ev = scorer.PopulationEvaluator(fit, hold, ds.info, len(attacks), cfg.evaluator_config())
        runs = [ev(genomes, g) for g in range(FLAGS.repeats)]
        stats = {"cost": np.mean([r.costs for r in runs], 0),
                 "semantic": np.mean([r.semantic for r in runs], 0),
                 "heldout_clean_ce": -np.mean([r.stats.clean_ce for r in runs], 0)}
        row = {"config": json.loads(text), **{k: summary.rank_correlation(v, truth) for k, v in stats.items()}}
        results["configs"].append(row)
        print(f"{text:45s} " + "  ".join(f"{k} {v:+.2f}" for k, v in row.items() if k != "config"))
    os.makedirs("research/results", exist_ok=True)
    with open("research/results/cost_ranking.json", "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    app.run(main)
