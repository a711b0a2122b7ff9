"""Artifact folders: payload files plus ``metadata.json`` (type, producer, parameters, input URIs
and hashes, content hash, library version), written into a temporary sibling folder and renamed
into place, so a crash never leaves a half artifact that looks whole; their content hashes, JSON
and the dataset / attack payloads every stage reads and writes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile

import evoshift_tf

METADATA = "metadata.json"
LIBRARY_VERSION = evoshift_tf.__version__

# Artifact types (the names Kubeflow sees too).
DATASET, ATTACK, MODEL, METRICS, HISTORY, REPORT = (
    "Dataset", "PixelAttack", "Model", "Metrics", "SearchHistory", "Report")


_HASH_CACHE: dict[str, tuple[tuple, str]] = {}


def _payload_files(folder: str) -> list[tuple[str, str]]:
    """``(relative path, path)`` of an artifact's payload files in a stable order."""
    out = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder)
            if rel != METADATA:
                out.append((rel, path))
    return out


def content_hash(folder: str) -> str:
    """SHA-256 over the payload files (names and bytes), ``metadata.json`` excluded.

    Memoised per process on every file's (name, size, mtime): a pipeline checks the same inputs
    several times per step, and the dataset alone is tens of MB. Any write changes the mtime.
    """
    files = _payload_files(folder)
    signature = tuple((rel, st.st_size, st.st_mtime_ns)
                      for rel, st in ((rel, os.stat(path)) for rel, path in files))
    key = os.path.abspath(folder)
    cached = _HASH_CACHE.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    h = hashlib.sha256()
    for rel, path in files:
        h.update(rel.encode())
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    _HASH_CACHE[key] = (signature, h.hexdigest())
    return h.hexdigest()


def read_metadata(folder: str) -> dict | None:
    try:
        with open(os.path.join(folder, METADATA)) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError):
        return None


def is_complete(folder: str, verify_hash: bool = True) -> bool:
    """An artifact exists, has metadata, and (optionally) its payload matches its hash."""
    meta = read_metadata(folder)
    if meta is None:
        return False
    return not verify_hash or meta.get("content_hash") == content_hash(folder)


@contextlib.contextmanager
def atomic_folder(final: str):
    """Yield a temporary folder next to ``final``; on success it replaces ``final``."""
    parent = os.path.dirname(os.path.abspath(final))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(final)}.tmp-")
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if os.path.exists(final):
        shutil.rmtree(final)
    os.replace(tmp, final)


def write_json(path: str, obj) -> None:
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, default=float)


def read_json(path: str):
    with open(path) as f:
        return json.load(f)


def tensorboard_dir(output_folder: str) -> str:
    """Where a step writes its TensorBoard event files: ``<run_root>/tensorboard/<step>``.

    ``output_folder`` is one of the step's output folders as the executor sees it: the local
    runner lays an output at ``<run_root>/<step>/<output>`` and :func:`atomic_folder` hands the
    executor a temporary sibling of it (``<run_root>/<step>/.<output>.tmp-*``), so the step
    folder is its parent either way. Outside a runner (``evoshift search --attack=out/a``) the
    same rule gives ``<parent of out>/tensorboard/out``."""
    step_dir = os.path.dirname(os.path.abspath(output_folder))
    return os.path.join(os.path.dirname(step_dir), "tensorboard", os.path.basename(step_dir))


def save_dataset(folder: str, dataset) -> None:
    """Dataset artifact payload: ``dataset.npz`` (uint8 images) and ``info.json``."""
    from evoshift_tf import data
    data.save_npz(os.path.join(folder, "dataset.npz"), dataset)
    write_json(os.path.join(folder, "info.json"), dataset.info.to_json())


def load_dataset(folder: str):
    from evoshift_tf import data
    d = data.load_npz(os.path.join(folder, "dataset.npz"))
    info = data.DatasetInfo.from_json(read_json(os.path.join(folder, "info.json")))
    return data.Dataset(info, d.train, d.test)


def load_attack(folder: str, info=None):
    from evoshift_tf import attack
    if info is None:
        return attack.load(os.path.join(folder, "attack.json"))
    return attack.load(os.path.join(folder, "attack.json"), info.image_shape, info.num_classes)
