"""Run a pipeline in this process: topological order, one folder per output under a run root,
reuse of steps whose inputs and parameters are unchanged, resume after a crash (a step's
checkpoints live in ``<run_root>/<node>/.work/<fingerprint>`` until the step finishes)."""

from __future__ import annotations

import os
import shutil
import time

from absl import logging

from components import artifacts, base
from evoshift_tf import fingerprint as fingerprint_lib
from evoshift_tf.models import victim
from pipelines.dag import Pipeline


RUN_RECORD = "run.json"
"""At the run root: what the last :func:`run` was asked to run (the caller's ``record``)."""
TIMINGS = "timings.json"
"""At the run root: per step of the last :func:`run`, ran or reused and seconds."""


def output_dir(run_root: str, node_id: str, output: str) -> str:
    return os.path.join(run_root, node_id, output)


def _resolve(run_root: str, ref):
    if isinstance(ref, list):
        return [_resolve(run_root, r) for r in ref]
    return output_dir(run_root, ref.node, ref.output)


def fingerprint(node, inputs: dict, resolved_params: dict) -> str:
    """The step's :func:`evoshift_tf.fingerprint.fingerprint`: component, parameters, input
    content hashes, the source of a user's own victim model (its ``.keras`` file or its
    module) and of a user's dataset files (``ComponentSpec.source_digest``)."""
    def hashes(v):
        if isinstance(v, list):
            return [hashes(p) for p in v]
        return artifacts.read_metadata(v)["content_hash"]
    extra = ({"model_source": victim.source_digest(resolved_params["model"])}
             if isinstance(resolved_params.get("model"), str) else {})
    source = node.component.source_digest and node.component.source_digest(resolved_params)
    if source:
        extra["data_source"] = source
    return fingerprint_lib.fingerprint(node.component.name, resolved_params,
                                       {k: hashes(v) for k, v in sorted(inputs.items())},
                                       artifacts.LIBRARY_VERSION, **extra)


def _reusable(run_root, node, fp) -> bool:
    for out in node.component.outputs:
        folder = output_dir(run_root, node.id, out)
        meta = artifacts.read_metadata(folder)
        if meta is None or meta.get("fingerprint") != fp or not artifacts.is_complete(folder):
            return False
    return True


def run(pipeline: Pipeline, run_root: str, record: dict | None = None) -> dict[str, dict]:
    """Run every node; returns ``{node_id: {"status": "ran"|"reused", "seconds": s}}`` and
    writes it to ``<run_root>/timings.json``. ``record`` (e.g. the flags and the resolved
    preset) is written to ``<run_root>/run.json`` before any step runs."""
    pipeline = pipeline.flat()
    pipeline.validate()
    os.makedirs(run_root, exist_ok=True)
    if record is not None:
        artifacts.write_json(os.path.join(run_root, RUN_RECORD),
                             {"pipeline": pipeline.name, **record})
    order = pipeline.topological()
    timings = {}
    for i, node in enumerate(order):
        inputs = {k: _resolve(run_root, v) for k, v in node.inputs.items()}
        params = node.component.resolve_params(node.params)
        fp = fingerprint(node, inputs, params)
        start = time.time()
        if _reusable(run_root, node, fp):
            status = "reused"
            logging.info("[%d/%d] %s: reused (inputs and parameters unchanged)", i + 1,
                         len(order), node.id)
        else:
            status = "ran"
            # Checkpoints are keyed by the fingerprint: a rerun with the same inputs and
            # parameters resumes; changed parameters start afresh.
            work_dir = os.path.join(run_root, node.id, ".work", fp[:16])
            logging.info("[%d/%d] %s: running %s", i + 1, len(order), node.id,
                         node.component.name)
            base.run_executor(node.component, inputs,
                              {o: output_dir(run_root, node.id, o) for o in node.component.outputs},
                              params, work_dir=work_dir,
                              extra_metadata={"fingerprint": fp, "node": node.id,
                                              "pipeline": pipeline.name})
            shutil.rmtree(work_dir, ignore_errors=True)  # checkpoints are done with
        timings[node.id] = {"status": status, "component": node.component.name,
                            "seconds": round(time.time() - start, 2)}
        logging.info("[%d/%d] %s: %s in %.1fs", i + 1, len(order), node.id, status,
                     timings[node.id]["seconds"])
        artifacts.write_json(os.path.join(run_root, TIMINGS), timings)
    return timings
