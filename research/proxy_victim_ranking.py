"""Can a short victim run rank CIFAR-10 attacks the way the full victims do?

    python -m research.proxy_victim_ranking --dataset=<cifar10 folder>   # about 40 min here

On CIFAR-10 the search's own cost ranked its seeds opposite to their victims (``docs/cifar10.md``:
on 10,000 images exactly reversed), so picking the lowest-cost seed picks the weakest attack. This
trains a *proxy* victim per committed CIFAR-10 attack (``--attack_dir``: the strength benchmark's
EvoShift seeds, baselines and random draws): the benchmark's victim (ResNet-20 with crop and flip,
Adam, batch 128, float32) on ``--proxy_images`` class-balanced images of the attack's own
10,000-image training subset for ``--proxy_epochs`` epochs, measured on ``--heldout_images``
training images outside that subset (the attacker's data; the test set stays unseen, Sec. V-C).
It then reads the full victims (``--full_jsons``: 10 epochs on the 10,000 images and on all
50,000; final and peak clean test accuracy) and prints, per proxy and reference, Spearman's rank
correlation over all attacks and the EvoShift seed each rule would pick per N_p (lowest proxy,
lowest search cost) with that seed's full victim.
Each proxy victim is cached in the JSON as soon as it is measured; a rerun resumes.
Writes ``research/results/proxy_victim_ranking.json``.
"""

from __future__ import annotations

import json
import os

import numpy as np
from absl import app, flags, logging

from benchmarks import victims
from evoshift_tf import atomic, attack, data, hardware, strength, summary

FLAGS = flags.FLAGS


def define_flags() -> None:
    """Flags, defined only when run as a script."""
    flags.DEFINE_string("dataset", None, "CIFAR-10 image folder (train/<class>, test/<class>)")
    flags.DEFINE_string("attack_dir", "benchmarks/results/attacks_cifar10_jpeg75",
                        "the attacks to rank (strength-benchmark file names)")
    flags.DEFINE_list("full_jsons", [
        "benchmarks/results/attack_strength_cifar10_jpeg75.json",
        "benchmarks/results/cifar10_jpeg75_50000_images/attack_strength_cifar10_jpeg75.json"],
        "the full victims of those attacks (strength-benchmark files: 10,000 and 50,000 images)")
    flags.DEFINE_integer("train_images", 10000, "the strength benchmark's training subset, "
                         "which the attacks were searched on and the proxies sample from")
    flags.DEFINE_list("proxy_images", ["2000", "4000"], "proxy training images, one per proxy")
    flags.DEFINE_list("proxy_epochs", ["3", "4"], "proxy epochs, one per proxy")
    flags.DEFINE_list("victim_seeds", ["0"], "proxy victims per attack and proxy")
    flags.DEFINE_integer("heldout_images", 2000, "training images outside the subset the "
                         "proxies are measured on")
    flags.DEFINE_string("out", "research/results/proxy_victim_ranking.json", "result JSON")


def attack_key(name: str) -> tuple[str, int, int | None]:
    """``evoshift_np5_seed3.json`` -> ``("evoshift", 5, 3)``; ``ops_np1.json`` -> ``("ops", 1,
    None)``: the strength benchmark's (attack, num_pixels, search_seed)."""
    parts = name[:-len(".json")].split("_")
    seed = int(parts[2][len("seed"):]) if len(parts) > 2 else None
    return parts[0], int(parts[1][len("np"):]), seed


def proxy_splits(dataset: data.Dataset, train_images: int, proxy_images: int,
                 heldout_images: int) -> tuple[data.Split, data.Split]:
    """(proxy training images drawn from the benchmark's ``train_images`` subset, held-out
    training images outside it): the benchmark's subset is ``data.balanced_subset`` with its
    default seed, so the proxies train on images the search saw and are measured on ones it did
    not."""
    c = dataset.info.num_classes
    searched = data.balanced_subset(dataset.train, train_images // c, c)
    proxy_train = data.balanced_subset(searched, proxy_images // c, c, seed=1)
    seen = {im.tobytes() for im in searched.x}
    outside = np.flatnonzero([im.tobytes() not in seen for im in dataset.train.x])
    heldout = data.balanced_subset(dataset.train.take(outside), heldout_images // c, c, seed=2)
    return proxy_train, heldout


FULL_FIELDS = {"final": "clean_test_accuracy", "peak": "peak_test_accuracy"}


def full_victims(paths: list[str]) -> dict[str, dict[tuple, float]]:
    """``{"<training images> <final|peak>": {(attack, num_pixels, search_seed): mean clean test
    accuracy of its full victims}}``, one reference per file and field."""
    out = {}
    for path in paths:
        with open(path) as f:
            doc = json.load(f)
        images = doc["victim"]["train_images"]
        rows = [r for r in doc["rows"] if r["attack"] != "clean"]
        for label, field in FULL_FIELDS.items():
            stats = summary.aggregate(rows, (field,), by=("attack", "num_pixels", "search_seed"))
            out[f"{images} {label}"] = {(s["attack"], s["num_pixels"], s["search_seed"]):
                                        s[f"{field}_mean"] for s in stats}
    return out


def picks(proxy: dict[tuple, float], full: dict[tuple, float],
          search_cost: dict[tuple, float]) -> list[dict]:
    """Per N_p with several EvoShift seeds: the seed each rule picks and its full victim,
    beside the mean and the best over seeds."""
    out = []
    for n in sorted({k[1] for k in proxy if k[0] == "evoshift"}):
        seeds = sorted(k for k in proxy if k[0] == "evoshift" and k[1] == n and k in full)
        if len(seeds) < 2:
            continue
        by_proxy = min(seeds, key=proxy.get)
        by_cost = min(seeds, key=lambda k: search_cost.get(k, np.inf))
        out.append({"num_pixels": n, "seeds": [k[2] for k in seeds],
                    "proxy_pick": by_proxy[2], "proxy_pick_full": full[by_proxy],
                    "cost_pick": by_cost[2], "cost_pick_full": full[by_cost],
                    "mean_full": float(np.mean([full[k] for k in seeds])),
                    "best_full": min(full[k] for k in seeds),
                    "spearman_within": summary.rank_correlation(
                        [proxy[k] for k in seeds], [full[k] for k in seeds])})
    return out


def measure(dataset, named: dict, rows: list[dict]) -> list[dict]:
    """Trains every missing (proxy, victim seed, attack) and returns all rows (cached)."""
    for images, epochs in zip((int(p) for p in FLAGS.proxy_images),
                              (int(e) for e in FLAGS.proxy_epochs)):
        train, heldout = proxy_splits(dataset, FLAGS.train_images, images, FLAGS.heldout_images)
        proxy_set = data.Dataset(dataset.info, train, heldout)
        recipe = victims.Judges(model="resnet20", epochs=epochs,
                                preprocessing=("cropflip",)).keras_recipe()
        for seed in (int(s) for s in FLAGS.victim_seeds):
            for name, a in named.items():
                key = dict(zip(("attack", "num_pixels", "search_seed"), attack_key(name)),
                           proxy_images=images, proxy_epochs=epochs, victim_seed=seed)
                if any(all(r.get(k) == v for k, v in key.items()) for r in rows):
                    continue
                got = strength.judge_keras(a, proxy_set, recipe, victim_seed=seed,
                                           overlay_images=200)
                rows.append({**key, "heldout_accuracy": got["clean_test_accuracy"],
                             "heldout_accuracy_per_epoch": got["test_accuracy_per_epoch"]})
                atomic.write_json(FLAGS.out, {"rows": rows, "machine": hardware.machine()})
                logging.info("%s proxy %dx%d seed %d: %.4f", name, images, epochs, seed,
                             got["clean_test_accuracy"])
    return rows


def report(rows: list[dict], references: dict[str, dict], search_cost: dict) -> dict:
    """Per proxy: its held-out accuracy beside every full reference, Spearman with each over
    all attacks, and each reference's seed picks."""
    out = {}
    for images, epochs in sorted({(r["proxy_images"], r["proxy_epochs"]) for r in rows}):
        stats = summary.aggregate([r for r in rows if r["proxy_images"] == images
                                   and r["proxy_epochs"] == epochs], ("heldout_accuracy",),
                                  by=("attack", "num_pixels", "search_seed"))
        proxy = {(s["attack"], s["num_pixels"], s["search_seed"]): s["heldout_accuracy_mean"]
                 for s in stats}
        shown = {(s["attack"], s["num_pixels"], s["search_seed"]):
                 summary.fmt(s, "heldout_accuracy") for s in stats}
        keys = sorted(proxy, key=str)
        name = f"{images} images x {epochs} epochs"
        out[name] = {"proxy": {"_".join(map(str, k)): v for k, v in proxy.items()},
                     "victims": sorted({r["victim_seed"] for r in rows
                                        if r["proxy_images"] == images
                                        and r["proxy_epochs"] == epochs}), "references": {}}
        print(f"\n## proxy {name} (victim seeds {out[name]['victims']})")
        print(summary.markdown_table(
            ("attack", "N_p", "seed", "proxy (mean ± std over its victims)", *references),
            ((k[0], k[1], "-" if k[2] is None else k[2], shown[k],
              *(f"{ref[k]:.3f}" if k in ref else "-" for ref in references.values()))
             for k in keys)))
        for label, ref in references.items():
            both = [k for k in keys if k in ref]
            got = {"attacks": len(both), "spearman_all": summary.rank_correlation(
                       [proxy[k] for k in both], [ref[k] for k in both]),
                   "picks": picks(proxy, ref, search_cost)}
            out[name]["references"][label] = got
            print(f"{label}: Spearman over {len(both)} attacks {got['spearman_all']:+.2f}; "
                  + "; ".join(f"N_p = {p['num_pixels']}: within seeds "
                              f"{p['spearman_within']:+.2f}, proxy picks seed {p['proxy_pick']}"
                              f" ({p['proxy_pick_full']:.3f}), cost picks seed "
                              f"{p['cost_pick']} ({p['cost_pick_full']:.3f}), mean "
                              f"{p['mean_full']:.3f}, best {p['best_full']:.3f}"
                              for p in got["picks"]))
    return out


def search_costs(named: dict[str, attack.PixelAttack]) -> dict[tuple, float]:
    """Each EvoShift attack's own search cost (its provenance's ``best_cost``), by
    :func:`attack_key`."""
    return {attack_key(name): a.provenance["best_cost"] for name, a in named.items()
            if name.startswith("evoshift_")}


def main(argv):
    del argv
    logging.set_verbosity(logging.INFO)
    saved = {}
    if os.path.exists(FLAGS.out):
        with open(FLAGS.out) as f:
            saved = json.load(f)
    rows = saved.get("rows", [])
    if len(FLAGS.proxy_images) != len(FLAGS.proxy_epochs):
        raise app.UsageError("--proxy_images and --proxy_epochs pair up: give as many of each")
    named = {n: attack.load(os.path.join(FLAGS.attack_dir, n))
             for n in sorted(os.listdir(FLAGS.attack_dir)) if n.endswith(".json")}
    if FLAGS.dataset:
        rows = measure(data.load(FLAGS.dataset), named, rows)
    summaries = report(rows, full_victims(FLAGS.full_jsons), search_costs(named))
    atomic.write_json(FLAGS.out, {"rows": rows, "summaries": summaries,
                                  "machine": saved.get("machine") or hardware.machine()})
    print("wrote", FLAGS.out)


if __name__ == "__main__":
    define_flags()
    app.run(main)
