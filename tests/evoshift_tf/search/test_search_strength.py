"""The search that wins: the mean decoded through the bound transform, valid attacks by
construction, baselines injected into the first generation, per-class recombination, and no look at the test set."""

import dataclasses

import cma
import numpy as np
import pytest

from evoshift_tf import attack, baselines, data, search
from evoshift_tf.search import fitness, population


def _config(**kw):
    return search.SearchConfig.smoke(**{**dict(population=4, generations=2, per_class=40,
                                                holdout_per_class=16, epochs=2,
                                                discriminator_images=64), **kw})


def test_search_mean_is_the_bound_transformed_mean():
    es = cma.CMAEvolutionStrategy(np.full(6, 0.5), 0.3, {"bounds": [0, 1], "verbose": -9})
    es.mean = np.array([-0.3, 1.4, 0.5, 0.02, 1.02, -2.0])      # outside the box, as cma keeps it
    mean = search.search_mean(es)
    np.testing.assert_allclose(mean, es.boundary_handler.transform(es.mean))
    assert np.all((mean > 0) & (mean < 1))
    assert not np.any(np.isin(mean, [0.0, 1.0]))                  # clipping would pile on 0 and 1
    assert not np.allclose(mean, np.clip(es.mean, 0, 1))


def test_decode_repairs_collisions_into_distinct_positions():
    shape = (8, 8, 1)
    genome = np.full(attack.genome_size(5, 4, 1), 0.5)            # every pixel on one cell
    a = attack.decode(genome, 5, 4, shape)
    cells = a.positions.reshape(-1, 2)
    assert len({tuple(c) for c in cells}) == 20
    assert tuple(cells[0]) == (4, 4)                              # the first keeps its cell
    assert np.abs(cells - [4, 4]).max() <= 3                      # the rest move nearby


def test_repair_leaves_a_valid_attack_unchanged():
    a = attack.random_attack(4, 2, (12, 12, 1), seed=3)
    np.testing.assert_array_equal(attack.repair_positions(a.positions, a.image_shape),
                                  a.positions)


def test_extend_keeps_the_smaller_attack_and_grows_distinct_pixels():
    a = attack.random_attack(4, 1, (12, 12, 1), seed=0)
    big = attack.extend(a, 3)
    np.testing.assert_array_equal(big.positions[:, 0], a.positions[:, 0])
    np.testing.assert_array_equal(big.values[:, :, 0], np.repeat(a.values[:, :, 0], 3, 1))
    assert len({tuple(c) for c in big.positions.reshape(-1, 2)}) == 12
    with pytest.raises(attack.AttackError):
        attack.extend(big, 2)


class _Recorder:
    """A scorer that records what it is asked; cost = mean of the genome (lower = better)."""

    def __init__(self, num_classes):
        self.asked, self.num_classes = [], num_classes

    def __call__(self, genomes, generation):
        from evoshift_tf.search.scorer import GenerationResult
        self.asked.append((generation, genomes.copy()))
        p = len(genomes)
        credit = genomes.reshape(p, self.num_classes, -1).mean(-1)
        stats = population.PopulationStats(*(np.zeros(p),) * 5, credit)
        cost = genomes.mean(1)
        return GenerationResult(cost, cost, None, stats, None)


def test_injected_baselines_are_evaluated_in_the_first_generation(tiny_gray):
    info = tiny_gray.info
    cfg = _config(generations=2, population=5)
    seed_attack = attack.random_attack(info.num_classes, 1, info.image_shape, seed=9)
    rec = _Recorder(info.num_classes)
    search.run(tiny_gray, cfg, evaluator=rec, seed_attacks=(seed_attack,))
    generation, first = rec.asked[0]
    assert generation == 0
    decoded = attack.decode(first, info.num_classes, 1, info.image_shape)
    fit_pool, _ = data.holdout_split(tiny_gray.train, cfg.holdout_per_class, info.num_classes,
                                     seed=cfg.seed)
    assert decoded[0].equals(seed_attack)
    assert decoded[1].equals(baselines.get("ops", fit_pool, info.num_classes, 1))
    assert decoded[2].equals(baselines.get("jacobsen", fit_pool, info.num_classes, 1))


def test_start_sigma_searches_around_the_first_starting_attack(tiny_gray):
    info = tiny_gray.info
    start = attack.random_attack(info.num_classes, 1, info.image_shape, seed=9)
    centre = attack.encode(start)

    def sampled_distance(**kw):      # generation 0's own samples (after the 3 injected starts)
        rec = _Recorder(info.num_classes)
        search.run(tiny_gray, _config(generations=1, population=8, **kw), evaluator=rec,
                   seed_attacks=(start,))
        return np.abs(rec.asked[0][1][3:] - centre).mean()

    assert sampled_distance(start_sigma=0.02) < 0.03            # near the start
    assert sampled_distance(start_sigma=0) > 0.2                 # a uniform draw, sigma0 0.3
    assert search.SearchConfig().start_sigma == 0.0               # off by default (measured)
    with pytest.raises(ValueError, match="start_sigma"):
        _config(start_sigma=1.5)


def test_more_seed_attacks_than_the_population_holds_is_refused(tiny_gray):
    info = tiny_gray.info
    cfg = _config(population=4)                                   # room for 2 beside OPS, Jacobsen
    seeds = tuple(attack.random_attack(info.num_classes, 1, info.image_shape, seed=s)
                  for s in range(3))
    with pytest.raises(ValueError, match="room for 2"):
        search.run(tiny_gray, cfg, evaluator=_Recorder(info.num_classes), seed_attacks=seeds)
    assert search.seed_attack_room(cfg) == 2
    assert search.seed_attack_room(_config(population=4, inject_baselines=False)) == 4


def test_recombine_takes_each_class_block_from_its_best_candidate():
    genomes = np.arange(2 * 3 * 2, dtype=float).reshape(2, 6)     # P=2, C=3, block of 2
    credit = np.array([[0.1, 0.9, 0.2], [0.5, 0.3, np.nan]])
    np.testing.assert_array_equal(search.recombine(genomes, credit), [0, 1, 8, 9, 4, 5])


def test_recombined_child_is_asked_in_the_next_generation(tiny_gray):
    info = tiny_gray.info
    rec = _Recorder(info.num_classes)
    search.run(tiny_gray, _config(generations=2, inject_baselines=False, reevaluate=False),
               evaluator=rec)
    (_, g0), (_, g1) = rec.asked
    credit = g0.reshape(len(g0), info.num_classes, -1).mean(-1)
    child = search.recombine(g0, credit)
    assert min(np.abs(g - child).max() for g in g1) < 1e-9


def test_the_light_budget_trains_about_a_third_of_the_default():
    light, full = search.SearchConfig.light(), search.SearchConfig()
    assert (light.generations, light.finalists, light.selection_per_class) == (8, 8, 1000)
    assert light.per_class == full.per_class and light.population == full.population
    ratio = search.generation_equivalents(light) / search.generation_equivalents(full)
    assert 0.25 < ratio < 0.4
    assert search.SearchConfig.light(generations=5).generations == 5


def test_the_search_never_sees_the_test_set(tiny_gray):
    cfg = _config(generations=2)
    other_test = data.Split(np.zeros_like(tiny_gray.test.x), tiny_gray.test.y[::-1].copy())
    a = search.run(tiny_gray, cfg).best_attack
    b = search.run(data.Dataset(tiny_gray.info, tiny_gray.train, other_test), cfg).best_attack
    assert a.equals(b)


def test_domain_cost_is_capped_at_chance():
    np.testing.assert_allclose(fitness.domain_cost(np.array([0.0, 0.5, 0.8])), [-2.0, 0.0, 0.0])


def test_ask_tell_strategy_driven_by_hand_equals_run(tiny_gray):
    cfg = _config(generations=3, reevaluate=False)
    rec = _Recorder(tiny_gray.info.num_classes)
    straight = search.run(tiny_gray, cfg, evaluator=rec)
    fit_pool, _ = data.holdout_split(tiny_gray.train, cfg.holdout_per_class, 4, seed=cfg.seed)
    strategy = search.Strategy(cfg, tiny_gray.info,
                               search.starting_attacks(cfg, fit_pool, tiny_gray.info, ()))
    scorer = _Recorder(tiny_gray.info.num_classes)
    while not strategy.done:
        genomes = strategy.ask()
        strategy.tell(genomes, scorer(genomes, strategy.generation))
    assert [h["best_cost"] for h in strategy.history] == [h["best_cost"]
                                                          for h in straight.history]
    for (_, a), (_, b) in zip(rec.asked, scorer.asked):
        np.testing.assert_array_equal(a, b)


class _Penalised(_Recorder):
    """First look at ``target`` costs 10 (a bad draw); later looks cost -10 (it is the best)."""

    def __init__(self, num_classes, target):
        super().__init__(num_classes)
        self.target, self.seen = target, False

    def __call__(self, genomes, generation):
        result = super().__call__(genomes, generation)
        hit = np.all(np.abs(genomes - self.target) < 1e-9, axis=1)
        result.costs[hit] = -10.0 if self.seen else 10.0
        self.seen = self.seen or bool(hit.any())
        return result


def test_a_starting_attack_is_a_finalist_even_after_an_unlucky_first_score(tiny_gray):
    info = tiny_gray.info
    start = attack.random_attack(info.num_classes, 1, info.image_shape, seed=4)
    rec = _Penalised(info.num_classes, attack.encode(start))
    result = search.run(tiny_gray, _config(generations=3, population=4), evaluator=rec,
                        seed_attacks=(start,))
    assert result.best_attack.equals(start)                      # re-scored, then chosen
    chosen = [row for row in result.selection if row["is_start"]]
    assert len(chosen) == 1 and chosen[0]["first_cost"] is None  # it had left the archive
    assert len(result.selection) <= 4                            # within one population


def test_a_start_is_traded_only_for_a_finalist_better_beyond_the_noise():
    from evoshift_tf.search.strategy import keep_start_unless_beaten
    costs = np.array([[-3.0, -3.2], [-3.0, -3.0], [-1.0, -1.2]])   # finalists x repeats
    is_start = [False, True, False]
    # averages -3.1, -3.0, -1.1; residuals once finalist and repeat means are removed:
    # +-1/30 (rows 0, 2) and +-1/15 (row 1), sum of squares 0.01333 over (3-1)(2-1) = 2
    # -> s^2 = 0.006667, standard error of the gap sqrt(2 s^2 / 2) = 0.0816 < gap 0.1
    assert keep_start_unless_beaten(costs, is_start, margin=1.0) == 0
    assert keep_start_unless_beaten(costs, is_start, margin=1.5) == 1
    assert keep_start_unless_beaten(costs, [False] * 3, margin=1.0) == 0
    assert keep_start_unless_beaten(costs, [True, False, False], margin=9.0) == 0


def test_a_repeat_that_moves_every_finalist_together_is_not_noise():
    from evoshift_tf.search.strategy import keep_start_unless_beaten
    shift = np.array([0.0, -2.0, 1.0])                            # each repeat's own weights
    costs = np.array([-3.1, -3.0, -1.1])[:, None] + shift[None]
    # no residual noise: the 0.1 gap is real however large the repeats' spread
    assert keep_start_unless_beaten(costs, [False, True, False], margin=5.0) == 0


class _Drifting(_Recorder):
    """Each generation's weights shift every cost by ``generation`` (as real weights do)."""

    def __call__(self, genomes, generation):
        result = super().__call__(genomes, generation)
        return dataclasses.replace(result, costs=result.costs + generation)


def test_final_selection_compares_re_scored_costs_only(tiny_gray):
    """A candidate's first cost (its own generation's weights) does not enter its average."""
    result = search.run(tiny_gray, _config(generations=2, population=4),
                        evaluator=_Drifting(tiny_gray.info.num_classes))
    first_scored = [row for row in result.selection if row["first_cost"] is not None]
    assert first_scored
    for row in result.selection:
        assert row["average"] == pytest.approx(np.mean(row["reevaluated_costs"]))
    for row in first_scored:       # re-scored in generations 2 and 3, first scored in 0 or 1
        assert row["average"] != pytest.approx(np.mean([row["first_cost"]]
                                                       + row["reevaluated_costs"]))
    chosen = [row for row in result.selection if row["chosen"]]
    assert result.best_cost == pytest.approx(min(r["average"] for r in result.selection))
    assert len(chosen) == 1 and chosen[0]["average"] == pytest.approx(result.best_cost)


def test_the_result_gives_the_finalists_genomes_row_by_row(tiny_gray):
    """``finalists[i]`` is the genome of selection row ``i``: the chosen row decodes to the
    returned attack, and the CMA-ES mean is the last row."""
    info = tiny_gray.info
    result = search.run(tiny_gray, _config(generations=2, population=4),
                        evaluator=_Drifting(info.num_classes))
    assert result.finalists.shape == (len(result.selection),
                                      attack.encode(result.best_attack).size)
    (j,) = [i for i, row in enumerate(result.selection) if row["chosen"]]
    chosen = attack.decode(result.finalists[j], info.num_classes, 1, info.image_shape)
    assert chosen.equals(result.best_attack)
    assert result.selection[-1]["is_cma_mean"]


def test_finalists_are_re_scored_on_selection_per_class_images_with_the_selection_term(
        tiny_gray, monkeypatch):
    from evoshift_tf.search import scorer
    calls = []
    real = scorer.PopulationEvaluator.__call__

    def recording(self, genomes, generation):
        calls.append((generation, int(self._fit[1].shape[0]), self.config.term,
                      self.discriminator is not None))
        return real(self, genomes, generation)

    monkeypatch.setattr(scorer.PopulationEvaluator, "__call__", recording)
    # 64 images per class, 16 held out: a pool of 48 per class; the search fits on 20
    search.run(tiny_gray, _config(per_class=20, selection_per_class=40, generations=2))
    assert calls == [(0, 80, "mismatch", True), (1, 80, "mismatch", True),   # the search
                     (2, 160, "score", False), (3, 160, "score", False)]    # its finalists
    calls.clear()
    search.run(tiny_gray, _config(per_class=20, generations=1, selection_term="accuracy"))
    assert calls[1:] == [(1, 80, "accuracy", False), (2, 80, "accuracy", False)]


def test_selection_defaults_and_bad_values():
    cfg = search.SearchConfig()
    assert (cfg.selection_per_class, cfg.selection_term, cfg.selection_repeats) == (2000, "score", 2)
    assert cfg.per_class == 1000                                  # README, "Search budget"
    with pytest.raises(ValueError, match="selection_per_class"):
        _config(selection_per_class=-1)
    with pytest.raises(ValueError, match="selection_term"):
        _config(selection_term="loss")


def test_more_finalists_than_a_population_are_scored_a_population_at_a_time(tiny_gray):
    rec = _Recorder(tiny_gray.info.num_classes)
    cfg = _config(generations=3, population=4, finalists=7, selection_repeats=2)
    result = search.run(tiny_gray, cfg, evaluator=rec)
    final = [(g, genomes) for g, genomes in rec.asked if g >= cfg.generations]
    assert [g for g, _ in final] == [3, 3, 4, 4]              # two batches per repeat
    assert all(len(genomes) == 4 for _, genomes in final)
    assert len(result.selection) == 7                         # 6 best seen + the CMA-ES mean
    averages = [row["average"] for row in result.selection]
    assert result.best_cost == pytest.approx(min(averages))
    with pytest.raises(ValueError, match="finalists"):
        _config(finalists=1)
