"""Does the final selection pick the finalist whose victim fails most?

    python -m research.selection_ranking                   # about an hour on a 2-core AVX-512 CPU
    python -m research.selection_ranking --search_seeds=0  # about 20 min
    ONEDNN_MAX_CPU_ISA=AVX2 python -m research.selection_ranking --per_class= \
        --search_seeds=0,1,2,3,4,5 --suffix=_light_search \
        --search_overrides='{"generations": 8, "finalists": 8, "selection_per_class": 1000}'
        # the light budget in float32: about 6 min a seed on a 2-core AVX-512 CPU

For each search seed, the search (``--search_overrides``; by default the default search with
one selection repeat) runs once to its finalists (the archive's best and the CMA-ES mean, what
``SearchConfig.reevaluate`` re-scores) and keeps its own selection table; every finalist is
judged by the strength benchmark's victims (:func:`evoshift_tf.strength.judge`: GrayNet, 5
epochs on the full poisoned set, clean test accuracy). Selection rules are read from the
search's own table (its choice, the lowest first cost, the lowest first cost kept unless beaten
by a margin). With ``--per_class`` each finalist is also re-scored as the selection does
(``--repeats`` generations, from generation ``SearchConfig.generations`` on) on that many fit
images per class, and every statistic the scorer gives is read as a selection rule: per seed,
Spearman's rank correlation with the victims and the victim of the finalist it picks. The
finalists and their victims are cached under ``--out_dir`` (each seed's victims as soon as they
are judged), so a rerun only re-scores. Prints tables and writes
``selection_ranking{--suffix}.json``.
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
from absl import app, flags, logging

from benchmarks import overrides as overrides_lib
from evoshift_tf import atomic, attack, data, search, strength, summary
from evoshift_tf import hardware
from evoshift_tf.search import population, scorer, strategy

FLAGS = flags.FLAGS
flags.DEFINE_list("search_seeds", ["0", "1", "2"], "search seeds whose finalists are judged")
flags.DEFINE_list("per_class", ["500", "1000", "2000"], "fit images per class when re-scoring")
flags.DEFINE_integer("repeats", 2, "re-scoring generations per finalist")
flags.DEFINE_integer("victim_epochs", 5, "epochs of each judging victim on the full set")
flags.DEFINE_string("out_dir", "research/results", "where the JSON and the finalists go")
flags.DEFINE_string("search_overrides", '{"selection_repeats": 1}',
                    "SearchConfig fields of the searches whose finalists are judged (JSON)")
flags.DEFINE_string("suffix", "", "appended to the JSON's and the finalists folder's names, "
                    "e.g. _light_search")

STATISTICS = {  # name -> (what it reads from a GenerationResult; lower = stronger attack)
    "search cost (mismatch + discriminator)": lambda r: r.costs,
    "mismatch (Eq. (6))": lambda r: r.semantic,
    "score (Algorithm 1, step 4: true-class probability)": lambda r: r.stats.clean_true_prob,
    "clean held-out accuracy": lambda r: r.stats.clean_accuracy,
}


def search_config(seed: int) -> search.SearchConfig:
    """The judged searches' configuration: ``--search_overrides`` for search seed ``seed``."""
    return search.SearchConfig(**{**overrides_lib.parse_search_overrides(FLAGS.search_overrides),
                                  "seed": seed})


def finalists(dataset, seed: int) -> tuple[list[attack.PixelAttack], list[dict]]:
    """The search's finalists for ``seed`` and its own selection table (rows in the same
    order: ``first_cost``, ``reevaluated_costs``, ``chosen``, ...), cached as attack files and
    ``selection.json``."""
    folder = os.path.join(FLAGS.out_dir, f"selection_finalists{FLAGS.suffix}", f"seed{seed}")
    table_path = os.path.join(folder, "selection.json")
    if os.path.isdir(folder):
        names = sorted((n for n in os.listdir(folder) if n.split(".")[0].isdigit()),
                       key=lambda n: int(n.split(".")[0]))
        table = []
        if os.path.exists(table_path):
            with open(table_path) as f:
                table = json.load(f)
        return [attack.load(os.path.join(folder, n)) for n in names], table
    config = search_config(seed)
    result = search.run(dataset, config)
    attacks = attack.decode(result.finalists, dataset.info.num_classes, config.num_pixels,
                            dataset.info.image_shape)
    for i, a in enumerate(attacks):
        attack.save(dataclasses.replace(a, provenance={"method": "evoshift finalist",
                                                       "seed": seed, "finalist": i}),
                    os.path.join(folder, f"{i}.json"))
    atomic.write_json(table_path, result.selection)
    return attacks, result.selection


def rescored(dataset, attacks, seed: int, per_class: int) -> dict[str, np.ndarray]:
    """Every statistic of ``attacks`` re-scored as the selection does, averaged over repeats."""
    config = search_config(seed)
    _, fit, holdout = search.search_split(dataset, config, per_class)
    evaluator = scorer.PopulationEvaluator(fit, holdout, dataset.info, len(attacks),
                                           config.evaluator_config())
    genomes = np.stack([attack.encode(a) for a in attacks])
    runs = [evaluator(genomes, config.generations + r) for r in range(FLAGS.repeats)]
    return {name: np.mean([read(r) for r in runs], 0) for name, read in STATISTICS.items()}


def table_rules(table: list[dict]) -> dict[str, int]:
    """Selection rules read from the search's own table: rule name -> the finalist it picks."""
    costs = np.array([row["reevaluated_costs"] for row in table])
    first = np.array([np.inf if row["first_cost"] is None else row["first_cost"] for row in table])
    best_first = [i == int(np.argmin(first)) for i in range(len(table))]
    rules = {"search's choice (lowest re-scored average)":
             next(i for i, row in enumerate(table) if row["chosen"]),
             "lowest first cost": int(np.argmin(first))}
    for margin in (1.0, 2.0):
        rules[f"lowest first cost unless beaten by > {margin:g} SE"] = (
            strategy.keep_start_unless_beaten(costs, best_first, margin))
    return rules


def main(argv):
    del argv
    logging.set_verbosity(logging.INFO)
    dataset = data.load("fashion_mnist")
    json_path = os.path.join(FLAGS.out_dir, f"selection_ranking{FLAGS.suffix}.json")
    seeds = [int(s) for s in FLAGS.search_seeds]
    cached = {}
    if os.path.exists(json_path):
        with open(json_path) as f:
            cached = {(r["seed"], r["finalist"]): r["victim_clean_test_accuracy"]
                      for r in json.load(f)["finalists"]}
    finalist_rows = []
    found = {}
    run_facts = {"repeats": FLAGS.repeats, "victim_epochs": FLAGS.victim_epochs,
                 "search_overrides": overrides_lib.parse_search_overrides(FLAGS.search_overrides),
                 "machine": hardware.machine(),
                 "search_precision": hardware.resolve_precision()}

    def best_victims():       # per seed found so far: its strongest finalist's victim
        return [float(min(cached[s, i] for i in range(len(found[s][0])))) for s in found]

    def write(rules=(), table_picks=()):
        atomic.write_json(json_path, {"finalists": finalist_rows, "rules": list(rules),
                                      "table_rules": list(table_picks),
                                      "best_finalist_victim": best_victims(), **run_facts})

    for seed in seeds:          # each seed's victims are written as soon as they are judged
        attacks, table = found[seed] = finalists(dataset, seed)
        if not all((seed, i) in cached for i in range(len(attacks))):
            judged = strength.judge(attacks, dataset, strength.JudgeRecipe(epochs=FLAGS.victim_epochs))
            cached.update({(seed, i): r["clean_test_accuracy"] for i, r in enumerate(judged)})
        finalist_rows += [{"seed": seed, "finalist": i, "victim_clean_test_accuracy": cached[seed, i]}
                          for i in range(len(attacks))]
        write()
    rules = []
    for per_class in (int(p) for p in FLAGS.per_class):
        per_seed = {}
        for seed, (attacks, _) in found.items():
            victims = np.array([cached[seed, i] for i in range(len(attacks))])
            per_seed[seed] = (victims, rescored(dataset, attacks, seed, per_class))
        for name in STATISTICS:
            rho = [summary.rank_correlation(stats[name], v) for v, stats in per_seed.values()]
            picked = [float(v[int(np.argmin(stats[name]))]) for v, stats in per_seed.values()]
            rules.append({"per_class": per_class, "statistic": name, "spearman": rho,
                          "picked_victim": picked, "picked_mean": float(np.mean(picked))})
    picks = {seed: table_rules(table) for seed, (_, table) in found.items() if table}
    table_picks = []
    for name in (next(iter(picks.values())) if picks else {}):
        victims = [cached[s, picks[s][name]] for s in picks]
        table_picks.append({"rule": name, "picked": [picks[s][name] for s in picks],
                            "picked_victim": victims, "picked_mean": float(np.mean(victims))})
    write(rules, table_picks)
    if rules:
        print(summary.markdown_table(
            ["fit images per class", "statistic", "Spearman per seed", "picked victims", "mean"],
            [[r["per_class"], r["statistic"], ", ".join(f"{x:+.2f}" for x in r["spearman"]),
              ", ".join(f"{x:.3f}" for x in r["picked_victim"]), f"{r['picked_mean']:.3f}"]
             for r in rules]))
    if table_picks:
        print(summary.markdown_table(
            ["rule on the search's own selection table", "picked victims", "mean"],
            [[r["rule"], ", ".join(f"{x:.3f}" for x in r["picked_victim"]),
              f"{r['picked_mean']:.3f}"] for r in table_picks]))
    print("best finalist's victim per seed:", ", ".join(f"{b:.3f}" for b in best_victims()))
    print("wrote", json_path)


if __name__ == "__main__":
    app.run(main)
