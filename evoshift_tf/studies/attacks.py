"""Where every study gets its EvoShift attacks: one source for all of them.

In order: attack files the caller gives (``paths``), then the committed reference attacks
(``attack_dir``, by default :data:`REFERENCE_DIR`: ``<dataset>/evoshift_np{N}_seed{S}.json`` files
found and measured by ``benchmarks/attack_strength.py``; only used when they were found on the
same dataset), then a
cache of earlier searches, then a search. The cache key holds everything the attack depends on
(dataset name and image shape, N_p, seed, the search configuration), so a dataset of the same
shape never reuses another dataset's attack.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os

from absl import logging

from evoshift_tf import attack as attack_lib
from evoshift_tf import data as data_lib
from evoshift_tf import search

REFERENCE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "reference_attacks")
"""The committed attacks the studies and the reproduction use, one folder per dataset
(``evoshift_tf/reference_attacks/<dataset>/``)."""


def small_search_config(num_pixels: int, seed: int = 0) -> search.SearchConfig:
    """The studies' fallback search when no attack file is given: the default search
    (``SearchConfig()``, minutes on 2 cores) at this N_p and seed."""
    return search.SearchConfig(num_pixels=num_pixels, seed=seed)


def cache_key(info: data_lib.DatasetInfo, config: search.SearchConfig) -> str:
    """File name of a searched attack: dataset, image shape, N_p, seed and a hash of the whole
    search configuration."""
    cfg = json.dumps(dataclasses.asdict(config), sort_keys=True)
    digest = hashlib.sha256(cfg.encode()).hexdigest()[:12]
    shape = "x".join(str(s) for s in info.image_shape)
    name = info.name.replace("/", "_")
    return f"{name}_{shape}_np{config.num_pixels}_seed{config.seed}_{digest}.json"


def _from_attack_dir(attack_dir: str | None, info: data_lib.DatasetInfo, num_pixels: int,
                     seed: int) -> attack_lib.PixelAttack | None:
    """A committed attack for this dataset, N_p and seed, if there is one: in
    ``attack_dir/<dataset>/`` (the :data:`REFERENCE_DIR` layout) or ``attack_dir`` itself."""
    if not attack_dir:
        return None
    name = f"evoshift_np{num_pixels}_seed{seed}.json"
    candidates = [os.path.join(attack_dir, info.name.replace("/", "_"), name),
                  os.path.join(attack_dir, name)]
    path = next((p for p in candidates if os.path.exists(p)), None)
    if path is None:
        return None
    a = attack_lib.load(path)
    if (a.provenance.get("dataset") != info.name or a.image_shape != tuple(info.image_shape)
            or a.num_classes != info.num_classes):
        return None
    return a


def evoshift_attacks(dataset: data_lib.Dataset, num_pixels, paths=(), cache_dir: str | None = None,
                     config_fn=small_search_config, attack_dir: str | None = REFERENCE_DIR,
                     seed: int = 0) -> dict[int, attack_lib.PixelAttack]:
    """``{N_p: PixelAttack}`` for every ``N_p`` in ``num_pixels`` (see the module docstring for
    the order of the sources). A search uses ``config_fn(N_p, seed)`` on the training split only
    and is written to ``cache_dir`` under :func:`cache_key`."""
    info = dataset.info
    given = {}
    for p in paths or ():
        a = attack_lib.load(p, info.image_shape, info.num_classes)
        given[a.num_pixels] = a
    out = {}
    for n in num_pixels:
        found = given.get(n) or _from_attack_dir(attack_dir, info, n, seed)
        if found is not None:
            out[n] = found
            continue
        config = config_fn(n, seed)
        cached = os.path.join(cache_dir, cache_key(info, config)) if cache_dir else None
        if cached and os.path.exists(cached):
            out[n] = attack_lib.load(cached, info.image_shape, info.num_classes)
            continue
        logging.info("no attack given for %s N_p=%d: running the EvoShift search", info.name, n)
        out[n] = search.run(dataset, config).best_attack
        if cached:
            attack_lib.save(out[n], cached)
    return out
