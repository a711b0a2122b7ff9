"""The absl command line of a component, generated from its spec:
``python -m components.<stage> --<input>=DIR --<output>=DIR --<param>=VALUE``."""

from __future__ import annotations

import sys

from components.base import ComponentSpec, run_executor


def artifact_flag(spec: ComponentSpec, name: str) -> str:
    """The flag of input/output ``name``: ``--<name>``, or ``--<name>_dir`` where a parameter
    has the same name (train_victim's output ``model`` vs its parameter ``model``)."""
    return f"{name}_dir" if name in spec.parameters else name


def define_flags(spec: ComponentSpec, module_name: str | None = None) -> None:
    """Define one absl flag per input, output and parameter of ``spec`` (plus ``--work_dir``);
    inputs (except optional ones) and outputs are required. ``module_name``: the module the
    flags belong to (absl's ``--help`` lists the main module's: pass ``sys.argv[0]``)."""
    from absl import flags

    own = {"module_name": module_name} if module_name else {}
    for name, kind in spec.inputs.items():
        flags.DEFINE_string(artifact_flag(spec, name), None, f"input artifact folder ({kind})"
                            + (" [optional]" if name in spec.optional_inputs else ""), **own)
    for name, kind in spec.outputs.items():
        flags.DEFINE_string(artifact_flag(spec, name), None,
                            f"output artifact folder ({kind}); written atomically", **own)
    flags.DEFINE_string("work_dir", None, "folder for checkpoints that survive a crash "
                        "(default: a temporary folder)", **own)
    for name, p in spec.parameters.items():
        define = {int: flags.DEFINE_integer, float: flags.DEFINE_float,
                  bool: flags.DEFINE_boolean}.get(p.type, flags.DEFINE_string)
        define(name, p.default, p.help or name, **own)
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

    Flags are generated from the spec, so ``--help`` lists every input, output and
    parameter with its default and unit. (``evoshift <stage>`` runs the same flags with
    one-line errors for bad input.)
    """
    from absl import app, logging

    define_flags(spec, module_name=sys.argv[0])

    def _run(_):
        logging.set_verbosity(logging.INFO)
        run_from_flags(spec)

    app.run(_run, argv=argv or sys.argv)
