"""The reproduction's studies by id: each runs one study of the paper at a preset and returns a
JSON-able result with the PNG names it wrote (``figures``)."""

from __future__ import annotations

import dataclasses
import os
from typing import Callable

import numpy as np

from evoshift_tf import attack as attack_lib
from evoshift_tf import figures, search
from evoshift_tf import summary as summary_lib
from evoshift_tf.analysis import loss_surface
from evoshift_tf.errors import UserError
from evoshift_tf.studies import architectures, median, noise, optimizers, partial, regularizers
from evoshift_tf.studies import baselines as baselines_study
from evoshift_tf.studies import runner, table4
from evoshift_tf.studies.reproduction.budgets import STUDY_IDS
from evoshift_tf.victims import generative
from evoshift_tf.victims.recipe import VictimRecipe

SGD_LEARNING_RATE = 0.05
"""Fig. 9's SGD step (``studies/loss_surface.py``'s default); Adam uses 1e-3."""


@dataclasses.dataclass(frozen=True)
class Study:
    """One study: ``run(dataset, preset, attacks, figure_dir, work_dir) -> result`` (``work_dir``
    holds what lets an interrupted study resume, e.g. the search's checkpoint);
    ``num_pixels(preset)``: the EvoShift N_p it needs."""

    id: str
    title: str
    run: Callable
    num_pixels: Callable


def _with_figure(result: dict, figure_dir: str, name: str) -> dict:
    figures.study_result(os.path.join(figure_dir, f"{name}.png"), result)
    return {**result, "figures": [f"{name}.png"]}


def _table4(ds, p, atk, fig_dir, work_dir):
    r = table4.run(ds, p.budget_for("table4"), {n: atk[n] for n in (1, 2, 5)}, (1, 2, 5))
    return _with_figure(r, fig_dir, "table4")


def _fig6(ds, p, atk, fig_dir, work_dir):
    c = ds.info.num_classes
    ks = (None if p.partial_points is None else
          sorted({int(round(k)) for k in np.linspace(0, c, p.partial_points)}))
    return _with_figure(partial.run(ds, p.budget_for("fig6"), atk[1], ks), fig_dir, "fig6")


def _fig7(ds, p, atk, fig_dir, work_dir):
    return _with_figure(regularizers.run(ds, p.budget_for("fig7"), atk[1]), fig_dir, "fig7")


def _fig8(ds, p, atk, fig_dir, work_dir):
    return _with_figure(optimizers.run(ds, p.budget_for("fig8"), atk[1]), fig_dir, "fig8")


def _fig10(ds, p, atk, fig_dir, work_dir):
    r = median.run(ds, p.budget_for("fig10"), atk[1], p.median_sizes)
    return _with_figure(r, fig_dir, "fig10")


def _fig11(ds, p, atk, fig_dir, work_dir):
    r = noise.run(ds, p.budget_for("fig11"), {1: atk[1], 5: atk[5]}, p.noise_severities)
    return _with_figure(r, fig_dir, "fig11")


def _tables12(ds, p, atk, fig_dir, work_dir):
    r = architectures.run(ds, p.transfer_budget, {n: atk[n] for n in p.transfer_num_pixels},
                          p.transfer_victims)
    return _with_figure(r, fig_dir, "tables1_2")


def _jacobsen(ds, p, atk, fig_dir, work_dir):
    r = baselines_study.run(ds, p.budget_for("jacobsen"), {1: atk[1]})
    return _with_figure(r, fig_dir, "jacobsen")


def _fig5d(ds, p, atk, fig_dir, work_dir):
    """Fig. 5d: the search from uniformly drawn pixels; clean test accuracy of each generation's
    best candidate (the search's own victim, measured for the curve only)."""
    monitor = runner.prepare(ds, dataclasses.replace(
        p.budget, test_images=p.search_monitor_images)).test
    result = search.run(ds, p.search_config, checkpoint_dir=os.path.join(work_dir, "search"),
                        monitor=monitor)
    figures.search_curve(os.path.join(fig_dir, "fig5d.png"), result.history)
    return {"study": "fig5d_search", "history": result.history, "best_cost": result.best_cost,
            "config": result.config, "monitor_images": len(monitor), "figures": ["fig5d.png"]}


def _fig9_row(curve: list[dict], seed: int) -> dict:
    """Loss, accuracy and sharpness ``(L(a - 0.25) + L(a + 0.25)) / 2 - L(a)`` at alpha = 0
    (SGD) and 1 (Adam)."""
    at = lambda a: min(curve, key=lambda row: abs(row["alpha"] - a))  # noqa: E731
    sharp = lambda a: (at(a - 0.25)["train_loss"] + at(a + 0.25)["train_loss"]) / 2 \
        - at(a)["train_loss"]  # noqa: E731
    return {"label": "loss surface", "seed": seed,
            "train_loss_sgd": at(0)["train_loss"], "train_loss_adam": at(1)["train_loss"],
            "test_loss_sgd": at(0)["test_loss"], "test_loss_adam": at(1)["test_loss"],
            "test_accuracy_sgd": at(0)["test_accuracy"],
            "test_accuracy_adam": at(1)["test_accuracy"],
            "sharpness_sgd": sharp(0), "sharpness_adam": sharp(1)}


def _fig9(ds, p, atk, fig_dir, work_dir):
    """Fig. 9 (Eq. (14)): per seed, SGD and Adam victims from one initialisation on the N_p = 1
    poisoned images; loss and accuracy along ``w_alpha``."""
    b = p.budget
    data = runner.prepare(ds, dataclasses.replace(b, train_images=p.loss_train_images,
                                                  test_images=p.loss_eval_images))
    x = attack_lib.apply(atk[1], data.train.x, data.train.y)
    k = min(p.loss_eval_images or len(x), len(x))
    pick = np.random.default_rng(b.seed).permutation(len(x))[:k]
    eval_sets = {"train": (x[pick], data.train.y[pick]), "test": (data.test.x, data.test.y)}
    alphas = np.linspace(-0.5, 1.5, p.loss_alphas)
    info = ds.info
    rows, curves = [], []
    for r in range(b.repeats):
        victim = VictimRecipe.from_params(model="graynet", epochs=p.loss_epochs,
                                          batch_size=b.batch_size
                                          ).build(info.image_shape, info.num_classes, b.seed + r)
        out = loss_surface.sgd_vs_adam(victim.make_model, x, data.train.y, eval_sets,
                                       victim.config, SGD_LEARNING_RATE, 1e-3, alphas)
        curves.append(out["rows"])
        rows.append(_fig9_row(out["rows"], b.seed + r))
    keys = [k for k in rows[0] if k not in ("label", "seed")]
    figures.loss_surface(os.path.join(fig_dir, "fig9.png"), curves[0],
                         f"{info.name}, EvoShift N_p=1, seed {b.seed}: "
                         "w = a w_Adam + (1-a) w_SGD")
    return {"study": "fig9_loss_surface", "rows": rows, "curves": curves,
            "summary": summary_lib.aggregate(rows, keys), "figures": ["fig9.png"]}


def _vaegan_arms(info, p, atk) -> dict:
    arms = {"clean": None}
    for n in (1, 10):
        arms[f"EvoShift N_p={n}"] = atk[n]
        if p.vaegan_random_arms:
            arms[f"random N_p={n}"] = attack_lib.random_attack(info.num_classes, n,
                                                               info.image_shape, p.budget.seed)
    return arms


def _fig12_13(ds, p, atk, fig_dir, work_dir):
    """Figs. 12-13: one VAE-GAN per arm; PSNR of its reconstructions of clean test images."""
    data = runner.prepare(ds, dataclasses.replace(
        p.budget, train_images=p.vaegan_train_images, test_images=p.vaegan_test_images))
    out = generative.attack_study(data.train.x, data.train.y, data.test.x,
                                  _vaegan_arms(ds.info, p, atk), p.vaegan)
    show = np.random.default_rng(p.budget.seed).permutation(len(data.test.x))[:10]
    figures.reconstruction_grid(os.path.join(fig_dir, "fig12.png"), data.test.x[show],
                                {k: v["reconstructions"][show] for k, v in out.items()},
                                {k: v["psnr_db"] for k, v in out.items()})
    epochs = sorted({0, p.vaegan.epochs // 2, p.vaegan.epochs - 1})
    figures.samples_over_training(os.path.join(fig_dir, "fig13.png"),  # first, middle, last
                                  {k: v["samples"][:, :4] for k, v in out.items()}, epochs)
    rows = [{"label": k, "psnr_db": v["psnr_db"], "seed": p.vaegan.seed}
            for k, v in out.items()]
    return {"study": "figs12_13_vaegan", "rows": rows,
            "summary": summary_lib.aggregate(rows, ("psnr_db",)),
            "history": {k: v["history"] for k, v in out.items()},
            "config": dataclasses.asdict(p.vaegan), "train_images": len(data.train),
            "test_images": len(data.test), "figures": ["fig12.png", "fig13.png"]}


STUDIES = {s.id: s for s in (
    Study("table4", "Table 4: CE vs vibCE", _table4, lambda p: (1, 2, 5)),
    Study("fig5d", "Fig. 5d: search learning curve", _fig5d, lambda p: ()),
    Study("fig6", "Fig. 6: partial-class attack", _fig6, lambda p: (1,)),
    Study("fig7", "Fig. 7: regularizers", _fig7, lambda p: (1,)),
    Study("fig8", "Fig. 8: optimizers", _fig8, lambda p: (1,)),
    Study("fig9", "Fig. 9: loss surface SGD <-> Adam", _fig9, lambda p: (1,)),
    Study("fig10", "Fig. 10: median filter", _fig10, lambda p: (1,)),
    Study("fig11", "Fig. 11: Gaussian noise", _fig11, lambda p: (1, 5)),
    Study("fig12_13", "Figs. 12-13: VAE-GAN PSNR", _fig12_13, lambda p: (1, 10)),
    Study("tables1_2", "Tables 1-2: transfer to ResNet/DenseNet", _tables12,
          lambda p: tuple(p.transfer_num_pixels)),
    Study("jacobsen", "Sec. VIII-B: EvoShift vs Jacobsen et al. (GrayNet)", _jacobsen,
          lambda p: (1,)),
)}
assert tuple(STUDIES) == STUDY_IDS

REFERENCE_SECTIONS = {"fig5b": "Fig. 5b: Grad-CAM mass on the background (committed measurement)"}
"""Report sections judged from committed measurements rather than run (see
:mod:`~evoshift_tf.studies.reproduction.gradcam_reference`)."""


def check_ids(ids) -> list[str]:
    """``ids`` if every one is a study id, else a :class:`UserError` listing them."""
    unknown = [s for s in ids if s not in STUDIES]
    if unknown:
        raise UserError(f"unknown study ids {unknown}; known: {', '.join(STUDY_IDS)}")
    return list(ids)
