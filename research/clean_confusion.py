"""Where the victims of the committed attacks send clean test images.

    python -m research.clean_confusion                  # about 20 min on a 2-core AVX-512 CPU
    python -m research.clean_confusion --victim_seeds=0  # a third of it

Every attack file under ``--attack_dir`` named in ``--attacks`` (and a clean victim) is judged by
the strength benchmark's victims (:func:`evoshift_tf.strength.judge`: GrayNet, Adam, batch 128,
5 epochs on the full poisoned set). For each victim: its clean test accuracy, its clean confusion
matrix, and :func:`evoshift_tf.strength.clean_destinations`: where each class's clean images go,
which classes absorb other classes' images, and how much clean accuracy those absorbing classes'
own images keep. A victim that learned the pixels sends a clean image (no pixel) to a default
class; when each coarse group of classes (tops, shoes) has its own default, the defaults' own
images stay right and the clean accuracy cannot fall below 0.1 per default.

Rows are cached per victim seed in the JSON, so an interrupted run resumes. Prints a table,
writes ``clean_confusion.json`` and ``clean_confusion.png`` (the first victim seed's matrices).
"""

from __future__ import annotations

import json
import os

import numpy as np
from absl import app, flags, logging

from evoshift_tf import atomic, attack, data, figures, strength, summary
from evoshift_tf import hardware

FLAGS = flags.FLAGS
flags.DEFINE_list("attacks", ["evoshift_np1_seed0", "evoshift_np1_seed1", "evoshift_np1_seed2",
                              "evoshift_np2_seed0", "evoshift_np5_seed0", "evoshift_np5_seed1",
                              "evoshift_np5_seed2", "evoshift_np10_seed0", "ops_np1",
                              "jacobsen_np1", "random_np1_seed0"],
                  "attack files (without .json) under --attack_dir; a clean victim is added")
flags.DEFINE_list("victim_seeds", ["0", "1", "2"], "judging victims' seeds")
flags.DEFINE_integer("victim_epochs", 5, "epochs of each judging victim on the full set")
flags.DEFINE_string("attack_dir", "benchmarks/results/attacks", "where the attack files are")
flags.DEFINE_string("dataset", "fashion_mnist", "dataset name, .npz path, image or IDX folder")
flags.DEFINE_string("out_dir", "research/results", "where clean_confusion.{json,png} go")

CLEAN = "clean"


def load_attacks(dataset) -> dict:
    """``{name: PixelAttack or None}``: the clean victim first, then ``--attacks`` in order."""
    info = dataset.info
    found = {CLEAN: None}
    for name in FLAGS.attacks:
        path = os.path.join(FLAGS.attack_dir, f"{name}.json")
        if not os.path.exists(path):
            raise app.UsageError(f"--attacks: no attack file {path}")
        found[name] = attack.load(path, info.image_shape, info.num_classes)
    return found


def judge_seed(dataset, attacks: dict, victim_seed: int, rows: list[dict]) -> list[dict]:
    """Rows for one victim seed (victims trained together), skipping those already cached."""
    done = {(r["attack"], r["victim_seed"], r["victim_epochs"]) for r in rows}
    todo = [n for n in attacks if (n, victim_seed, FLAGS.victim_epochs) not in done]
    if not todo:
        return []
    logging.info("victim seed %d: training %d victims together for %d epochs", victim_seed,
                 len(todo), FLAGS.victim_epochs)
    recipe = strength.JudgeRecipe(epochs=FLAGS.victim_epochs)
    judged = strength.judge([attacks[n] for n in todo], dataset, recipe, victim_seed)
    return [{"attack": n, "victim_seed": victim_seed, "victim_epochs": FLAGS.victim_epochs,
             "clean_test_accuracy": r["clean_test_accuracy"],
             "clean_confusion": r["clean_confusion"],
             **strength.clean_destinations(np.array(r["clean_confusion"]))}
            for n, r in zip(todo, judged)]


def table(rows: list[dict], class_names) -> str:
    """Per attack: clean accuracy (mean ± std over victims), the absorbing classes of each
    victim, and the accuracy their own images keep."""
    stats = {s["attack"]: s for s in summary.aggregate(
        rows, ("clean_test_accuracy", "absorbing_own_accuracy"), by=("attack",))}
    lines = []
    for name in dict.fromkeys(r["attack"] for r in rows):
        mine = [r for r in rows if r["attack"] == name]
        absorbing = "; ".join(", ".join(class_names[k] for k in r["absorbing"]) or "-"
                              for r in mine)
        lines.append([name, summary.fmt(stats[name], "clean_test_accuracy"),
                      summary.fmt(stats[name], "absorbing_own_accuracy"), absorbing])
    return summary.markdown_table(
        ["victim", "clean test accuracy", "kept by the absorbing classes' own images",
         "absorbing classes (per victim)"], lines)


def main(argv):
    del argv
    logging.set_verbosity(logging.INFO)
    dataset = data.load(FLAGS.dataset)
    attacks = load_attacks(dataset)
    json_path = os.path.join(FLAGS.out_dir, "clean_confusion.json")
    rows = []
    if os.path.exists(json_path):
        with open(json_path) as f:
            rows = json.load(f)["rows"]
    for seed in (int(s) for s in FLAGS.victim_seeds):
        rows += judge_seed(dataset, attacks, seed, rows)
        atomic.write_json(json_path, {"rows": rows, "machine": hardware.machine(),
                                      "class_names": list(dataset.info.class_names)})
    first = int(FLAGS.victim_seeds[0])
    figures.confusion_grid(
        os.path.join(FLAGS.out_dir, "clean_confusion.png"),
        {f"{r['attack']} ({r['clean_test_accuracy']:.3f})": r["clean_confusion"]
         for r in rows if r["victim_seed"] == first and r["attack"] in attacks},
        dataset.info.class_names,
        f"Clean test images: true class (rows) to predicted class, GrayNet victims, "
        f"{FLAGS.victim_epochs} epochs, victim seed {first}".replace(" 1 epochs", " 1 epoch"))
    print(table([r for r in rows if r["attack"] in attacks], dataset.info.class_names))
    print("machine:", hardware.machine())
    print("wrote", json_path)


if __name__ == "__main__":
    app.run(main)
