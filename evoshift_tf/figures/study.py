"""Figures of summaries (mean ± std rows of :mod:`evoshift_tf.summary`): a study result's plot,
the defense table's heat map and the strength benchmark's accuracy over N_p."""

from __future__ import annotations

import textwrap
from typing import Sequence

import matplotlib.ticker
import numpy as np
from matplotlib.patches import Rectangle

from evoshift_tf.figures.canvas import plt, save


def study_result(path: str, result: dict) -> None:
    """A study result (:mod:`evoshift_tf.studies`) as drawn by its ``plot`` spec: ``kind`` =
    ``epochs`` (clean test accuracy per epoch, a line per label), ``x`` (``key`` over ``x``, a
    line per ``group``), ``bars`` (``keys`` side by side per label) or ``heatmap``
    (:func:`defense_heatmap`); ``title``, ``xlabel``, ``ylabel``, ``scale`` optional."""
    spec = result["plot"]
    if spec["kind"] == "heatmap":
        return defense_heatmap(path, result)
    summary = result["summary"]
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
        _lines(ax, summary, key, "x", "group", scale=spec.get("scale", 1.0))
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
    save(fig, path)


def defense_heatmap(path: str, result: dict) -> None:
    """The defense table (:func:`evoshift_tf.studies.defenses.run`) as a heat map: rows
    ``result["attacks"]``, columns ``result["defenses"]``, colour = final clean test accuracy,
    text = ``final (peak)`` in %; cells ``result["searched_through"]`` marks (a bool grid, when
    given) are framed: the attack was searched through that defense, the others are held out."""
    final = np.array(result["grid"]["final_test_accuracy"])
    peak = np.array(result["grid"]["peak_test_accuracy"])
    rows, cols = result["attacks"], result["defenses"]
    width = 2.2 + 0.8 * len(cols)
    fig, ax = plt.subplots(figsize=(width, 1.4 + 0.55 * len(rows)))
    im = ax.imshow(final, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    for i in range(final.shape[0]):
        for j in range(final.shape[1]):
            label = ("not\nmeasured" if np.isnan(final[i, j]) else
                     f"{100 * final[i, j]:.0f}\n({100 * peak[i, j]:.0f})")
            ax.text(j, i, label, ha="center",
                    va="center", fontsize=7, color="white" if final[i, j] < 0.6 else "black")
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels(cols, rotation=35, ha="right", fontsize=7)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows, fontsize=7)
    fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02, label="final clean test accuracy")
    title = result["plot"].get("title", result["study"])
    seen = np.array(result.get("searched_through", np.zeros(final.shape, bool)), bool)
    for i, j in zip(*np.nonzero(seen)):
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="red", lw=1.5))
    if seen.any():
        title += "\n(red frame: searched through it; other cells held out)"
    ax.set_title("\n".join(textwrap.fill(line, int(9 * width)) for line in title.split("\n")),
                 fontsize=9)                # a table of few columns keeps its title on the page
    save(fig, path)


def accuracy_vs_num_pixels(path: str, summary: list[dict], attacks: Sequence[str] | None = None,
                           title: str = "", key: str = "clean_test_accuracy") -> None:
    """Victim accuracy (mean ± std) over N_p on a log axis, a line per attack: ``summary`` rows
    with ``attack`` and ``num_pixels`` (``summary.aggregate(rows, (key,), by=("attack",
    "num_pixels"))``), ``attacks`` the lines in legend order (default: first seen)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    _lines(ax, summary, key, "num_pixels", "attack", attacks)
    ticks = sorted({s["num_pixels"] for s in summary})
    ax.set_xscale("log")
    ax.set_xticks(ticks, [str(n) for n in ticks])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())  # no "3 x 10^0" between
    ax.set_xlabel("N_p, pixels per class")
    ax.set_ylabel("victim clean test accuracy")
    ax.set_title(textwrap.fill(title, 60), fontsize=10)      # a long title stays on the page
    ax.grid(alpha=0.3)
    ax.legend()
    save(fig, path, dpi=120)


def _lines(ax, summary, key, x, group, groups=None, scale: float = 1.0) -> None:
    """Error-bar lines of ``key`` (mean ± std, times ``scale``) over field ``x``, one per value
    of field ``group`` (``groups`` in order, default first seen; points sorted by ``x``)."""
    for g in groups or dict.fromkeys(s[group] for s in summary):
        pts = [s for s in summary if s[group] == g and f"{key}_mean" in s]
        if not pts:
            continue
        if all(s[x] is not None for s in pts):
            pts.sort(key=lambda s: s[x])
        ax.errorbar([s[x] for s in pts], np.array([s[f"{key}_mean"] for s in pts]) * scale,
                    yerr=np.array([s[f"{key}_std"] for s in pts]) * scale, marker="o",
                    capsize=3, label=g or key)


def confusion_grid(path: str, confusions: dict, class_names: Sequence[str],
                   title: str = "") -> None:
    """One heat map per victim: ``confusions`` maps a panel title to ``[C, C]`` fractions (rows:
    true class, columns: predicted class, each row summing to 1) of clean test images."""
    names = list(confusions)
    cols = min(4, len(names))
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 3.1 * rows + 0.4), squeeze=False)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    for ax, name in zip(axes.ravel(), names):
        m = np.asarray(confusions[name])
        ax.imshow(m, cmap="magma", vmin=0.0, vmax=1.0)
        ticks = range(len(class_names))
        ax.set_xticks(ticks), ax.set_yticks(ticks)
        ax.set_xticklabels(class_names, rotation=90, fontsize=5)
        ax.set_yticklabels(class_names, fontsize=5)
        ax.set_xlabel("predicted", fontsize=6), ax.set_ylabel("true", fontsize=6)
        ax.set_title(name, fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    save(fig, path)
