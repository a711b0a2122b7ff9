"""Attack strength: EvoShift against the baselines, judged by the same victims, at every N_p.

    python -m benchmarks.attack_strength                       # the full run (about an hour
                                                              # on a 2-core AVX-512 machine)
    python -m benchmarks.attack_strength --num_pixels=1 --search_seeds=0 --victim_seeds=0

Every attack is judged by a GrayNet per ``--victim_seeds`` seed, trained from scratch with Adam 1e-3, batch 128, for
``--victim_epochs`` (5) on the *full* poisoned training set (GrayNet / ColorNet victims of one N_p
train together, :func:`evoshift_tf.strength.judge`; any other ``--victim``, or one with
``--victim_preprocessing``, is a Keras model trained alone): clean test accuracy, alpha_S
(Eq. (12)), alpha_N (Eq. (13)).
Attacks: the default search (``SearchConfig()``) for each search seed, random placement for each
seed, Jacobsen et al., One-Pixel Shortcut. A search at N_p > 1 starts from every attack found at
a smaller N_p (grown by ``attack.extend``; at most ``population - 2``, beside the two baselines)
and keeps them as finalists, so by its own held-out measure (the test set stays unseen) it
returns none weaker than them.

Each finished search (its attack file) and each training run (its rows: one N_p's population,
or one Keras victim) are cached under
``--out_dir``, so an interrupted run resumes (a cached search is reused only if it was made
with the same search config). Prints a table, writes ``attack_strength.json``
(rows and the machine's CPU flags), ``attack_strength.png`` (clean accuracy against N_p, mean
and std over search and victim seeds) and the attacks under ``attacks/``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Iterator

from absl import app, flags, logging

from benchmarks import overrides as overrides_lib
from benchmarks import victims
from evoshift_tf import atomic, attack, baselines, data, figures, search, summary
from evoshift_tf import hardware

FLAGS = flags.FLAGS
flags.DEFINE_list("num_pixels", ["1", "2", "5", "10"], "N_p values, run in increasing order")
flags.DEFINE_list("search_seeds", ["0", "1", "2"], "search seeds at the N_p of --all_seeds_at")
flags.DEFINE_list("all_seeds_at", ["1", "5"], "N_p values that get every seed; others seed 0")
flags.DEFINE_integer("victim_epochs", 5, "epochs of each judging victim on the full set")
flags.DEFINE_list("victim_seeds", ["0", "1", "2"],
                  "init and batch-order seeds of the judging victims: one victim per attack and "
                  "seed (the same attack's victims differ by up to 0.09 between seeds)")
flags.DEFINE_string("victim_precision", "float32", "judging victims' compute precision")
victims.define_flags("graynet", "graynet/colornet train together in the population trainer")
flags.DEFINE_integer("train_images", 0, "class-balanced training subset every attack is searched "
                     "and judged on (0 = the whole training set: the published figures)")
flags.DEFINE_string("dataset", "fashion_mnist", "dataset name, .npz path, image or IDX folder")
flags.DEFINE_string("out_dir", "benchmarks/results", "where JSON, PNG and attacks go (files "
                    "named attack_strength_<dataset> and attacks_<dataset>/ for a dataset other "
                    "than fashion_mnist)")
flags.DEFINE_string("search_overrides", "{}",
                    'SearchConfig fields to change, a JSON object, e.g. \'{"domain_weight": 0}\'')
flags.DEFINE_bool("report_only", False, "print the tables of the JSON and redraw its plot; "
                  "nothing is searched or trained, the dataset is not read")
ATTACKS = ("evoshift", "random", "jacobsen", "ops", "clean")
flags.DEFINE_list("attacks", list(ATTACKS), "attacks to judge")


def machine() -> dict:
    """The facts a timing or a float round-off needs beside it, and the search's precision."""
    return {**hardware.machine(), "search_precision": hardware.resolve_precision()}


def search_overrides() -> dict:
    """``--search_overrides`` as a dict of known ``SearchConfig`` fields (else a usage error)."""
    return overrides_lib.parse_search_overrides(FLAGS.search_overrides)


def seeds_for(num_pixels: int) -> list[int]:
    seeds = [int(s) for s in FLAGS.search_seeds]
    return seeds if str(num_pixels) in FLAGS.all_seeds_at else seeds[:1]


def dataset_name() -> str:
    """``--dataset`` as the files name it: a path's base name without extension (an image
    folder's ``DatasetInfo.name``), or the registry name."""
    base = os.path.basename(os.path.normpath(FLAGS.dataset))
    return os.path.splitext(base)[0].replace("/", "_")


def _suffix() -> str:
    """``""`` for Fashion-MNIST (the published files' names), ``_<dataset>`` otherwise."""
    return "" if dataset_name() == "fashion_mnist" else "_" + dataset_name()


def _attack_path(name: str, num_pixels: int, seed: int | None) -> str:
    suffix = "" if seed is None else f"_seed{seed}"
    return os.path.join(FLAGS.out_dir, f"attacks{_suffix()}", f"{name}_np{num_pixels}{suffix}.json")


def _starting_attacks(num_pixels: int, room: int) -> list[attack.PixelAttack]:
    """Every EvoShift attack found at a smaller N_p (largest N_p first, then by search cost), at
    most ``room``: the search starts from all of them and keeps them as finalists, so its own
    measure (the held-out score under shared weights, never the test set) picks the best start
    or beats it. Search costs of different seeds come from different fit sets and do not compare
    (the N_p = 1 seed with the lowest cost had the weakest-but-one victims), so none is dropped
    on them but to make room."""
    starts = []
    for n in sorted({int(p) for p in FLAGS.num_pixels if int(p) < num_pixels}, reverse=True):
        found = [attack.load(p) for p in (_attack_path("evoshift", n, s) for s in seeds_for(n))
                 if os.path.exists(p)]
        starts += sorted(found, key=lambda a: a.provenance["best_cost"])
    return starts[:room]


def evoshift_attack(dataset, num_pixels: int, seed: int) -> tuple[attack.PixelAttack, float]:
    """The default search's attack for (N_p, seed), from the cache or searched now."""
    path = _attack_path("evoshift", num_pixels, seed)
    config = search.SearchConfig(num_pixels=num_pixels, seed=seed, **search_overrides())
    config = dataclasses.replace(config, model=config.search_model(dataset.info.image_shape[-1]))
    if os.path.exists(path):
        a = attack.load(path)
        overrides_lib.check_cached_config(a, config, path,
                                          "use another --out_dir or delete the file")
        return a, a.provenance["search_seconds"]
    starts = _starting_attacks(num_pixels, search.seed_attack_room(config))
    t = time.time()
    result = search.run(dataset, config, seed_attacks=tuple(starts))
    seconds = time.time() - t
    a = result.best_attack
    a = dataclasses.replace(a, provenance={
        **a.provenance, "search_seconds": seconds,
        "started_from": [s.provenance["config"]["num_pixels"] for s in starts]})
    attack.save(a, path)
    return a, seconds


def attacks_for(dataset, num_pixels: int) -> list[tuple[str, int | None, attack.PixelAttack, float | None]]:
    """(attack, search_seed, PixelAttack, search_seconds) for every attack judged at N_p."""
    info = dataset.info
    out = []
    for s in seeds_for(num_pixels) if "evoshift" in FLAGS.attacks else ():
        a, seconds = evoshift_attack(dataset, num_pixels, s)
        out.append(("evoshift", s, a, seconds))
    for name, s in ([("random", s) for s in seeds_for(num_pixels)]
                    + [("jacobsen", None), ("ops", None)]):
        if name not in FLAGS.attacks:
            continue
        a = baselines.get(name, dataset.train, info.num_classes, num_pixels, seed=s or 0)
        a = dataclasses.replace(a, provenance={**a.provenance, "dataset": info.name})
        attack.save(a, _attack_path(name, num_pixels, s))
        out.append((name, s, a, None))
    if "clean" in FLAGS.attacks and num_pixels == min(int(p) for p in FLAGS.num_pixels):
        out.append(("clean", None, None, None))          # the same victim on clean data
    return out


def _load(path: str) -> dict:
    """The results file at ``path`` (``{}`` if there is none yet)."""
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def victim_recipe() -> dict:
    """How the judging victims train, as the JSON's ``victim`` records it."""
    return {"model": FLAGS.victim, "optimizer": "adam", "learning_rate": 1e-3,
            "batch_size": FLAGS.victim_batch_size, "preprocessing": FLAGS.victim_preprocessing,
            "precision": FLAGS.victim_precision, "epochs": FLAGS.victim_epochs,
            "train_images": FLAGS.train_images or "all",
            "seeds": [int(v) for v in FLAGS.victim_seeds]}


PER_ROW = {"epochs": "victim_epochs", "seeds": "victim_seed"}
"""Recipe fields every row records itself (recipe field -> row field): rows that differ in them
share a file; rows that differ in any other field do not."""


def file_recipe(rows: list[dict]) -> dict:
    """The JSON's ``victim``: :func:`victim_recipe` with the per-row fields as the rows hold
    them (``epochs`` one number, or the sorted list when the rows differ; ``seeds`` sorted),
    not as the last invocation asked."""
    held = {k: sorted({r[field] for r in rows if r.get(field) is not None})
            for k, field in PER_ROW.items()}
    if len(held["epochs"]) == 1:
        held["epochs"] = held["epochs"][0]
    return {**victim_recipe(), **{k: v for k, v in held.items() if v != []}}


def _check_same_victims(path: str, saved: dict) -> None:
    """A usage error if the file at ``path`` (its ``victim`` recipe ``saved``) holds victims
    trained another way than asked (model, training images, preprocessing...): their rows
    would be mixed with these."""
    asked = victim_recipe()      # a field the file lacks was added since: not compared
    victims.refuse_other_recipe(path, saved, asked,
                                [k for k in asked if k not in PER_ROW and k in saved])


def _save(path: str, rows: list[dict]) -> None:
    atomic.write_json(path, {"rows": rows, "machine": machine(),
                             "search_overrides": search_overrides(),
                             "victim": file_recipe(rows)})


def _judges() -> victims.Judges:
    """How the judging victims train, from the flags."""
    return victims.Judges(model=FLAGS.victim, epochs=FLAGS.victim_epochs,
                          batch_size=FLAGS.victim_batch_size, precision=FLAGS.victim_precision,
                          preprocessing=tuple(FLAGS.victim_preprocessing))


def judge_num_pixels(dataset, num_pixels: int, victim_seed: int,
                     rows: list[dict]) -> Iterator[list[dict]]:
    """New rows for N_p and one victim seed, a list per training run (the population trainer's
    victims train together, Keras victims one at a time); rows already cached are skipped."""
    key = lambda r: (r["attack"], r["num_pixels"], r["search_seed"], r["victim_seed"],  # noqa
                     r["victim_epochs"])
    done = {key(r) for r in rows}
    todo = [(n, s, a, sec) for n, s, a, sec in attacks_for(dataset, num_pixels)
            if (n, num_pixels, s, victim_seed, FLAGS.victim_epochs) not in done]
    judges = _judges()
    for batch in judges.batches(todo):
        logging.info("N_p=%d, victim seed %d: training %s for %d epochs (%s)",
                     num_pixels, victim_seed,
                     "1 victim" if len(batch) == 1 else f"{len(batch)} victims together",
                     FLAGS.victim_epochs,
                     ", ".join(n if s is None else f"{n} seed {s}" for n, s, _, _ in batch))
        judged = victims.judge([a for _, _, a, _ in batch], dataset, judges, victim_seed)
        yield [{"attack": n, "num_pixels": num_pixels,
                "search_seed": s, "victim": FLAGS.victim,
                "victim_seed": victim_seed, "victim_epochs": FLAGS.victim_epochs,
                "clean_test_accuracy": r["clean_test_accuracy"], "alpha_S": r["alpha_S"],
                "alpha_N": r.get("alpha_N"), "peak_test_accuracy": r.get("peak_test_accuracy"),
                "search_seconds": sec}
               for (n, s, _, sec), r in zip(batch, judged)]


def per_search_seed(rows: list[dict]) -> str:
    """EvoShift's clean accuracy per (N_p, search seed), averaged over the victims."""
    stats = summary.aggregate([r for r in rows if r["attack"] == "evoshift"],
                              ("clean_test_accuracy",), by=("num_pixels", "search_seed"))
    return "\n".join(f"EvoShift N_p = {s['num_pixels']}, search seed {s['search_seed']}: "
                     f"{summary.fmt(s, 'clean_test_accuracy')} (n={s['n']} victims)"
                     for s in stats)


def summarise(rows: list[dict], key: str = "clean_test_accuracy") -> list[dict]:
    """Mean ± std of ``key`` per attack and N_p."""
    return summary.aggregate([r for r in rows if r.get(key) is not None], (key,),
                             by=("attack", "num_pixels"))


def table(rows: list[dict], key: str = "clean_test_accuracy") -> str:
    stats = {(s["attack"], s["num_pixels"]): s for s in summarise(rows, key)}
    nps = sorted({n for _, n in stats})
    cell = lambda s: f"{summary.fmt(s, key)} (n={s['n']})"  # noqa: E731
    return summary.markdown_table(
        ["attack", *(f"N_p = {n}" for n in nps)],
        ([name, *(cell(stats[name, n]) if (name, n) in stats else "-" for n in nps)]
         for name in ATTACKS))


def plot_title(recipe: dict, dataset: str) -> str:
    """The plot's title from the file's ``victim`` recipe (a redraw tells the file's victims,
    not the flags'): model, preprocessing, epochs, training images, dataset."""
    steps = "+".join(recipe.get("preprocessing") or [])
    images = recipe.get("train_images", "all")
    images = f"{images:,}" if isinstance(images, int) else images
    epochs = recipe.get("epochs", "?")
    epochs = "/".join(map(str, epochs)) if isinstance(epochs, list) else epochs
    return (f"{recipe.get('model', '?')} victims{' ' + steps if steps else ''}, "
            f"{epochs} epochs on {images} poisoned training images, "
            f"{dataset}")


def plot(rows: list[dict], path: str, recipe: dict) -> str:
    """Draws the N_p plot at ``path``; returns its title."""
    title = plot_title(recipe, dataset_name())
    figures.accuracy_vs_num_pixels(path, summarise(rows), ATTACKS, title)
    return title


def main(argv):
    del argv
    logging.set_verbosity(logging.INFO)
    if set(FLAGS.attacks) - set(ATTACKS):
        raise app.UsageError(f"--attacks: unknown {sorted(set(FLAGS.attacks) - set(ATTACKS))}; "
                             f"known: {list(ATTACKS)}")
    search_overrides()
    json_path = os.path.join(FLAGS.out_dir, f"attack_strength{_suffix()}.json")
    saved = _load(json_path)
    if FLAGS.report_only:
        report(saved.get("rows", []), json_path, saved.get("victim") or {},
               saved.get("machine"))
        return
    _check_same_victims(json_path, saved.get("victim") or {})
    dataset = data.load(FLAGS.dataset)
    if FLAGS.train_images:
        c = dataset.info.num_classes
        dataset = data.Dataset(dataset.info, data.balanced_subset(
            dataset.train, FLAGS.train_images // c, c), dataset.test)
    os.makedirs(os.path.join(FLAGS.out_dir, f"attacks{_suffix()}"), exist_ok=True)
    rows = saved.get("rows", [])
    for n in sorted(int(p) for p in FLAGS.num_pixels):
        for v in (int(s) for s in FLAGS.victim_seeds):
            for judged in judge_num_pixels(dataset, n, v, rows):
                rows += judged
                _save(json_path, rows)           # each finished victim survives a crash
    report(rows, json_path, file_recipe(rows), machine())
    print("wrote", json_path)


def report(rows: list[dict], json_path: str, recipe: dict, measured_on: dict | None) -> None:
    """The plot beside ``json_path`` and the tables of ``rows`` on stdout; ``recipe`` and
    ``measured_on`` are the file's ``victim`` and ``machine``."""
    if not rows:
        raise app.UsageError(f"no rows in {json_path}")
    png = json_path[:-len(".json")] + ".png"
    title = plot(rows, png, recipe)
    print("final clean test accuracy\n" + table(rows))
    if any(r.get("peak_test_accuracy") is not None for r in rows):
        print("peak clean test accuracy over the epochs\n" + table(rows, "peak_test_accuracy"))
    print(per_search_seed(rows))
    print("machine:", measured_on)
    print(f"plot: {png} ({title})")


if __name__ == "__main__":
    app.run(main)
