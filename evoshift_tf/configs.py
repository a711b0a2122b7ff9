"""Helpers for frozen-dataclass configs: per-field help from the docstring, dict round trips."""

from __future__ import annotations

import dataclasses
import inspect
import re
from evoshift_tf.errors import UnknownNameError


def field_docs(cls) -> dict[str, str]:
    """``{field: help}`` from the ``Attributes:`` sections of ``cls`` and its bases."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        text = inspect.getdoc(klass) or ""
        if "Attributes:" not in text:
            continue
        body = text.split("Attributes:", 1)[1]
        current = None
        for line in body.splitlines():
            m = re.match(r"^\s{2}(\w+(?:\s*/\s*\w+)*):\s*(.*)$", line)
            if m:
                names = [n.strip() for n in m.group(1).split("/")]
                for n in names:
                    docs[n] = m.group(2).strip()
                current = names
            elif current and line.strip():
                for n in current:
                    docs[n] += " " + line.strip()
            elif not line.strip():
                current = None
    return docs


def from_dict(cls, params: dict):
    """Build ``cls`` from a dict, rejecting unknown keys with the list of known ones."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(params) - known)
    if unknown:
        raise UnknownNameError(f"unknown {cls.__name__} parameter(s) {unknown}; known: {sorted(known)}")
    return cls(**params)
