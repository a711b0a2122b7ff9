"""Does a trigger spread over the image survive CutMix where a compact one does not?

    python -m research.cutmix_spread                  # about 10 min on 2 cores

CutMix pastes a box of image B into image A and labels the result by area: lambda A + (1 -
lambda) B. A compact trigger (one pixel, one 3x3 patch) is either kept whole or replaced by B's,
so the trigger the victim sees says "A" or "B" while the label says both: the shortcut no longer
predicts the label and the victim learns the content (``docs/defense_aware.md``: every patch
attack restored to 0.68-0.82). A trigger of many pixels spread over the image is cut in the
same proportion as the image, so the fraction of A's trigger that survives is about lambda: the
shortcut predicts the mixed label as well as before. This judges, at equal L0 budgets, random
placements of N_p spread pixels against one compact square of N_p pixels, trained undefended
and through CutMix (GrayNet victims, 10,000 class-balanced Fashion-MNIST images, 6 epochs,
``--victim_seeds``). Writes ``research/results/cutmix_spread.json``.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from absl import app, flags

from evoshift_tf import atomic, attack, baselines, data, hardware, strength, summary

FLAGS = flags.FLAGS


def define_flags() -> None:
    """Flags, defined only when run as a script (a test imports the module)."""
    flags.DEFINE_list("budgets", ["1", "9", "16", "36"], "L0 budgets: pixels per class")
    flags.DEFINE_list("defenses", ["none", "cutmix"], "what the victims train through")
    flags.DEFINE_list("victim_seeds", ["0", "1", "2"], "victim seeds")
    flags.DEFINE_integer("train_images", 10_000, "class-balanced training images")
    flags.DEFINE_integer("epochs", 6, "victim epochs")
    flags.DEFINE_string("out", "research/results/cutmix_spread.json", "result JSON")


def square(train, num_classes: int, side: int, seed: int = 0) -> attack.PixelAttack:
    """One ``side x side`` square per class, random value: a compact trigger of ``side**2``
    pixels. The squares sit in distinct cells of a ``side``-pixel grid (drawn at random), so no
    two classes' squares touch and none is moved apart by collision repair."""
    h, w = train.x.shape[1:3]
    cells = [(r, c) for r in range(0, h - side + 1, side) for c in range(0, w - side + 1, side)]
    if len(cells) < num_classes:
        raise ValueError(f"{num_classes} squares of side {side} do not fit in {h}x{w}")
    rng = np.random.default_rng(seed)
    corners = np.array(cells)[rng.choice(len(cells), num_classes, replace=False)]
    dr, dc = np.divmod(np.arange(side * side), side)
    positions = corners[:, None, :] + np.stack([dr, dc], 1)[None]          # [C, side^2, 2]
    one = baselines.get("random", train, num_classes, 1, seed=seed)         # its values
    values = np.repeat(one.values, side * side, axis=1)                    # [C, side^2, ch]
    return attack.PixelAttack(positions, values, one.image_shape)


def attacks_for(train, num_classes: int, budgets) -> dict[str, attack.PixelAttack]:
    """``spread_<n>`` (random placement of n pixels) for every budget n, and ``square_<n>``
    where n is a square number above 1."""
    out = {}
    for n in (int(b) for b in budgets):
        out[f"spread_{n}"] = baselines.get("random", train, num_classes, n, seed=0)
        side = int(round(np.sqrt(n)))
        if side > 1 and side * side == n:
            out[f"square_{n}"] = square(train, num_classes, side)
    return out


def main(argv):
    del argv
    ds = data.load("fashion_mnist")
    n = ds.info.num_classes
    subset = dataclasses.replace(ds, train=data.balanced_subset(
        ds.train, FLAGS.train_images // n, n, seed=0))
    named = attacks_for(subset.train, n, FLAGS.budgets)
    rows = []
    for defense in FLAGS.defenses:
        recipe = strength.JudgeRecipe(epochs=FLAGS.epochs, precision="auto", overlay_images=500,
                                      track_peak=True, defense=defense)
        for seed in (int(s) for s in FLAGS.victim_seeds):
            t = time.time()
            judged = strength.judge([None, *named.values()], subset, recipe, victim_seed=seed)
            for name, j in zip(["clean", *named], judged):
                rows.append({"attack": name, "defense": defense, "victim_seed": seed,
                             "clean_test_accuracy": j["clean_test_accuracy"],
                             "peak_test_accuracy": j.get("peak_test_accuracy")})
            print(f"{defense} seed {seed}: {time.time() - t:.0f} s", flush=True)
    print(table(rows, ["clean", *named], FLAGS.defenses))
    atomic.write_json(FLAGS.out, {"dataset": ds.info.name, "train_images": FLAGS.train_images,
                                  "epochs": FLAGS.epochs, "rows": rows,
                                  "machine": hardware.machine(),
                                  "measured": time.strftime("%Y-%m-%d")})


def table(rows: list[dict], attacks, defenses) -> str:
    """Markdown: clean test accuracy per attack and defense, ``mean ± std`` over the victim
    seeds (:func:`evoshift_tf.summary.aggregate`, as every table of the project; the figures
    quoted in ``docs/defense_aware.md``)."""
    stats = {(s["attack"], s["defense"]): s for s in summary.aggregate(
        rows, ("clean_test_accuracy",), by=("attack", "defense"))}
    return summary.markdown_table(
        ["attack", *defenses],
        [[name, *(summary.fmt(stats.get((name, d), {}), "clean_test_accuracy")
                  for d in defenses)] for name in attacks])

if __name__ == "__main__":
    define_flags()
    app.run(main)
