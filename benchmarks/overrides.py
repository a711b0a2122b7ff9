"""``--search_overrides``: SearchConfig fields a benchmark changes, given as a JSON object, and
the guard that a cached searched attack was searched with the config asked now."""

from __future__ import annotations

import dataclasses
import json

from absl import app

from evoshift_tf import attack, search


def parse_search_overrides(text: str) -> dict:
    """``text`` (a JSON object of ``SearchConfig`` fields) as a dict; a usage error names
    what is wrong (not JSON, not an object, unknown fields)."""
    try:
        overrides = json.loads(text)
    except json.JSONDecodeError as e:
        raise app.UsageError(f"--search_overrides is not JSON: {e}") from e
    fields = {f.name for f in dataclasses.fields(search.SearchConfig)}
    unknown = (sorted(set(overrides) - fields) if isinstance(overrides, dict)
               else ["(not an object)"])
    if unknown:
        raise app.UsageError(f"--search_overrides: unknown SearchConfig fields {unknown}")
    return overrides


def check_cached_config(cached: attack.PixelAttack, config: search.SearchConfig, path: str,
                        remedy: str) -> None:
    """A cached attack is reused only if it was searched with ``config`` (on the fields its file
    records: a field added since is not compared); else a usage error naming the fields that
    differ and ``remedy`` (what the user can do)."""
    saved = dict(cached.provenance.get("config", {}))
    if saved.get("model") == "auto":               # searched before the model was resolved
        saved["model"] = config.model
    diff = {k: (saved[k], v) for k, v in dataclasses.asdict(config).items()
            if k in saved and saved[k] != v}
    if diff:
        raise app.UsageError(f"{path} was searched with another config (saved, asked: {diff}); "
                             f"{remedy}")
