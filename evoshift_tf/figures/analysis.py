"""Figures of the generative, transfer and failure-analysis studies: Fig. 5b (Grad-CAM), Fig. 9
(loss surface), Figs. 12-13 (VAE-GAN), Fig. 14 (SVF transfer) and Table 3 (cross-dataset). Every
function takes plain arrays / dicts and a path."""

from __future__ import annotations

import numpy as np

from evoshift_tf.figures.canvas import image, plt, save


def reconstruction_grid(path: str, originals: np.ndarray, reconstructions: dict,
                        psnr: dict | None = None, title: str = "") -> None:
    """Fig. 12: first row the clean test images, then one row of reconstructions per arm
    (``name -> [n, H, W, C] uint8``), labelled with the arm's PSNR."""
    n = len(originals)
    rows = [("clean test images", originals)] + [
        (f"{k}" + (f"  ({psnr[k]:.2f} dB)" if psnr and k in psnr else ""), v[:n])
        for k, v in reconstructions.items()]
    fig, axes = plt.subplots(len(rows), n, figsize=(1.1 * n, 1.25 * len(rows)), squeeze=False)
    for r, (label, imgs) in enumerate(rows):
        for j in range(n):
            image(axes[r, j], imgs[j])
        axes[r, 0].set_ylabel(label, fontsize=6, rotation=0, ha="right", va="center")
    fig.suptitle(title or "VAE-GAN reconstructions of clean test images")
    save(fig, path)


def samples_over_training(path: str, samples: dict, epochs_to_show=None) -> None:
    """Fig. 13: for each arm (``name -> [E, S, H, W, C] uint8``), rows = epochs, columns = the
    same latent draws decoded after that epoch; arms side by side."""
    names = list(samples)
    e_total = next(iter(samples.values())).shape[0]
    epochs = list(epochs_to_show or range(e_total))
    s = next(iter(samples.values())).shape[1]
    fig, axes = plt.subplots(len(epochs), len(names) * s,
                             figsize=(0.8 * len(names) * s, 0.85 * len(epochs) + 0.5),
                             squeeze=False)
    for a, name in enumerate(names):
        for r, e in enumerate(epochs):
            for j in range(s):
                image(axes[r, a * s + j], samples[name][e, j])
            axes[r, 0].set_ylabel(f"ep {e + 1}", fontsize=6)
        axes[0, a * s].set_title(name, fontsize=7, loc="left")
    fig.suptitle("VAE-GAN samples over training (fixed z)")
    save(fig, path, dpi=100)


def gradcam_maps(path: str, result: dict, class_names) -> None:
    """Fig. 5b: one row per model of the mean Grad-CAM map per class, with the background share
    (``result`` from :func:`evoshift_tf.analysis.gradcam.compare`)."""
    names = list(result["models"])
    c = len(class_names)
    fig, axes = plt.subplots(len(names), c, figsize=(1.25 * c, 1.5 * len(names)), squeeze=False)
    for r, name in enumerate(names):
        maps = result["models"][name]["mean_maps"]
        for k in range(c):
            ax = axes[r, k]
            ax.set_xticks([]), ax.set_yticks([])
            ax.imshow(maps[k], cmap="jet")
            if r == 0:
                ax.set_title(str(class_names[k])[:10], fontsize=6)
        axes[r, 0].set_ylabel(f"{name}\nbg {result['models'][name]['background_share']:.2f}",
                              fontsize=7)
    fig.suptitle(f"Mean {result.get('method', 'gradcam')} map ({result['num_images']} test "
                 f"images); bg = share of CAM mass "
                 f"on background (pixel fraction {result['background_pixel_fraction']:.2f})",
                 fontsize=8)
    save(fig, path)


def loss_surface(path: str, rows: list[dict], title: str = "") -> None:
    """Fig. 9: loss (left, log scale) and accuracy (right) along ``w_alpha``; alpha = 0 is SGD,
    alpha = 1 is Adam."""
    a = [r["alpha"] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.semilogy(a, [r["train_loss"] for r in rows], "b-", label="train loss (poisoned)")
    ax.semilogy(a, [r["test_loss"] for r in rows], "b--", label="test loss (clean)")
    ax.set_xlabel("alpha  (0 = SGD, 1 = Adam)")
    ax.set_ylabel("cross-entropy", color="b")
    ax2 = ax.twinx()
    ax2.plot(a, [r["train_accuracy"] for r in rows], "r-", label="train accuracy")
    ax2.plot(a, [r["test_accuracy"] for r in rows], "r--", label="test accuracy")
    ax2.set_ylabel("accuracy", color="r")
    ax2.set_ylim(0, 1)
    for x in (0, 1):
        ax.axvline(x, color="gray", lw=0.5)
    l1, n1 = ax.get_legend_handles_labels()
    l2, n2 = ax2.get_legend_handles_labels()
    ax.legend(l1 + l2, n1 + n2, fontsize=7, loc="upper center")
    ax.set_title(title or "w_alpha = alpha w_Adam + (1 - alpha) w_SGD  (Eq. (14))")
    save(fig, path)


def svf_panel(path: str, source_svf: np.ndarray, target_svf: np.ndarray, attacks: dict,
              example: np.ndarray, curves: dict | None = None) -> None:
    """Fig. 14: the source SVF, the resized target SVF, an example target image with each
    arm's pixels (``name -> PixelAttack``, class 0 shown as squares, all classes as dots), and
    optionally accuracy-vs-N_p curves (``curves``: arm -> {N_p: accuracy})."""
    n = 3 + (1 if curves else 0)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 3.2))
    axes[0].imshow(source_svf, cmap="magma")
    axes[0].set_title("source SVF (Eq. (9))", fontsize=8)
    axes[1].imshow(target_svf, cmap="magma")
    axes[1].set_title(f"target SVF {target_svf.shape[0]}x{target_svf.shape[1]}", fontsize=8)
    image(axes[2], example)
    marks = ["s", "o", "^", "D"]
    for i, (name, atk) in enumerate(attacks.items()):
        p = atk.positions.reshape(-1, 2)
        axes[2].scatter(p[:, 1], p[:, 0], s=10, marker=marks[i % 4], facecolors="none",
                        edgecolors=f"C{i}", label=name)
    axes[2].legend(fontsize=6, loc="lower right")
    axes[2].set_title("attack pixels (all classes)", fontsize=8)
    for ax in axes[:2]:
        ax.set_xticks([]), ax.set_yticks([])
    if curves:
        ax = axes[3]
        for name, pts in curves.items():
            k = sorted(pts)
            ax.plot(k, [pts[x] for x in k], "o-", label=name)
        ax.set_xlabel("N_p")
        ax.set_ylabel("clean test accuracy (target)")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=7)
    save(fig, path)


def table3_bars(path: str, rows: list[dict]) -> None:
    """Table 3 as bars: per shared class, source and target accuracy of each arm."""
    classes = [k for k in rows[0]["target"] if k != "mean"]
    fig, ax = plt.subplots(figsize=(1.2 * len(classes) + 2, 3.4))
    width = 0.8 / (2 * len(rows))
    for i, r in enumerate(rows):
        for j, side in enumerate(("source", "target")):
            ax.bar(np.arange(len(classes)) + (2 * i + j) * width,
                   [r[side][c] for c in classes], width, label=f"{r['arm']} {side}",
                   hatch="//" if side == "target" else None)
    ax.set_xticks(np.arange(len(classes)) + 0.4 - width / 2)
    ax.set_xticklabels(classes)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=6, ncol=2)
    save(fig, path)
