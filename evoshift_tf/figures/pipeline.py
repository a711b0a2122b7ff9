"""The main job's figures: Fig. 4 poisoned samples, Fig. 5c/d search curve, the arms' bars."""

from __future__ import annotations

import matplotlib.ticker
import numpy as np

from evoshift_tf import attack as attack_lib
from evoshift_tf.data import DatasetInfo, Split
from evoshift_tf.figures.canvas import image, plt, save


def poisoned_grid(path: str, attack: attack_lib.PixelAttack, split: Split, info: DatasetInfo,
                  per_class: int = 6, seed: int = 0) -> None:
    """Fig. 4: ``per_class`` poisoned training images of every class (rows), with each attack
    pixel circled in red."""
    rng = np.random.default_rng(seed)
    c = info.num_classes
    fig, axes = plt.subplots(c, per_class, figsize=(1.3 * per_class, 1.3 * c), squeeze=False)
    for k in range(c):
        idx = np.flatnonzero(split.y == k)
        idx = rng.choice(idx, size=min(per_class, idx.size), replace=False) if idx.size else idx
        images = attack_lib.apply(attack, split.x[idx], split.y[idx])
        for j in range(per_class):
            ax = axes[k, j]
            if j >= len(idx):
                ax.axis("off")
                continue
            image(ax, images[j])
            for r, col in attack.positions[k]:
                ax.add_patch(plt.Circle((col, r), radius=max(1.5, images.shape[1] / 14),
                                        fill=False, color="red", linewidth=1.2))
        axes[k, 0].set_ylabel(info.class_names[k][:12], fontsize=7)
    fig.suptitle(f"Poisoned training images, N_p = {attack.num_pixels} (red: attack pixels)")
    save(fig, path)


def search_curve(path: str, history: list[dict]) -> None:
    """Fig. 5c/d: cost per generation (best and mean) beside the clean test accuracy of each
    generation's best candidate (measured for this plot only)."""
    g = [h["generation"] + 1 for h in history]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(g, [h["best_cost"] for h in history], "o-", label="best cost")
    ax.plot(g, [h["mean_cost"] for h in history], "s--", alpha=0.6, label="mean cost")
    ax.plot(g, [h["best_so_far_cost"] for h in history], ":", color="k", label="best so far")
    ax.set_xlabel("generation")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_ylabel("cost C = C_m + w_d C_d (lower = stronger)")
    lines, labels = ax.get_legend_handles_labels()
    if all("best_monitor_clean_accuracy" in h for h in history):
        ax2 = ax.twinx()
        ax2.plot(g, [h["best_monitor_clean_accuracy"] for h in history], "^-", color="tab:red",
                 label="clean test acc. of best (plot only)")
        ax2.set_ylabel("clean test accuracy")
        ax2.set_ylim(0, 1)
        l2, lab2 = ax2.get_legend_handles_labels()
        lines, labels = lines + l2, labels + lab2
    ax.legend(lines, labels, fontsize=7, loc="upper right")
    ax.set_title("EvoShift search")
    save(fig, path)


def arm_bars(path: str, table: list[dict], keys=("clean_test_accuracy", "alpha_S", "alpha_N")
             ) -> None:
    """Grouped bars of mean ± std per arm (clean / evoshift / random; a summary from
    :func:`evoshift_tf.summary.by_arm`) for a few metrics."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    width = 0.8 / max(len(table), 1)
    for i, row in enumerate(table):
        means = [row.get(f"{k}_mean", np.nan) for k in keys]
        stds = [row.get(f"{k}_std", 0.0) or 0.0 for k in keys]
        ax.bar(np.arange(len(keys)) + i * width, np.nan_to_num(means), width, yerr=stds,
               label=row["arm"], capsize=3)
    ax.set_xticks(np.arange(len(keys)) + width * (len(table) - 1) / 2)
    ax.set_xticklabels(keys)
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8)
    save(fig, path)
