"""``--search_overrides``: SearchConfig fields a benchmark changes, given as a JSON object."""

from __future__ import annotations

import dataclasses
import json

from absl import app

from evoshift_tf import search


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
