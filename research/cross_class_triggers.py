"""Can a pixel attack push clean accuracy below the two-defaults floor with another design?

    python -m research.cross_class_triggers     # about 14 minutes on a 2-core AVX-512 CPU

EvoShift's victims send every clean image to one default class per coarse group (tops, shoes),
whose own images stay right: about 0.20 on Fashion-MNIST (``research/clean_confusion``). Three
kinds of design that could break that floor, judged beside EvoShift's committed attack
(``--reference``) by the strength benchmark's victims (GrayNet, 5 epochs on the full poisoned
set):

- **Cross-class triggers** (one pixel per class): give class ``k`` the pixel value that class
  ``sigma(k)`` has there naturally (and ``k``'s own images and the other classes do not), so
  that clean ``sigma(k)`` images carry ``k``'s trigger and go to ``k``; with ``sigma`` a
  derangement, no clean image would keep its class. Per class, the pixel and the 16-level value
  band are the argmax over the image of ``P(band | sigma(k)) - max_j P(band | j)`` (``j`` the
  other classes of the group, ``k`` included), positions distinct. Three derangements.
- **Defaults moved across groups** (the reference attack, its default classes' pixels moved):
  the reference's victims' default classes (found by its first victim) get their pixels where
  every class of the *other* group is most often bright (``>= floor_designs.BRIGHT``) and
  their own group's classes rarely are, at the other group's median value there, so that clean
  images of the other group carry the default's trigger. Moved: the shoe default only, then
  both defaults.
- **A default's look on another class** (the reference attack, two classes per group changed):
  the group's class with the most distinctive look (``floor_designs.most_distinctive``: Sandal,
  Trouser) gets no perturbation, so that it becomes the group's default, and the next class of
  the group gets that look as its trigger (``look_pixels``), so that clean images of the
  default would go there. Shoes only, then shoes and clothes.

Prints a table; writes ``cross_class_triggers.json`` and the attacks under
``attacks_cross_class/``.
"""

from __future__ import annotations

import os

from absl import app, flags, logging

from evoshift_tf import atomic, attack, data, strength, summary
from evoshift_tf import hardware
from research.floor_designs import (CLOTHES, SHOES, band_fractions, captured_by_look,
                                    cross_class_attack, defaults_moved, most_distinctive,
                                    shifted)

FLAGS = flags.FLAGS
flags.DEFINE_list("victim_seeds", ["0", "1", "2"], "judging victims' seeds")
flags.DEFINE_integer("victim_epochs", 5, "epochs of each judging victim on the full set")
flags.DEFINE_string("reference", "benchmarks/results/attacks/evoshift_np5_seed1.json",
                    "the EvoShift attack judged beside them")
flags.DEFINE_string("out_dir", "research/results", "where the JSON and the attacks go")


def judged_rows(attacks: dict, dataset, seed: int) -> list[dict]:
    """One row per attack: one ``seed`` victim's clean accuracy, alpha_N and destinations."""
    judged = strength.judge(list(attacks.values()), dataset,
                            strength.JudgeRecipe(epochs=FLAGS.victim_epochs), victim_seed=seed)
    return [{"attack": name, "victim_seed": seed, "clean_test_accuracy": r["clean_test_accuracy"],
             "alpha_N": r.get("alpha_N"), **strength.clean_destinations(r["clean_confusion"])}
            for name, r in zip(attacks, judged)]


def main(argv):
    del argv
    logging.set_verbosity(logging.INFO)
    dataset = data.load("fashion_mnist")
    info = dataset.info
    x, y = dataset.train.x[..., 0], dataset.train.y
    fractions = band_fractions(x, y, info.num_classes)
    within = [SHOES, CLOTHES]
    designs = {"cross-class, within groups, next class": ({**shifted(SHOES, 1),
                                                             **shifted(CLOTHES, 1)}, within),
               "cross-class, within groups, other shift": ({**shifted(SHOES, 2),
                                                              **shifted(CLOTHES, 3)}, within),
               "cross-class, all classes, next class": (shifted(tuple(range(10)), 1),
                                                        [tuple(range(10))])}
    reference = attack.load(FLAGS.reference)
    reference_name = f"EvoShift {os.path.basename(FLAGS.reference)} (reference)"
    folder = os.path.join(FLAGS.out_dir, "attacks_cross_class")
    seeds = [int(s) for s in FLAGS.victim_seeds]
    rows = judged_rows({reference_name: reference}, dataset, seeds[0])
    defaults = rows[0]["absorbing"]
    shoe_default = [k for k in defaults if k in SHOES]
    attacks = {}
    for name, (sigma, groups) in designs.items():
        attacks[name] = cross_class_attack(fractions, sigma, groups, info.image_shape, name)
    for moved, name in ((shoe_default, "defaults moved: the shoe default onto clothes"),
                        (defaults, "defaults moved: both onto the other group")):
        attacks[name] = defaults_moved(reference, moved, x, y, name)
    takers = [(shifted(g, 1)[d], d) for g in (SHOES, CLOTHES) for d in [most_distinctive(
        fractions, g)]]
    for pairs, name in ((takers[:1], "a default's look on another class: shoes"),
                        (takers, "a default's look on another class: shoes and clothes")):
        attacks[name] = captured_by_look(reference, pairs, fractions, x, name)
    for i, design in enumerate(attacks.values()):
        attack.save(design, os.path.join(folder, f"design{i}.json"))
    for seed in seeds:
        rows += judged_rows(attacks if seed == seeds[0] else {reference_name: reference,
                                                              **attacks}, dataset, seed)
        atomic.write_json(os.path.join(FLAGS.out_dir, "cross_class_triggers.json"),
                          {"rows": rows, "victim_epochs": FLAGS.victim_epochs,
                           "reference": FLAGS.reference, "reference_defaults": defaults,
                           "machine": hardware.machine()})
    per_attack = summary.aggregate(rows, ["clean_test_accuracy", "alpha_N"], by="attack",
                                   carry=("destination",))
    print(summary.markdown_table(
        ["attack", "clean test accuracy", "alpha_N", "where clean images go (first victim)"],
        [[r["attack"], summary.fmt(r, "clean_test_accuracy"), f"{r['alpha_N_mean']:.3f}",
          " ".join(map(str, r["destination"]))] for r in per_attack]))


if __name__ == "__main__":
    app.run(main)
