"""What a search is asked (:class:`SearchConfig`: the budget on top of how a candidate is
scored, validated when built; presets by name) and what it returns (:class:`SearchResult`)."""

from __future__ import annotations

import dataclasses

import numpy as np

from evoshift_tf import attack as attack_lib
from evoshift_tf import presets
from evoshift_tf.errors import UnknownNameError, UserError
from evoshift_tf.search.scorer import EvaluatorConfig


@dataclasses.dataclass(frozen=True)
class SearchConfig(EvaluatorConfig):
    """The search budget, on top of how a candidate is scored (:class:`EvaluatorConfig`).

    The paper gives no budget; the defaults were chosen by measurement on 2 CPU cores (see
    ``docs/search_budget.md``) to finish in minutes. ``paper()`` is a larger budget.

    Attributes:
      population: lambda, CMA-ES population size per generation.
      generations: number of generations N_gen.
      sigma0: initial CMA-ES step size, in genome units ([0, 1] box).
      per_class: training images per class in the fit subset (class-balanced). 1,000 instead
        of 500 (312 instead of 156 Adam steps per candidate) left the victims of search seeds
        0-2 at 0.232, 0.210, 0.235 instead of 0.258, 0.234, 0.293 (3 victims each; the
        search's generations take twice as long, the whole search about 25 % longer): on 500
        images the cost ranks strong candidates' victims with a Spearman correlation of about
        0.25, on 1,000 about 0.75 (``research/selection_ranking``).
      holdout_per_class: training images per class held out to measure the cost (Sec. V-C).
      diagonal: separable CMA-ES (``CMA_diagonal``): a diagonal covariance learns much faster
        in few generations; the cost is close to a sum over classes.
      reevaluate: after the last generation, re-score the best ``population - 1`` candidates
        seen plus the CMA-ES mean ``selection_repeats`` more times (new init and batch order,
        shared by the finalists of a repeat) and return the one with the lowest average
        re-scored cost; ``False`` returns the best single evaluation (Algorithm 1, step 8),
        which favours lucky draws when the cost is noisy.
      selection_repeats: re-evaluations of each finalist (one generation's work each).
      finalists: how many candidates the final selection re-scores (0: ``population``): the
        best ``finalists - 1`` seen and the CMA-ES mean, scored ``population`` at a time with
        the same weights and batch order, so every finalist of a repeat compares fairly. 16
        instead of 8 left the victims of search seeds 0-2 at 0.265, 0.294, 0.303 instead of
        0.305, 0.337, 0.303 (3 victims each; about 35 s more per search on 2 AVX-512 cores).
      selection_per_class: fit images per class when the finalists are re-scored (0: the
        search's ``per_class``). More images cost proportionally more per repeat and rank the
        finalists closer to victims trained on the full set (``research/selection_ranking``).
      selection_term: the semantic term the finalists are compared on (one of
        ``fitness.TERMS``), alone: the discriminator term is for the search's stability (Sec.
        V-B) and measured as noise among strong attacks. With ``score`` (Algorithm 1, step 4:
        the held-out true-class probability) on 2,000 images per class, search seeds 0-2 left
        victims at 0.305, 0.337, 0.303 (3 victims each) against 0.321, 0.357, 0.327 with the
        search's own cost on 500 (``docs/search_budget.md``, "What limits the search").
      start_margin: the caller's starting attacks (``seed_attacks`` of :func:`run`) are kept
        unless a finalist's average re-scored cost is lower than the best start's by more than
        ``start_margin`` standard errors of the difference (the noise between finalists within
        a repeat, pooled): a known-good attack is not traded for a lucky draw.
      recombine: per-class credit. The cost is a mean over held-out classes and class k's
        pixels mostly decide class k's part, so each generation one child is injected into the
        next: for every class, the block of genes of the candidate whose held-out images of
        that class got the lowest true-class probability (its share of the cost).
      inject_baselines: evaluate One-Pixel Shortcut and the Jacobsen rule (and any
        ``seed_attacks`` given to :func:`run`) in the first generation, so the search starts
        from the known attacks. The ``seed_attacks`` are also finalists of the final selection
        whatever their first score, so the search returns none weaker than them by its own
        (averaged) measure.
      start_sigma: with ``seed_attacks``, above 0: the search distribution starts at the first
        of them with this step instead of a uniform draw with ``sigma0`` (0, the default: the
        global search), a local search around a known attack. Measured at N_p = 5 with 0.05,
        started from seed 1's grown N_p = 1 attack (AMD EPYC, 3 victims each,
        ``research/results/attack_strength_np5_local_search.json``): search seeds 0 and 2
        returned their own attacks (victims 0.194 and 0.214), seed 1 the start (0.203, judged
        beside seed 0's). Not better beyond victim noise, so off by default.
    """

    population: int = 8
    generations: int = 20
    sigma0: float = 0.3
    per_class: int = 1000
    holdout_per_class: int = 200
    diagonal: bool = True
    reevaluate: bool = True
    selection_repeats: int = 2
    finalists: int = 16
    selection_per_class: int = 2000
    selection_term: str = "score"
    start_margin: float = 1.0
    recombine: bool = True
    inject_baselines: bool = True
    start_sigma: float = 0.0

    def __post_init__(self):
        checks = {"population": self.population >= 2, "generations": self.generations >= 1,
                  "num_pixels": self.num_pixels >= 1, "epochs": self.epochs >= 1,
                  "per_class": self.per_class >= 1, "holdout_per_class": self.holdout_per_class >= 1,
                  "sigma0": 0.0 < self.sigma0 <= 1.0, "domain_weight": self.domain_weight >= 0,
                  "batch_size": self.batch_size >= 1,
                  "selection_repeats": self.selection_repeats >= 1,
                  "start_margin": self.start_margin >= 0,
                  "selection_per_class": self.selection_per_class >= 0,
                  "start_sigma": 0.0 <= self.start_sigma <= 1.0,
                  "finalists": self.finalists == 0 or self.finalists >= 2}
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise UserError(f"invalid search config: "
                            f"{', '.join(f'{k}={getattr(self, k)!r}' for k in bad)} (population "
                            ">= 2, generations/num_pixels/epochs/per_class >= 1, 0 < sigma0 <= 1, "
                            "domain_weight >= 0)")
        super().__post_init__()
        from evoshift_tf.search.fitness import TERMS
        for name in ("term", "selection_term"):
            if getattr(self, name) not in TERMS:
                raise UnknownNameError(f"unknown fitness {name} {getattr(self, name)!r}; "
                                       f"known: {TERMS}")

    @property
    def finalist_count(self) -> int:
        """Candidates the final selection re-scores (``finalists``, 0 meaning ``population``)."""
        return self.finalists or self.population

    def evaluator_config(self) -> EvaluatorConfig:
        return EvaluatorConfig(**{f.name: getattr(self, f.name)
                                  for f in dataclasses.fields(EvaluatorConfig)})

    @classmethod
    def smoke(cls, **overrides) -> "SearchConfig":
        """Seconds on 2 cores: for tests and trying the tools."""
        base = dict(population=4, generations=2, per_class=20, holdout_per_class=10,
                    discriminator_images=40, discriminator_epochs=1, batch_size=16,
                    selection_per_class=0, finalists=0)
        return cls(**{**base, **overrides})

    @classmethod
    def paper(cls, **overrides) -> "SearchConfig":
        """A larger budget (hours on 2 cores, minutes on a GPU)."""
        base = dict(population=16, generations=40, per_class=2000, holdout_per_class=500, epochs=2)
        return cls(**{**base, **overrides})

    @classmethod
    def preset(cls, name: str, **overrides) -> "SearchConfig":
        """The search of preset ``name`` (:mod:`evoshift_tf.presets`: smoke, light, default,
        paper)."""
        return presets.pick(name, {"smoke": cls.smoke, "light": cls.light, "default": cls,
                                   "paper": cls.paper})(**overrides)

    @classmethod
    def light(cls, **overrides) -> "SearchConfig":
        """The main job's budget where the search trains in float32 on a CPU (no native
        bfloat16, :func:`evoshift_tf.presets.resolve`): 8 generations, and the best 7 candidates
        seen plus the CMA-ES mean re-scored twice on 1,000 fit images per class. About a third
        of the default's training. N_p = 1 victims of search seeds 0-2, three 5-epoch victims
        each, the search in float32 (``research/results/attack_strength_light_search.json``):
        0.224, 0.311, 0.310 (the default budget in float32: 0.224, 0.309, 0.244), seeds 3-5
        0.257, 0.289, 0.389; with 6 generations 0.224, 0.366, 0.363, with 7 0.409, 0.311,
        0.310. The weak seeds have no strong finalist: the best of each seed's 8 gave
        0.220, 0.276, 0.286, 0.275, 0.339, 0.302 (``selection_ranking_light_search.json``)."""
        base = dict(generations=8, finalists=8, selection_per_class=1000)
        return cls(**{**base, **overrides})


@dataclasses.dataclass
class SearchResult:
    """What a search returns.

    best_attack: the chosen attack (see ``SearchConfig.reevaluate``).
    best_cost: its cost. history: one dict per generation. config: the SearchConfig as a dict.
    selection: the final re-evaluation table, if any.
    finalists: ``[F, D]`` genomes of the selection table's rows, in order (None without it).
    """

    best_attack: attack_lib.PixelAttack
    best_cost: float
    history: list[dict]
    config: dict
    selection: list | None = None
    finalists: np.ndarray | None = None

    def summary(self) -> dict:
        return {"method": "evoshift", "best_cost": self.best_cost,
                "generations": len(self.history), "config": self.config}
