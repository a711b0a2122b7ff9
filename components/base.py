"""What every component shares: a spec (typed inputs/outputs, parameters with defaults and
help), self-documenting artifact folders written atomically, and an absl command line.

An artifact is a folder: its payload files plus ``metadata.json`` (type, producer, parameters,
input URIs and hashes, content hash, library version). It is written into a temporary sibling
folder and renamed into place, so a crash never leaves a half artifact that looks whole.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from typing import Any, Callable

import evoshift_tf

METADATA = "metadata.json"
LIBRARY_VERSION = evoshift_tf.__version__

# Artifact types (the names Kubeflow sees too).
DATASET, ATTACK, MODEL, METRICS, HISTORY, REPORT = (
    "Dataset", "PixelAttack", "Model", "Metrics", "SearchHistory", "Report")


class InputError(ValueError):
    """What a user gave a component is wrong: an unknown or ill-typed parameter, a value its
    ``check`` refuses, a missing, wrong-type or modified input artifact. The message names the
    value and what was expected (a missing artifact folder raises ``FileNotFoundError``)."""


@dataclasses.dataclass(frozen=True)
class Parameter:
    """A component parameter: Python type, default, help (unit and paper reference)."""

    type: type
    default: Any
    help: str


@dataclasses.dataclass(frozen=True)
class ComponentSpec:
    """A component: name, typed inputs/outputs (name -> artifact type), parameters, executor.

    ``executor(inputs, outputs, params, work_dir)`` reads input artifact folders, calls
    ``evoshift_tf`` and writes output folders (already created, empty); ``work_dir`` persists
    across reruns of the same step (checkpoints live there).
    """

    name: str
    inputs: dict[str, str]
    outputs: dict[str, str]
    parameters: dict[str, Parameter]
    executor: Callable[[dict, dict, dict, str], None]
    optional_inputs: tuple[str, ...] = ()
    check: Callable[[dict], None] | None = None
    """Optional ``check(resolved_params)`` raising a clear ``ValueError`` for bad values (an
    unknown model, a negative budget); run by :meth:`resolve_params`, so a pipeline rejects a
    bad step before any step runs."""
    route_outputs: Callable[[dict, dict], dict] | None = None
    """Optional ``route_outputs(outputs, resolved_params) -> outputs``: where this process
    writes its outputs (a non-chief worker of a multi-worker training: throw-away folders)."""

    def resolve_params(self, params: dict) -> dict:
        """Defaults filled in, types coerced; unknown names rejected with the known list."""
        unknown = sorted(set(params) - set(self.parameters))
        if unknown:
            raise InputError(f"{self.name}: unknown parameter(s) {unknown}; known: "
                             f"{sorted(self.parameters)}")
        out = {}
        for name, p in self.parameters.items():
            value = params.get(name, p.default)
            if value is not None and p.type in (int, float, str, bool):
                if p.type is bool and isinstance(value, str):
                    value = value.lower() in ("1", "true", "yes")
                try:
                    value = p.type(value)
                except (TypeError, ValueError):
                    raise InputError(f"{self.name}: parameter {name}={value!r} is not a "
                                     f"{p.type.__name__}") from None
            out[name] = value
        if self.check is not None:
            try:
                self.check(out)
            except (KeyError, ValueError, TypeError) as e:
                msg = e.args[0] if isinstance(e, KeyError) and e.args else e
                raise InputError(f"{self.name}: {msg}") from None
        return out


def params_from_config(cls, docs: dict[str, str], skip=()) -> dict[str, Parameter]:
    """Component parameters from a frozen config dataclass (defaults and docstring help)."""
    out = {}
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        out[f.name] = Parameter(type(f.default), f.default, docs.get(f.name, ""))
    return out


# ---------------------------------------------------------------- hashing and metadata

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


def require_artifact(folder: str, expected_type: str, what: str) -> dict:
    """The metadata of an input artifact, or a clear error if it is missing, of another type,
    or its payload no longer matches its content hash (truncated or edited after writing)."""
    meta = read_metadata(folder)
    if meta is None:
        raise FileNotFoundError(f"input {what!r}: no artifact at {folder} (missing {METADATA})")
    if meta.get("type") != expected_type:
        raise InputError(f"input {what!r}: {folder} is a {meta.get('type')}, expected "
                         f"{expected_type}")
    if meta.get("content_hash") != content_hash(folder):
        raise InputError(f"input {what!r}: the files in {folder} do not match the content hash "
                         "in its metadata (truncated or modified after it was written); rerun "
                         f"the step that produced it ({meta.get('producer')})")
    return meta


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


def run_executor(spec: ComponentSpec, inputs: dict[str, str], outputs: dict[str, str],
                 params: dict, work_dir: str | None = None, extra_metadata: dict | None = None
                 ) -> dict:
    """Run ``spec`` with plain paths: validate, execute into temporary folders, write each
    output's ``metadata.json`` (plus ``extra_metadata``) and move it into place. An input may be
    a list of folders (a collection). Returns the resolved parameters."""
    missing = [k for k in spec.inputs if k not in inputs and k not in spec.optional_inputs]
    if missing:
        raise InputError(f"{spec.name}: missing input(s) {missing}")
    if set(outputs) != set(spec.outputs):
        raise InputError(f"{spec.name}: outputs must be {sorted(spec.outputs)}, got "
                         f"{sorted(outputs)}")
    resolved = spec.resolve_params(params)
    if spec.route_outputs is not None:
        outputs = spec.route_outputs(outputs, resolved)
    inputs = {k: v for k, v in inputs.items() if v}
    input_meta = {k: ([require_artifact(p, spec.inputs[k], k) for p in v] if isinstance(v, list)
                      else require_artifact(v, spec.inputs[k], k)) for k, v in inputs.items()}
    work_dir = work_dir or tempfile.mkdtemp(prefix=f"{spec.name}-work-")
    os.makedirs(work_dir, exist_ok=True)
    with contextlib.ExitStack() as stack:
        tmp = {k: stack.enter_context(atomic_folder(v)) for k, v in outputs.items()}
        start = time.time()
        spec.executor(inputs, tmp, resolved, work_dir)
        for k, folder in tmp.items():
            meta = {"type": spec.outputs[k], "producer": spec.name, "output": k,
                    "parameters": resolved,
                    "inputs": {n: _input_record(inputs[n], m) for n, m in input_meta.items()},
                    "content_hash": content_hash(folder), "library_version": LIBRARY_VERSION,
                    "seconds": round(time.time() - start, 3),
                    "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **(extra_metadata or {})}
            with open(os.path.join(folder, METADATA), "w") as f:
                json.dump(meta, f, indent=1, default=str)
    return resolved


def _input_record(path, meta):
    if isinstance(path, list):
        return [_input_record(p, m) for p, m in zip(path, meta)]
    return {"uri": os.path.abspath(path), "content_hash": meta.get("content_hash")}


def write_json(path: str, obj) -> None:
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, default=float)


def read_json(path: str):
    with open(path) as f:
        return json.load(f)


# ---------------------------------------------------------------- command line

def artifact_flag(spec: ComponentSpec, name: str) -> str:
    """The flag of input/output ``name``: ``--<name>``, or ``--<name>_dir`` where a parameter
    has the same name (train_victim's output ``model`` vs its parameter ``model``)."""
    return f"{name}_dir" if name in spec.parameters else name


def define_flags(spec: ComponentSpec) -> None:
    """Define one absl flag per input, output and parameter of ``spec`` (plus ``--work_dir``);
    inputs (except optional ones) and outputs are required."""
    from absl import flags

    for name, kind in spec.inputs.items():
        flags.DEFINE_string(artifact_flag(spec, name), None, f"input artifact folder ({kind})"
                            + (" [optional]" if name in spec.optional_inputs else ""))
    for name, kind in spec.outputs.items():
        flags.DEFINE_string(artifact_flag(spec, name), None,
                            f"output artifact folder ({kind}); written atomically")
    flags.DEFINE_string("work_dir", None, "folder for checkpoints that survive a crash "
                        "(default: a temporary folder)")
    for name, p in spec.parameters.items():
        define = {int: flags.DEFINE_integer, float: flags.DEFINE_float,
                  bool: flags.DEFINE_boolean}.get(p.type, flags.DEFINE_string)
        define(name, p.default, p.help or name)
    required = [n for n in spec.inputs if n not in spec.optional_inputs] + list(spec.outputs)
    for name in required:
        flags.mark_flag_as_required(artifact_flag(spec, name))


def run_from_flags(spec: ComponentSpec) -> dict:
    """Run ``spec`` with the values of the flags :func:`define_flags` defined (parsed)."""
    from absl import flags

    fl = flags.FLAGS
    value = lambda name: getattr(fl, artifact_flag(spec, name))  # noqa: E731
    return run_executor(spec, {k: value(k) for k in spec.inputs if value(k)},
                        {k: value(k) for k in spec.outputs},
                        {k: getattr(fl, k) for k in spec.parameters}, fl.work_dir)


def main(spec: ComponentSpec, argv=None) -> None:
    """``python -m components.<stage> --<input>=DIR --<output>=DIR --<param>=VALUE``.

    Flags are generated from the spec, so ``--helpfull`` lists every input, output and
    parameter with its default and unit. (``evoshift <stage>`` runs the same flags with
    one-line errors for bad input.)
    """
    from absl import app, logging

    define_flags(spec)

    def _run(_):
        logging.set_verbosity(logging.INFO)
        run_from_flags(spec)

    app.run(_run, argv=argv or sys.argv)


def tensorboard_dir(output_folder: str) -> str:
    """Where a step writes its TensorBoard event files: ``<run_root>/tensorboard/<step>``.

    ``output_folder`` is one of the step's output folders as the executor sees it: the local
    runner lays an output at ``<run_root>/<step>/<output>`` and :func:`atomic_folder` hands the
    executor a temporary sibling of it (``<run_root>/<step>/.<output>.tmp-*``), so the step
    folder is its parent either way. Outside a runner (``evoshift search --attack=out/a``) the
    same rule gives ``<parent of out>/tensorboard/out``."""
    step_dir = os.path.dirname(os.path.abspath(output_folder))
    return os.path.join(os.path.dirname(step_dir), "tensorboard", os.path.basename(step_dir))


# ---------------------------------------------------------------- payload helpers

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
