"""Aggregate per-victim metrics into a per-arm table (mean and std over victim seeds)."""

from __future__ import annotations

import numpy as np

SUMMARY_KEYS = ("clean_test_accuracy", "poisoned_train_accuracy", "alpha_S", "alpha_N",
                "a_distance")


def summarize(rows: list[dict], keys=SUMMARY_KEYS, order=("clean", "evoshift", "random")
              ) -> list[dict]:
    """``rows``: metrics dicts each with an ``arm``. Returns one dict per arm with ``n`` and,
    for each key present, ``<key>_mean``, ``<key>_std`` (population std over seeds)."""
    arms = sorted({r["arm"] for r in rows},
                  key=lambda a: (order.index(a) if a in order else len(order), a))
    table = []
    for arm in arms:
        group = [r for r in rows if r["arm"] == arm]
        out = {"arm": arm, "n": len(group)}
        for k in keys:
            vals = [r[k] for r in group if r.get(k) is not None]
            if vals:
                out[f"{k}_mean"] = float(np.mean(vals))
                out[f"{k}_std"] = float(np.std(vals))
        table.append(out)
    return table


def markdown(table: list[dict], keys=SUMMARY_KEYS) -> str:
    """The table as Markdown, ``mean ± std`` per cell (``-`` where not measured)."""
    head = "| arm | n | " + " | ".join(keys) + " |"
    lines = [head, "|" + "---|" * (len(keys) + 2)]
    for row in table:
        cells = [f"{row[f'{k}_mean']:.3f} ± {row[f'{k}_std']:.3f}" if f"{k}_mean" in row else "-"
                 for k in keys]
        lines.append(f"| {row['arm']} | {row['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
