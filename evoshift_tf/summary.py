"""Mean ± std over repeated runs, and the tables that show it (Markdown and plain text).

Every table the project prints goes through here: a study's summary (one row per setting), the
main job's arms (clean / evoshift / random), a sweep's recipes, the defense grid, the strength
benchmark (attacks x N_p)::

    summary = aggregate(rows, ("clean_test_accuracy",), by="arm")
    print(markdown(summary, ("clean_test_accuracy",), name="arm"))

A summary row holds the group's fields, ``n`` (the runs in it) and, for each key, ``<key>_mean``
and ``<key>_std`` (population std over the runs, ``np.std``).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

STUDY_KEYS = ("clean_test_accuracy", "alpha_S", "alpha_N", "poisoned_train_accuracy")
"""What a study run measures (:func:`evoshift_tf.studies.runner.run_one`)."""
STUDY_CURVES = ("test_curve", "train_curve")
"""A study run's per-epoch accuracies, averaged epoch by epoch."""
ARM_KEYS = ("clean_test_accuracy", "poisoned_train_accuracy", "alpha_S", "alpha_N", "a_distance")
"""What the main job measures of each victim (:func:`evoshift_tf.evaluate.evaluate`)."""
ARM_ORDER = ("clean", "evoshift", "random")
"""The main job's arms, in table order."""


def aggregate(rows: Iterable[dict], keys: Sequence[str], by: str | Sequence[str] = "label",
              carry: Sequence[str] = (), curves: Sequence[str] = (),
              order: Sequence | None = None) -> list[dict]:
    """Mean and std of ``keys`` over the rows of each group.

    Args:
      rows: one dict per run.
      keys: numeric fields; a row without the key (or with ``None``) is left out of that key's
        mean, and a group with no value at all has no ``<key>_mean``.
      by: the field (or fields) whose value names a group; copied into the summary row.
      carry: fields copied from the group's first row (e.g. a plot's ``group`` and ``x``).
      curves: list-valued fields averaged element by element (all rows of a group alike long).
      order: ``None``: groups in first-seen order; else groups named in ``order`` first, in that
        order, then the others sorted by name (``()``: all sorted).

    Returns one dict per group: the ``by`` and ``carry`` fields, ``n``, ``<key>_mean`` and
    ``<key>_std`` (floats; lists for curves).
    """
    rows = list(rows)
    fields = (by,) if isinstance(by, str) else tuple(by)
    name = lambda r: tuple(r[f] for f in fields)  # noqa: E731
    groups = list(dict.fromkeys(name(r) for r in rows))
    if order is not None:
        first = lambda g: g[0] if len(g) == 1 else g  # noqa: E731
        rank = {k: i for i, k in enumerate(order)}
        groups.sort(key=lambda g: (rank.get(first(g), len(rank)), g))
    out = []
    for group in groups:
        mine = [r for r in rows if name(r) == group]
        s = {**dict(zip(fields, group)), **{f: mine[0][f] for f in carry}, "n": len(mine)}
        for k in keys:
            vals = [r[k] for r in mine if r.get(k) is not None]
            if vals:
                s[f"{k}_mean"], s[f"{k}_std"] = float(np.mean(vals)), float(np.std(vals))
        for k in curves:
            c = np.array([r[k] for r in mine])
            s[f"{k}_mean"], s[f"{k}_std"] = c.mean(0).tolist(), c.std(0).tolist()
        out.append(s)
    return out


def by_label(rows: Iterable[dict], keys: Sequence[str] = STUDY_KEYS) -> list[dict]:
    """A study's summary: one row per setting ``label`` (first-seen order) with its plot
    fields ``group`` and ``x`` and its mean test and train curves."""
    return aggregate(rows, keys, "label", carry=("group", "x"), curves=STUDY_CURVES)


def by_arm(rows: Iterable[dict], keys: Sequence[str] = ARM_KEYS,
           order: Sequence[str] | None = ARM_ORDER) -> list[dict]:
    """The main job's summary: one row per ``arm`` (``order`` first, then by name)."""
    return aggregate(rows, keys, "arm", order=order)


def fmt(row: dict, key: str, scale: float = 1.0, digits: int = 3) -> str:
    """``"mean ± std"`` of ``key`` in a summary row (times ``scale``), ``-`` when it has none."""
    if f"{key}_mean" not in row:
        return "-"
    return f"{row[f'{key}_mean'] * scale:.{digits}f} ± {row[f'{key}_std'] * scale:.{digits}f}"


def rank_correlation(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rank correlation of two equally long sequences (ties ranked by position)."""
    ra, rb = (np.argsort(np.argsort(v)).astype(float) for v in (a, b))
    return float(np.corrcoef(ra, rb)[0, 1])


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table of ready-made cells (the one place that writes ``| a | b |`` lines)."""
    line = lambda cells: "| " + " | ".join(str(c) for c in cells) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "---|" * len(header), *(line(r) for r in rows)])


def markdown(summary: Sequence[dict], keys: Sequence[str] = ("clean_test_accuracy", "alpha_S",
                                                             "alpha_N"),
             extra: dict[str, dict[str, str]] | None = None, name: str = "label",
             title: str = "setting") -> str:
    """One row per summary row: its ``name`` field, ``n``, ``mean ± std`` of each key, then the
    ``extra`` columns (``column -> name -> text``, e.g. the paper's values). ``title`` heads the
    first column."""
    extra = extra or {}
    return markdown_table(
        [title, "n", *keys, *extra],
        ([s[name], s["n"], *(fmt(s, k) for k in keys),
          *(col.get(s[name], "") for col in extra.values())] for s in summary))


def text_table(rows: Sequence[dict], columns: Sequence[str], title: str = "") -> str:
    """A plain-text table of ``rows`` in aligned columns (floats with 4 digits) for a terminal."""
    cell = lambda v: f"{v:.4f}" if isinstance(v, float) else str(v)  # noqa: E731
    cells = [[cell(r.get(c, "")) for c in columns] for r in rows]
    widths = [max([len(c), *(len(x[i]) for x in cells)]) for i, c in enumerate(columns)]
    lines = ([title] if title else []) + [
        "  ".join(c.ljust(w) for c, w in zip(columns, widths)),
        "  ".join("-" * w for w in widths)] + [
        "  ".join(x.ljust(w) for x, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)
