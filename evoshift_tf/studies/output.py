"""A study's result as a printed table, a JSON file and a PNG.

A result is ``{"study", "budget", "rows", "summary", "plot": {...}, "paper": {...}}``;
``plot`` says how to draw the summary: ``kind`` = ``epochs`` (test-accuracy curves over epochs,
one line per label), ``x`` (a metric over ``x`` with one line per ``group``), ``bars`` or
``heatmap`` (the result's ``grid`` of final and peak accuracy, ``attacks`` x ``defenses``).
"""

from __future__ import annotations

import json
import os
import tempfile

import numpy as np


def save(result: dict, out_dir: str) -> tuple[str, str]:
    """Write ``<study>.json`` (atomically) and ``<study>.png`` into ``out_dir``; return paths."""
    os.makedirs(out_dir, exist_ok=True)
    name = result["study"]
    json_path = os.path.join(out_dir, f"{name}.json")
    fd, tmp = tempfile.mkstemp(dir=out_dir, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(result, f, indent=1, default=float)
    os.replace(tmp, json_path)
    png_path = os.path.join(out_dir, f"{name}.png")
    plot(result, png_path)
    return json_path, png_path


def plot(result: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spec, summary = result["plot"], result["summary"]
    if spec["kind"] == "heatmap":
        return heatmap(result, path)
    key = spec.get("key", "clean_test_accuracy")
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    if spec["kind"] == "epochs":
        for s in summary:
            m, sd = np.array(s["test_curve_mean"]), np.array(s["test_curve_std"])
            e = np.arange(1, len(m) + 1)
            ax.plot(e, m, marker="o", label=s["label"])
            ax.fill_between(e, m - sd, m + sd, alpha=0.15)
        ax.set_xlabel("epoch")
        ax.set_ylabel("clean test accuracy")
    elif spec["kind"] == "x":
        for g in dict.fromkeys(s["group"] for s in summary):
            pts = [s for s in summary if s["group"] == g and f"{key}_mean" in s]
            xs = [s["x"] for s in pts]
            m = np.array([s[f"{key}_mean"] for s in pts]) * spec.get("scale", 1.0)
            sd = np.array([s[f"{key}_std"] for s in pts]) * spec.get("scale", 1.0)
            ax.errorbar(xs, m, yerr=sd, marker="o", capsize=3, label=g or key)
        ax.set_xlabel(spec.get("xlabel", "x"))
        ax.set_ylabel(spec.get("ylabel", key))
    else:  # bars: groups side by side per label
        keys = spec.get("keys", [key])
        idx = np.arange(len(summary))
        width = 0.8 / len(keys)
        for j, k in enumerate(keys):
            m = [s.get(f"{k}_mean", np.nan) for s in summary]
            sd = [s.get(f"{k}_std", 0.0) for s in summary]
            ax.bar(idx + j * width, m, width, yerr=sd, capsize=2, label=k)
        ax.set_xticks(idx + 0.4 - width / 2)
        ax.set_xticklabels([s["label"] for s in summary], rotation=35, ha="right", fontsize=7)
    ax.set_title(spec.get("title", result["study"]), fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def heatmap(result: dict, path: str) -> None:
    """``result["grid"]`` as a heat map: rows ``result["attacks"]``, columns
    ``result["defenses"]``, colour = final clean test accuracy, text = ``final (peak)`` in %."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    final = np.array(result["grid"]["final_test_accuracy"])
    peak = np.array(result["grid"]["peak_test_accuracy"])
    rows, cols = result["attacks"], result["defenses"]
    fig, ax = plt.subplots(figsize=(2.2 + 0.8 * len(cols), 1.4 + 0.55 * len(rows)))
    im = ax.imshow(final, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    for i in range(final.shape[0]):
        for j in range(final.shape[1]):
            ax.text(j, i, f"{100 * final[i, j]:.0f}\n({100 * peak[i, j]:.0f})", ha="center",
                    va="center", fontsize=7, color="white" if final[i, j] < 0.6 else "black")
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels(cols, rotation=35, ha="right", fontsize=7)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows, fontsize=7)
    fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02, label="final clean test accuracy")
    ax.set_title(result["plot"].get("title", result["study"]), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
