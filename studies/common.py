"""Shared by the studies: where an EvoShift attack comes from, and how results are written
(JSON, a printed table).

``--attack path.json`` uses that file; otherwise the strength benchmark's committed attack for the
dataset, N_p and seed (``benchmarks/results/attacks/``), otherwise the default search, run once
and cached under ``--workdir/attacks/`` (keyed by dataset, shape, N_p, seed and search config:
:mod:`evoshift_tf.studies.attacks`, the one attack source of every study).
"""

from __future__ import annotations

import os

from evoshift_tf import attack as attack_lib

BENCHMARK_ATTACKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                 "benchmarks", "results", "attacks")
"""The strength benchmark's committed attacks (``benchmarks/attack_strength.py``)."""


def define_single_victim_flags(train_images: int = 20000) -> None:
    """The flags of a study that trains one victim on one EvoShift attack: ``--dataset``,
    ``--attack``, ``--num_pixels``, ``--model``, ``--train_images``."""
    from absl import flags
    flags.DEFINE_string("dataset", "fashion_mnist", "dataset")
    flags.DEFINE_string("attack", None, "EvoShift attack JSON (default: the one attack source)")
    flags.DEFINE_integer("num_pixels", 1, "N_p of the attack")
    flags.DEFINE_string("model", "graynet", "victim")
    flags.DEFINE_integer("train_images", train_images, "class-balanced training subset (0 = all)")


def evoshift_attack(dataset, num_pixels: int, path: str | None = None, workdir: str = "runs",
                    seed: int = 0) -> attack_lib.PixelAttack:
    """The attack in ``path`` if given, else the benchmark's, cached or freshly searched one."""
    return attack_for(dataset, num_pixels, [path] if path else (), workdir, seed)


def attack_for(dataset, num_pixels: int, paths=(), workdir: str = "runs", seed: int = 0):
    """The attack among ``paths`` (``--attack`` files) whose N_p is ``num_pixels``, else the
    one attack source's (:func:`evoshift_tf.studies.attacks.evoshift_attacks`)."""
    from evoshift_tf.studies import attacks as attacks_lib
    matching = [p for p in paths or ()
                if attack_lib.load(p, dataset.info.image_shape,
                                   dataset.info.num_classes).num_pixels == num_pixels]
    return attacks_lib.evoshift_attacks(dataset, [num_pixels], matching,
                                        cache_dir=os.path.join(workdir, "attacks"),
                                        attack_dir=BENCHMARK_ATTACKS, seed=seed)[num_pixels]


def write_json(path: str, payload) -> None:
    """Atomic JSON write (numpy scalars and arrays become lists)."""
    import json

    import numpy as np

    def default(o):
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, np.generic):
            return o.item()
        raise TypeError(f"not JSON-able: {type(o).__name__}")

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(payload, f, indent=1, default=default)
    os.replace(tmp, path)


def print_table(rows: list[dict], columns: list[str], title: str = "") -> str:
    """:func:`evoshift_tf.summary.text_table` of ``rows``, printed and returned."""
    from evoshift_tf import summary
    text = summary.text_table(rows, columns, title)
    print(text)
    return text
