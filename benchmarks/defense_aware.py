"""The defender's table: EvoShift searched through defenses, against every defense.

    python -m benchmarks.defense_aware                  # Fashion-MNIST, GrayNet victims
    python -m benchmarks.defense_aware --victim_seeds=0 --columns=none,median3   # a quick look

Rows (``--rows``): ``clean``; ``evoshift`` (the paper's single pixels, the committed reference
attack N_p = 1 of the dataset when there is one, else searched here); ``evoshift_patch`` (the
same search over ``--patch_size`` patches, undefended); ``evoshift_<defense>`` searched over
patches *through* a defense (``SearchConfig.defenses``: median3, jpeg10, augment) and
``evoshift_all`` through all of ``--all_defenses`` at once (cost: their worst case,
``defense_cost=max``; not default rows: ``evoshift_all_mean``, their mean, and
``evoshift_all_and_none``, the worst case over undefended training too, since a defender may
also train plainly); One-Pixel Shortcut, Jacobsen et al. and random placement (N_p = 1).
``--start_attacks`` (attack files) starts every search from known attacks, kept as finalists.

Columns (``--columns``): victims trained through each defense (:mod:`benchmarks.victims`:
GrayNet / ColorNet train every row's victim together in one population, from the same weights
and batch order; ``--victim=resnet20 --victim_preprocessing=cropflip``, the paper's CIFAR-10
victim with crop and flip, trains one Keras victim per cell, the defense before the crop),
``detect_repair`` (:mod:`evoshift_tf.detect` flags and repairs the
poisoned set, then a plain victim), and **best defense**: the highest mean clean accuracy a
defender gets from any column but the detector (what the acceptance reads) and from any column.
A column the row's search never saw is *held out* (marked ``*`` in the table).

Budget: searches at ``--preset`` (``light`` by default) on the whole training set; victims
``--victim`` (GrayNet, ColorNet for colour) on a class-balanced ``--train_images`` subset
for ``--epochs``, clean accuracy on the whole test set after every epoch (final and peak), ``--victim_seeds``
seeds. Writes ``benchmarks/results/defense_aware_<dataset>.json`` (rows
``{attack, searched_through, defense, dataset, num_pixels, patch_size, search_seed, victim_seed,
clean_test_accuracy, peak_test_accuracy, held_out}``, a summary, visibility and detection per
attack, search times, CPU flags) after every (column, seed), the heat map beside it, and the
attacks in ``attacks_defense_aware_<dataset>/``; a rerun reuses both (resume after a crash).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time

import numpy as np
from absl import app, flags, logging

from evoshift_tf import atomic, attack, baselines, data, detect, hardware, metrics, search
from evoshift_tf import strength, summary
from evoshift_tf.studies import attacks as attacks_lib
from evoshift_tf.victims import dataset_defenses

from benchmarks import overrides, victims

FLAGS = flags.FLAGS
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
ROWS = ("clean", "evoshift", "evoshift_patch", "evoshift_median3", "evoshift_jpeg10",
        "evoshift_augment", "evoshift_all", "ops", "jacobsen", "random")
COLUMNS = ("none", "median3", "jpeg10", "bits4", "gauss5", "augment", "cutmix", "mixup",
           "detect_repair")
DETECTOR = "detect_repair"


def define_flags() -> None:
    """Flags, defined only when run as a script (a test imports the module)."""
    flags.DEFINE_string("dataset", "fashion_mnist", "dataset name, .npz or image folder")
    flags.DEFINE_list("rows", list(ROWS), "attacks (rows)")
    flags.DEFINE_list("columns", list(COLUMNS), "defenses (columns)")
    flags.DEFINE_list("all_defenses", ["median3", "jpeg10", "augment", "cutmix"],
                      "what evoshift_all is searched through")
    flags.DEFINE_integer("patch_size", 3, "k of the patch rows (k x k squares, N_p = 1)")
    flags.DEFINE_string("preset", "light", "search preset (SearchConfig.preset)")
    flags.DEFINE_integer("search_seed", 0, "seed of every search")
    flags.DEFINE_list("victim_seeds", ["0", "1", "2"], "victim seeds")
    flags.DEFINE_integer("train_images", 10000, "class-balanced victim training images")
    flags.DEFINE_integer("epochs", 6, "victim epochs")
    victims.define_flags("", "default: GrayNet, ColorNet for colour, together in the "
                         "population trainer")
    flags.DEFINE_string("work_dir", "runs/defense_aware", "search checkpoints (resumable)")
    flags.DEFINE_string("out", "", "JSON path (default benchmarks/results/"
                        "defense_aware_<dataset>.json)")
    flags.DEFINE_string("search_overrides", "{}", "SearchConfig fields every search changes "
                        "from the preset, as JSON (e.g. '{\"per_class\": 500}')")
    flags.DEFINE_string("evoshift_attack", "", "the plain EvoShift row's attack file (default: "
                        "the committed reference N_p = 1 attack of the dataset, else searched)")
    flags.DEFINE_bool("report_only", False, "print the Markdown tables of --out (the table and "
                      "each attack's visibility and detection), redraw its heat map and train "
                      "nothing")
    flags.DEFINE_string("attack_dir", "", "where searched attacks are kept (default "
                        "benchmarks/results/attacks_defense_aware_<dataset>)")
    flags.DEFINE_list("start_attacks", [], "attack files every searched row's search starts "
                      "from and keeps as finalists (search.run's seed_attacks; e.g. other "
                      "search seeds' attacks of the same shape)")


def searched_through(row: str) -> tuple[str, ...]:
    """The defenses row ``row``'s search trained through (``()`` for the rest)."""
    if row in ("evoshift_all", "evoshift_all_mean"):
        return tuple(FLAGS.all_defenses)
    if row == "evoshift_all_and_none":
        return ("none", *FLAGS.all_defenses)
    if row.startswith("evoshift_") and row != "evoshift_patch":
        return (row[len("evoshift_"):],)
    return ()


def search_config(row: str, info: data.DatasetInfo) -> search.SearchConfig:
    patch = 1 if row == "evoshift" else FLAGS.patch_size
    config = search.SearchConfig.preset(
        FLAGS.preset, **{**overrides.parse_search_overrides(FLAGS.search_overrides),
                         "seed": FLAGS.search_seed, "patch_size": patch,
                         "defenses": ",".join(searched_through(row)),
                         "defense_cost": "mean" if row.endswith("_mean") else "max"})
    return dataclasses.replace(config, model=config.search_model(info.image_shape[-1]))


def _attack_dir(name: str) -> str:
    return FLAGS.attack_dir or os.path.join(RESULTS, f"attacks_defense_aware_{name}")


def start_attacks(info: data.DatasetInfo) -> tuple[attack.PixelAttack, ...]:
    """The ``--start_attacks`` the searches start from (``()`` for a search from scratch)."""
    return tuple(attack.load(path, info.image_shape, info.num_classes)
                 for path in FLAGS.start_attacks)


def build_attack(row: str, dataset: data.Dataset,
                 starts: tuple[attack.PixelAttack, ...] = ()) -> attack.PixelAttack | None:
    """Row ``row``'s attack: read from the attack folder, the committed reference (plain
    EvoShift), or made now (searched: minutes to tens of minutes, from ``starts``, the
    ``--start_attacks``, when given) and saved.

    Raises:
      app.UsageError: the attack folder holds this row's attack searched from other starts
        or with another search config (``--preset``, ``--search_overrides``, patch size).
    """
    info = dataset.info
    if row == "clean":
        return None
    if row in ("ops", "jacobsen", "random"):
        return baselines.get(row, dataset.train, info.num_classes, 1, seed=FLAGS.search_seed)
    reference = os.path.join(attacks_lib.REFERENCE_DIR, info.name,
                             f"evoshift_np1_seed{FLAGS.search_seed}.json")
    if row == "evoshift" and (FLAGS.evoshift_attack or os.path.exists(reference)):
        return attack.load(FLAGS.evoshift_attack or reference, info.image_shape,
                           info.num_classes)
    started_from = [attack_id(a) for a in starts]
    config = search_config(row, info)
    path = os.path.join(_attack_dir(info.name), f"{row}_seed{FLAGS.search_seed}.json")
    if os.path.exists(path):
        found = attack.load(path, info.image_shape, info.num_classes)
        saved = found.provenance.get("started_from", [])
        if saved != started_from:
            raise app.UsageError(f"{path} was searched from other --start_attacks ({saved}, "
                                 f"now {started_from}): pass another --attack_dir")
        overrides.check_cached_config(found, config, path, "pass another --attack_dir")
        return found
    logging.info("searching %s through %s%s", row, searched_through(row) or "nothing",
                 f" from {started_from}" if starts else "")
    start = time.time()
    work = os.path.join(FLAGS.work_dir, info.name, f"{row}_seed{FLAGS.search_seed}"
                        + (f"_from_{'_'.join(started_from)}" if starts else ""))
    result = search.run(dataset, config, checkpoint_dir=work, seed_attacks=starts)
    found = dataclasses.replace(result.best_attack, provenance={
        **result.best_attack.provenance, "search_seconds": round(time.time() - start, 1),
        "machine": hardware.machine(), **({"started_from": started_from} if starts else {})})
    attack.save(found, path)
    return found


def attack_id(a: attack.PixelAttack | None) -> str:
    """A short hash of an attack's pixels (``clean`` for none): cached rows name what they
    measured."""
    if a is None:
        return "clean"
    text = json.dumps({k: v for k, v in attack.to_json(a).items() if k != "provenance"})
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def judges(info: data.DatasetInfo) -> victims.Judges:
    """The judging victims: ``--victim`` (default: GrayNet / ColorNet by channels) through
    ``--victim_preprocessing`` besides each column's defense."""
    return victims.Judges(
        model=FLAGS.victim or search.SearchConfig().search_model(info.image_shape[-1]),
        epochs=FLAGS.epochs, batch_size=FLAGS.victim_batch_size, precision="auto",
        overlay_images=500, track_peak=True,
        preprocessing=tuple(FLAGS.victim_preprocessing))


def judge_column(column: str, attacks: dict, subset: data.Dataset, seed: int) -> dict:
    """``{row: judged row}`` for one defense column and victim seed."""
    if column != DETECTOR:
        judged = victims.judge(list(attacks.values()), subset, judges(subset.info), seed,
                               defense=column)
        return dict(zip(attacks, judged))
    out = {}
    for row, a in attacks.items():     # each attack's repaired set is its own training set
        x = subset.train.x if a is None else attack.apply(a, subset.train.x, subset.train.y)
        repaired, _ = dataset_defenses.apply([DETECTOR], x, subset.train.y,
                                             subset.info.num_classes)
        fixed = dataclasses.replace(subset, train=data.Split(repaired, subset.train.y))
        out[row] = victims.judge([None], fixed, judges(subset.info), seed)[0]
    return out


def describe(row: str, a, dataset: data.Dataset) -> dict:
    """Visibility (changed pixels per image, PSNR) and what the detector says of a row."""
    info = dataset.info
    if a is None:
        report = detect.detect(dataset.train.x, dataset.train.y, info.num_classes)
        return {"poisoned_verdict": report.poisoned, "max_score": round(report.max_score, 4)}
    x = attack.apply(a, dataset.train.x, dataset.train.y)
    report = detect.detect(x, dataset.train.y, info.num_classes)
    found = detect.pixel_precision_recall(report, a.positions)
    return {**metrics.visibility(dataset.train.x, x), "num_pixels": a.num_pixels,
            "poisoned_verdict": report.poisoned, "max_score": round(report.max_score, 4),
            "pixel_precision": found["precision"], "pixel_recall": found["recall"],
            "search_seconds": a.provenance.get("search_seconds")}


def best_defense(summary_rows: list[dict]) -> dict:
    """``{attack: {...}}``: the column with the highest mean clean accuracy, without and with
    the detector."""
    out = {}
    for row in dict.fromkeys(s["attack"] for s in summary_rows):
        mine = [s for s in summary_rows if s["attack"] == row]
        pick = lambda rs: max(rs, key=lambda s: s["clean_test_accuracy_mean"])  # noqa: E731
        no_detector = pick([s for s in mine if s["defense"] != DETECTOR] or mine)
        overall = pick(mine)
        out[row] = {"defense": no_detector["defense"],
                    "clean_test_accuracy": no_detector["clean_test_accuracy_mean"],
                    "with_detector": overall["defense"],
                    "with_detector_accuracy": overall["clean_test_accuracy_mean"]}
    return out


def table(summary_rows: list[dict], rows, columns) -> str:
    """Markdown: mean clean accuracy per attack and defense (``± std (n)`` where n > 1; ``*``:
    a defense the row's search never saw) and the best defense without the detector."""
    cell = {(s["attack"], s["defense"]): s for s in summary_rows}
    best = best_defense(summary_rows)
    lines = []
    for row in rows:
        cells = []
        for col in columns:
            s = cell.get((row, col))
            mark = "*" if row.startswith("evoshift") and col not in searched_through(row) \
                and searched_through(row) else ""
            spread = (f" ± {s['clean_test_accuracy_std']:.3f} ({s['n']})"
                      if s is not None and s["n"] > 1 else "")
            cells.append("-" if s is None else
                         f"{s['clean_test_accuracy_mean']:.3f}{spread}{mark}")
        b = best.get(row)
        lines.append([row, *cells, "-" if b is None else
                      f"{b['clean_test_accuracy']:.3f} ({b['defense']})"])
    return summary.markdown_table(["attack", *columns, "best defense (no detector)"], lines)


def attack_table(attacks: dict) -> str:
    """Markdown: each attack's visibility and what the detector says of it."""
    lines = [[row, d.get("num_pixels", 0), f"{d['changed_pixels']:.2f}" if "changed_pixels" in d
              else "0", f"{d['psnr_db']:.1f}" if "psnr_db" in d else "-",
              "flagged" if d["poisoned_verdict"] else "no alarm", f"{d['max_score']:.3f}",
              f"{d['pixel_precision']:.2f} / {d['pixel_recall']:.2f}" if "pixel_recall" in d
              else "-"] for row, d in attacks.items()]
    return summary.markdown_table(["attack", "pixels per class", "changed pixels per image",
                                   "PSNR (dB)", "detector", "max score",
                                   "pixel precision / recall"], lines)


def heatmap(path: str, summary_rows: list[dict], rows, columns, title: str) -> None:
    from evoshift_tf.figures import study as study_figures
    cell = {(s["attack"], s["defense"]): s for s in summary_rows}
    best = best_defense(summary_rows)
    grid = {k: [[cell[(r, c)][f"{k}_mean"] if (r, c) in cell else np.nan for c in columns]
                + [best[r]["clean_test_accuracy"] if r in best else np.nan]
                for r in rows]
            for k in ("clean_test_accuracy", "peak_test_accuracy")}
    study_figures.defense_heatmap(path, {
        "attacks": list(rows), "defenses": [*columns, "best (no detector)"],
        "grid": {"final_test_accuracy": grid["clean_test_accuracy"],
                 "peak_test_accuracy": grid["peak_test_accuracy"]},
        "searched_through": [[c in searched_through(r) for c in columns] + [False]
                             for r in rows],
        "plot": {"title": title}, "study": "defense_aware"})


def check_columns() -> None:
    """Unknown defense, victim or preprocessing names fail before any work."""
    keras_victims = victims.Judges(model=FLAGS.victim or "graynet",
                                   preprocessing=tuple(FLAGS.victim_preprocessing))
    for column in FLAGS.columns:
        if column == DETECTOR:
            continue
        strength.JudgeRecipe(defense=column)
        if not keras_victims.population:
            keras_victims.keras_recipe(column).validate()


def main(argv):
    del argv
    check_columns()
    if FLAGS.report_only:
        with open(FLAGS.out) as f:
            result = json.load(f)
        present = [r for r in FLAGS.rows if r in result["attacks"]]
        columns = [c for c in FLAGS.columns if any(r["defense"] == c for r in result["rows"])]
        print(table(result["summary"], present, columns))
        print()
        print(attack_table({r: result["attacks"][r] for r in present}))
        _draw(FLAGS.out, result["rows"], result["summary"])    # redrawn from the JSON alone
        return
    dataset = data.load(FLAGS.dataset)
    info = dataset.info
    out = FLAGS.out or os.path.join(RESULTS, f"defense_aware_{info.name}.json")
    old = json.load(open(out)) if os.path.exists(out) else {}
    search_overrides = overrides.parse_search_overrides(FLAGS.search_overrides)
    starts = start_attacks(info)
    recipe = {"train_images": FLAGS.train_images, "epochs": FLAGS.epochs,
              "test_images": len(dataset.test), "search_preset": FLAGS.preset,
              **({"search_overrides": search_overrides} if search_overrides else {}),
              "patch_size": FLAGS.patch_size, "all_defenses": FLAGS.all_defenses,
              **({"victim": FLAGS.victim} if FLAGS.victim else {}),
              **({"victim_batch_size": FLAGS.victim_batch_size}
                 if FLAGS.victim_batch_size != 128 else {}),
              **({"victim_preprocessing": FLAGS.victim_preprocessing}
                 if FLAGS.victim_preprocessing else {}),
              **({"start_attacks": [attack_id(a) for a in starts]} if starts else {})}
    if old:
        saved = old.get("victim_recipe") or {}
        victims.refuse_other_recipe(out, saved, recipe, set(saved) | set(recipe))
    cached = old.get("rows", [])
    attacks, describes = {}, old.get("attacks", {})
    for row in FLAGS.rows:
        attacks[row] = build_attack(row, dataset, starts)
        if attack_id(attacks[row]) != describes.get(row, {}).get("attack_id"):
            describes[row] = {"attack_id": attack_id(attacks[row]),
                              "searched_through": list(searched_through(row)),
                              **describe(row, attacks[row], dataset)}
        logging.info("%s: %s", row, describes[row])
    subset = dataclasses.replace(dataset, train=data.balanced_subset(
        dataset.train, FLAGS.train_images // info.num_classes, info.num_classes, seed=0))
    rows = list(cached)
    for seed in (int(s) for s in FLAGS.victim_seeds):
        for column in FLAGS.columns:
            have = {(r["attack"], r["attack_id"]) for r in rows
                    if r["defense"] == column and r["victim_seed"] == seed}
            todo = {k: a for k, a in attacks.items() if (k, attack_id(a)) not in have}
            for batch in judges(info).batches(todo):
                start = time.time()
                judged = judge_column(column, batch, subset, seed)
                logging.info("%s seed %d: %d victims in %.0f s", column, seed, len(batch),
                             time.time() - start)
                rows += [_row(k, attacks[k], info.name, column, seed, j, time.time() - start)
                         for k, j in judged.items()]
                _write(out, rows, recipe, describes)
    print(f"\nmachine: {hardware.machine()}")
    print(table(_summary(rows), FLAGS.rows, FLAGS.columns))


def _row(name: str, a, dataset: str, column: str, seed: int, judged: dict,
         seconds: float) -> dict:
    """One cell of the table: attack ``name`` (``a``) on ``dataset`` judged under ``column`` by
    victim ``seed``."""
    return {"attack": name, "attack_id": attack_id(a), "searched_through":
            list(searched_through(name)), "defense": column, "dataset": dataset,
            "num_pixels": 0 if a is None else a.num_pixels,
            "patch_size": 1 if a is None else a.provenance.get("config", {}).get("patch_size", 1),
            "search_seed": FLAGS.search_seed, "victim_seed": seed,
            "held_out": column not in searched_through(name),
            "clean_test_accuracy": judged["clean_test_accuracy"],
            "peak_test_accuracy": judged["peak_test_accuracy"], "seconds": round(seconds, 1)}


def _summary(rows: list[dict]) -> list[dict]:
    return summary.aggregate(rows, ("clean_test_accuracy", "peak_test_accuracy"),
                             by=("attack", "defense"))


def _write(out: str, rows: list[dict], recipe: dict, describes: dict) -> None:
    s = _summary(rows)
    atomic.write_json(out, {"rows": rows, "summary": s, "best_defense": best_defense(s),
                            "attacks": describes, "victim_recipe": recipe,
                            "machine": hardware.machine(),
                            "measured": time.strftime("%Y-%m-%d")})
    _draw(out, rows, s)


def _columns_of(rows: list[dict]) -> list[str]:
    """The measured defenses: the default columns' order first, any other (``gray``,
    ``cropflip``) after them in the order measured, the detector last."""
    measured = list(dict.fromkeys(r["defense"] for r in rows))
    known = [c for c in COLUMNS if c in measured and c != DETECTOR]
    return known + [c for c in measured if c not in COLUMNS] + (
        [DETECTOR] if DETECTOR in measured else [])


def _draw(out: str, rows: list[dict], summary_rows: list[dict]) -> None:
    """The heat map beside ``out`` (its ``.png``)."""
    present = list(dict.fromkeys(r["attack"] for r in rows))
    heatmap(out[:-len(".json")] + ".png", summary_rows, present,
            _columns_of(rows),
            f"{rows[0]['dataset']}: clean test accuracy (peak), mean of victim seeds")


if __name__ == "__main__":
    define_flags()
    app.run(main)
