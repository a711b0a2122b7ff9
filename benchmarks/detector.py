"""The pixel-poison detector (``evoshift_tf.detect``) measured: no alarm on clean data, every
committed poison flagged with pixel precision and recall, and victims' accuracy after repair.

    python -m benchmarks.detector                        # about 30 min on 2 busy CPU cores
    python -m benchmarks.detector --victim_seeds=0       # detection only: about 4 minutes

Detection (the whole training set, exact values, threshold ``detect.THRESHOLD``):
- clean Fashion-MNIST and clean CIFAR-10 (``--cifar``, the JPEG-75 image folder; skipped with a
  note where it is missing), and on CIFAR-10 One-Pixel Shortcut, Jacobsen et al. and random
  placement with N_p = 1 built here;
- every committed Fashion-MNIST poison (``evoshift_tf/reference_attacks/fashion_mnist/``): flagged,
  precision and recall of the flagged (class, pixel) pairs against the attack's, and recall over
  the attack pixels that change at least half of their class's images (a pixel that writes the
  value the images already have there changes nothing and is no trigger);
- a poison made outside by another rule, imported through ``interchange.import_poison`` (a 2x2
  255/128 checkerboard per class along the border, as an ``.npz``), and poisons the detector is
  not built for (kind ``outside``): EvoShift N_p = 1 with values jittered +-6 per image (at
  tolerance 0 and 6), the same on half of each class's images, additive noise of L-inf 8/255
  (one pattern per class, and one per image) on both datasets, and CIFAR-10's random N_p = 1
  poison re-encoded as JPEG-75 (at tolerance 0 and 8);
- the clean sets at tolerance 6 too (what a wider value window costs in false alarms), and clean
  class-balanced subsets of 10,000, 2,000 and 500 images (the studies' sizes; worst of 3 draws).

Repair (``--victim_seeds`` GrayNet victims, ``strength.judge`` with ``--epochs`` on the full
60,000 images, clean test accuracy on the 10,000 test images): (a) clean, (b) EvoShift N_p = 1
(``--attack``), (c) (b) detected and repaired; (d) the clean set through detect + repair is the
clean set itself when there is no alarm (checked, not trained), and the clean set repaired at the
positions flagged on (b) is (c) to the bit when the detector finds every trigger pixel and no other
(repair reads only unflagged neighbours; checked). ``--extra_repairs`` adds more committed attacks
(poisoned and repaired arms); ``--repair_scopes`` (default both) judges the repair of every image
at every flagged position (``all``, ``detect.repair``'s default) and of the flagged class's
images only (``class``). Writes ``--out`` (JSON with the CPU flags) after every victim seed
(a rerun reuses the seeds it holds for the same recipe and arms) and, beside it, the score maps
of clean Fashion-MNIST and of ``--picture`` (``detector_fashion_mnist_*.png``).
"""

from __future__ import annotations

import glob
import json
import os
import re
import tempfile
import time

import numpy as np
from absl import app, flags, logging

from evoshift_tf import (atomic, attack, baselines, data, detect, figures, hardware, interchange,
                         strength)
from evoshift_tf import summary
from evoshift_tf.studies import attacks as attacks_lib

FLAGS = flags.FLAGS
ATTACK_DIR = os.path.join(attacks_lib.REFERENCE_DIR, "fashion_mnist")


def define_flags() -> None:
    """The script's flags, defined only when it runs as a script (importing the module, as its
    test does, must not define flags that clash with pipelines.run's ``--victim_seeds``)."""
    flags.DEFINE_string("cifar", os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "..", "shared", "datasets", "cifar10_jpeg75"),
        "CIFAR-10 image folder (cifar10_jpeg75); skipped with a note if missing")
    flags.DEFINE_string("attack", "evoshift_np1_seed0.json", "the EvoShift attack repaired and "
                        "judged, in the committed Fashion-MNIST attacks")
    flags.DEFINE_list("extra_repairs", [], "more committed attacks to judge poisoned and repaired")
    flags.DEFINE_list("repair_scopes", list(detect.REPAIR_SCOPES), "repair scopes judged "
                      "(detect.REPAIR_SCOPES: all = every image at every flagged position, the "
                      "default of detect.repair; class = only the flagged class's images)")
    flags.DEFINE_integer("victim_seeds", 3, "GrayNet victim seeds per arm (0: detection only)")
    flags.DEFINE_integer("epochs", 5, "victim epochs on the full training set")
    flags.DEFINE_string("picture", "evoshift_np5_seed0", "the committed attack whose score maps are "
                        "drawn (with the clean set's) beside --out")
    flags.DEFINE_string("out", "benchmarks/results/detector.json", "JSON to write")


CHANGED = 0.5
"""An attack pixel counts as changed (``recall_changed``) where it alters at least this share of
its class's images."""


def _order(path: str):
    m = re.match(r"(\w+?)_np(\d+)(?:_seed(\d+))?\.json", os.path.basename(path))
    return (m.group(1), int(m.group(2)), int(m.group(3) or 0)) if m else (path, 0, 0)


def _changed(positions: np.ndarray, values: np.ndarray, x: np.ndarray, y: np.ndarray
             ) -> np.ndarray:
    """``bool [C, N_p]``: whether each attack pixel alters at least :data:`CHANGED` of its
    class's clean images (any channel)."""
    out = np.zeros(positions.shape[:2], bool)
    for k in range(positions.shape[0]):
        xs = x[y == k][:, positions[k, :, 0], positions[k, :, 1]]            # [n, N_p, ch]
        out[k] = (xs != values[k][None]).any(-1).mean(0) >= CHANGED
    return out


def detection_row(dataset: str, poison: str, x, y, num_classes: int, kind: str,
                  positions=None, changed=None, tolerance: int = 0, note: str = "") -> dict:
    """Detect on ``x``; with the truth (``positions [C, N_p, 2]``, ``changed [C, N_p]``) the pixel
    precision and recall too. ``kind``: ``clean``, ``trigger`` (a class-wise pixel trigger: what
    the detector is built for) or ``outside`` (a poison it is not built for)."""
    start = time.time()
    report = detect.detect(x, y, num_classes, tolerance=tolerance)
    row = {"dataset": dataset, "poison": poison, "kind": kind,
           "poisoned": report.poisoned, "max_score": round(report.max_score, 4),
           "flagged_pixels": int(report.flagged.sum()), "tolerance": tolerance,
           "seconds": round(time.time() - start, 2)}
    if positions is not None:
        pr = detect.pixel_precision_recall(report, positions)
        k = np.repeat(np.arange(positions.shape[0]), positions.shape[1])
        true_scores = report.scores[k, positions[..., 0].ravel(), positions[..., 1].ravel()]
        hit = report.flagged[k, positions[..., 0].ravel(), positions[..., 1].ravel()]
        row.update(precision=round(pr["precision"], 4), recall=round(pr["recall"], 4),
                   true_pixels=pr["true"], min_true_score=round(float(true_scores.min()), 4))
        if changed is not None:
            c = changed.ravel()
            row["recall_changed"] = round(float(hit[c].mean()), 4) if c.any() else None
            row["min_changed_score"] = (round(float(true_scores[c].min()), 4) if c.any()
                                        else None)
            row["unchanged_pixels"] = int((~c).sum())
    if note:
        row["note"] = note
    logging.info("%s / %s: %s", dataset, poison, row)
    return row


def committed_rows(fm: data.Dataset) -> list[dict]:
    """Every committed attack; draws the detector's picture of the clean set and of ``--picture``
    beside ``--out``."""
    x, y = fm.train.x, fm.train.y
    folder = os.path.dirname(FLAGS.out)
    _picture(os.path.join(folder, "detector_fashion_mnist_clean.png"), x, y, fm.info,
             "clean Fashion-MNIST")
    rows = []
    for path in sorted(glob.glob(os.path.join(ATTACK_DIR, "*.json")), key=_order):
        a = attack.load(path, fm.info.image_shape, fm.info.num_classes)
        name = os.path.basename(path)[:-5]
        if name == FLAGS.picture:
            _picture(os.path.join(folder, f"detector_fashion_mnist_{name}.png"),
                     attack.apply(a, x, y), y, fm.info, f"Fashion-MNIST + {name}")
        rows.append(detection_row("fashion_mnist", name, attack.apply(a, x, y), y, 10, "trigger",
                                  a.positions, _changed(a.positions, a.values, x, y)))
    return rows


def _picture(path: str, x, y, info, title: str) -> None:
    report = detect.detect(x, y, info.num_classes)
    figures.detection_maps(path, report.scores, report.flagged, report.threshold,
                           info.class_names, title)


def outside_rows(fm: data.Dataset) -> list[dict]:
    """The imported poison and the poisons the detector is not built for."""
    x, y = fm.train.x, fm.train.y
    info = fm.info
    rows = []
    # a 2x2 checkerboard (255, 128 / 128, 255) per class along the top and bottom border
    corner = np.array([[1 + (k // 5) * 24, 1 + (k % 5) * 5] for k in range(10)])
    offsets = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    patch = attack.PixelAttack(corner[:, None] + offsets[None],
                               np.array([255, 128, 128, 255], np.uint8)[None, :, None].repeat(
                                   10, 0), info.image_shape, {"method": "checkerboard2x2"})
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "poisoned.npz")
        np.savez_compressed(path, x_train=attack.apply(patch, x, y)[..., 0], y_train=y)
        imported = interchange.import_poison(path, fm)
    rows.append(detection_row(
        "fashion_mnist", "imported: 2x2 checkerboard per class (.npz)", imported.dataset.train.x,
        y, 10, "trigger", patch.positions, _changed(patch.positions, patch.values, x, y),
        note=f"interchange.import_poison: {imported.report.changed_pixels_mean:.2f} pixels "
             "changed per image"))
    evo = attack.load(os.path.join(ATTACK_DIR, FLAGS.attack), info.image_shape, 10)
    mask, pattern = evo.masks_and_patterns()
    jitter = np.random.default_rng(0).integers(-6, 7, size=x.shape)
    jittered = np.where(mask[y] > 0, np.clip(pattern[y] + jitter, 0, 255), x).astype(np.uint8)
    for tolerance in (0, 6):
        rows.append(detection_row("fashion_mnist", f"{FLAGS.attack[:-5]}, values +-6 per image",
                                  jittered, y, 10, "outside", evo.positions,
                                  tolerance=tolerance))
    half = attack.apply(evo, x, y, attack.poison_mask(y, 10, rate=0.5, seed=0))
    rows.append(detection_row("fashion_mnist", f"{FLAGS.attack[:-5]} on half of each class", half,
                              y, 10, "outside", evo.positions,
                              note="a class's share of the value is ~0.5 < threshold"))
    rows += noise_rows("fashion_mnist", x, y, 10)
    return rows


def subset_rows(name: str, split: data.Split, num_classes: int) -> list[dict]:
    """Clean class-balanced subsets (a study's 10k, 2k and 500 images), 3 draws each: the
    largest score over the draws (fewer images per class, more chance agreement)."""
    rows = []
    for images in (10000, 2000, 500):
        draws = [data.balanced_subset(split, images // num_classes, num_classes, seed=s)
                 for s in range(3)]
        found = [detection_row(name, f"clean, {images} images (draw {s})", d.x, d.y,
                               num_classes, "clean") for s, d in enumerate(draws)]
        worst = max(found, key=lambda r: r["max_score"])
        rows.append({**worst, "poison": f"clean, {images} images (worst of 3 draws)",
                     "poisoned": any(r["poisoned"] for r in found)})
    return rows


def noise_rows(name: str, x, y, num_classes: int) -> list[dict]:
    """Additive noise of L-inf 8/255: one pattern per class (class-wise) and one per image
    (sample-wise, uniform: a stand-in for error-minimising noise, which is sample-wise too)."""
    rng = np.random.default_rng(1)
    classwise = rng.integers(-8, 9, size=(num_classes, *x.shape[1:]))
    rows = [detection_row(name, "class-wise additive noise, L-inf 8/255",
                          np.clip(x.astype(np.int16) + classwise[y], 0, 255).astype(np.uint8), y,
                          num_classes, "outside")]
    samplewise = rng.integers(-8, 9, size=x.shape, dtype=np.int16)
    rows.append(detection_row(name, "sample-wise additive noise, L-inf 8/255",
                              np.clip(x.astype(np.int16) + samplewise, 0, 255).astype(np.uint8),
                              y, num_classes, "outside"))
    return rows


def cifar_rows(notes: list[str]) -> list[dict]:
    if not os.path.isdir(FLAGS.cifar):
        notes.append(f"CIFAR-10 skipped: {FLAGS.cifar} is missing")
        return []
    ds = data.load(FLAGS.cifar)
    name, (x, y), c = ds.info.name, (ds.train.x, ds.train.y), ds.info.num_classes
    rows = [detection_row(name, "clean", x, y, c, "clean", tolerance=t) for t in (0, 6)]
    for method in ("ops", "jacobsen", "random"):
        a = baselines.get(method, ds.train, c, 1, seed=0)
        poisoned = attack.apply(a, x, y)
        rows.append(detection_row(name, f"{method}_np1 (built here)", poisoned, y, c,
                                  "trigger", a.positions, _changed(a.positions, a.values, x, y)))
    coded = _jpeg(poisoned)     # the random poison saved as JPEG-75 (the folder's own format)
    for t in (0, 8):
        rows.append(detection_row(name, "random_np1, then re-encoded as JPEG-75", coded, y, c,
                                  "outside", a.positions, tolerance=t))
    return rows + subset_rows(name, ds.train, c) + noise_rows(name, x, y, c)


def _jpeg(x: np.ndarray, quality: int = 75) -> np.ndarray:
    """Every image JPEG-coded at ``quality`` and decoded (TensorFlow's codec)."""
    import tensorflow as tf
    code = lambda im: tf.image.decode_jpeg(tf.io.encode_jpeg(im, quality=quality))  # noqa: E731
    return np.concatenate([tf.map_fn(code, tf.constant(x[i:i + 5000]),
                                     fn_output_signature=tf.uint8).numpy()
                           for i in range(0, len(x), 5000)])


def _names() -> list[str]:
    return [n[:-5] if n.endswith(".json") else n for n in [FLAGS.attack, *FLAGS.extra_repairs]]


def _repaired_arm(name: str, scope: str) -> str:
    return f"(c) {name} repaired, scope {scope}"


LEGACY_ARM = re.compile(r"^\(c\) (\S+) repaired$")
"""The repaired arms of the first runs, when repair had only the class scope."""


def _arms() -> list[str]:
    names = _names()
    return (["(a) clean"] + [f"(b) {n}" for n in names]
            + [_repaired_arm(n, s) for s in FLAGS.repair_scopes for n in names])


def _attacks(fm: data.Dataset) -> list[attack.PixelAttack]:
    return [attack.load(os.path.join(ATTACK_DIR, f"{n}.json"), fm.info.image_shape, 10)
            for n in _names()]


def repair_checks(fm: data.Dataset) -> dict:
    """(d) without training: the clean set through detect + repair is itself (no alarm), and each
    repaired poisoned set equals the clean set repaired at the same pixels."""
    x, y = fm.train.x, fm.train.y
    checks = {"clean set through detect + repair is unchanged":
              detect.detect_and_repair(x, y, 10)[0] is x}
    for n, a in zip(_names(), _attacks(fm)):
        poisoned = attack.apply(a, x, y)
        report = detect.detect(poisoned, y, 10)
        for scope in FLAGS.repair_scopes:
            checks[f"{n} repaired (scope {scope}) == clean set repaired at the same pixels"] = (
                bool(np.array_equal(detect.repair(poisoned, y, report, scope=scope),
                                    detect.repair(x, y, report, scope=scope))))
    return checks


def judge_rows(fm: data.Dataset, seed: int, have: set) -> list[dict]:
    """One victim seed: clean, each attack poisoned, each repaired in each scope; the arms in
    ``have`` (already measured for this seed) are not trained again."""
    x, y = fm.train.x, fm.train.y
    recipe = strength.JudgeRecipe(epochs=FLAGS.epochs)
    names, attacks = _names(), _attacks(fm)
    start = time.time()
    rows = []
    if not {"(a) clean", *(f"(b) {n}" for n in names)} <= have:
        judged = strength.judge([None, *attacks], fm, recipe, victim_seed=seed)
        arms = ["(a) clean", *(f"(b) {n}" for n in names)]
        rows += [{"arm": arm, "seed": seed, **_acc(j)} for arm, j in zip(arms, judged)
                 if arm not in have]
    for n, a in zip(names, attacks):
        poisoned = attack.apply(a, x, y)
        report = detect.detect(poisoned, y, 10)
        for scope in FLAGS.repair_scopes:
            arm = _repaired_arm(n, scope)
            if arm in have:
                continue
            repaired = detect.repair(poisoned, y, report, scope=scope)
            repaired_set = data.Dataset(fm.info, data.Split(repaired, y), fm.test)
            rows.append({"arm": arm, "seed": seed, **_acc(strength.judge(
                [None], repaired_set, recipe, victim_seed=seed)[0])})
    logging.info("victim seed %d: %.0f s: %s", seed, time.time() - start, rows)
    return rows


def _earlier_victims(recipe: dict) -> list[dict]:
    """The victims ``--out`` already holds for the same recipe (model, epochs,
    images), limited to this run's arms: a rerun trains only the arms and seeds it lacks (the
    detection rows are measured again: about four minutes)."""
    try:
        with open(FLAGS.out) as f:
            earlier = json.load(f)
    except (OSError, ValueError):
        return []
    same = {k: v for k, v in recipe.items() if k in ("model", "epochs", "train_images",
                                                      "test_images")}
    if {k: earlier.get("victim_recipe", {}).get(k) for k in same} != same:
        return []
    rows = [{**r, "arm": LEGACY_ARM.sub(r"(c) \1 repaired, scope class", r["arm"])}
            for r in earlier.get("victims", [])]
    rows = [r for r in rows if r["arm"] in _arms()]
    logging.info("reusing %d victims from %s", len(rows), FLAGS.out)
    return rows


def _acc(judged: dict) -> dict:
    return {"clean_test_accuracy": judged["clean_test_accuracy"]}


def main(argv):
    del argv
    notes = []
    fm = data.load("fashion_mnist")
    x, y = fm.train.x, fm.train.y
    rows = [detection_row("fashion_mnist", "clean", x, y, 10, "clean", tolerance=t)
            for t in (0, 6)]
    rows += subset_rows("fashion_mnist", fm.train, 10)
    rows += cifar_rows(notes)
    rows += committed_rows(fm)
    rows += outside_rows(fm)
    columns = ["dataset", "poison", "kind", "poisoned", "max_score", "flagged_pixels",
               "precision", "recall", "recall_changed", "min_changed_score", "tolerance", "seconds"]
    print(summary.text_table(rows, columns, f"detector, threshold {detect.THRESHOLD}"))
    for note in notes:
        print("note:", note)
    machine = hardware.machine()
    clean = [r for r in rows if r["kind"] == "clean"]
    triggers = [r for r in rows if r["kind"] == "trigger"]
    recipe = {"model": "graynet", "epochs": FLAGS.epochs, "train_images": len(y),
              "test_images": len(fm.test), "arms": _arms()}
    victims = _earlier_victims(recipe)                  # before --out is written again
    checks = repair_checks(fm)
    victims = [r for r in victims if r["seed"] < FLAGS.victim_seeds]
    result = {"threshold": detect.THRESHOLD, "detection": rows, "notes": notes,
              "clean_max_score": {f"{r['dataset']}: {r['poison']}, tolerance {r['tolerance']}":
                                  r["max_score"] for r in clean},
              "lowest_trigger_score": min(r["min_changed_score"] for r in triggers),
              "machine": machine, "measured": time.strftime("%Y-%m-%d")}
    for seed in [None, *range(FLAGS.victim_seeds)]:     # None: write the detection rows first
        have = {r["arm"] for r in victims if r["seed"] == seed}
        if seed is not None and have != set(_arms()):
            victims += judge_rows(fm, seed, have)
        if victims:
            result.update(victims=victims, checks=checks, victim_recipe=recipe,
                          repair=summary.aggregate(victims, ("clean_test_accuracy",), by="arm",
                                                   order=_arms()))
        atomic.write_json(FLAGS.out, result)
    if victims:
        print(summary.text_table(result["repair"], ["arm", "n", "clean_test_accuracy_mean",
                                                    "clean_test_accuracy_std"],
                                 f"GrayNet victims, {FLAGS.epochs} epochs on 60k"))
        print("checks:", checks)
    print("machine:", machine)
    print(f"wrote {FLAGS.out}")


if __name__ == "__main__":
    define_flags()
    app.run(main)
