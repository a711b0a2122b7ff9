"""How close this implementation comes to the paper on Fashion-MNIST, number by number.

:data:`NUMBERS` is the list of what the paper reports for Fashion-MNIST (and the claims it makes
with other datasets' figures that a Fashion-MNIST run can test): each :class:`PaperNumber` has an
id, what it is, the paper's value (a number, or a trend statement when the paper gives only a
figure or a sentence), a tolerance and/or a trend test, and the study that produces ours.
:data:`SCALES` are three budgets (``quick``: a smoke check in minutes; ``standard``: sized for about
90 min on a 2-core AVX2 CPU; ``paper``: the paper's own budget). :func:`run` runs every study of
:data:`STUDIES` at a scale, caches each finished study's result JSON (an interrupted run resumes;
a rerun skips finished studies), judges every number (:func:`judge`) and writes one
``REPRODUCTION.md`` with the figures (:func:`write_report`)::

    from evoshift_tf import data
    from evoshift_tf.studies import reproduce
    report = reproduce.run(data.load("fashion_mnist"), reproduce.SCALES["standard"],
                           "runs/reproduction", attack_dir="benchmarks/results/attacks")

Verdicts: ``matches`` (within the stated tolerance of the paper's number), ``trend holds`` (the
number is off, or the paper gives none, but its claim holds here), ``differs`` (with a short
reason: the budget, the dataset the paper's figure is on, which part of the claim fails), and
``not measured`` (the study was not run at this scale or in this call).

Every victim is trained by the studies' runner (:mod:`evoshift_tf.studies.runner`), also where it
is a plain GrayNet that the population trainer of the search could train together with others:
one trainer for every arm keeps the arms of a comparison alike (the population trainer computes in
bfloat16 where the CPU has it, the runner in float32), and the standard budget fits without it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import resource
import shutil
import threading
import time
from typing import Callable

import numpy as np
from absl import logging

from evoshift_tf import atomic
from evoshift_tf import attack as attack_lib
from evoshift_tf import data as data_lib
from evoshift_tf import figures, search
from evoshift_tf import summary as summary_lib
from evoshift_tf.analysis import loss_surface
from evoshift_tf import hardware
from evoshift_tf.studies import architectures, median, noise, optimizers, partial, regularizers
from evoshift_tf.studies import attacks as attacks_lib
from evoshift_tf.studies import baselines as baselines_study
from evoshift_tf.studies import runner, table4
from evoshift_tf.victims import generative
from evoshift_tf.victims.recipe import VictimRecipe

PAPER_BUDGET = "60k train / 10k test images, 30 epochs"
"""The victims' budget in the paper (Tables 1-2 and Fig. 7: 30 epochs; the full sets)."""
TOLERANCE_ALPHA = 0.05
"""|ours - paper| for an alpha_S or alpha_N to match: the paper prints two decimals and no
std for Table 4; 0.05 is about our seed std at the standard budget."""
TOLERANCE_ACCURACY = 0.02
"""|ours - paper| for a clean test accuracy to match."""
SGD_LEARNING_RATE = 0.05
"""Fig. 9's SGD step (``studies/loss_surface.py``'s default); Adam uses 1e-3."""


# ------------------------------------------------------------------------------ scales


@dataclasses.dataclass(frozen=True)
class Scale:
    """How much every study trains.

    Attributes:
      name: ``quick``, ``standard`` or ``paper`` (part of the cache key).
      budget: the GrayNet / VIB studies (Table 4, Figs. 6-8, 10, 11, the Jacobsen comparison).
      repeats: per-study seed counts that differ from ``budget.repeats`` (the paper: 5 for
        Figs. 7-8, 3 elsewhere), as ``((study id, repeats), ...)``.
      partial_points: Fig. 6's attacked-class counts, evenly spaced in ``0..C`` (None = every k).
      noise_severities: Fig. 11's Gaussian-noise severities (0 = none).
      median_sizes: Fig. 10's median filter sizes (a 5x5 filter costs about 5x a plain
        GrayNet training on a CPU).
      transfer_budget, transfer_victims, transfer_num_pixels: Tables 1-2 (ResNet-20/32,
        DenseNet-40 with augmentation; the EvoShift N_p arms beside clean and Jacobsen N_p = 1).
      search_config: Fig. 5d's EvoShift search (N_p = 1) from uniformly drawn pixels, its clean test
        accuracy measured on ``search_monitor_images`` test images per generation (0 = all).
      attack_search: ``default`` or ``smoke``: the search that makes an attack when no file is
        found for the dataset (:func:`evoshift_tf.studies.attacks.evoshift_attacks`).
      loss_train_images, loss_epochs, loss_eval_images, loss_alphas: Fig. 9 (Eq. (14)): SGD and
        Adam victims on that many poisoned images, the path sampled at ``loss_alphas`` points of
        [-0.5, 1.5] on ``loss_eval_images`` poisoned-train and clean-test images.
      vaegan, vaegan_train_images, vaegan_test_images, vaegan_random_arms: Figs. 12-13: one
        VAE-GAN per arm (clean, EvoShift N_p = 1 and 10, and random placement at the same N_p
        when ``vaegan_random_arms``), PSNR on the clean test images.
      cost: what the whole scale costs, in words (the report quotes it).
    """

    name: str
    budget: runner.Budget
    repeats: tuple = ()
    partial_points: int | None = None
    noise_severities: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
    median_sizes: tuple[int, ...] = (3, 5)
    transfer_budget: runner.Budget = runner.Budget()
    transfer_victims: tuple[str, ...] = architectures.VICTIMS
    transfer_num_pixels: tuple[int, ...] = (1, 2, 5)
    search_config: search.SearchConfig = search.SearchConfig()
    search_monitor_images: int = 2000
    attack_search: str = "default"
    loss_train_images: int = 10000
    loss_epochs: int = 3
    loss_eval_images: int = 2000
    loss_alphas: int = 17
    vaegan: generative.VAEGANConfig = generative.VAEGANConfig()
    vaegan_train_images: int = 10000
    vaegan_test_images: int = 2000
    vaegan_random_arms: bool = True
    cost: str = ""

    def __post_init__(self):
        if self.attack_search not in ("default", "smoke"):
            raise ValueError(f"attack_search must be 'default' or 'smoke', got "
                             f"{self.attack_search!r}")
        if self.loss_alphas < 9 or (self.loss_alphas - 1) % 8:
            raise ValueError(f"loss_alphas must be 8 m + 1 (>= 9) so that alpha = 0, 1 and "
                             f"+-0.25 around them are grid points, got {self.loss_alphas}")
        unknown = set(dict(self.repeats)) - set(STUDY_IDS)
        if unknown:
            raise ValueError(f"repeats for unknown studies {sorted(unknown)}; known: {STUDY_IDS}")

    def budget_for(self, study: str) -> runner.Budget:
        """The GrayNet budget with this study's repeats."""
        r = dict(self.repeats).get(study)
        return self.budget if r is None else dataclasses.replace(self.budget, repeats=r)

    def attack_config(self, num_pixels: int, seed: int = 0) -> search.SearchConfig:
        """The search that makes a missing attack."""
        if self.attack_search == "smoke":
            return search.SearchConfig.smoke(num_pixels=num_pixels, seed=seed)
        return attacks_lib.small_search_config(num_pixels, seed)


STUDY_IDS = ("table4", "fig5d", "fig6", "fig7", "fig8", "fig9", "fig10", "fig11", "fig12_13",
             "tables1_2", "jacobsen")
"""The studies, in the order they run (``--only`` takes these ids)."""

SCALES = {
    "quick": Scale(
        name="quick",
        budget=runner.Budget(train_images=1000, test_images=500, epochs=1, batch_size=64,
                             repeats=1, measure_train_images=500),
        partial_points=3, noise_severities=(0, 5), median_sizes=(3,),
        transfer_budget=runner.Budget(train_images=500, test_images=200, epochs=1,
                                      batch_size=64, repeats=1, measure_train_images=200),
        transfer_victims=("resnet20",), transfer_num_pixels=(1,),
        search_config=search.SearchConfig.smoke(generations=3, inject_baselines=False,
                                                reevaluate=False),
        search_monitor_images=500, attack_search="smoke",
        loss_train_images=1000, loss_epochs=1, loss_eval_images=500, loss_alphas=9,
        vaegan=generative.VAEGANConfig.smoke(), vaegan_train_images=1000, vaegan_test_images=200,
        vaegan_random_arms=False,
        cost="a smoke check: a few minutes on 2 CPU cores, under a minute on the tests' "
             "synthetic data"),
    "standard": Scale(
        name="standard",
        budget=runner.Budget(train_images=10000, test_images=2000, epochs=3, repeats=2),
        partial_points=4, noise_severities=(0, 5), median_sizes=(3,),
        transfer_budget=runner.Budget(train_images=5000, test_images=1000, epochs=3, repeats=1,
                                      measure_train_images=1000),
        transfer_victims=("resnet20",), transfer_num_pixels=(1, 5),
        search_config=search.SearchConfig(generations=10, inject_baselines=False,
                                          reevaluate=False),
        search_monitor_images=2000,
        loss_train_images=10000, loss_epochs=3, loss_eval_images=2000, loss_alphas=17,
        vaegan=generative.VAEGANConfig(epochs=5, latent_dim=32),
        vaegan_train_images=6000, vaegan_test_images=2000,
        cost="sized for about 90 min on a 2-core AVX2 CPU"),
    "paper": Scale(
        name="paper",
        budget=runner.Budget.paper(repeats=3), repeats=(("fig7", 5), ("fig8", 5)),
        partial_points=None, noise_severities=(0, 1, 2, 3, 4, 5),
        transfer_budget=runner.Budget.paper(repeats=3),
        transfer_victims=architectures.VICTIMS, transfer_num_pixels=(1, 2, 5),
        search_config=search.SearchConfig.paper(inject_baselines=False, reevaluate=False),
        search_monitor_images=0,
        loss_train_images=0, loss_epochs=30, loss_eval_images=10000, loss_alphas=41,
        vaegan=generative.VAEGANConfig(), vaegan_train_images=0, vaegan_test_images=10000,
        cost="days on 2 CPU cores (ResNets and DenseNet-40 for 30 epochs on 60k images, "
             "3-5 seeds): a GPU machine"),
}
"""The three scales of ``python -m studies.reproduce --scale``."""


def _images(v: int) -> str:
    return "all" if not v else (f"{v // 1000}k" if v % 1000 == 0 else str(v))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def describe_budget(budget: runner.Budget) -> str:
    """``"10k/2k images, 3 epochs, 2 seeds"`` (``all`` = the whole set)."""
    return (f"{_images(budget.train_images)}/{_images(budget.test_images)} images, "
            f"{_plural(budget.epochs, 'epoch')}, {_plural(budget.repeats, 'seed')}")


def study_budget(scale: Scale, study: str) -> str:
    """What ``study`` trains at ``scale``, in a few words (the report's budget column)."""
    if study == "tables1_2":
        return (f"{'/'.join(scale.transfer_victims)} + augmentation, "
                f"{describe_budget(scale.transfer_budget)}")
    if study == "fig5d":
        s = scale.search_config
        return (f"search lambda {s.population}, {s.generations} generations, "
                f"{s.per_class}/class, {s.epochs} epoch per candidate")
    if study == "fig9":
        return describe_budget(runner.Budget(
            train_images=scale.loss_train_images, test_images=scale.loss_eval_images,
            epochs=scale.loss_epochs, repeats=scale.budget.repeats)) + " per optimizer"
    if study == "fig12_13":
        v = scale.vaegan
        return describe_budget(runner.Budget(
            train_images=scale.vaegan_train_images, test_images=scale.vaegan_test_images,
            epochs=v.epochs, repeats=1)) + f", VAE-GAN latent {v.latent_dim}"
    model = "GrayNet/VIB" if study == "table4" else "GrayNet"
    return f"{model}, {describe_budget(scale.budget_for(study))}"


def short_budget(scale: Scale, study: str) -> str:
    """The training budget of ``study`` in the fewest words (the report's budget column; the
    seeds are in ``n``)."""
    if study == "fig5d":
        s = scale.search_config
        return f"lambda {s.population} x {s.generations} gen."
    b = {"tables1_2": scale.transfer_budget}.get(study, scale.budget)
    images, epochs = b.train_images, b.epochs
    if study == "fig9":
        images, epochs = scale.loss_train_images, scale.loss_epochs
    if study == "fig12_13":
        images, epochs = scale.vaegan_train_images, scale.vaegan.epochs
    return f"{_images(images)} img x {epochs} ep"


def below_paper(scale: Scale, study: str) -> str:
    """Why a number measured at ``scale`` may differ from the paper's: the budget, in short
    (empty at the paper's scale)."""
    if scale.name == "paper":
        return ""
    if study in ("fig5d", "fig12_13"):
        return f"budget: {study_budget(scale, study)} (the paper gives none)"
    b = {"tables1_2": scale.transfer_budget}.get(study, scale.budget)
    images, epochs = b.train_images, b.epochs
    if study == "fig9":
        images, epochs = scale.loss_train_images, scale.loss_epochs
    return f"budget: {_plural(epochs, 'epoch')} on {_images(images)} images vs 30 on 60k"


# ------------------------------------------------------------------------------ studies


@dataclasses.dataclass(frozen=True)
class Study:
    """One study of the report: ``run(dataset, scale, attacks, figure_dir, work_dir) -> result``
    (JSON-able, with ``figures``: the PNG file names it wrote into ``figure_dir``; ``work_dir``
    holds what lets an interrupted study resume, e.g. the search's checkpoint);
    ``num_pixels(scale)``: the EvoShift N_p it needs."""

    id: str
    title: str
    run: Callable
    num_pixels: Callable


def _study_figure(result: dict, figure_dir: str, name: str) -> dict:
    figures.study_result(os.path.join(figure_dir, f"{name}.png"), result)
    return {**result, "figures": [f"{name}.png"]}


def _table4(ds, scale, atk, fig_dir, work_dir):
    r = table4.run(ds, scale.budget_for("table4"), {n: atk[n] for n in (1, 2, 5)}, (1, 2, 5))
    return _study_figure(r, fig_dir, "table4")


def _fig6(ds, scale, atk, fig_dir, work_dir):
    c = ds.info.num_classes
    ks = (None if scale.partial_points is None else
          sorted({int(round(k)) for k in np.linspace(0, c, scale.partial_points)}))
    return _study_figure(partial.run(ds, scale.budget_for("fig6"), atk[1], ks), fig_dir, "fig6")


def _fig7(ds, scale, atk, fig_dir, work_dir):
    return _study_figure(regularizers.run(ds, scale.budget_for("fig7"), atk[1]), fig_dir, "fig7")


def _fig8(ds, scale, atk, fig_dir, work_dir):
    return _study_figure(optimizers.run(ds, scale.budget_for("fig8"), atk[1]), fig_dir, "fig8")


def _fig10(ds, scale, atk, fig_dir, work_dir):
    r = median.run(ds, scale.budget_for("fig10"), atk[1], scale.median_sizes)
    return _study_figure(r, fig_dir, "fig10")


def _fig11(ds, scale, atk, fig_dir, work_dir):
    r = noise.run(ds, scale.budget_for("fig11"), {1: atk[1], 5: atk[5]}, scale.noise_severities)
    return _study_figure(r, fig_dir, "fig11")


def _tables12(ds, scale, atk, fig_dir, work_dir):
    r = architectures.run(ds, scale.transfer_budget,
                          {n: atk[n] for n in scale.transfer_num_pixels}, scale.transfer_victims)
    return _study_figure(r, fig_dir, "tables1_2")


def _jacobsen(ds, scale, atk, fig_dir, work_dir):
    r = baselines_study.run(ds, scale.budget_for("jacobsen"), {1: atk[1]})
    return _study_figure(r, fig_dir, "jacobsen")


def _fig5d(ds, scale, atk, fig_dir, work_dir):
    """Fig. 5d: the search from uniformly drawn pixels; clean test accuracy of each generation's
    best candidate (the search's own victim, measured for the curve only)."""
    monitor = runner.prepare(ds, dataclasses.replace(
        scale.budget, test_images=scale.search_monitor_images)).test
    result = search.run(ds, scale.search_config, checkpoint_dir=os.path.join(work_dir, "search"),
                        monitor=monitor)
    figures.search_curve(os.path.join(fig_dir, "fig5d.png"), result.history)
    return {"study": "fig5d_search", "history": result.history, "best_cost": result.best_cost,
            "config": result.config, "monitor_images": len(monitor), "figures": ["fig5d.png"]}


def _fig9(ds, scale, atk, fig_dir, work_dir):
    """Fig. 9 (Eq. (14)): per seed, SGD and Adam victims from one initialisation on the N_p = 1
    poisoned images; loss and accuracy along ``w_alpha``; at alpha = 0 (SGD) and 1 (Adam):
    the poisoned-train and clean-test loss and the sharpness of the train loss,
    ``(L(a - 0.25) + L(a + 0.25)) / 2 - L(a)``."""
    b = scale.budget
    data = runner.prepare(ds, dataclasses.replace(b, train_images=scale.loss_train_images,
                                                  test_images=scale.loss_eval_images))
    x = attack_lib.apply(atk[1], data.train.x, data.train.y)
    k = min(scale.loss_eval_images or len(x), len(x))
    pick = np.random.default_rng(b.seed).permutation(len(x))[:k]
    eval_sets = {"train": (x[pick], data.train.y[pick]), "test": (data.test.x, data.test.y)}
    alphas = np.linspace(-0.5, 1.5, scale.loss_alphas)
    info = ds.info
    rows, curves = [], []
    for r in range(b.repeats):
        seed = b.seed + r
        victim = VictimRecipe("graynet", epochs=scale.loss_epochs, batch_size=b.batch_size
                              ).build(info.image_shape, info.num_classes, seed)
        out = loss_surface.sgd_vs_adam(victim.make_model, x, data.train.y, eval_sets,
                                       victim.config, SGD_LEARNING_RATE, 1e-3, alphas)
        curve = out["rows"]
        curves.append(curve)
        at = lambda a: min(curve, key=lambda row: abs(row["alpha"] - a))  # noqa: E731
        sharp = lambda a: (at(a - 0.25)["train_loss"] + at(a + 0.25)["train_loss"]) / 2 \
            - at(a)["train_loss"]  # noqa: E731
        rows.append({"label": "loss surface", "seed": seed,
                     "train_loss_sgd": at(0)["train_loss"], "train_loss_adam": at(1)["train_loss"],
                     "test_loss_sgd": at(0)["test_loss"], "test_loss_adam": at(1)["test_loss"],
                     "test_accuracy_sgd": at(0)["test_accuracy"],
                     "test_accuracy_adam": at(1)["test_accuracy"],
                     "sharpness_sgd": sharp(0), "sharpness_adam": sharp(1)})
    keys = [k for k in rows[0] if k not in ("label", "seed")]
    figures.loss_surface(os.path.join(fig_dir, "fig9.png"), curves[0],
                         f"{info.name}, EvoShift N_p=1, seed {b.seed}: "
                         "w = a w_Adam + (1-a) w_SGD")
    return {"study": "fig9_loss_surface", "rows": rows, "curves": curves,
            "summary": summary_lib.aggregate(rows, keys), "figures": ["fig9.png"]}


def _fig12_13(ds, scale, atk, fig_dir, work_dir):
    """Figs. 12-13: one VAE-GAN per arm; PSNR of its reconstructions of clean test images."""
    data = runner.prepare(ds, dataclasses.replace(
        scale.budget, train_images=scale.vaegan_train_images,
        test_images=scale.vaegan_test_images))
    info = ds.info
    arms = {"clean": None}
    for n in (1, 10):
        arms[f"EvoShift N_p={n}"] = atk[n]
        if scale.vaegan_random_arms:
            arms[f"random N_p={n}"] = attack_lib.random_attack(info.num_classes, n,
                                                               info.image_shape, scale.budget.seed)
    out = generative.attack_study(data.train.x, data.train.y, data.test.x, arms, scale.vaegan)
    show = np.random.default_rng(scale.budget.seed).permutation(len(data.test.x))[:10]
    figures.reconstruction_grid(os.path.join(fig_dir, "fig12.png"), data.test.x[show],
                                {k: v["reconstructions"][show] for k, v in out.items()},
                                {k: v["psnr_db"] for k, v in out.items()})
    epochs = sorted({0, scale.vaegan.epochs // 2, scale.vaegan.epochs - 1})
    figures.samples_over_training(os.path.join(fig_dir, "fig13.png"),  # first, middle, last
                                  {k: v["samples"][:, :4] for k, v in out.items()}, epochs)
    rows = [{"label": k, "psnr_db": v["psnr_db"], "seed": scale.vaegan.seed}
            for k, v in out.items()]
    return {"study": "figs12_13_vaegan", "rows": rows,
            "summary": summary_lib.aggregate(rows, ("psnr_db",)),
            "history": {k: v["history"] for k, v in out.items()},
            "config": dataclasses.asdict(scale.vaegan), "train_images": len(data.train),
            "test_images": len(data.test), "figures": ["fig12.png", "fig13.png"]}


STUDIES = {s.id: s for s in (
    Study("table4", "Table 4: CE vs vibCE", _table4, lambda scale: (1, 2, 5)),
    Study("fig5d", "Fig. 5d: search learning curve", _fig5d, lambda scale: ()),
    Study("fig6", "Fig. 6: partial-class attack", _fig6, lambda scale: (1,)),
    Study("fig7", "Fig. 7: regularizers", _fig7, lambda scale: (1,)),
    Study("fig8", "Fig. 8: optimizers", _fig8, lambda scale: (1,)),
    Study("fig9", "Fig. 9: loss surface SGD <-> Adam", _fig9, lambda scale: (1,)),
    Study("fig10", "Fig. 10: median filter", _fig10, lambda scale: (1,)),
    Study("fig11", "Fig. 11: Gaussian noise", _fig11, lambda scale: (1, 5)),
    Study("fig12_13", "Figs. 12-13: VAE-GAN PSNR", _fig12_13, lambda scale: (1, 10)),
    Study("tables1_2", "Tables 1-2: transfer to ResNet/DenseNet", _tables12,
          lambda scale: tuple(scale.transfer_num_pixels)),
    Study("jacobsen", "Sec. VIII-B: EvoShift vs Jacobsen et al. (GrayNet)", _jacobsen,
          lambda scale: (1,)),
)}
assert tuple(STUDIES) == STUDY_IDS


# ------------------------------------------------------------------------------ numbers


class NotMeasured(LookupError):
    """A number's arm is not in the study's result (not run at this scale)."""


def _row(result: dict, label: str) -> dict:
    for s in result.get("summary", ()):
        if s["label"] == label:
            return s
    raise NotMeasured(f"{label!r} not run at this scale")


def _value(result: dict, label: str, key: str) -> dict:
    """``{"mean", "std", "n"}`` of ``key`` in the summary row ``label``."""
    s = _row(result, label)
    if f"{key}_mean" not in s:
        raise NotMeasured(f"{label!r} has no {key}")
    return {"mean": s[f"{key}_mean"], "std": s[f"{key}_std"], "n": s["n"]}


def _mean(result, label, key="clean_test_accuracy") -> float:
    return _value(result, label, key)["mean"]


def _pm(v: dict, digits: int = 3) -> str:
    return f"{v['mean']:.{digits}f} ± {v['std']:.{digits}f}"


@dataclasses.dataclass(frozen=True)
class PaperNumber:
    """One number (or claim) of the paper and how ours is judged.

    Attributes:
      id: stable id (``table4.ce.evoshift.np1.alpha_S``).
      what: what it is, in words.
      source: where in the paper (``Table 4``, ``Sec. VIII-D``).
      study: the id in :data:`STUDIES` that measures ours.
      paper: the paper's value (float) or, where it gives only a figure or a sentence, its
        claim in words.
      measure: ``result -> {"mean", "std", "n"}``: our number, ``n`` seeds, ``std`` None for
        a derived number without one (raises :class:`NotMeasured`).
      tolerance: ours matches when ``|ours - paper| <= tolerance`` (numbers only).
      trend: the claim a trend test checks, in words ("" = none).
      trend_test: ``result -> (holds, detail)``.
      note: a difference of setting that the reader should know (e.g. the paper's figure is on
        another dataset).
    """

    id: str
    what: str
    source: str
    study: str
    paper: float | str
    measure: Callable
    tolerance: float | None = None
    trend: str = ""
    trend_test: Callable | None = None
    note: str = ""


def _cmp(a: str, b: str, key: str, less: bool = True):
    """Trend test: ``key`` of label ``a`` below (``less``) or above that of ``b``."""
    def test(r):
        va, vb = _value(r, a, key), _value(r, b, key)
        holds = va["mean"] < vb["mean"] if less else va["mean"] > vb["mean"]
        return holds, f"{a} {va['mean']:.3f} {'<' if less else '>'} {b} {vb['mean']:.3f}" \
            + ("" if holds else ": no")
    return test


def _table4_numbers() -> list[PaperNumber]:
    vib = "vibCE(beta=0.01)"
    label = lambda loss, arm, n: f"{loss} {arm}" + (f" N_p={n}" if n else "")  # noqa: E731
    out = []
    for (loss, arm, n), (a_s, a_n) in sorted(table4.PAPER_FMNIST.items(),
                                             key=lambda kv: (kv[0][0] != "CE", kv[0][2],
                                                             kv[0][1] != "Random")):
        ours = label("CE" if loss == "CE" else vib, arm, n)
        ce = label("CE", arm, n)
        vb = label(vib, arm, n)
        base = f"table4.{loss.lower()}.{arm.lower()}" + (f".np{n}" if n else "")
        words = f"{loss}, {arm}" + (f" N_p = {n}" if n else "")
        for key, value in (("alpha_S", a_s), ("alpha_N", a_n)):
            trend, test = "", None
            if loss == "CE" and arm == "Clean":
                if key == "alpha_S":
                    trend = "above every attacked CE arm"
                    test = _clean_above(ce)
            elif loss == "CE" and arm == "Random":
                trend = ("below CE Clean" if key == "alpha_S" else "above CE Clean")
                test = _cmp(ce, "CE Clean", key, less=key == "alpha_S")
            elif loss == "CE" and arm == "EvoShift":
                if key == "alpha_S":
                    trend = f"below CE Random N_p = {n} (EvoShift beats random placement)"
                    test = _cmp(ce, label("CE", "Random", n), key, less=True)
                else:
                    trend = "above CE Clean"
                    test = _cmp(ce, "CE Clean", key, less=False)
            elif arm == "Clean":
                if key == "alpha_S":
                    trend = "below CE Clean (the VIB costs some clean accuracy)"
                    test = _cmp(vb, "CE Clean", key, less=True)
            else:
                if key == "alpha_S":
                    trend = f"above CE {arm} N_p = {n} (vibCE keeps the semantic features)"
                    test = _cmp(vb, ce, key, less=False)
                else:
                    trend = f"below CE {arm} N_p = {n} (vibCE ignores the pixels)"
                    test = _cmp(vb, ce, key, less=True)
            out.append(PaperNumber(
                id=f"{base}.{key}", what=f"{key} of {words}", source="Table 4", study="table4",
                paper=value, measure=(lambda r, l=ours, k=key: _value(r, l, k)),
                tolerance=TOLERANCE_ALPHA, trend=trend, trend_test=test))
    return out


def _clean_above(ce_clean: str):
    def test(r):
        clean = _mean(r, ce_clean, "alpha_S")
        attacked = {s["label"]: s["alpha_S_mean"] for s in r["summary"]
                    if s["label"].startswith("CE ") and s["label"] != ce_clean}
        if not attacked:
            raise NotMeasured("no attacked CE arm")
        worst = max(attacked, key=attacked.get)
        holds = all(clean > v for v in attacked.values())
        return holds, f"CE Clean {clean:.3f} vs highest attacked {worst} {attacked[worst]:.3f}"
    return test


def _fig5d_measure(result):
    acc = [h["best_monitor_clean_accuracy"] for h in result["history"]]
    q = max(1, len(acc) // 4)
    first, last = float(np.mean(acc[:q])), float(np.mean(acc[-q:]))
    return {"mean": last - first, "std": None, "n": 1, "first": first, "last": last, "q": q}


def _fig5d_test(result):
    m = _fig5d_measure(result)
    holds = m["last"] < m["first"]
    return holds, (f"generations 1-{m['q']}: {m['first']:.3f} -> last {m['q']}: "
                   f"{m['last']:.3f}" + ("" if holds else ": no drop"))


def _partial_points(result) -> tuple[np.ndarray, np.ndarray]:
    s = [row for row in result["summary"]]
    return (np.array([row["x"] for row in s], float),
            np.array([row["clean_test_accuracy_mean"] for row in s]))


def _fig6_measure(result):
    k, acc = _partial_points(result)
    if len(k) < 3:
        raise NotMeasured("fewer than 3 values of k")
    slope, icpt = np.polyfit(k, acc, 1)
    total = np.sum((acc - acc.mean()) ** 2)
    r2 = 1 - np.sum((acc - (slope * k + icpt)) ** 2) / total if total > 0 else 0.0
    seeds = min(s["n"] for s in result["summary"])
    return {"mean": float(slope), "std": None, "n": seeds, "r2": float(r2), "points": len(k)}


def _fig6_linear(result):
    m = _fig6_measure(result)
    holds = m["mean"] < 0 and m["r2"] >= 0.8
    return holds, f"slope {m['mean']:+.3f} per class, R^2 {m['r2']:.2f} over {m['points']} k"


def _fig6_selective_measure(result):
    k, _ = _partial_points(result)
    inner = [x for x in k if 0 < x < k.max()]
    if not inner or 0 not in k:
        raise NotMeasured("no k = 0 or no k strictly between 0 and C")
    mid = int(min(inner, key=lambda x: abs(x - k.max() / 2)))

    def per_class(kk):
        return np.nanmean([r["per_class_accuracy"] for r in result["rows"] if r["x"] == kk],
                          axis=0)
    drop = per_class(0) - per_class(mid)
    a, u = float(np.mean(drop[:mid])), float(np.mean(drop[mid:]))
    n = sum(r["x"] == mid for r in result["rows"])
    return {"mean": a - u, "std": None, "n": n, "k": mid, "attacked": a, "others": u}


def _fig6_selective(result):
    m = _fig6_selective_measure(result)
    return m["mean"] > 0, (f"k = {m['k']}: accuracy drop of the attacked classes "
                           f"{m['attacked']:.3f} vs the others {m['others']:.3f}")


def _fig7_augmentation(result):
    arms = ("no-reg", f"dropout {regularizers.DROPOUT}",
            f"weight decay {regularizers.WEIGHT_DECAY}", "augmentation")
    acc = {a: _mean(result, a) for a in arms}
    best = max(acc, key=acc.get)
    second = max((a for a in arms if a != "augmentation"), key=acc.get)
    return best == "augmentation", (f"augmentation {acc['augmentation']:.3f} vs next "
                                     f"{second} {acc[second]:.3f}")


def _near(label: str, ref: str, within: float):
    def test(r):
        d = _mean(r, label) - _mean(r, ref)
        return abs(d) <= within, f"{label} - {ref} = {d:+.3f}"
    return test


def _delta(label: str, ref: str, key: str = "clean_test_accuracy"):
    def measure(r):
        a, b = _value(r, label, key), _value(r, ref, key)
        return {"mean": a["mean"] - b["mean"], "std": float(np.hypot(a["std"], b["std"])),
                "n": a["n"]}
    return measure


FIG8 = ("SGD", "Adam", "RMSProp", "AdaBound")
"""The optimizers the paper compares (SGD + momentum is ours in addition)."""


def _fig8_acc(result):
    return {o: _mean(result, o) for o in FIG8}


def _fig8_sgd(result):
    acc = _fig8_acc(result)
    other = max((o for o in FIG8 if o != "SGD"), key=acc.get)
    return acc["SGD"] > acc[other], f"SGD {acc['SGD']:.3f} vs best other {other} {acc[other]:.3f}"


def _fig8_adaptive(result):
    acc = _fig8_acc(result)
    low = sorted(acc, key=acc.get)[:2]
    return set(low) == {"Adam", "RMSProp"}, ("lowest two: " + ", ".join(
        f"{o} {acc[o]:.3f}" for o in low))


def _fig8_adabound(result):
    acc = _fig8_acc(result)
    lo = max(acc["Adam"], acc["RMSProp"])
    holds = lo < acc["AdaBound"] < acc["SGD"]
    return holds, (f"max(Adam, RMSProp) {lo:.3f} < AdaBound {acc['AdaBound']:.3f} < SGD "
                   f"{acc['SGD']:.3f}" + ("" if holds else ": no"))


def _fig9_pair(key: str, less: bool, words: str):
    def test(r):
        s, a = _value(r, "loss surface", f"{key}_sgd"), _value(r, "loss surface", f"{key}_adam")
        holds = s["mean"] < a["mean"] if less else s["mean"] > a["mean"]
        return holds, f"{words}: SGD {_pm(s)} vs Adam {_pm(a)}" + ("" if holds else ": no")
    return test


def _median_sizes(result) -> list[str]:
    sizes = [s["label"].split(" ", 1)[1] for s in result["summary"]
             if s["label"].startswith("clean median")]
    if not sizes:
        raise NotMeasured("no median filter arm")
    return sizes


def _fig10_attacked(result):
    arm = next(s["group"] for s in result["summary"] if s["group"] != "clean")
    base = _mean(result, f"{arm} none")
    parts = {m: _mean(result, f"{arm} {m}") for m in _median_sizes(result)}
    holds = all(v > base for v in parts.values())
    return holds, f"{arm}: none {base:.3f} -> " + ", ".join(f"{m} {v:.3f}"
                                                            for m, v in parts.items())


def _fig10_clean(result):
    base = _mean(result, "clean none")
    parts = {m: _mean(result, f"clean {m}") for m in _median_sizes(result)}
    holds = all(v < base for v in parts.values())
    return holds, "clean: none {:.3f} -> ".format(base) + ", ".join(
        f"{m} {v:.3f}" for m, v in parts.items())


def _noise_gain(result, n: int) -> tuple[float, int]:
    """(accuracy at the strongest severity minus none, that severity) for N_p = ``n``."""
    sev = sorted(s["x"] for s in result["summary"] if s["group"] == f"N_p={n}")
    if len(sev) < 2 or sev[0] != 0:
        raise NotMeasured(f"N_p={n}: no severity 0 and a stronger one")
    top = int(sev[-1])
    return _delta(f"N_p={n} severity {top}", f"N_p={n} severity 0")(result)["mean"], top


def _noise_gain_value(n: int):
    def measure(result):
        top = _noise_gain(result, n)[1]
        return _delta(f"N_p={n} severity {top}", f"N_p={n} severity 0")(result)
    return measure


def _fig11_np1(result):
    g, sev = _noise_gain(result, 1)
    return g > 0, f"N_p=1: severity {sev} - none = {g:+.3f}"


def _fig11_np5(result):
    g1, sev = _noise_gain(result, 1)
    g5, _ = _noise_gain(result, 5)
    return g5 < g1, f"gain at severity {sev}: N_p=5 {g5:+.3f} vs N_p=1 {g1:+.3f}"


def _psnr_below(arm: str, ref: str):
    """Trend test: PSNR of ``arm`` below ``ref``; the random-placement arm of the same N_p,
    when run, is shown beside it."""
    def test(r):
        holds, detail = _cmp(arm, ref, "psnr_db")(r)
        rnd = arm.replace("EvoShift", "random")
        try:
            detail += f" (random placement, same N_p: {_mean(r, rnd, 'psnr_db'):.3f})"
        except NotMeasured:
            pass
        return holds, detail
    return test


def _tables_numbers() -> list[PaperNumber]:
    out = []
    svhn, cifar = architectures.PAPER_TABLE2["SVHN"], architectures.PAPER_TABLE2["CIFAR10"]
    names = {"resnet20": "ResNet-20", "resnet32": "ResNet-32", "densenet40": "DenseNet-40"}
    for i, v in enumerate(architectures.VICTIMS):
        name = names[v]
        clean, e1, e5 = f"{v} N_p=0", f"{v} EvoShift N_p=1", f"{v} EvoShift N_p=5"
        jac = f"{v} Jacobsen N_p=1"
        def drop_test(r, clean=clean, e1=e1):
            c, e = _mean(r, clean), _mean(r, e1)
            return c - e > 0.10, f"clean {100 * c:.1f}% -> EvoShift N_p=1 {100 * e:.1f}%"
        out += [
            PaperNumber(
                f"tables1_2.{v}.np1", f"{name} (augmentation) trained on EvoShift N_p = 1: clean "
                "test accuracy falls far below clean training", "Tables 1-2", "tables1_2",
                f"SVHN {svhn[0][i]} -> {svhn[1][i]} %, CIFAR-10 {cifar[0][i]} -> {cifar[1][i]} %",
                _delta(e1, clean), trend="more than 10 points below clean", trend_test=drop_test,
                note="the paper's tables are SVHN and CIFAR-10 (ColorNet attacks)"),
            PaperNumber(
                f"tables1_2.{v}.jacobsen", f"{name}: EvoShift N_p = 1 below the Jacobsen et al. "
                "placement", "Table 1", "tables1_2",
                f"SVHN: Jacobsen {architectures.PAPER_TABLE1_JACOBSEN_SVHN[i]} % vs EvoShift "
                f"{svhn[1][i]} %", _delta(e1, jac),
                trend="EvoShift below Jacobsen", trend_test=_cmp(e1, jac,
                                                                 "clean_test_accuracy"),
                note="the paper's table is SVHN"),
            PaperNumber(
                f"tables1_2.{v}.np5", f"{name}: N_p = 5 below N_p = 1", "Tables 1-2", "tables1_2",
                f"SVHN {svhn[1][i]} -> {svhn[5][i]} %, CIFAR-10 {cifar[1][i]} -> "
                f"{cifar[5][i]} %", _delta(e5, e1),
                trend="N_p = 5 below N_p = 1", trend_test=_cmp(e5, e1,
                                                               "clean_test_accuracy"),
                note="the paper's tables are SVHN and CIFAR-10"),
        ]
    return out


def _numbers() -> list[PaperNumber]:
    P = PaperNumber
    acc = "clean_test_accuracy"
    nums = [P("clean_accuracy", "GrayNet clean test accuracy (CE, clean training)", "Table 4 "
              "(alpha_S = 0.90 -> 0.1 + 0.9 x 0.90, Eq. (12))", "table4", 0.91,
              lambda r: _value(r, "CE Clean", acc), tolerance=TOLERANCE_ACCURACY)]
    nums += _table4_numbers()
    nums += [
        P("fig5d.search_curve", "clean test accuracy of each generation's best candidate "
          "(change from the first to the last quarter of the generations)", "Fig. 5d, Sec. VIII-A",
          "fig5d", "falls as the generations advance (figure; no numbers)", _fig5d_measure,
          trend="last quarter below first quarter", trend_test=_fig5d_test,
          note="ours is the search's own 1-epoch victim, measured for the curve only"),
        P("fig6.linear", "clean test accuracy vs attacked classes k (slope per class)",
          "Fig. 6b, Sec. VIII-C", "fig6", "falls about linearly in k (figure)", _fig6_measure,
          trend="negative slope, linear fit R^2 >= 0.8", trend_test=_fig6_linear),
        P("fig6.selective", "at k = C/2 the attacked classes lose accuracy, the others keep it "
          "(their accuracy drop vs k = 0 minus the others')", "Sec. VIII-C", "fig6",
          "the attacked classes are confused, the others correctly classified",
          _fig6_selective_measure,
          trend="drop of attacked classes > drop of the others", trend_test=_fig6_selective),
        P("fig7.augmentation", "augmentation vs the other regularizers under N_p = 1 "
          "(final accuracy minus no-reg)", "Fig. 7, Sec. VIII-D1", "fig7",
          "the most effective regularizer", _delta("augmentation", "no-reg"),
          trend="highest final accuracy of the attacked arms", trend_test=_fig7_augmentation),
        P("fig7.dropout", "dropout 0.4 minus no-reg, final clean test accuracy", "Fig. 7, "
          "Sec. VIII-D2", "fig7", "little to no effect",
          _delta(f"dropout {regularizers.DROPOUT}", "no-reg"), trend="within 0.05 of no-reg",
          trend_test=_near(f"dropout {regularizers.DROPOUT}", "no-reg", 0.05)),
        P("fig7.weight_decay", "weight decay 0.01 minus no-reg, final clean test accuracy",
          "Fig. 7, Sec. VIII-D3", "fig7", "marginal gain in early epochs; final accuracy "
          "similar to no-reg after 30 epochs",
          _delta(f"weight decay {regularizers.WEIGHT_DECAY}", "no-reg"),
          trend="within 0.05 of no-reg",
          trend_test=_near(f"weight decay {regularizers.WEIGHT_DECAY}", "no-reg", 0.05),
          note="the paper also sees a gain in the first epochs"),
        P("fig7.train_accuracy", "training accuracy on the poisoned images (no-reg, N_p = 1)",
          "Fig. 7 caption", "fig7", 1.0,
          lambda r: _value(r, "no-reg", "poisoned_train_accuracy"), tolerance=0.05,
          note="the paper: 'close to 100%'"),
        P("fig8.sgd", "plain SGD vs Adam, RMSProp, AdaBound under N_p = 1 (SGD minus Adam, "
          "clean test accuracy)", "Fig. 8, Sec. VIII-G", "fig8",
          "SGD consistently the most robust", _delta("SGD", "Adam"),
          trend="SGD highest of the four", trend_test=_fig8_sgd),
        P("fig8.adaptive", "Adam and RMSProp vs SGD, AdaBound (Adam's accuracy / its clean "
          "accuracy)", "Fig. 8, Sec. VIII-G", "fig8", "prohibitively low test accuracy",
          lambda r: _value(r, "Adam", "accuracy_vs_clean"),
          trend="Adam and RMSProp the two lowest", trend_test=_fig8_adaptive),
        P("fig8.adabound", "AdaBound between the adaptive methods and SGD (AdaBound minus "
          "Adam)", "Fig. 8, Sec. VIII-G", "fig8", "intermediate", _delta("AdaBound", "Adam"),
          trend="max(Adam, RMSProp) < AdaBound < SGD", trend_test=_fig8_adabound),
        P("fig9.test_loss", "clean test loss at alpha = 0 (SGD) vs 1 (Adam), Eq. (14)",
          "Fig. 9, Sec. VIII-G1", "fig9", "lower at SGD",
          lambda r: _value(r, "loss surface", "test_loss_sgd"),
          trend="SGD below Adam", trend_test=_fig9_pair("test_loss", True, "test loss")),
        P("fig9.train_loss", "poisoned training loss at alpha = 0 (SGD) vs 1 (Adam)",
          "Fig. 9, Sec. VIII-G1", "fig9", "lower at SGD",
          lambda r: _value(r, "loss surface", "train_loss_sgd"),
          trend="SGD below Adam", trend_test=_fig9_pair("train_loss", True, "train loss")),
        P("fig9.sharpness", "sharpness of the training loss around SGD vs Adam "
          "((L(a-0.25) + L(a+0.25))/2 - L(a))", "Fig. 9, Sec. VIII-G1", "fig9",
          "sharper around SGD, flatter around Adam",
          lambda r: _value(r, "loss surface", "sharpness_sgd"),
          trend="SGD sharper than Adam", trend_test=_fig9_pair("sharpness", False, "sharpness")),
        P("fig10.attacked", "median filter (train + test inputs) on the N_p = 1 attacked model",
          "Fig. 10, Sec. VIII-H1", "fig10", "improves the test accuracy",
          _delta("N_p=1 median 3x3", "N_p=1 none"),
          trend="every filter size above no filter", trend_test=_fig10_attacked,
          note="the paper's figure is CIFAR-10"),
        P("fig10.clean", "median filter on the clean-trained model", "Fig. 10, Sec. VIII-H1",
          "fig10", "a slight drop", _delta("clean median 3x3", "clean none"),
          trend="every filter size below no filter", trend_test=_fig10_clean,
          note="the paper's figure is CIFAR-10"),
        P("fig11.np1", "strongest Gaussian noise on the N_p = 1 attacked training images "
          "(accuracy gain over no noise)", "Fig. 11, Sec. VIII-H2", "fig11",
          "high severity provides some defense",
          _noise_gain_value(1),
          trend="gain > 0", trend_test=_fig11_np1, note="the paper's figure is MNIST"),
        P("fig11.np5", "the same gain at N_p = 5", "Fig. 11, Sec. VIII-H2", "fig11",
          "not much defense for more pixels",
          _noise_gain_value(5),
          trend="gain at N_p = 5 below the gain at N_p = 1", trend_test=_fig11_np5,
          note="the paper's figure is MNIST"),
        P("fig12.psnr_np1", "VAE-GAN PSNR of clean test reconstructions, trained on EvoShift "
          "N_p = 1 (dB)", "Sec. VIII-I", "fig12_13", "14.42 dB (CIFAR-10), 16.20 dB (SVHN)",
          lambda r: _value(r, "EvoShift N_p=1", "psnr_db"),
          trend="below the clean-trained VAE-GAN",
          trend_test=_psnr_below("EvoShift N_p=1", "clean"),
          note="the paper reports CIFAR-10 and SVHN and no clean PSNR"),
        P("fig12.psnr_np10", "the same at N_p = 10 (dB)", "Sec. VIII-I, Figs. 12-13",
          "fig12_13", "11.06 dB (CIFAR-10), 13.49 dB (SVHN): lower than N_p = 1",
          lambda r: _value(r, "EvoShift N_p=10", "psnr_db"),
          trend="below N_p = 1", trend_test=_psnr_below("EvoShift N_p=10", "EvoShift N_p=1"),
          note="the paper reports CIFAR-10 and SVHN"),
    ]
    nums += _tables_numbers()
    nums += [P("jacobsen.graynet", "GrayNet on Fashion-MNIST: EvoShift N_p = 1 minus the "
               "Jacobsen et al. placement, clean test accuracy", "Sec. VIII-B", "jacobsen",
               "EvoShift outperforms the baseline for all datasets",
               _delta("evoshift N_p=1", "jacobsen N_p=1"),
               trend="EvoShift below Jacobsen",
               trend_test=_cmp("evoshift N_p=1", "jacobsen N_p=1", acc))]
    return nums


NUMBERS: list[PaperNumber] = _numbers()
"""Every paper number this report judges, in report order."""

NOT_COVERED = (
    ("Table 4, MNIST columns", "another dataset; `--dataset=mnist` where it is prepared"),
    ("Fig. 5c (MNIST search curve), Figs. 5a/6a (MNIST)", "another dataset"),
    ("Fig. 5b (Grad-CAM mass on the background)", "MNIST in the paper; `studies/"
     "gradcam_background.py` measures it on the main job's Fashion-MNIST victims"),
    ("Table 3 (CIFAR-10 -> STL-10)", "neither dataset is on this machine: "
     "`studies/cross_dataset.py`"),
    ("Fig. 14 (SVF transfer to 64x64 ImageNet, ResNet-50/101, DenseNet-161)", "ImageNet: "
     "`studies/svf_transfer.py`"),
    ("Tables 1-2 absolute accuracies", "SVHN and CIFAR-10 with ColorNet attacks; here only "
     "their claims are tested on Fashion-MNIST"),
)
"""Paper numbers that a Fashion-MNIST run cannot measure, and where they are handled."""


def judge(number: PaperNumber, result: dict | None, scale: Scale) -> dict:
    """The verdict on one number: a JSON-able dict with ``id``, ``what``, ``source``,
    ``paper``, ``ours`` (``{"mean", "std", "n"}`` or None), ``test`` (tolerance or trend and
    what was compared), ``budget``, ``verdict`` and ``reason``."""
    out = {"id": number.id, "what": number.what, "source": number.source, "study": number.study,
           "paper": number.paper, "ours": None, "test": "", "budget": "", "verdict": "",
           "reason": ""}
    if result is None:
        out.update(verdict="not measured", reason="study not run in this call (--only)")
        return out
    out["budget"] = short_budget(scale, number.study)
    try:
        ours = number.measure(result)
        trend = number.trend_test(result) if number.trend_test else None
    except NotMeasured as e:
        out.update(verdict="not measured", reason=f"{e} ({study_budget(scale, number.study)})")
        return out
    out["ours"] = {"mean": float(ours["mean"]), "n": int(ours["n"]),
                   "std": None if ours["std"] is None else float(ours["std"])}
    tests = []
    numeric = isinstance(number.paper, (int, float)) and number.tolerance is not None
    if numeric:
        tests.append(f"within {number.tolerance:g} of the paper")
    if trend:
        tests.append(f"{number.trend}: {trend[1]}")
    out["test"] = "; ".join(tests)
    if numeric and abs(ours["mean"] - number.paper) <= number.tolerance:
        out["verdict"] = "matches"
        return out
    if trend and trend[0]:
        out["verdict"] = "trend holds"
        if numeric:
            out["reason"] = f"{ours['mean'] - number.paper:+.2f} from the paper's value"
        return out
    reasons = []
    if numeric:
        reasons.append(f"{ours['mean'] - number.paper:+.2f} from the paper's value")
    if trend:
        reasons.append("the claim fails here")
    if number.note:
        reasons.append(number.note)
    budget = below_paper(scale, number.study)
    if budget:
        reasons.append(budget)
    out.update(verdict="differs", reason="; ".join(reasons))
    return out


# ------------------------------------------------------------------------------ running


class LoadMonitor:
    """Samples the 1-minute load average every ``interval`` seconds in a daemon thread (the
    report says whether the CPU was shared)."""

    def __init__(self, interval: float = 10.0):
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(interval,), daemon=True)

    def _loop(self, interval):
        while not self._stop.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop.wait(interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.samples.append(os.getloadavg()[0])

    def summary(self) -> dict:
        s = self.samples or [os.getloadavg()[0]]
        return {"mean": float(np.mean(s)), "max": float(np.max(s)), "samples": len(s)}


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads (other jobs on the machine do not
    inflate it, unlike the wall time)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _attack_hash(a: attack_lib.PixelAttack) -> str:
    payload = json.dumps({"positions": np.asarray(a.positions).tolist(),
                          "values": np.asarray(a.values).tolist()})
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def resolve_attacks(dataset: data_lib.Dataset, scale: Scale, num_pixels, out_dir: str,
                    attack_dir: str | None = None, seed: int = 0) -> tuple[dict, dict]:
    """``({N_p: PixelAttack}, {N_p: where it came from})`` through the studies' one attack
    source: the committed attack in ``attack_dir`` for this dataset, else ``<out>/attacks/``,
    else a search (``scale.attack_search``) cached there."""
    cache_dir = os.path.join(out_dir, "attacks")
    found = attacks_lib.evoshift_attacks(dataset, sorted(set(num_pixels)), (), cache_dir,
                                         scale.attack_config, attack_dir, seed)
    where = {}
    for n, a in found.items():
        files = ([os.path.join(attack_dir, f"evoshift_np{n}_seed{seed}.json")] if attack_dir
                 else []) + [os.path.join(cache_dir, attacks_lib.cache_key(
                     dataset.info, scale.attack_config(n, seed)))]
        path = next((p for p in files if os.path.exists(p) and attack_lib.load(p).equals(a)),
                    None)
        prov = a.provenance or {}
        where[n] = {"path": os.path.relpath(path) if path else "searched now",
                    "sha256": _attack_hash(a), "search_seed": prov.get("seed"),
                    "best_cost": prov.get("best_cost")}
    return found, where


def study_params(scale: Scale, study: str) -> dict:
    """The fields of ``scale`` that ``study``'s result depends on."""
    if study == "tables1_2":
        return {"budget": scale.transfer_budget, "victims": scale.transfer_victims,
                "num_pixels": scale.transfer_num_pixels}
    if study == "fig5d":
        return {"search": scale.search_config, "monitor": scale.search_monitor_images,
                "seed": scale.budget.seed}
    if study == "fig9":
        return {"budget": scale.budget, **{f: getattr(scale, f) for f in (
            "loss_train_images", "loss_epochs", "loss_eval_images", "loss_alphas")}}
    if study == "fig12_13":
        return {"budget": scale.budget, **{f: getattr(scale, f) for f in (
            "vaegan", "vaegan_train_images", "vaegan_test_images", "vaegan_random_arms")}}
    extra = {"fig6": {"partial_points": scale.partial_points},
             "fig10": {"sizes": scale.median_sizes},
             "fig11": {"severities": scale.noise_severities}}.get(study, {})
    return {"budget": scale.budget_for(study), **extra}


def cache_key(study: str, scale: Scale, dataset: data_lib.Dataset, where: dict) -> str:
    """What a cached study result depends on: the study, its part of the scale
    (:func:`study_params`), the dataset (name, shape, sizes) and the attacks it uses (content
    hashes)."""
    need = STUDIES[study].num_pixels(scale)
    payload = {"study": study, "params": repr(study_params(scale, study)),
               "dataset": [dataset.info.name, list(dataset.info.image_shape),
                           len(dataset.train), len(dataset.test)],
               "attacks": {str(n): where[n]["sha256"] for n in need}}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def run_study(study: str, dataset: data_lib.Dataset, scale: Scale, attacks: dict, where: dict,
              out_dir: str) -> tuple[dict, bool]:
    """``(entry, reused)``: the study's cached entry (``<out>/studies/<id>.json``: ``key``,
    ``seconds``, ``cpu_seconds``, ``load``, ``result``) when its key matches, else the study
    run now and cached. Figures go to ``<out>/figures/`` before the JSON, so a cached entry has
    its figures; what lets an interrupted study resume (the search's checkpoint) lives in
    ``<out>/studies/<id>_work_<key>/`` until the entry is written."""
    path = os.path.join(out_dir, "studies", f"{study}.json")
    key = cache_key(study, scale, dataset, where)
    if os.path.exists(path):
        with open(path) as f:
            entry = json.load(f)
        if entry.get("key") == key:
            return entry, True
        logging.info("%s: the cached result is for another configuration; running it again",
                     study)
    fig_dir = os.path.join(out_dir, "figures")
    os.makedirs(fig_dir, exist_ok=True)
    work_dir = os.path.join(out_dir, "studies", f"{study}_work_{key}")  # resumes this key only
    s = STUDIES[study]
    start, cpu = time.time(), cpu_seconds()
    with LoadMonitor() as load:
        result = s.run(dataset, scale, attacks, fig_dir, work_dir)
    entry = {"key": key, "study": study, "title": s.title, "scale": scale.name,
             "budget": study_budget(scale, study), "seconds": round(time.time() - start, 1),
             "cpu_seconds": round(cpu_seconds() - cpu, 1), "load": load.summary(),
             "result": result}
    atomic.write_json(path, entry)
    shutil.rmtree(work_dir, ignore_errors=True)
    return entry, False


def run(dataset: data_lib.Dataset, scale: Scale, out_dir: str, attack_dir: str | None = None,
        only=None, command: str = "") -> dict:
    """Run (or reuse) every study in ``only`` (default: all of :data:`STUDY_IDS`) at ``scale``,
    judge every number of :data:`NUMBERS` and write ``<out>/REPRODUCTION.md``,
    ``<out>/reproduction.json`` and ``<out>/figures/``. Studies not in ``only`` are reused from
    the cache when there, else their numbers are ``not measured``. Returns the report dict."""
    only = list(STUDY_IDS if not only else only)
    unknown = [s for s in only if s not in STUDIES]
    if unknown:
        raise ValueError(f"unknown study ids {unknown}; known: {', '.join(STUDY_IDS)}")
    start = time.time()
    os.makedirs(out_dir, exist_ok=True)
    with LoadMonitor() as load:
        need = sorted({n for s in STUDY_IDS for n in STUDIES[s].num_pixels(scale)})
        attacks, where = resolve_attacks(dataset, scale, need, out_dir, attack_dir)
        entries, reused = {}, []
        for i, study in enumerate(STUDY_IDS):
            path = os.path.join(out_dir, "studies", f"{study}.json")
            if study not in only:
                if os.path.exists(path):
                    with open(path) as f:
                        entry = json.load(f)
                    if entry.get("key") == cache_key(study, scale, dataset, where):
                        entries[study] = entry
                        reused.append(study)
                continue
            logging.info("study %d/%d %s (%s): %s", i + 1, len(STUDY_IDS), study,
                         STUDIES[study].title, study_budget(scale, study))
            entry, was_cached = run_study(study, dataset, scale, attacks, where, out_dir)
            entries[study] = entry
            if was_cached:
                reused.append(study)
                logging.info("study %s: reused the cached result (%.0f s when it ran)", study,
                             entry["seconds"])
            else:
                logging.info("study %s: done in %.0f s", study, entry["seconds"])
    verdicts = [judge(n, entries[n.study]["result"] if n.study in entries else None, scale)
                for n in NUMBERS]
    report = {"scale": scale.name, "scale_cost": scale.cost, "dataset": dataset.info.name,
              "command": command, "machine": hardware.machine(),
              "wall_seconds": round(time.time() - start, 1), "load": load.summary(),
              "reused": reused, "attacks": {str(n): w for n, w in where.items()},
              "studies": {k: {"title": e["title"], "budget": e["budget"],
                              "seconds": e["seconds"], "cpu_seconds": e.get("cpu_seconds"),
                              "load": e["load"],
                              "figures": e["result"].get("figures", [])}
                          for k, e in entries.items()},
              "numbers": verdicts}
    atomic.write_json(os.path.join(out_dir, "reproduction.json"), report)
    atomic.write_text(os.path.join(out_dir, "REPRODUCTION.md"), write_report(report))
    logging.info("wrote %s", os.path.join(out_dir, "REPRODUCTION.md"))
    return report


# ------------------------------------------------------------------------------ report


VERDICTS = ("matches", "trend holds", "differs", "not measured")


def _ours(v: dict) -> str:
    """``mean ± std (n = seeds)``; a derived number without a std (a slope, a search) shows
    its mean and n only."""
    if not v.get("ours"):
        return "-"
    o = v["ours"]
    if o["std"] is None or o["n"] == 1:
        return f"{o['mean']:.3f} (n = {o['n']})"
    return f"{o['mean']:.3f} ± {o['std']:.3f} (n = {o['n']})"


def _paper(v) -> str:
    return f"{v:.2f}" if isinstance(v, float) else str(v)


def _header(report: dict) -> list[str]:
    """Scale, machine, time (the studies' own wall and CPU time, whether the CPU was shared,
    this command's wall time and what it reused), attacks, command."""
    m, studies = report["machine"], report["studies"]
    wall = sum(s["seconds"] for s in studies.values())
    cpu = sum(s.get("cpu_seconds") or 0 for s in studies.values())
    load_mean = (sum(s["load"]["mean"] * s["seconds"] for s in studies.values()) / wall
                 if wall else report["load"]["mean"])
    load_max = max([s["load"]["max"] for s in studies.values()] or [report["load"]["max"]])
    shared = load_max > (m["cpus"] or 1)
    load = (f"1-min load mean {load_mean:.1f}, max {load_max:.1f} on {m['cpus']} cores while "
            f"they ran" + (": the CPU was shared with other jobs, so the wall times are "
                           "inflated" if shared else ""))
    reused = report["reused"]
    lines = [
        f"Scale: **{report['scale']}** ({report['scale_cost']}); dataset {report['dataset']}.",
        "",
        f"Machine: {m['cpus']} CPU cores, flags "
        f"{' '.join(m['cpu_flags']) or 'none of ' + '/'.join(hardware.SPEED_CPU_FLAGS)}, "
        f"{m['gpus']} GPU, TensorFlow {m['tensorflow']}.",
        "",
        f"Time: the {len(studies)} studies took {wall:.0f} s wall ({wall / 60:.1f} min) and "
        f"{cpu:.0f} s CPU ({cpu / 60:.1f} min, all threads; other jobs do not inflate it); "
        f"{load}. This command ran {report['wall_seconds']:.0f} s"
        + (f" and reused {len(reused)} finished studies from the cache of an earlier run of "
           f"the same command ({', '.join(reused)})" if reused else "") + ".",
        "",
        "Attacks used (the studies' one attack source): " + "; ".join(
            f"N_p = {n}: `{w['path']}` (search seed {w['search_seed']}, sha256 {w['sha256']})"
            for n, w in sorted(report["attacks"].items(), key=lambda kv: int(kv[0]))) + ".",
    ]
    if report.get("command"):
        lines += ["", f"Command: `{report['command']}`"]
    return lines


def write_report(report: dict, figure_dir: str = "figures") -> str:
    """``REPRODUCTION.md``: the header (scale, machine, wall time, attacks), the verdict counts,
    a table per study (paper, ours, test, budget, verdict), the figures (``figure_dir``/...,
    relative to the report), the studies' budgets and times, and what is not covered."""
    nums = report["numbers"]
    counts = {v: sum(n["verdict"] == v for n in nums) for v in VERDICTS}
    lines = ["# Reproduction of the paper's Fashion-MNIST numbers", ""]
    lines += _header(report)
    lines += ["", f"{len(nums)} numbers: " + ", ".join(f"{c} {v}" for v, c in counts.items()
                                                        if c) + ".", "",
              "Verdicts: *matches* = within the stated tolerance of the paper's number; *trend "
              "holds* = the paper's claim holds here although the number is off or the paper "
              "gives none; *differs* = neither, with the reason; *not measured* = not run at "
              "this scale or in this call. Ours: mean ± std over seeds (population std), n "
              "seeds. Every victim is measured by `evoshift_tf.evaluate.evaluate`.", ""]
    differs = [n for n in nums if n["verdict"] == "differs"]
    if differs:
        lines += ["Where ours differs:", ""]
        lines += [f"- `{n['id']}` ({n['what']}): paper {_paper(n['paper'])}, ours {_ours(n)}. "
                  f"Test: {n['test']}. Why: {n['reason']}." for n in differs]
        lines.append("")
    for sid in STUDY_IDS:
        rows = [n for n in nums if n["study"] == sid]
        if not rows:
            continue
        info = report["studies"].get(sid)
        lines += [f"## {STUDIES[sid].title}", ""]
        if info:
            cpu = "" if info.get("cpu_seconds") is None else f", {info['cpu_seconds']:.0f} s CPU"
            lines += [f"Budget: {info['budget']}; {info['seconds']:.0f} s wall{cpu}.", ""]
        cell = lambda text: str(text).replace("|", "\\|")  # noqa: E731
        lines.append(summary_lib.markdown_table(
            ["id", "what", "paper", "ours", "test", "budget", "verdict"],
            ([cell(c) for c in (
                n["id"], f"{n['what']} ({n['source']})", _paper(n["paper"]), _ours(n),
                n["test"] or "-",
                n["budget"] or "-",
                f"**{n['verdict']}**" + (f": {n['reason']}" if n["reason"] else ""))]
             for n in rows)))
        lines.append("")
        for fig in (info or {}).get("figures", []):
            lines += [f"![{sid}]({figure_dir}/{fig})", ""]
    lines += ["## Budgets and times", "",
              summary_lib.markdown_table(
                  ["study", "budget", "wall s", "CPU s", "1-min load (mean / max)"],
                  ([f"{k}: {s['title']}", s["budget"], f"{s['seconds']:.0f}",
                    "-" if s.get("cpu_seconds") is None else f"{s['cpu_seconds']:.0f}",
                    f"{s['load']['mean']:.1f} / {s['load']['max']:.1f}"]
                   for k, s in report["studies"].items())),
              "", f"The paper's victims: {PAPER_BUDGET}, 3 seeds (5 for Figs. 7-8).", "",
              "## Not covered", ""]
    lines += [f"- {what}: {why}." for what, why in NOT_COVERED]
    return "\n".join(lines) + "\n"


def export(out_dir: str, markdown_path: str) -> str:
    """Copy ``<out>/REPRODUCTION.md`` to ``markdown_path`` and its figures and
    ``reproduction.json`` to the folder beside it named like it (``docs/reproduction.md`` ->
    ``docs/reproduction/``), with the links rewritten to that folder. Returns the folder."""
    folder = os.path.splitext(markdown_path)[0]
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(out_dir, "reproduction.json")) as f:
        report = json.load(f)
    figs = [fig for s in report["studies"].values() for fig in s["figures"]]
    for fig in figs:
        shutil.copyfile(os.path.join(out_dir, "figures", fig), os.path.join(folder, fig))
    shutil.copyfile(os.path.join(out_dir, "reproduction.json"),
                    os.path.join(folder, "reproduction.json"))
    atomic.write_text(markdown_path, write_report(report, os.path.basename(folder)))
    return folder
