"""Does the final selection pick the finalist whose victim fails most?

    python -m benchmarks.selection_ranking                  # about an hour on a 2-core AVX-512 CPU
    python -m benchmarks.selection_ranking --search_seeds=0  # about 20 min

For each search seed, the default search runs once to its finalists (the archive's best and the
CMA-ES mean, what ``SearchConfig.reevaluate`` re-scores); every finalist is judged by the
strength benchmark's victims (:func:`evoshift_tf.strength.judge`: GrayNet, 5 epochs on the full
poisoned set, clean test accuracy). Each finalist is then re-scored as the selection does
(``--repeats`` generations, from generation ``SearchConfig.generations`` on) on ``--per_class``
fit images per class, and every statistic the scorer gives is read as a selection rule: per
seed, Spearman's rank correlation with the victims and the victim of the finalist it picks.
The finalists and their victims are cached under ``--out_dir``, so a rerun only re-scores.
Prints a table and writes ``selection_ranking.json``.
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
from absl import app, flags, logging

from evoshift_tf import atomic, attack, data, search, strength, summary
from evoshift_tf.search import population, scorer

FLAGS = flags.FLAGS
flags.DEFINE_list("search_seeds", ["0", "1", "2"], "search seeds whose finalists are judged")
flags.DEFINE_list("per_class", ["500", "1000", "2000"], "fit images per class when re-scoring")
flags.DEFINE_integer("repeats", 2, "re-scoring generations per finalist")
flags.DEFINE_integer("victim_epochs", 5, "epochs of each judging victim on the full set")
flags.DEFINE_string("out_dir", "benchmarks/results", "where the JSON and the finalists go")

STATISTICS = {  # name -> (what it reads from a GenerationResult; lower = stronger attack)
    "search cost (mismatch + discriminator)": lambda r: r.costs,
    "mismatch (Eq. (6))": lambda r: r.semantic,
    "score (Algorithm 1, step 4: true-class probability)": lambda r: r.stats.clean_true_prob,
    "clean held-out accuracy": lambda r: r.stats.clean_accuracy,
}


def finalists(dataset, seed: int) -> list[attack.PixelAttack]:
    """The default search's finalists for ``seed`` (cached as attack files)."""
    folder = os.path.join(FLAGS.out_dir, "selection_finalists", f"seed{seed}")
    if os.path.isdir(folder):
        names = sorted(os.listdir(folder), key=lambda n: int(n.split(".")[0]))
        return [attack.load(os.path.join(folder, n)) for n in names]
    config = search.SearchConfig(seed=seed, selection_repeats=1)
    _, fit, holdout = search.search_split(dataset, config)
    evaluator = scorer.PopulationEvaluator(fit, holdout, dataset.info, config.population,
                                           config.evaluator_config())
    asked = []

    def recording(genomes, generation):
        if generation == config.generations:      # the selection's repeat, a population at a time
            asked.append(genomes.copy())
        return evaluator(genomes, generation)

    result = search.run(dataset, config, evaluator=recording)
    genomes = np.concatenate(asked)[:len(result.selection)]
    attacks = attack.decode(genomes, dataset.info.num_classes, 1, dataset.info.image_shape)
    for i, a in enumerate(attacks):
        attack.save(dataclasses.replace(a, provenance={"method": "evoshift finalist",
                                                       "seed": seed, "finalist": i}),
                    os.path.join(folder, f"{i}.json"))
    return attacks


def rescored(dataset, attacks, seed: int, per_class: int) -> dict[str, np.ndarray]:
    """Every statistic of ``attacks`` re-scored as the selection does, averaged over repeats."""
    config = search.SearchConfig(seed=seed)
    _, fit, holdout = search.search_split(dataset, config, per_class)
    evaluator = scorer.PopulationEvaluator(fit, holdout, dataset.info, len(attacks),
                                           config.evaluator_config())
    genomes = np.stack([attack.encode(a) for a in attacks])
    runs = [evaluator(genomes, config.generations + r) for r in range(FLAGS.repeats)]
    return {name: np.mean([read(r) for r in runs], 0) for name, read in STATISTICS.items()}


def main(argv):
    del argv
    logging.set_verbosity(logging.INFO)
    dataset = data.load("fashion_mnist")
    json_path = os.path.join(FLAGS.out_dir, "selection_ranking.json")
    seeds = [int(s) for s in FLAGS.search_seeds]
    cached = {}
    if os.path.exists(json_path):
        with open(json_path) as f:
            cached = {(r["seed"], r["finalist"]): r["victim_clean_test_accuracy"]
                      for r in json.load(f)["finalists"]}
    finalist_rows = []
    found = {seed: finalists(dataset, seed) for seed in seeds}
    for seed, attacks in found.items():
        if not all((seed, i) in cached for i in range(len(attacks))):
            judged = strength.judge(attacks, dataset, strength.JudgeRecipe(epochs=FLAGS.victim_epochs))
            cached.update({(seed, i): r["clean_test_accuracy"] for i, r in enumerate(judged)})
        finalist_rows += [{"seed": seed, "finalist": i, "victim_clean_test_accuracy": cached[seed, i]}
                          for i in range(len(attacks))]
    rules = []
    for per_class in (int(p) for p in FLAGS.per_class):
        per_seed = {}
        for seed, attacks in found.items():
            victims = np.array([cached[seed, i] for i in range(len(attacks))])
            per_seed[seed] = (victims, rescored(dataset, attacks, seed, per_class))
        for name in STATISTICS:
            rho = [summary.rank_correlation(stats[name], v) for v, stats in per_seed.values()]
            picked = [float(v[int(np.argmin(stats[name]))]) for v, stats in per_seed.values()]
            rules.append({"per_class": per_class, "statistic": name, "spearman": rho,
                          "picked_victim": picked, "picked_mean": float(np.mean(picked))})
    best = [float(min(cached[s, i] for (t, i) in cached if t == s)) for s in seeds]
    atomic.write_json(json_path, {"finalists": finalist_rows, "rules": rules,
                                  "best_finalist_victim": best, "repeats": FLAGS.repeats,
                                  "victim_epochs": FLAGS.victim_epochs,
                                  "machine": population.machine()})
    print(summary.markdown_table(
        ["fit images per class", "statistic", "Spearman per seed", "picked victims", "mean"],
        [[r["per_class"], r["statistic"], ", ".join(f"{x:+.2f}" for x in r["spearman"]),
          ", ".join(f"{x:.3f}" for x in r["picked_victim"]), f"{r['picked_mean']:.3f}"]
         for r in rules]))
    print("best finalist's victim per seed:", ", ".join(f"{b:.3f}" for b in best))
    print("wrote", json_path)


if __name__ == "__main__":
    app.run(main)
