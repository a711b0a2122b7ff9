"""Shared by the studies: where an EvoShift attack comes from (a file, or a small search), and
how results are written (JSON, a printed table).

``--attack path.json`` uses that file; otherwise a small search runs once and its result is cached
under ``--workdir/attacks/<dataset>_np<N>_seed<S>.json`` so the other studies reuse it. The small
search is a documented budget for 2 CPU cores, not the paper's (the paper gives none).
"""

from __future__ import annotations

import os

from absl import logging

from evoshift_tf import attack as attack_lib
from evoshift_tf import search

SMALL_SEARCH = dict(population=6, generations=4, per_class=200, holdout_per_class=50,
                    epochs=2, batch_size=64, discriminator_images=400, discriminator_epochs=1)
"""~1-3 minutes per search on 2 shared CPU cores (GrayNet, Fashion-MNIST)."""


def evoshift_attack(dataset, num_pixels: int, path: str | None = None, workdir: str = "runs",
                    seed: int = 0, **search_overrides) -> attack_lib.PixelAttack:
    """The attack in ``path`` if given, else the cached or freshly searched one."""
    if path:
        return attack_lib.load(path, dataset.info.image_shape, dataset.info.num_classes)
    cache = os.path.join(workdir, "attacks",
                         f"{dataset.info.name}_np{num_pixels}_seed{seed}.json")
    if os.path.exists(cache):
        logging.info("using cached EvoShift attack %s", cache)
        return attack_lib.load(cache, dataset.info.image_shape, dataset.info.num_classes)
    cfg = search.SearchConfig(**{**SMALL_SEARCH, "num_pixels": num_pixels, "seed": seed,
                                 **search_overrides})
    logging.info("no --attack given: running a small EvoShift search (N_p=%d) %s", num_pixels, cfg)
    result = search.run(dataset, cfg)
    attack_lib.save(result.best_attack, cache)
    logging.info("saved the searched attack to %s (cost %.4f)", cache, result.best_cost)
    return result.best_attack


def attack_for(dataset, num_pixels: int, paths=(), workdir: str = "runs", seed: int = 0):
    """The attack among ``paths`` (``--attack`` files) whose N_p is ``num_pixels``, else
    :func:`evoshift_attack` (cached small search)."""
    for p in paths or ():
        a = attack_lib.load(p, dataset.info.image_shape, dataset.info.num_classes)
        if a.num_pixels == num_pixels:
            return a
    return evoshift_attack(dataset, num_pixels, None, workdir, seed)


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
    """A plain-text table of ``rows`` (floats with 4 digits), printed and returned."""
    fmt = lambda v: f"{v:.4f}" if isinstance(v, float) else str(v)  # noqa: E731
    cells = [[fmt(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(x[i]) for x in cells)) for i, c in enumerate(columns)]
    lines = ([title] if title else []) + [
        "  ".join(c.ljust(w) for c, w in zip(columns, widths)),
        "  ".join("-" * w for w in widths)] + [
        "  ".join(x.ljust(w) for x, w in zip(row, widths)) for row in cells]
    text = "\n".join(lines)
    print(text)
    return text
