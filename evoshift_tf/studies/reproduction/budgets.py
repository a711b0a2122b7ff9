"""How much every study of the reproduction trains, per preset (``smoke``, ``default``,
``paper``; ``light`` is ``default``: :func:`evoshift_tf.presets.pick`)."""

from __future__ import annotations

import dataclasses

from evoshift_tf import presets, search
from evoshift_tf.studies import architectures, runner
from evoshift_tf.studies import attacks as attacks_lib
from evoshift_tf.victims import generative

STUDY_IDS = ("table4", "fig5d", "fig6", "fig7", "fig8", "fig9", "fig10", "fig11", "fig12_13",
             "tables1_2", "jacobsen")
"""The studies, in the order they run (``--only`` takes these ids)."""

PAPER_BUDGET = "60k train / 10k test images, 30 epochs"
"""The victims' budget in the paper (Tables 1-2 and Fig. 7: 30 epochs; the full sets)."""


@dataclasses.dataclass(frozen=True)
class Preset:
    """How much every study trains.

    Attributes:
      name: ``smoke``, ``default`` or ``paper`` (part of the cache key).
      budget: the GrayNet studies (Figs. 6-8, 10, 11).
      strength_budget: Table 4 and the Jacobsen comparison: at ``default`` the strength
        benchmark's victims (all 60k images, 5 epochs), 3 seeds, one random-placement draw per
        seed.
      repeats: per-study seed counts that differ from ``budget.repeats`` (the paper: 5 for
        Figs. 7-8, 3 elsewhere), as ``((study id, repeats), ...)``.
      partial_points: Fig. 6's attacked-class counts, evenly spaced in ``0..C`` (None = every k).
      noise_severities: Fig. 11's Gaussian-noise severities (0 = none).
      median_sizes: Fig. 10's median filter sizes.
      transfer_budget, transfer_victims, transfer_num_pixels: Tables 1-2 (ResNet-20/32,
        DenseNet-40 with augmentation; EvoShift N_p arms beside clean and Jacobsen N_p = 1).
      search_config: Fig. 5d's search (N_p = 1) from uniform pixels; its clean test accuracy is
        measured on ``search_monitor_images`` test images per generation (0 = all).
      attack_search: ``default`` or ``smoke``: the search that makes a missing attack.
      loss_train_images, loss_epochs, loss_eval_images, loss_alphas: Fig. 9 (Eq. (14)).
      vaegan, vaegan_train_images, vaegan_test_images, vaegan_random_arms: Figs. 12-13.
      cost: what the whole preset costs, in words (the report quotes it).
    """

    name: str
    budget: runner.Budget
    strength_budget: runner.Budget
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
        """The budget ``study``'s victims train with (its repeats included)."""
        if study == "tables1_2":
            return self.transfer_budget
        base = self.strength_budget if study in ("table4", "jacobsen") else self.budget
        r = dict(self.repeats).get(study)
        return base if r is None else dataclasses.replace(base, repeats=r)

    def attack_config(self, num_pixels: int, seed: int = 0) -> search.SearchConfig:
        """The search that makes a missing attack."""
        if self.attack_search == "smoke":
            return search.SearchConfig.smoke(num_pixels=num_pixels, seed=seed)
        return attacks_lib.small_search_config(num_pixels, seed)


def _smoke() -> Preset:
    tiny = runner.Budget(train_images=1000, test_images=500, epochs=1, batch_size=64,
                         repeats=1, measure_train_images=500)
    return Preset(
        name="smoke", budget=tiny, strength_budget=tiny,
        partial_points=3, noise_severities=(0, 5), median_sizes=(3,),
        transfer_budget=runner.Budget(train_images=500, test_images=200, epochs=1,
                                      batch_size=64, repeats=1, measure_train_images=200),
        transfer_victims=("resnet20",), transfer_num_pixels=(1,),
        search_config=search.SearchConfig.smoke(generations=3, inject_baselines=False,
                                                reevaluate=False),
        search_monitor_images=500, attack_search="smoke",
        loss_train_images=1000, loss_epochs=1, loss_eval_images=500, loss_alphas=9,
        vaegan=generative.VAEGANConfig.smoke(), vaegan_train_images=1000,
        vaegan_test_images=200, vaegan_random_arms=False,
        cost="a smoke check: a few minutes on 2 CPU cores, under a minute on the tests' "
             "synthetic data")


def _default() -> Preset:
    return Preset(
        name="default",
        budget=runner.Budget(train_images=10000, test_images=2000, epochs=3, repeats=3),
        strength_budget=runner.Budget(train_images=0, test_images=0, epochs=5, repeats=3),
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
        cost="Table 4 and the Jacobsen comparison at the strength benchmark's budget (60k images, "
             "5 epochs, 3 seeds), the other studies on 10k images for 3 epochs: measured 133 min "
             "wall (113 CPU-min; Table 4 78 min, Jacobsen 27 min) on 2 AVX-512 cores shared with "
             "other jobs")


def _paper() -> Preset:
    return Preset(
        name="paper",
        budget=runner.Budget.paper(repeats=3), strength_budget=runner.Budget.paper(repeats=3),
        repeats=(("fig7", 5), ("fig8", 5)),
        partial_points=None, noise_severities=(0, 1, 2, 3, 4, 5),
        transfer_budget=runner.Budget.paper(repeats=3),
        transfer_victims=architectures.VICTIMS, transfer_num_pixels=(1, 2, 5),
        search_config=search.SearchConfig.paper(inject_baselines=False, reevaluate=False),
        search_monitor_images=0,
        loss_train_images=0, loss_epochs=30, loss_eval_images=10000, loss_alphas=41,
        vaegan=generative.VAEGANConfig(), vaegan_train_images=0, vaegan_test_images=10000,
        cost="days on 2 CPU cores (ResNets and DenseNet-40 for 30 epochs on 60k images, "
             "3-5 seeds): a GPU machine")


PRESETS = {"smoke": _smoke(), "default": _default(), "paper": _paper()}
"""The reproduction's budgets by preset name (``python -m studies.reproduce --preset``)."""


def get(name: str) -> Preset:
    """The preset ``name`` (``light`` -> ``default``); a :class:`UserError` for others."""
    return presets.pick(name, PRESETS)


def _images(v: int) -> str:
    return "all" if not v else (f"{v // 1000}k" if v % 1000 == 0 else str(v))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def describe_budget(budget: runner.Budget) -> str:
    """``"10k/2k images, 3 epochs, 2 seeds"`` (``all`` = the whole set)."""
    return (f"{_images(budget.train_images)}/{_images(budget.test_images)} images, "
            f"{_plural(budget.epochs, 'epoch')}, {_plural(budget.repeats, 'seed')}")


def _images_epochs(p: Preset, study: str) -> tuple[int, int]:
    if study == "fig9":
        return p.loss_train_images, p.loss_epochs
    if study == "fig12_13":
        return p.vaegan_train_images, p.vaegan.epochs
    b = p.budget_for(study)
    return b.train_images, b.epochs


def study_budget(p: Preset, study: str) -> str:
    """What ``study`` trains at preset ``p``, in a few words (the report's budget line)."""
    if study == "tables1_2":
        victims = "/".join(p.transfer_victims)
        return f"{victims} + augmentation, {describe_budget(p.transfer_budget)}"
    if study == "fig5d":
        s = p.search_config
        return (f"search lambda {s.population}, {s.generations} generations, "
                f"{s.per_class}/class, {s.epochs} epoch per candidate")
    if study in ("fig9", "fig12_13"):
        images, epochs = _images_epochs(p, study)
        repeats = p.budget.repeats if study == "fig9" else 1
        test = p.loss_eval_images if study == "fig9" else p.vaegan_test_images
        what = describe_budget(runner.Budget(train_images=images, test_images=test,
                                             epochs=epochs, repeats=repeats))
        return what + (" per optimizer" if study == "fig9"
                       else f", VAE-GAN latent {p.vaegan.latent_dim}")
    model = "GrayNet/VIB" if study == "table4" else "GrayNet"
    draws = (", one random-placement draw per seed" if study in ("table4", "jacobsen") else "")
    return f"{model}, {describe_budget(p.budget_for(study))}{draws}"


def short_budget(p: Preset, study: str) -> str:
    """The training budget of ``study`` in the fewest words (the seeds are in ``n``)."""
    if study == "fig5d":
        return f"lambda {p.search_config.population} x {p.search_config.generations} gen."
    images, epochs = _images_epochs(p, study)
    return f"{_images(images)} img x {epochs} ep"


def below_paper(p: Preset, study: str) -> str:
    """Why a number measured at ``p`` may differ from the paper's: the budget, in short
    (empty at the paper's preset)."""
    if p.name == "paper":
        return ""
    if study in ("fig5d", "fig12_13"):
        return f"budget: {study_budget(p, study)} (the paper gives none)"
    images, epochs = _images_epochs(p, study)
    if not images:
        return f"budget: {_plural(epochs, 'epoch')} vs 30, both on the whole training set"
    return f"budget: {_plural(epochs, 'epoch')} on {_images(images)} images vs 30 on 60k"
