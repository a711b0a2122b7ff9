"""The one preset vocabulary: how much work a run does, by name, for the main job, the studies
and the reproduction alike (``--preset`` everywhere).

- ``smoke``: seconds to a few minutes on tiny subsets, to try the tools (and the tests);
- ``light``: the ``default`` run with about a third of the search (8 generations, 8 finalists),
  for CPUs where the search trains in float32 (no native bfloat16);
- ``default``: minutes on 2 CPU cores with native bfloat16 (the documented defaults);
- ``paper``: the paper's budgets (full data, 30 victim epochs): hours to days on 2 cores.

``auto`` resolves to ``default`` or ``light`` by the machine (:func:`resolve`). A concept that
has no ``light`` form (a study's victims) treats it as ``default``.
"""

from __future__ import annotations

from evoshift_tf import hardware
from evoshift_tf.errors import UserError

NAMES = ("smoke", "light", "default", "paper")
AUTO = "auto"


def check(name: str, allowed: tuple[str, ...] = NAMES + (AUTO,)) -> str:
    """``name`` if it is one of ``allowed``, else a :class:`UserError` listing them."""
    if name not in allowed:
        raise UserError(f"unknown preset {name!r}; known: {list(allowed)}")
    return name


def resolve(name: str, compiled: bool = False, flags: frozenset[str] | None = None,
            has_gpu: bool | None = None) -> str:
    """``auto`` -> ``default`` where the search trains in bfloat16 (a GPU, or a CPU with native
    bfloat16: :func:`evoshift_tf.hardware.native_bfloat16`) or for a pipeline ``compiled`` for
    another machine (Kubeflow), ``light`` where it trains in float32 on this CPU (there the
    default search took 1,298 s of a 1,697 s main job on a 2-core AVX2-only CPU, against about
    270 s on 2 AVX-512 cores with native bfloat16); any other known name passes through.
    ``flags``/``has_gpu`` default to this machine's."""
    if check(name) != AUTO:
        return name
    if compiled:
        return "default"
    return "default" if hardware.native_bfloat16(flags, has_gpu) else "light"


def pick(name: str, choices: dict):
    """``choices[name]`` for a resolved preset, ``light`` falling back to ``default`` where
    ``choices`` has no ``light`` entry."""
    check(name, NAMES)
    if name == "light" and "light" not in choices:
        name = "default"
    if name not in choices:
        raise UserError(f"preset {name!r} is not available here; known: {sorted(choices)}")
    return choices[name]
