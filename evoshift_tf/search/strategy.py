"""EvoShift: CMA-ES over class-wise pixel positions and values (Algorithm 1).

``cma.CMAEvolutionStrategy`` behind an ``ask / tell`` loop that adds what the paper needs:
genome decoding, a held-out fitness split, the best attack over all generations (step 8),
per-generation history, and a checkpoint after every generation so that a killed search resumes
where it stopped and ends exactly as an uninterrupted one with the same seed.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Callable

import cma
import numpy as np
from absl import logging

from evoshift_tf import attack as attack_lib
from evoshift_tf import data as data_lib
from evoshift_tf.search.checkpoint import load_checkpoint, save_checkpoint
from evoshift_tf.search.config import SearchConfig, SearchResult
from evoshift_tf.search.scorer import GenerationResult, PopulationEvaluator


# ---------------------------------------------------------------- the loop

Callback = Callable[[dict], None]


def _finite_or_none(value) -> float | None:
    """JSON-safe: None where a statistic was not measured (NaN)."""
    return float(value) if np.isfinite(value) else None


def _history_row(generation, result: GenerationResult, es, best_cost, elapsed) -> dict:
    j = int(np.argmin(result.costs))
    row = {
        "generation": generation,
        "best_cost": float(result.costs[j]),
        "mean_cost": float(np.mean(result.costs)),
        "best_semantic": float(result.semantic[j]),
        "best_domain": None if result.domain is None else float(result.domain[j]),
        "best_heldout_clean_accuracy": float(result.stats.clean_accuracy[j]),
        "best_heldout_poisoned_accuracy": _finite_or_none(result.stats.poisoned_accuracy[j]),
        "best_so_far_cost": float(best_cost),
        "sigma": float(es.sigma),
        "elapsed_s": float(elapsed),
    }
    if result.monitor_accuracy is not None:
        row["best_monitor_clean_accuracy"] = float(result.monitor_accuracy[j])
    if result.semantic_by_defense is not None:
        row["best_semantic_by_defense"] = {name: float(c[j])
                                           for name, c in result.semantic_by_defense.items()}
    return row


class Strategy:
    """Algorithm 1 as an ``ask / tell`` object over ``cma.CMAEvolutionStrategy`` (evosax's shape):
    a caller can drive the search with any scorer.

        strategy = Strategy(config, info, starts)          # or Strategy.restore(folder, ...)
        while not strategy.done:
            genomes = strategy.ask()                        # [P, D] in [0, 1]
            strategy.tell(genomes, scorer(genomes, strategy.generation))

    It keeps what the paper needs beside CMA-ES: the best candidate over all generations
    (step 8), an archive of the best ``P - 1`` for the final selection, the per-class
    recombined child (``SearchConfig.recombine``), the history, and numpy's global RNG state
    (``cma`` draws from it), so a restored strategy continues exactly as an uninterrupted one.
    """

    def __init__(self, config: SearchConfig, info: data_lib.DatasetInfo,
                 starts: list[attack_lib.PixelAttack] = (), state: dict | None = None,
                 kept: int = 0):
        self.config, self.info = config, info
        self.state = (state if state is not None
                      else _initial_state(config, info, list(starts), kept))

    @classmethod
    def restore(cls, directory: str, config: SearchConfig, info: data_lib.DatasetInfo
                ) -> "Strategy | None":
        """The strategy checkpointed in ``directory``, or None if there is none."""
        state = load_checkpoint(directory, dataclasses.asdict(config))
        return None if state is None else cls(config, info, state=state)

    def save(self, directory: str) -> None:
        save_checkpoint(directory, self.state, dataclasses.asdict(self.config))

    @property
    def generation(self) -> int:
        return self.state["generation"]

    @property
    def done(self) -> bool:
        return self.generation >= self.config.generations    # Algorithm 1, step 1

    @property
    def history(self) -> list[dict]:
        return self.state["history"]

    def mean(self) -> np.ndarray:
        """The search distribution's mean in the [0, 1] box (:func:`search_mean`)."""
        return search_mean(self.state["es"])

    def ask(self) -> np.ndarray:
        """This generation's genomes ``[P, D]`` in [0, 1] (Algorithm 1, step 2)."""
        np.random.set_state(self.state["np_random"])
        return np.array(self.state["es"].ask())

    def tell(self, genomes: np.ndarray, result: GenerationResult, seconds: float = 0.0) -> dict:
        """Update with the costs of :meth:`ask`'s genomes; returns the generation's history row.
        ``seconds``: time the generation took, for the history."""
        state, es, cfg = self.state, self.state["es"], self.config
        es.tell(list(genomes), result.costs.tolist())       # Algorithm 1, step 7
        j = int(np.argmin(result.costs))
        if result.costs[j] < state["best_cost"]:           # Algorithm 1, step 8
            state["best_cost"], state["best_genome"] = float(result.costs[j]), genomes[j].copy()
        state["archive"] = _top(state["archive"] + list(zip(result.costs.tolist(), genomes)),
                                cfg.finalist_count - 1)
        if cfg.recombine and result.stats.class_true_prob is not None:
            child = recombine(genomes, result.stats.class_true_prob)
            es.inject([es.boundary_handler.inverse(child)], force=True)
        state["elapsed_s"] += seconds
        row = _history_row(self.generation, result, es, state["best_cost"], state["elapsed_s"])
        state["history"].append(row)
        state["generation"] += 1
        state["np_random"] = np.random.get_state()
        return row


def run(dataset: data_lib.Dataset, config: SearchConfig = SearchConfig(),
        checkpoint_dir: str | None = None, monitor: data_lib.Split | None = None,
        callbacks: tuple[Callback, ...] = (), evaluator=None,
        seed_attacks: tuple[attack_lib.PixelAttack, ...] = ()) -> SearchResult:
    """Run EvoShift on ``dataset.train`` (the test set is never used for the cost).

    Args:
      dataset: the data; only ``train`` feeds the search.
      config: budget and scoring.
      checkpoint_dir: if given, state is saved there every generation and a search found there
        is resumed.
      monitor: optional split (e.g. a test subset) whose accuracy is recorded for plots only.
      callbacks: called with each generation's history row.
      evaluator: override the scorer (``genomes [P, D], generation -> GenerationResult``).
      seed_attacks: known attacks evaluated in the first generation (with fewer pixels than
        ``config.num_pixels`` they are grown by :func:`attack.extend`), e.g. the best
        ``N_p - 1`` attack; with ``config.inject_baselines`` One-Pixel Shortcut and Jacobsen too.
    """
    info = dataset.info
    fit_pool, fit, holdout = search_split(dataset, config)
    strategy = Strategy.restore(checkpoint_dir, config, info) if checkpoint_dir else None
    if strategy is None:     # bad seed attacks are refused before any model is built
        starts = starting_attacks(config, fit_pool, info, seed_attacks)
        strategy = Strategy(config, info, starts, kept=len(seed_attacks))
    else:
        logging.info("resuming search at generation %d from %s", strategy.generation,
                     checkpoint_dir)
    own_evaluator = evaluator is None
    if own_evaluator:
        evaluator = PopulationEvaluator(fit, holdout, info, config.population,
                                        config.evaluator_config(), monitor)
    while not strategy.done:
        start = time.time()
        genomes = strategy.ask()
        result = evaluator(genomes, strategy.generation)    # Algorithm 1, steps 3-6
        row = strategy.tell(genomes, result, time.time() - start)
        if checkpoint_dir:
            strategy.save(checkpoint_dir)
        logging.info("generation %d/%d  best %.4f  mean %.4f  best so far %.4f  %.0fs, "
                     "about %.0fs left", strategy.generation, config.generations,
                     row["best_cost"], row["mean_cost"], row["best_so_far_cost"],
                     row["elapsed_s"], seconds_left(config, strategy.generation,
                                                    row["elapsed_s"],
                                                    len(fit_pool) // info.num_classes))
        for cb in callbacks:
            cb(row)
    if own_evaluator and config.reevaluate:    # the finalists' re-scoring (same models)
        evaluator = evaluator.rescorer(selection_fit(config, fit_pool, info),
                                       config.selection_term)
    return _result(strategy, evaluator)


def generation_equivalents(config: SearchConfig, pool_per_class: int | None = None) -> float:
    """The whole search's training in units of one generation: ``generations`` plus the final
    selection (each repeat trains every population-sized batch of finalists once, on
    ``selection_per_class`` instead of ``per_class`` images per class; both at most
    ``pool_per_class``, the training images a class has, when given)."""
    if not config.reevaluate:
        return float(config.generations)
    cap = lambda n: min(n, pool_per_class) if pool_per_class else n  # noqa: E731
    batches = -(-config.finalist_count // config.population)
    images = cap(config.selection_per_class or config.per_class) / cap(config.per_class)
    return config.generations + config.selection_repeats * batches * images


def seconds_left(config: SearchConfig, generation: int, elapsed_s: float,
                 pool_per_class: int | None = None) -> float:
    """Estimated wall seconds until :func:`run` returns, once ``generation`` generations have
    taken ``elapsed_s``: the rest of :func:`generation_equivalents` at their mean time."""
    per_generation = elapsed_s / max(generation, 1)
    return (generation_equivalents(config, pool_per_class) - generation) * per_generation


def selection_fit(config: SearchConfig, fit_pool: data_lib.Split, info) -> data_lib.Split | None:
    """The fit subset the finalists are re-scored on (``config.selection_per_class`` images per
    class of the training set less its held-out part), or None for the search's own."""
    if config.selection_per_class in (0, config.per_class):
        return None
    return data_lib.balanced_subset(fit_pool, config.selection_per_class, info.num_classes,
                                    seed=config.seed)


def _result(strategy: Strategy, evaluator) -> SearchResult:
    """The final choice (re-evaluated finalists, or the best single evaluation) as an attack."""
    config, info, state = strategy.config, strategy.info, strategy.state
    cfg_dict = dataclasses.asdict(config)
    best_genome, best_cost = state["best_genome"], state["best_cost"]
    selection = finalists = None
    if config.reevaluate:
        best_genome, best_cost, selection, finalists = _reevaluate(
            evaluator, state["archive"], strategy.mean(), config, state.get("finalists", ()))
    best = attack_lib.decode(best_genome, info.num_classes, config.num_pixels,
                             info.image_shape, config.patch_size)  # Algorithm 1, step 10
    best = dataclasses.replace(best, provenance={
        "method": "evoshift", "dataset": info.name, "best_cost": best_cost,
        "best_single_cost": state["best_cost"], "selection": selection,
        "seed": config.seed, "generations": len(state["history"]), "config": cfg_dict})
    return SearchResult(best, best_cost, state["history"], cfg_dict, selection, finalists)


def search_split(dataset: data_lib.Dataset, config: SearchConfig, per_class: int | None = None
                 ) -> tuple[data_lib.Split, data_lib.Split, data_lib.Split]:
    """(fit pool, fit set, held-out set) of ``dataset.train`` as the search with ``config`` uses
    them: ``holdout_per_class`` images per class held out, ``per_class`` (default
    ``config.per_class``) fit images per class drawn from the rest; the test split is unused."""
    n = dataset.info.num_classes
    fit_pool, holdout = data_lib.holdout_split(dataset.train, config.holdout_per_class, n,
                                               seed=config.seed)
    fit = data_lib.balanced_subset(fit_pool, per_class or config.per_class, n, seed=config.seed)
    return fit_pool, fit, holdout


BASELINE_STARTS = ("ops", "jacobsen")   # evaluated in the first generation (inject_baselines)


def seed_attack_room(config: SearchConfig) -> int:
    """How many of the caller's ``seed_attacks`` the first generation evaluates beside the
    baselines; :func:`starting_attacks` refuses more."""
    return config.population - (len(BASELINE_STARTS) if config.inject_baselines else 0)


def starting_attacks(config: SearchConfig, fit_pool: data_lib.Split, info,
                      seed_attacks) -> list[attack_lib.PixelAttack]:
    """The known attacks the first generation evaluates (Sec. VIII-A baselines and the caller's),
    each with ``config.num_pixels`` pixels.

    Raises:
      ValueError: more ``seed_attacks`` than :func:`seed_attack_room` leaves beside the
        baselines (they would not all be evaluated).
    """
    room = seed_attack_room(config)
    if len(seed_attacks) > room:
        raise ValueError(
            f"{len(seed_attacks)} seed attacks, but a population of {config.population} has "
            f"room for {room} beside the baselines: pass at most {room} or raise population")
    starts = [_start_pixels(a, config) for a in seed_attacks]
    if config.inject_baselines:
        from evoshift_tf import baselines
        starts += [baselines.get(name, fit_pool, info.num_classes, config.num_pixels)
                   for name in BASELINE_STARTS]
    return starts


def _start_pixels(attack: attack_lib.PixelAttack, config: SearchConfig) -> attack_lib.PixelAttack:
    """A caller's starting attack as ``config.num_pixels`` genes: the corners of an attack made
    of ``config.patch_size`` patches (one the search returned), else grown by
    :func:`attack.extend` (each pixel then grows into a patch when encoded)."""
    k = config.patch_size
    if k > 1 and attack.num_pixels == config.num_pixels * k * k:
        return attack_lib.patch_corners(attack, k)
    return attack_lib.extend(attack, config.num_pixels)


def _initial_state(config: SearchConfig, info, starts: list, kept: int = 0) -> dict:
    """A fresh CMA-ES (m_0, Sigma_0, sigma_0 of Algorithm 1) with ``starts`` injected into its
    first ask; the first ``kept`` of them are finalists of the final selection whatever their
    first cost."""
    dim = attack_lib.genome_size(info.num_classes, config.num_pixels, info.channels)
    # The mean starts at a uniform draw (the random-placement baseline with the same seed), or
    # at the caller's first starting attack for a local search (``config.start_sigma``).
    x0, sigma0 = np.random.default_rng(config.seed).uniform(size=dim), config.sigma0
    if config.start_sigma and kept:
        x0, sigma0 = attack_lib.encode(starts[0], config.patch_size), config.start_sigma
    es = cma.CMAEvolutionStrategy(x0, sigma0, {
        "bounds": [0.0, 1.0], "popsize": config.population, "seed": config.seed + 1,
        "verbose": -9, "maxiter": config.generations, "CMA_diagonal": config.diagonal})
    if starts:
        es.inject([es.boundary_handler.inverse(attack_lib.encode(a, config.patch_size))
                   for a in starts], force=True)
    return {"es": es, "np_random": np.random.get_state(), "generation": 0, "history": [],
            "best_genome": x0, "best_cost": float("inf"), "elapsed_s": 0.0, "archive": [],
            "finalists": [attack_lib.encode(a, config.patch_size) for a in starts[:kept]]}


def search_mean(es: cma.CMAEvolutionStrategy) -> np.ndarray:
    """The point the search samples around, in the [0, 1] genome box: the internal mean mapped
    through the bound transform (clipping it instead piles genes on 0 and 1)."""
    return np.asarray(es.boundary_handler.transform(es.mean), np.float64)


def recombine(genomes: np.ndarray, class_credit: np.ndarray) -> np.ndarray:
    """Per-class credit: ``genomes [P, D]`` (D = C * block) and ``class_credit [P, C]`` (lower is
    better) -> one genome ``[D]`` whose class-k block comes from the candidate with the lowest
    credit on class k."""
    p, c = class_credit.shape
    blocks = genomes.reshape(p, c, -1)
    credit = np.where(np.isfinite(class_credit), class_credit, np.inf)
    return blocks[np.argmin(credit, axis=0), np.arange(c)].reshape(-1)


def _top(pairs: list, k: int) -> list:
    """The ``k`` lowest-cost ``(cost, genome)`` pairs."""
    return sorted(pairs, key=lambda p: p[0])[:k]


def _reevaluate(evaluator, archive, mean: np.ndarray, config: SearchConfig, kept=()):
    """Re-score the archive's best, the ``kept`` genomes (the caller's starting attacks) and the
    CMA-ES mean ``config.selection_repeats`` times with fresh seeds (generation indices from
    ``config.generations`` on); return (genome, its average re-scored cost, table of the
    selection, ``[F, D]`` genomes of the table's rows). The finalists are at most
    ``config.finalist_count``: the archive gives way to the kept genomes, so a search started
    from an attack never returns one it measured worse.

    Only the re-scored costs are compared: in each repeat every finalist starts from the same
    weights, while a finalist's first cost came from its own generation's weights (measured: the
    same attacks cost -4.3 with generation 0's weights and -5.8 with generation 20's), and the
    archive keeps the lowest first costs, so those are biased low (the winner's curse)."""
    is_kept = lambda g: any(np.allclose(k, g, atol=1e-9) for k in kept)  # noqa: E731
    pinned = [(c, g) for c, g in archive if is_kept(g)]
    others = [(c, g) for c, g in archive if not is_kept(g)]
    missing = [k for k in kept if not any(np.allclose(k, g, atol=1e-9) for _, g in pinned)]
    width, p = config.finalist_count, config.population
    archive = _top(pinned + others[:max(width - 1 - len(missing) - len(pinned), 0)], width)
    candidates = [g for _, g in archive] + missing + [mean]
    first = [c for c, _ in archive] + [None] * (len(missing) + 1)
    finalists = len(candidates)
    while len(candidates) % p:  # pad to whole populations (the trained size)
        candidates.append(candidates[-1])
    batches = np.stack(candidates).reshape(-1, p, len(mean))

    def repeat(r):   # every batch with generation r's weights and batch order
        return np.concatenate([evaluator(b, config.generations + r).costs for b in batches])

    costs = np.stack([repeat(r)[:finalists] for r in range(config.selection_repeats)],
                     1)                                                    # [finalists, repeats]
    is_start = [is_kept(g) for g in candidates[:finalists]]
    j = keep_start_unless_beaten(costs, is_start, config.start_margin)
    averages = costs.mean(1)
    table = [{"first_cost": f, "reevaluated_costs": c.tolist(), "average": float(a),
              "is_cma_mean": i == finalists - 1, "is_start": is_start[i], "chosen": i == j}
             for i, (f, c, a) in enumerate(zip(first, costs, averages))]
    logging.info("re-evaluated %d candidates x%d: chose #%d (average cost %.4f%s)", finalists,
                 config.selection_repeats, j, averages[j],
                 ", the CMA-ES mean" if j == finalists - 1 else "")
    return candidates[j], float(averages[j]), table, np.stack(candidates[:finalists])


def keep_start_unless_beaten(costs: np.ndarray, is_start: list[bool], margin: float) -> int:
    """Index of the chosen finalist, from ``costs [F, R]`` (R re-scoring generations, every
    finalist scored in each): the lowest average cost, unless that is not a start and beats the
    best start by no more than ``margin`` standard errors of the difference of two averages,
    ``sqrt(2 s^2 / R)``. ``s^2`` is the noise left once each finalist's and each repeat's effect
    is removed (two-way layout: residual sum of squares over ``(F - 1)(R - 1)``): the repeat's
    shared weights move every finalist together and are no noise between them."""
    costs = np.asarray(costs, np.float64)
    averages = costs.mean(1)
    j = int(np.argmin(averages))
    f, r = costs.shape
    if is_start[j] or not any(is_start) or f < 2 or r < 2:
        return j
    s = min((i for i, st in enumerate(is_start) if st), key=lambda i: averages[i])
    residual = costs - averages[:, None] - costs.mean(0, keepdims=True) + costs.mean()
    se = float(np.sqrt(2 * np.sum(residual ** 2) / ((f - 1) * (r - 1)) / r))
    return j if averages[s] - averages[j] > margin * se else s
