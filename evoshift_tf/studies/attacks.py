"""Where a study gets its EvoShift attacks: given files, a cache folder, or a small search."""

from __future__ import annotations

import os

from absl import logging

from evoshift_tf import attack as attack_lib
from evoshift_tf import data as data_lib
from evoshift_tf import search


def small_search_config(num_pixels: int, seed: int = 0) -> search.SearchConfig:
    """The studies' own small search (minutes on 2 cores): population 6, 5 generations,
    100 fit + 50 held-out images per class, 1 epoch per candidate. Pass ``--attack`` files from
    a real search (``pipelines`` / ``components.search``) for the paper's attack strength."""
    return search.SearchConfig.smoke(num_pixels=num_pixels, population=6, generations=5,
                                     per_class=100, holdout_per_class=50,
                                     discriminator_images=200, seed=seed)


def evoshift_attacks(dataset: data_lib.Dataset, num_pixels, paths=(), cache_dir: str | None = None,
                     config_fn=small_search_config) -> dict[int, attack_lib.PixelAttack]:
    """``{N_p: PixelAttack}`` for every ``N_p`` in ``num_pixels``.

    Files in ``paths`` are matched to ``N_p`` by their ``num_pixels``; a missing ``N_p`` is read
    from ``cache_dir/evoshift_np{N_p}.json`` if there, else searched with ``config_fn(N_p)`` on
    ``dataset`` (training split only) and written to the cache.
    """
    info = dataset.info
    given = {}
    for p in paths:
        a = attack_lib.load(p, info.image_shape, info.num_classes)
        given[a.num_pixels] = a
    out = {}
    for n in num_pixels:
        if n in given:
            out[n] = given[n]
            continue
        cached = os.path.join(cache_dir, f"evoshift_np{n}.json") if cache_dir else None
        if cached and os.path.exists(cached):
            out[n] = attack_lib.load(cached, info.image_shape, info.num_classes)
            continue
        logging.info("no attack given for N_p=%d: running a small EvoShift search", n)
        result = search.run(dataset, config_fn(n))
        out[n] = result.best_attack
        if cached:
            attack_lib.save(result.best_attack, cached)
    return out
