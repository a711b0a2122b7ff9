import dataclasses
import json
import os

import numpy as np
import pytest

from evoshift_tf import search


def _config(**kw):
    return search.SearchConfig.smoke(**{**dict(population=4, generations=4, per_class=40,
                                                holdout_per_class=16, epochs=6,
                                                discriminator_images=64), **kw})


def test_tiny_search_improves_its_fitness(tiny_gray):
    result = search.run(tiny_gray, _config(generations=6, inject_baselines=False))
    costs = [h["mean_cost"] for h in result.history]
    assert len(result.history) == 6
    assert np.mean(costs[-2:]) < costs[0], costs
    assert result.best_attack.provenance["best_single_cost"] == min(
        h["best_cost"] for h in result.history)
    assert len(result.selection) == 4  # 3 best seen + the CMA-ES mean, re-evaluated
    assert result.best_attack.positions.shape == (4, 1, 2)
    assert result.best_attack.provenance["method"] == "evoshift"


class _Killed(RuntimeError):
    pass


def test_resume_equals_uninterrupted(tiny_gray, tmp_path):
    cfg = _config(generations=3)
    straight = search.run(tiny_gray, cfg)

    def kill_after_two(row):
        if row["generation"] == 1:
            raise _Killed()

    ckpt = str(tmp_path / "ckpt")
    with pytest.raises(_Killed):
        search.run(tiny_gray, cfg, checkpoint_dir=ckpt, callbacks=(kill_after_two,))
    assert json.load(open(os.path.join(ckpt, "search_state.json")))["generation"] == 2
    ran = []
    resumed = search.run(tiny_gray, cfg, checkpoint_dir=ckpt,
                         callbacks=(lambda row: ran.append(row["generation"]),))
    assert ran == [2]                       # generations 0 and 1 came from the checkpoint
    assert resumed.best_attack.equals(straight.best_attack)
    np.testing.assert_allclose([h["best_cost"] for h in resumed.history],
                               [h["best_cost"] for h in straight.history], rtol=1e-6)


def test_corrupt_checkpoint_is_a_clear_error(tiny_gray, tmp_path):
    cfg = _config(generations=1)
    ckpt = str(tmp_path / "ckpt")
    search.run(tiny_gray, cfg, checkpoint_dir=ckpt)
    with open(os.path.join(ckpt, "search_state.pkl"), "r+b") as f:
        f.seek(10)
        f.write(b"garbage")
    with pytest.raises(search.CheckpointError, match="corrupt"):
        search.run(tiny_gray, cfg, checkpoint_dir=ckpt)


def test_checkpoint_from_another_config_is_refused(tiny_gray, tmp_path):
    ckpt = str(tmp_path / "ckpt")
    search.run(tiny_gray, _config(generations=1), checkpoint_dir=ckpt)
    with pytest.raises(search.CheckpointError, match="another search config"):
        search.run(tiny_gray, _config(generations=1, sigma0=0.1), checkpoint_dir=ckpt)


@pytest.mark.parametrize("bad", [dict(num_pixels=0), dict(population=1), dict(sigma0=0.0),
                                 dict(term="loss"), dict(generations=0)])
def test_bad_config_is_rejected_before_work(bad):
    with pytest.raises(ValueError):
        search.SearchConfig(**bad)


def test_seconds_left_counts_the_remaining_generations_and_the_final_selection():
    cfg = search.SearchConfig()            # 20 generations of 8; 16 finalists re-scored twice
    # 5 generations in 50 s: 15 more at 10 s, then 2 repeats x 2 batches x 2,000/1,000 images
    assert search.seconds_left(cfg, 5, 50.0) == pytest.approx(150 + 2 * 2 * 2 * 10)
    assert search.seconds_left(dataclasses.replace(cfg, reevaluate=False), 5, 50.0) == \
        pytest.approx(150)
    assert search.seconds_left(dataclasses.replace(cfg, selection_per_class=0), 20, 200.0) == \
        pytest.approx(2 * 2 * 1 * 10)
    # a small dataset: 64 images a class caps the selection's 2,000 (the fit set takes 16)
    small = dataclasses.replace(cfg, per_class=16)
    assert search.seconds_left(small, 20, 200.0, pool_per_class=64) == \
        pytest.approx(2 * 2 * (64 / 16) * 10)
