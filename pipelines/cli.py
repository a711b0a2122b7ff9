"""The ``evoshift`` command (``pip install -e .`` puts it on the PATH): one entry point for the
main job, every component and the studies, with one-line errors for bad input.

    evoshift [--verbose] COMMAND [--flag=value ...]
    evoshift COMMAND --help                 # the command's flags, defaults and units
    evoshift study NAME [--flag=value ...]  # studies/NAME.py

Each command runs an existing entry point with the same flags: ``run`` is ``python -m
pipelines.run``; ``ingest``, ``search``, ``baseline``, ``poison``, ``train``, ``evaluate``,
``detect``, ``export`` and ``import`` are the components (``components.<stage>``, flags
generated from its spec); ``study NAME`` is ``python -m studies.NAME``.

A user error (a bad flag value, a missing file, an invalid attack or dataset, an unknown model,
optimizer, defense or study name; :func:`user_error_message` decides, in one place) prints one
line ``error: ...`` and exits with status 2; ``--verbose`` prints the traceback above it.
Anything else is a bug and shows its traceback (status 1).
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import difflib
import importlib
import importlib.util
import os
import re
import sys
import traceback

from evoshift_tf import errors

PROG = "evoshift"


@dataclasses.dataclass(frozen=True)
class Command:
    """A subcommand: ``kind`` ``component`` (``module.SPEC``), ``absl`` (``module.main`` with
    the module's absl flags) or ``study``; ``summary`` is its line in ``evoshift --help``."""

    kind: str
    module: str
    summary: str


COMMANDS = {
    "run": Command("absl", "pipelines.run", "the main job: ingest, EvoShift search, poison, "
                   "victims, report, into a run folder (--preset=smoke: a minute)"),
    "ingest": Command("component", "components.ingest", "a dataset (name, .npz, image or IDX "
                      "folder) -> Dataset artifact"),
    "search": Command("component", "components.search", "EvoShift CMA-ES search on a Dataset "
                      "-> attack + history (TensorBoard scalars too)"),
    "baseline": Command("component", "components.baseline", "a reference attack: random, "
                        "Jacobsen et al., One-Pixel Shortcut"),
    "poison": Command("component", "components.poison", "Dataset + attack -> poisoned Dataset"),
    "train": Command("component", "components.train_victim", "train a victim (registry name, "
                     ".keras file or module:function) on a Dataset -> Model"),
    "evaluate": Command("component", "components.evaluate", "Model + Datasets -> metrics "
                        "(clean accuracy, alpha_S, alpha_N, ...)"),
    "export": Command("component", "components.export_poison", "a poisoned Dataset -> PNG "
                      "folder, TFRecord or .npz for other tools"),
    "import": Command("component", "components.import_poison", "another tool's poisoned PNG "
                      "folder or .npz, checked against the clean Dataset -> Dataset"),
    "detect": Command("component", "components.detect", "is a training set poisoned? "
                      "class-wise pixel triggers per class, with a picture (no model)"),
    "study": Command("study", "studies", "a study of the paper: evoshift study NAME "
                     "(evoshift study --help lists them)"),
}

OUR_PACKAGES = ("components", "pipelines", "studies", "evoshift_tf", "__main__")
"""Packages whose absl flags a command's ``--help`` lists (TensorFlow defines some too)."""
HELP_ARGS = ("-h", "--help", "-help", "--helpshort", "--helpfull", "-?")


class UserError(errors.UserError):
    """Bad input to the command itself (unknown command or study, stray arguments)."""


# ---------------------------------------------------------------- which errors are the user's

def user_error_message(error: BaseException) -> str | None:
    """The one-line message if ``error`` is the user's (bad input), ``None`` if it is a bug.

    User errors are decided by type alone: :class:`evoshift_tf.errors.UserError` (every input
    error of the library and the components derives from it), ``FileNotFoundError`` (a missing
    file) and absl's flag and usage errors."""
    from absl import app, flags
    if not isinstance(error, (errors.UserError, FileNotFoundError, flags.Error, app.UsageError)):
        return None
    message = str(error).strip() or type(error).__name__
    if isinstance(error, FileNotFoundError) and error.filename:
        message = f"no such file or folder: {error.filename}"
    return " ".join(message.split())


def _flag_error(error, prog: str) -> str:
    """absl's flag errors rewritten to name the flag, the value and what was expected."""
    from absl import flags
    text = " ".join(str(error).split())
    if isinstance(error, flags.UnrecognizedFlagError):
        hint = re.search(r"Did you mean: (.*?) \?", text)
        guess = (" (did you mean " + ", ".join(f"--{n}" for n in hint.group(1).split(", "))
                 + "?)") if hint else ""
        return (f"unknown flag --{error.flagname} for '{prog}'{guess}; '{prog} --help' lists "
                "its flags")
    m = re.match(r"flag --(\w+)=None: Flag --\w+ must have a value other than None", text)
    if m:
        help_text = flags.FLAGS[m.group(1)].help if m.group(1) in flags.FLAGS else ""
        return f"'{prog}' needs --{m.group(1)}=... ({help_text})"
    m = re.match(r"flag --(\w+)=(.*?): (.*)$", text)
    if m:
        name, value, detail = m.groups()
        expected = {"int": "an integer", "float": "a number", "bool": "true or false"}.get(
            flags.FLAGS[name].flag_type() if name in flags.FLAGS else "")
        if expected and re.search(r"invalid literal|could not convert|Non-boolean", detail):
            detail = f"expected {expected}"
        return f"--{name}={value}: {detail}"
    m = re.match(r"Missing value for flag --(\w+)", text)
    if m:
        return f"--{m.group(1)} needs a value: --{m.group(1)}=..."
    return text


# ---------------------------------------------------------------- running an absl entry point

@contextlib.contextmanager
def quiet_native_stderr(enabled: bool):
    """Hide what TensorFlow's C++ side prints while it is imported (oneDNN, CUDA probing),
    so that a command's errors are readable. Python exceptions still surface after it."""
    if not enabled:
        yield
        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _HideTensorFlowInfo:
    """A logging filter that drops INFO lines logged from TensorFlow's and Keras' own files
    (SavedModel "Assets written", "Sharding callback duration", "Function `serve` contains input
    name(s)", fingerprints): they log through absl, like our progress lines."""

    def __init__(self):
        import importlib.util as util
        self.roots = tuple(os.path.dirname(spec.origin) + os.sep for spec in
                           (util.find_spec(n) for n in ("tensorflow", "keras", "tf_keras"))
                           if spec is not None and spec.origin)

    def filter(self, record) -> bool:
        return record.levelno >= 30 or not record.pathname.startswith(self.roots)


def quiet_tensorflow(enabled: bool = True) -> None:
    """Hide TensorFlow's INFO lines from a command's log (warnings and errors stay), so that
    the progress lines are readable; ``--verbose`` keeps them. They reach the log through absl's
    handler and through the ``tensorflow`` logger's own (``INFO:tensorflow:Assets written``)."""
    import logging as std_logging

    from absl import logging
    for target in (logging.get_absl_handler(), std_logging.getLogger("tensorflow")):
        for f in [f for f in target.filters if isinstance(f, _HideTensorFlowInfo)]:
            target.removeFilter(f)
        if enabled:
            target.addFilter(_HideTensorFlowInfo())


def import_tensorflow(verbose: bool = False) -> None:
    """Import TensorFlow and let it probe its devices, with what its C++ side prints meanwhile
    (oneDNN, "failed call to cuInit" on a machine without a GPU) and its INFO log lines hidden
    unless ``verbose``; ``TF_CPP_MIN_LOG_LEVEL`` set in the environment is kept."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with quiet_native_stderr(not verbose):
        import tensorflow
        tensorflow.config.list_physical_devices("GPU")     # the CUDA probe, here and quietly
        quiet_tensorflow(not verbose)


def _import(module: str, command: str, verbose: bool):
    """``module``, with TensorFlow imported first (quietly unless ``verbose``): most commands
    need it, some only once they run."""
    try:
        import_tensorflow(verbose)
        with quiet_native_stderr(not verbose):
            return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name != module:
            raise
        raise UserError(f"'{PROG} {command}' needs the module {module}, which this installation "
                        "does not have; update the package (git pull; pip install -e .)") from e


def _wants_help(args) -> str | None:
    for a in args:
        if a == "--":
            return None
        if a in HELP_ARGS:
            return a
    return None


def _print_flags_help(prog: str, usage: str, doc: str | None, full: bool) -> None:
    from absl import flags
    print(f"usage: {usage}\n")
    if doc:
        print(doc.strip() + "\n")
    if full:
        print(flags.FLAGS.get_help())
        return
    ours = [m for m in flags.FLAGS.flags_by_module_dict() if m.split(".")[0] in OUR_PACKAGES]
    print("flags:")
    for m in ours:
        print(flags.FLAGS.module_help(m).strip().split("\n", 1)[-1])
    print(f"\n'{prog} --helpfull' also lists absl's and TensorFlow's flags.")


def _parse_flags(prog: str, args) -> list[str]:
    from absl import flags
    try:
        rest = flags.FLAGS([prog, *args])
    except flags.Error as e:
        raise UserError(_flag_error(e, prog)) from e
    if rest[1:]:
        raise UserError(f"unexpected argument(s) {rest[1:]} for '{prog}'; flags take the form "
                        f"--name=value ('{prog} --help' lists them)")
    from absl import logging
    logging.use_absl_handler()
    logging.set_verbosity(logging.INFO)
    return rest


def _doc_for(module, python_m: str, prog: str) -> str:
    return (module.__doc__ or "").replace(f"python -m {python_m}", prog)


def _run_absl_main(prog: str, module, args, python_m: str) -> int:
    """``module.main(argv)`` after parsing the module's absl flags (``app.run`` without its
    process-wide side effects, so that flag errors reach :func:`user_error_message`)."""
    help_arg = _wants_help(args)
    if help_arg:
        _print_flags_help(prog, f"{prog} [--flag=value ...]", _doc_for(module, python_m, prog),
                          help_arg == "--helpfull")
        return 0
    argv = _parse_flags(prog, args)
    return int(module.main(argv) or 0)


def _run_component(prog: str, module, args) -> int:
    from components import cli as component_cli
    spec = module.SPEC
    component_cli.define_flags(spec)
    help_arg = _wants_help(args)
    if help_arg:
        required = [n for n in spec.inputs if n not in spec.optional_inputs] + list(spec.outputs)
        flags_needed = (f"--{component_cli.artifact_flag(spec, n)}=DIR" for n in required)
        usage = " ".join([prog, *flags_needed, "[--flag=value ...]"])
        _print_flags_help(prog, usage, _doc_for(module, module.__name__, prog),
                          help_arg == "--helpfull")
        return 0
    _parse_flags(prog, args)
    component_cli.run_from_flags(spec)
    from absl import flags
    for name in spec.outputs:
        print(f"{spec.name}: wrote {name} to "
              f"{os.path.abspath(getattr(flags.FLAGS, component_cli.artifact_flag(spec, name)))}")
    return 0


# ---------------------------------------------------------------- studies

def _studies_dir() -> str:
    spec = importlib.util.find_spec("studies")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("the studies package is not installed; reinstall with pip install -e .")
    return list(spec.submodule_search_locations)[0]


def studies() -> dict[str, str]:
    """``name -> first docstring line`` of every ``studies/<name>.py`` with a ``main`` (read
    from the source: importing a study defines its flags)."""
    folder, out = _studies_dir(), {}
    for file in sorted(os.listdir(folder)):
        name, ext = os.path.splitext(file)
        if ext != ".py" or name.startswith("_"):
            continue
        with open(os.path.join(folder, file)) as f:
            source = f.read()
        if not re.search(r"^(def main\(|main\s*=)", source, re.M):
            continue
        doc = ast.get_docstring(ast.parse(source)) or ""
        out[name] = doc.strip().splitlines()[0] if doc.strip() else ""
    return out


def _studies_help() -> str:
    known = studies()
    width = max(map(len, known), default=0)
    lines = [f"usage: {PROG} study NAME [--flag=value ...]   ({PROG} study NAME --help: its "
             "flags)\n", "studies:"]
    lines += [f"  {n:<{width}}  {d}" for n, d in known.items()]
    return "\n".join(lines)


def _run_study(args, verbose: bool) -> int:
    if not args or args[0].startswith("-"):
        if _wants_help(args):
            print(_studies_help())
            return 0
        raise UserError(f"'{PROG} study' needs a study name; known studies: {sorted(studies())}")
    name, args = args[0], args[1:]
    known = studies()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=1)
        raise UserError(f"unknown study {name!r}"
                        + (f" (did you mean {close[0]!r}?)" if close else "")
                        + f"; known studies: {sorted(known)}")
    module = _import(f"studies.{name}", f"study {name}", verbose)
    return _run_absl_main(f"{PROG} study {name}", module, args, f"studies.{name}")


# ---------------------------------------------------------------- the command

def usage() -> str:
    width = max(len("--verbose"), *map(len, COMMANDS))
    lines = [f"usage: {PROG} [--verbose] COMMAND [--flag=value ...]", "",
             "EvoShift: few-pixel, class-wise training-time poisoning (CMA-ES search, victims, "
             "defenses, metrics).", "", "commands:"]
    lines += [f"  {n:<{width}}  {c.summary}" for n, c in COMMANDS.items()]
    lines += ["", "options:",
              f"  {'--verbose':<{width}}  on an error, print its traceback too",
              f"  {'--help':<{width}}  this text; '{PROG} COMMAND --help' lists a command's "
              "flags", "",
              "A user error (bad value, missing file, unknown name) prints one line 'error: ...' "
              "and exits with status 2."]
    return "\n".join(lines)


def _pop_verbose(argv):
    """``--verbose`` anywhere before ``--``, removed from the arguments."""
    if "--" in argv:
        i = argv.index("--")
        head, tail = argv[:i], argv[i:]
    else:
        head, tail = argv, []
    verbose = any(a in ("--verbose", "--verbose=true") for a in head)
    return verbose, [a for a in head if a not in ("--verbose", "--verbose=true")] + tail


def _dispatch(argv, verbose: bool) -> int:
    if not argv:
        raise UserError(f"no command; expected one of {list(COMMANDS)} ('{PROG} --help' "
                        "describes them)")
    name, args = argv[0], argv[1:]
    if name in HELP_ARGS:
        print(usage())
        return 0
    if name not in COMMANDS:
        close = difflib.get_close_matches(name, COMMANDS, n=1)
        raise UserError(f"unknown command {name!r}" + (f" (did you mean {close[0]!r}?)"
                                                        if close else "")
                        + f"; expected one of {list(COMMANDS)}")
    command = COMMANDS[name]
    if command.kind == "study":
        return _run_study(args, verbose)
    module = _import(command.module, name, verbose)
    if command.kind == "component":
        return _run_component(f"{PROG} {name}", module, args)
    return _run_absl_main(f"{PROG} {name}", module, args, command.module)


def main(argv=None) -> int:
    """``evoshift ...``: returns the exit status (0 ok, 2 user error); a bug raises."""
    verbose, argv = _pop_verbose(list(sys.argv[1:] if argv is None else argv))
    try:
        return _dispatch(argv, verbose)
    except BrokenPipeError:          # `evoshift --help | head`: the reader left, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as e:  # noqa: BLE001  (classified below; bugs are re-raised)
        message = user_error_message(e)
        if message is None:
            raise
        if verbose:
            traceback.print_exc()
        sys.stdout.flush()
        print(f"error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
