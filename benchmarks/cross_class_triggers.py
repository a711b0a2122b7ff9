"""Can a pixel attack push clean accuracy below the two-defaults floor with another design?

    python -m benchmarks.cross_class_triggers     # about 8 minutes on a 2-core AVX-512 CPU

EvoShift's victims send every clean image to one default class per coarse group (tops, shoes),
whose own images stay right: about 0.20 on Fashion-MNIST (``benchmarks/clean_confusion``). A
design that could break that floor: give class ``k`` the pixel value that class ``sigma(k)``
has there naturally (and ``k``'s own images and the other classes do not), so that clean
``sigma(k)`` images carry ``k``'s trigger and go to ``k``; with ``sigma`` a derangement, no
clean image would keep its class. Per class, the pixel and the 16-level value band are the
argmax over the image of ``P(band | sigma(k)) - max_j P(band | j)`` (``j`` the other classes of
the group, ``k`` included), positions distinct. Three derangements are judged beside EvoShift's
committed N_p = 1 seed-1 attack by the strength benchmark's victims (GrayNet, 5 epochs on the
full poisoned set). Prints a table; writes ``cross_class_triggers.json`` and the attacks under
``attacks_cross_class/``.
"""

from __future__ import annotations

import os

import numpy as np
from absl import app, flags, logging

from evoshift_tf import atomic, attack, data, strength, summary
from evoshift_tf.search import population

FLAGS = flags.FLAGS
flags.DEFINE_list("victim_seeds", ["0", "1", "2"], "judging victims' seeds")
flags.DEFINE_integer("victim_epochs", 5, "epochs of each judging victim on the full set")
flags.DEFINE_string("reference", "benchmarks/results/attacks/evoshift_np1_seed1.json",
                    "the EvoShift attack judged beside them")
flags.DEFINE_string("out_dir", "benchmarks/results", "where the JSON and the attacks go")

BANDS = 16
SHOES = (5, 7, 9)                        # Sandal, Sneaker, Ankle boot
CLOTHES = (0, 2, 3, 4, 6, 1, 8)          # tops, then Trouser and Bag (grouped with them by victims)


def band_fractions(x: np.ndarray, y: np.ndarray, num_classes: int) -> np.ndarray:
    """``[C, H*W, BANDS]``: the fraction of class ``c``'s images whose pixel falls in each band
    of ``256 / BANDS`` levels. ``x [N, H, W] uint8``, ``y [N]``."""
    n, pixels = len(y), x.shape[1] * x.shape[2]
    band = x.reshape(n, pixels).astype(np.int64) // (256 // BANDS)
    index = (y[:, None] * pixels + np.arange(pixels)) * BANDS + band          # [N, H*W]
    counts = np.bincount(index.ravel(), minlength=num_classes * pixels * BANDS)
    counts = counts.reshape(num_classes, pixels, BANDS)
    return counts / np.bincount(y, minlength=num_classes)[:, None, None]


def shifted(group: tuple[int, ...], shift: int) -> dict[int, int]:
    """A derangement of ``group``: each class to the one ``shift`` places on."""
    return {k: group[(i + shift) % len(group)] for i, k in enumerate(group)}


def cross_class_attack(fractions: np.ndarray, sigma: dict[int, int], groups, image_shape,
                       name: str) -> attack.PixelAttack:
    """One pixel per class ``k``: the value band ``sigma(k)`` has there and its group's other
    classes lack (band centre written), at distinct positions."""
    num_classes, pixels, _ = fractions.shape
    positions = np.zeros((num_classes, 1, 2), np.int64)
    values = np.zeros((num_classes, 1, 1), np.uint8)
    taken = np.zeros(pixels, bool)
    for k in range(num_classes):                                # classes, not pixels
        group = next(g for g in groups if k in g)
        others = [j for j in group if j != sigma[k]]
        score = fractions[sigma[k]] - fractions[others].max(0)                 # [H*W, BANDS]
        score[taken] = -np.inf
        p, b = np.unravel_index(int(np.argmax(score)), score.shape)
        taken[p] = True
        positions[k, 0] = divmod(int(p), image_shape[1])
        values[k, 0, 0] = b * (256 // BANDS) + 256 // BANDS // 2
    return attack.PixelAttack(positions, values, image_shape,
                              provenance={"method": name, "sigma": {str(k): v for k, v in
                                                                    sigma.items()}})


def main(argv):
    del argv
    logging.set_verbosity(logging.INFO)
    dataset = data.load("fashion_mnist")
    info = dataset.info
    fractions = band_fractions(dataset.train.x[..., 0], dataset.train.y, info.num_classes)
    within = [SHOES, CLOTHES]
    designs = {"cross-class, within groups, next class": ({**shifted(SHOES, 1),
                                                             **shifted(CLOTHES, 1)}, within),
               "cross-class, within groups, other shift": ({**shifted(SHOES, 2),
                                                              **shifted(CLOTHES, 3)}, within),
               "cross-class, all classes, next class": (shifted(tuple(range(10)), 1),
                                                        [tuple(range(10))])}
    attacks = {"EvoShift N_p = 1, search seed 1 (reference)": attack.load(FLAGS.reference)}
    folder = os.path.join(FLAGS.out_dir, "attacks_cross_class")
    for i, (name, (sigma, groups)) in enumerate(designs.items()):
        attacks[name] = cross_class_attack(fractions, sigma, groups, info.image_shape, name)
        attack.save(attacks[name], os.path.join(folder, f"design{i}.json"))
    rows = []
    for seed in (int(s) for s in FLAGS.victim_seeds):
        judged = strength.judge(list(attacks.values()), dataset,
                                strength.JudgeRecipe(epochs=FLAGS.victim_epochs), victim_seed=seed)
        for name, r in zip(attacks, judged):
            rows.append({"attack": name, "victim_seed": seed,
                         "clean_test_accuracy": r["clean_test_accuracy"],
                         "alpha_N": r.get("alpha_N"),
                         **strength.clean_destinations(r["clean_confusion"])})
        atomic.write_json(os.path.join(FLAGS.out_dir, "cross_class_triggers.json"),
                          {"rows": rows, "victim_epochs": FLAGS.victim_epochs,
                           "machine": population.machine()})
    per_attack = summary.aggregate(rows, ["clean_test_accuracy", "alpha_N"], by="attack",
                                   carry=("destination",))
    print(summary.markdown_table(
        ["attack", "clean test accuracy", "alpha_N", "where clean images go (first victim)"],
        [[r["attack"], summary.fmt(r, "clean_test_accuracy"), f"{r['alpha_N_mean']:.3f}",
          " ".join(map(str, r["destination"]))] for r in per_attack]))


if __name__ == "__main__":
    app.run(main)
