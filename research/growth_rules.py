"""How should a 1-pixel attack grow into an N_p-pixel one? Three rules, judged by victims.

    python -m research.growth_rules                     # about 20 min on a 2-core AVX-512 CPU
    python -m research.growth_rules --victim_seeds=0    # a third of it

A search at N_p > 1 starts from the attacks found at smaller N_p, grown by ``attack.extend``
(every strength-benchmark search at N_p = 2, 5 and 10 returned one of those starts), so the
growth rule sets how strong the larger attacks are. Each committed N_p = 1 EvoShift attack
(``--attack_dir``, search seeds ``--search_seeds``) is grown to ``--num_pixels`` pixels per class by

- ``blob``: ``attack.extend``, the library's rule: copies of each pixel (same value) on the
  nearest free cells, a small blob per class;
- ``spread``: the same value on the pixel's mirror images (left-right, up-down, both) and one
  neighbour, spread over the image;
- ``union``: the pixels of every seed's attack for the class (this seed's first), each with its
  own value, then grown as ``blob``: several codes per class at once;

and judged by the strength benchmark's victims (:func:`evoshift_tf.strength.judge`: GrayNet,
Adam, batch 128, 5 epochs on the full poisoned set, clean test accuracy). Rows are cached per
victim seed in the JSON, so an interrupted run resumes. Prints a table, writes
``growth_rules.json``.
"""

from __future__ import annotations

import json
import os

import numpy as np
from absl import app, flags, logging

from evoshift_tf import atomic, attack, data, strength, summary
from evoshift_tf import hardware

FLAGS = flags.FLAGS
flags.DEFINE_integer("num_pixels", 5, "pixels per class of the grown attacks")
flags.DEFINE_list("search_seeds", ["0", "1", "2"], "seeds of the N_p = 1 attacks grown")
flags.DEFINE_list("victim_seeds", ["0", "1", "2"], "judging victims' seeds")
flags.DEFINE_integer("victim_epochs", 5, "epochs of each judging victim on the full set")
flags.DEFINE_string("attack_dir", "benchmarks/results/attacks", "evoshift_np1_seed<s>.json here")
flags.DEFINE_string("dataset", "fashion_mnist", "dataset name, .npz path, image or IDX folder")
flags.DEFINE_string("out", "research/results/growth_rules.json", "JSON to write")

RULES = ("blob", "spread", "union")


def spread(a: attack.PixelAttack, num_pixels: int) -> attack.PixelAttack:
    """Each pixel's value on its mirror images (left-right, up-down, both), then its first
    ``num_pixels - 4`` nearest free cells: ``[C, 1, 2] -> [C, num_pixels, 2]`` positions."""
    if a.num_pixels != 1 or num_pixels < 4:
        raise ValueError("spread grows a 1-pixel attack to at least 4 pixels")
    h, w = a.image_shape[:2]
    r, c = a.positions[:, 0, 0], a.positions[:, 0, 1]
    mirrors = [np.stack(p, 1) for p in ((r, c), (r, w - 1 - c), (h - 1 - r, c),
                                         (h - 1 - r, w - 1 - c))]
    mirrors += [mirrors[0]] * (num_pixels - 4)      # moved to the nearest free cells
    positions = attack.repair_positions(np.stack(mirrors, 1), a.image_shape)
    return attack.PixelAttack(positions, np.repeat(a.values, num_pixels, 1), a.image_shape,
                              {"method": "spread", "from": a.provenance})


def union(attacks: list[attack.PixelAttack], num_pixels: int) -> attack.PixelAttack:
    """Class k gets every attack's class-k pixels (the first attack's first), grown by
    ``attack.extend`` to ``num_pixels``."""
    positions = np.concatenate([a.positions for a in attacks], 1)
    values = np.concatenate([a.values for a in attacks], 1)
    joined = attack.PixelAttack(attack.repair_positions(positions, attacks[0].image_shape),
                                values, attacks[0].image_shape, {"method": "union"})
    return attack.extend(joined, num_pixels)


def grown_attacks(sources: dict[int, attack.PixelAttack], num_pixels: int) -> dict:
    """``{(rule, seed): attack}`` for every rule and N_p = 1 source."""
    out = {}
    for s, a in sources.items():
        others = [sources[t] for t in sources if t != s]
        out["blob", s] = attack.extend(a, num_pixels)
        out["spread", s] = spread(a, num_pixels)
        out["union", s] = union([a, *others], num_pixels)
    return out


def table(rows: list[dict]) -> str:
    by_seed = {(s["rule"], s["search_seed"]): s for s in summary.aggregate(
        rows, ("clean_test_accuracy",), by=("rule", "search_seed"))}
    overall = {s["rule"]: s for s in summary.aggregate(rows, ("clean_test_accuracy",), by="rule")}
    seeds = sorted({r["search_seed"] for r in rows})
    return summary.markdown_table(
        ["rule", *(f"from seed {s}" for s in seeds), "all"],
        ([rule, *(summary.fmt(by_seed[rule, s], "clean_test_accuracy") if (rule, s) in by_seed
                  else "-" for s in seeds), summary.fmt(overall[rule], "clean_test_accuracy")]
         for rule in RULES if rule in overall))


def main(argv):
    del argv
    logging.set_verbosity(logging.INFO)
    sources = {int(s): attack.load(os.path.join(FLAGS.attack_dir, f"evoshift_np1_seed{s}.json"))
               for s in FLAGS.search_seeds}
    grown = grown_attacks(sources, FLAGS.num_pixels)
    dataset = data.load(FLAGS.dataset)
    cached = []
    if os.path.exists(FLAGS.out):
        with open(FLAGS.out) as f:
            cached = json.load(f)["rows"]
    rows = [r for r in cached if r["num_pixels"] == FLAGS.num_pixels
            and r["victim_epochs"] == FLAGS.victim_epochs]
    done = {(r["rule"], r["search_seed"], r["victim_seed"]) for r in rows}
    recipe = strength.JudgeRecipe(epochs=FLAGS.victim_epochs)
    for v in (int(s) for s in FLAGS.victim_seeds):
        todo = [k for k in grown if (*k, v) not in done]
        if not todo:
            continue
        logging.info("victim seed %d: %d victims together", v, len(todo))
        judged = strength.judge([grown[k] for k in todo], dataset, recipe, v)
        rows += [{"rule": rule, "search_seed": s, "num_pixels": FLAGS.num_pixels,
                  "victim_seed": v, "victim_epochs": FLAGS.victim_epochs,
                  "clean_test_accuracy": j["clean_test_accuracy"], "alpha_S": j["alpha_S"],
                  "alpha_N": j["alpha_N"]} for (rule, s), j in zip(todo, judged)]
        atomic.write_json(FLAGS.out, {"rows": rows, "machine": hardware.machine(),
                                      "attack_dir": FLAGS.attack_dir})  # survives a crash
    print(table(rows))
    print("machine:", hardware.machine())
    print("wrote", FLAGS.out)


if __name__ == "__main__":
    app.run(main)
