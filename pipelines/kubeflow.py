"""Kubeflow Pipelines: every component as a kfp Python component, and a :class:`Pipeline`
compiled to a kfp pipeline YAML.

Each kfp component runs in the project image (``Dockerfile``); its body imports
``components.<stage>`` and calls :func:`components.base.run_executor` with the artifacts' local
paths, so the cluster runs exactly the executor the local runner runs. The body is generated from
the :class:`~components.base.ComponentSpec` (one input per artifact, one output per artifact, one
argument per parameter with its default), so the two never drift apart. A :class:`Loop` compiles
to ``dsl.ParallelFor`` and a Ref to a loop's output from outside it to ``dsl.Collected``.

    python -m pipelines.run --runner=kubeflow --output=pipeline.yaml
"""

from __future__ import annotations

import keyword
import linecache
import typing

from kfp import compiler, dsl
from kfp.dsl import Artifact, Dataset, Input, Model, Output

import evoshift_tf
from components import artifacts, base
from pipelines.dag import Item, Loop, Node, Pipeline, Ref, dependency_order

DEFAULT_IMAGE = f"evoshift-tf:{evoshift_tf.__version__}"
KFP_TYPES = {artifacts.DATASET: "Dataset", artifacts.MODEL: "Model"}  # others: plain Artifacts
COLLECTED = -1   # an input arity: the list gathered from a ParallelFor (dsl.Collected)

_cache: dict = {}


def _arg_name(name: str, taken: set[str]) -> str:
    """A Python argument name for a parameter that clashes with an artifact name or keyword."""
    out = name
    while out in taken or keyword.iskeyword(out):
        out += "_param"
    return out


def output_arg(spec: base.ComponentSpec, name: str) -> str:
    """The kfp name of output ``name`` (``<name>_out`` where an input has the same name)."""
    return f"{name}_out" if name in spec.inputs else name


def component_source(spec: base.ComponentSpec, arity: dict[str, int | None],
                     string_params: frozenset = frozenset()) -> str:
    """The source of the kfp component function for ``spec``.

    Args:
      arity: for each wired input, ``None`` (one artifact), ``n >= 0`` (a static list of ``n``
        artifacts, arguments ``<name>_0 .. <name>_{n-1}``) or :data:`COLLECTED` (a list from a
        fan-out, ``Input[List[Artifact]]``). Inputs not in ``arity`` are left out (optional ones).
      string_params: parameters declared ``str`` (those fed from a ``dsl.ParallelFor`` item, which
        kfp types as strings); ``run_executor`` converts them back to the spec's type.
    """
    module = spec.executor.__module__
    io_names = set(spec.inputs) | {output_arg(spec, o) for o in spec.outputs}
    args, in_expr, out_expr, param_expr = [], [], [], []
    for name, kind in spec.inputs.items():
        if name not in arity:
            if name not in spec.optional_inputs:
                raise ValueError(f"{spec.name}: required input {name!r} is not wired")
            continue
        t = KFP_TYPES.get(kind, "Artifact")
        n = arity[name]
        if n is None:
            args.append(f"{name}: Input[{t}]")
            in_expr.append(f"{name!r}: {name}.path")
        elif n == COLLECTED:
            args.append(f"{name}: Input[List[{t}]]")
            in_expr.append(f"{name!r}: [a.path for a in {name}]")
        else:
            names = [f"{name}_{i}" for i in range(n)]
            io_names |= set(names)
            args += [f"{a}: Input[{t}]" for a in names]
            in_expr.append(f"{name!r}: [{', '.join(a + '.path' for a in names)}]")
    for name, kind in spec.outputs.items():
        arg = output_arg(spec, name)
        args.append(f"{arg}: Output[{KFP_TYPES.get(kind, 'Artifact')}]")
        out_expr.append(f"{name!r}: {arg}.path")
    taken = set(io_names) | {"work_dir", "base", "stage"}
    for name, p in spec.parameters.items():
        arg = _arg_name(name, taken)
        taken.add(arg)
        ptype = p.type if p.type in (int, float, str, bool) and name not in string_params else str
        default = p.default if p.default is not None else ""
        default = str(default) if ptype is str else default
        args.append(f"{arg}: {ptype.__name__} = {default!r}")
        param_expr.append(f"{name!r}: {arg}")
    args.append("work_dir: str = ''")
    return (f"def {spec.name}(\n    " + ",\n    ".join(args) + ",\n):\n"
            f'    """Runs components.{module.split(".")[-1]} (evoshift_tf) on the artifacts\' '
            f'paths."""\n'
            f"    from components import base\n"
            f"    from {module.rsplit('.', 1)[0]} import {module.rsplit('.', 1)[1]} as stage\n"
            f"    base.run_executor(stage.SPEC,\n"
            f"                      {{{', '.join(in_expr)}}},\n"
            f"                      {{{', '.join(out_expr)}}},\n"
            f"                      {{{', '.join(param_expr)}}},\n"
            f"                      work_dir=work_dir or None,\n"
            f"                      extra_metadata={{'runner': 'kubeflow'}})\n")


def kfp_component(spec: base.ComponentSpec, arity: dict[str, int | None] | None = None,
                  image: str = DEFAULT_IMAGE, string_params: frozenset = frozenset()):
    """``spec`` as a kfp Python component (``base_image=image``, no pip install at run time:
    the image already has the project). ``arity`` as in :func:`component_source`; default:
    every required input, one artifact each."""
    arity = dict(arity if arity is not None else
                 {k: None for k in spec.inputs if k not in spec.optional_inputs})
    key = (spec.name, spec.executor.__module__, tuple(sorted(arity.items())), image,
           tuple(sorted(string_params)))
    if key not in _cache:
        src = component_source(spec, arity, frozenset(string_params))
        filename = f"<evoshift_tf kfp component {spec.name} {len(_cache)}>"
        # kfp reads the function's source with inspect.getsource: register it with linecache.
        linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
        namespace = {"Input": Input, "Output": Output, "Artifact": Artifact,
                     "Dataset": Dataset, "Model": Model, "List": typing.List}
        exec(compile(src, filename, "exec", dont_inherit=True), namespace)
        _cache[key] = dsl.component(namespace[spec.name], base_image=image,
                                    install_kfp_package=False)
    return _cache[key]


def _item_key(key: str) -> str:
    """Loop item keys are prefixed: kfp's loop variable has attributes (``name``, ...) that a
    key of the same name would shadow."""
    return f"item_{key}"


def _units(pipeline: Pipeline) -> list:
    """Outside nodes and whole loops in dependency order (a loop is one unit)."""
    owner = {n.id: loop.id for loop in pipeline.loops for n in loop.nodes}
    units = {n.id: n for n in pipeline.nodes} | {loop.id: loop for loop in pipeline.loops}

    def deps(u):
        nodes = u.nodes if isinstance(u, Loop) else (u,)
        return {owner.get(d, d) for n in nodes for d in n.upstream()} - {u.id}

    return dependency_order(units.values(), lambda u: u.id, deps,
                            lambda pending: f"pipeline {pipeline.name!r} has a cycle: "
                                            f"{[u.id for u in pending]}")


def _loop_order(loop: Loop) -> list[Node]:
    ids = loop.node_ids()
    return dependency_order(loop.nodes, lambda n: n.id, lambda n: set(n.upstream()) & ids,
                            lambda pending: f"loop {loop.id!r} has a cycle")


def pipeline_function(pipeline: Pipeline, image: str = DEFAULT_IMAGE,
                      work_root: str = ""):
    """A ``@dsl.pipeline`` function building ``pipeline``'s tasks (one per node; display name
    = node id). ``work_root``: if set, each step's ``work_dir`` is ``<work_root>/<node>`` (a
    volume that survives a pod restart, so a rerun resumes from checkpoints)."""
    pipeline.validate()
    in_loop = {n.id for loop in pipeline.loops for n in loop.nodes}
    specs = {n.id: n.component for n in pipeline.nodes + tuple(
        n for loop in pipeline.loops for n in loop.nodes)}

    def build():
        tasks = {}

        def out(r: Ref):
            return tasks[r.node].outputs[output_arg(specs[r.node], r.output)]

        def task_for(node: Node, item=None):
            arity, args = {}, {}
            for name, ref in node.inputs.items():
                if isinstance(ref, list):
                    arity[name] = len(ref)
                    for i, r in enumerate(ref):
                        args[f"{name}_{i}"] = out(r)
                elif ref.node in in_loop and item is None:
                    arity[name] = COLLECTED
                    args[name] = dsl.Collected(out(ref))
                else:
                    arity[name] = None
                    args[name] = out(ref)
            from_item = frozenset(k for k, v in node.params.items() if isinstance(v, Item))
            comp = kfp_component(node.component, arity, image, from_item)
            io_names = (set(args) | set(node.component.inputs)
                        | {output_arg(node.component, o) for o in node.component.outputs})
            taken = io_names | {"work_dir", "base", "stage"}
            for name in node.component.parameters:
                arg = _arg_name(name, taken)
                taken.add(arg)
                if name in node.params:
                    v = node.params[name]
                    args[arg] = getattr(item, _item_key(v.key)) if isinstance(v, Item) else v
            if work_root:
                args["work_dir"] = f"{work_root.rstrip('/')}/{node.id}"
            task = comp(**args)
            task.set_display_name(node.id)
            tasks[node.id] = task
            return task

        for unit in _units(pipeline):
            if isinstance(unit, Loop):
                items = [{_item_key(k): str(v) for k, v in i.items()} for i in unit.items]
                with dsl.ParallelFor(items=items) as item:
                    for n in _loop_order(unit):
                        task_for(n, item)
            else:
                task_for(unit)

    build.__name__ = pipeline.name.replace("-", "_")
    return dsl.pipeline(name=pipeline.name,
                        description=f"evoshift_tf {pipeline.name} pipeline")(build)


def compile_pipeline(pipeline: Pipeline, output: str, image: str = DEFAULT_IMAGE,
                     work_root: str = "") -> str:
    """Compile ``pipeline`` to a Kubeflow pipeline YAML at ``output``; returns ``output``."""
    compiler.Compiler().compile(pipeline_function(pipeline, image, work_root),
                                package_path=output)
    return output


def run_compiled_locally(yaml_path: str, pipeline_root: str) -> dict:
    """Run a compiled pipeline YAML on this machine with ``kfp.local.SubprocessRunner`` (each
    step a new Python process in this environment, as in the image): a check that what the
    cluster gets really executes. Returns the pipeline outputs (none here); the step artifacts
    are under ``pipeline_root``."""
    from kfp import components, local
    from kfp.local import pipeline_orchestrator

    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=pipeline_root,
               raise_on_error=True)
    spec = components.load_component_from_file(yaml_path).pipeline_spec
    return pipeline_orchestrator.run_local_pipeline(pipeline_spec=spec, arguments={})
