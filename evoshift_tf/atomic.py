"""Atomic file writes: a file appears whole or not at all.

The bytes go to a temporary file in the target's folder, which is then renamed over the target
(``os.replace``: atomic within one file system), so neither a reader nor a crash ever sees a
half-written file. On an error the temporary file is removed and the old target, if any, is left
as it was. The one place the library writes a file this way (JSON results, attacks, study
cells, training history, figures)::

    atomic.write_json("runs/svf/svf_transfer.json", {"acc": np.float32(0.9), "w": np.eye(2)})
    with atomic.replacing("fig.png") as tmp:       # any writer that takes a path
        fig.savefig(tmp, format="png")
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from typing import Any, Iterator

import numpy as np


@contextlib.contextmanager
def replacing(path: str) -> Iterator[str]:
    """Yield a fresh temporary path next to ``path`` (its folder is created); when the block
    ends without an error, the file written there replaces ``path``. The temporary file is
    hidden (``.<name>.<random>.tmp``) and removed whatever happens."""
    directory, name = os.path.split(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".{name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def json_default(o: Any):
    """``json.dump``'s ``default``: a numpy array becomes a list, a numpy scalar the Python
    number (or bool), anything else that converts with ``float()`` (a scalar tensor) a float;
    otherwise ``TypeError`` naming the type."""
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    try:
        return float(o)
    except (TypeError, ValueError):
        raise TypeError(f"not JSON-able: {type(o).__name__} ({o!r:.80}); expected numbers, "
                        "strings, lists, dicts or numpy arrays") from None


def write_text(path: str, text: str) -> str:
    """Write ``text`` at ``path`` atomically (:func:`replacing`). Returns ``path``."""
    with replacing(path) as tmp, open(tmp, "x") as f:
        f.write(text)
    return path


def write_json(path: str, payload: Any, indent: int | None = 1) -> str:
    """Write ``payload`` as JSON at ``path`` atomically (:func:`replacing`; numpy values through
    :func:`json_default`). Returns ``path``. Nothing is written if ``payload`` is not JSON-able."""
    with replacing(path) as tmp:
        with open(tmp, "x") as f:
            json.dump(payload, f, indent=indent, default=json_default)
    return path
