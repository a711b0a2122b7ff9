"""A step's fingerprint: the hash of everything that determines its outputs.

One function for every cache in the project: the local pipeline runner reuses a step whose
fingerprint is unchanged, and the reproduction reuses a study's result the same way. It is pure:
a step name, its parameters and its inputs' content hashes in, a sha256 hex digest out.
"""

from __future__ import annotations

import hashlib
import json

import evoshift_tf


def fingerprint(step: str, params: dict, inputs: dict, library_version: str | None = None,
                **extra) -> str:
    """sha256 (64 hex digits) of ``step`` (a component or study name), ``params`` (JSON-able;
    anything else is written with ``str``), ``inputs`` (``{name: content hash or list of
    them}``), the library version (default: this one's) and any ``extra`` fields (e.g. the
    source digest of a user's model). Key order does not matter."""
    payload = {"component": step, "params": params, "inputs": inputs,
               "library_version": (evoshift_tf.__version__ if library_version is None
                                   else library_version), **extra}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
