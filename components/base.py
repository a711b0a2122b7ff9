"""What every component is: a spec (typed inputs/outputs, parameters with defaults and help) and
:func:`run_executor`, which checks the inputs, runs the executor into atomically written artifact
folders (:mod:`components.artifacts`) and records their metadata. The command line generated from
a spec is :mod:`components.cli`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import tempfile
import time
from typing import Any, Callable

from evoshift_tf.errors import UserError
from components.artifacts import (LIBRARY_VERSION, METADATA, atomic_folder, content_hash,
                                  read_metadata)


class InputError(UserError):
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
    source_digest: Callable[[dict], str] | None = None
    """Optional ``source_digest(resolved_params) -> str``: a digest of what the step reads from
    outside the run (a user's dataset folder), part of its fingerprint, so a rerun after the
    files change runs the step again."""
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
