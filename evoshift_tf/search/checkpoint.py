"""The search's checkpoint: the whole CMA-ES state after every generation, written atomically
with a SHA-256 sidecar, so that a killed search resumes where it stopped (and refuses a corrupt
checkpoint or one written by another configuration)."""

from __future__ import annotations

import hashlib
import json
import os
import pickle

from evoshift_tf import atomic
from evoshift_tf.errors import UserError


class CheckpointError(UserError):
    """A search checkpoint that cannot be used (corrupt, or from another configuration)."""


_CKPT, _CKPT_META = "search_state.pkl", "search_state.json"


def _atomic_write(path: str, payload: bytes) -> None:
    with atomic.replacing(path) as tmp, open(tmp, "xb") as f:
        f.write(payload)


def save_checkpoint(directory: str, state: dict, config: dict) -> None:
    """Write the search state (pickle of the ``cma`` object, numpy RNG state, history, best)
    and a JSON sidecar with its SHA-256 and the config; each file is replaced atomically."""
    os.makedirs(directory, exist_ok=True)
    payload = pickle.dumps(state)
    meta = {"sha256": hashlib.sha256(payload).hexdigest(), "generation": state["generation"],
            "config": config}
    _atomic_write(os.path.join(directory, _CKPT), payload)
    _atomic_write(os.path.join(directory, _CKPT_META), json.dumps(meta, indent=1).encode())


def load_checkpoint(directory: str, config: dict) -> dict | None:
    """The saved state, ``None`` if there is none; :class:`CheckpointError` if it is corrupt or
    was written by a search with another configuration."""
    path, meta_path = os.path.join(directory, _CKPT), os.path.join(directory, _CKPT_META)
    if not os.path.exists(path) and not os.path.exists(meta_path):
        return None
    try:
        with open(meta_path) as f:
            meta = json.load(f)
        with open(path, "rb") as f:
            payload = f.read()
    except (OSError, json.JSONDecodeError) as e:
        raise CheckpointError(f"search checkpoint in {directory} is unreadable ({e}); delete "
                              "the folder to start over") from e
    if hashlib.sha256(payload).hexdigest() != meta.get("sha256"):
        raise CheckpointError(f"search checkpoint {path} is corrupt (hash mismatch); delete it "
                              "to start over")
    if meta.get("config") != config:
        diff = {k: (meta.get("config", {}).get(k), v) for k, v in config.items()
                if meta.get("config", {}).get(k) != v}
        raise CheckpointError(f"checkpoint in {directory} is from another search config "
                              f"(saved vs now: {diff}); use another folder or delete it")
    try:
        return pickle.loads(payload)
    except Exception as e:  # a pickle that hashes right but does not load
        raise CheckpointError(f"search checkpoint {path} cannot be loaded: {e}") from e
