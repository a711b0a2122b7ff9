import dataclasses
import json
import os

import numpy as np
import pytest

from evoshift_tf import attack, baselines, data, search
from evoshift_tf import summary as summary_lib
from evoshift_tf.studies import attacks as attacks_lib
from evoshift_tf.studies import (median, noise, optimizers, output, partial, regularizers,
                                 runner, table4)
from evoshift_tf.studies import architectures
from evoshift_tf.studies import baselines as baselines_study


@pytest.fixture
def budget():
    return runner.Budget.smoke(repeats=2)


@pytest.fixture
def shortcut_attack(tiny_gray):
    # a strong attack: one class-specific saturated pixel, easy to learn
    return baselines.jacobsen_attack(4, 1, tiny_gray.info.image_shape)


def test_run_settings_measures_and_aggregates_over_seeds(tiny_gray, shortcut_attack):
    budget = runner.Budget.smoke(repeats=2, epochs=3, batch_size=16)
    rows = runner.run_settings(tiny_gray, [runner.Setting("clean", None, shortcut_attack),
                                           runner.Setting("attacked", shortcut_attack)], budget)
    assert [r["seed"] for r in rows] == [0, 1, 0, 1]
    for r in rows:
        assert 0 <= r["clean_test_accuracy"] <= 1 and len(r["test_curve"]) == 3
        assert r["alpha_S"] == pytest.approx((r["clean_test_accuracy"] - 0.25) / 0.75)
        assert -1 / 3 <= r["alpha_N"] <= 1 and len(r["per_class_accuracy"]) == 4
    summary = summary_lib.by_label(rows)
    assert [s["label"] for s in summary] == ["clean", "attacked"]
    accs = [r["clean_test_accuracy"] for r in rows[2:]]
    assert summary[1]["clean_test_accuracy_mean"] == pytest.approx(np.mean(accs))
    assert summary[1]["clean_test_accuracy_std"] == pytest.approx(np.std(accs))
    # the shortcut pixel is learned: clean accuracy falls, the pixel alone decides more often
    assert summary[1]["clean_test_accuracy_mean"] < summary[0]["clean_test_accuracy_mean"] - 0.1
    assert summary[1]["alpha_N_mean"] > summary[0]["alpha_N_mean"]


def test_prepare_takes_class_balanced_subsets():
    from evoshift_tf import data
    ds = data.make_synthetic(num_classes=4, per_class=64, image_shape=(8, 8, 1), seed=0)
    sub = runner.prepare(ds, runner.Budget(train_images=40, test_images=8))
    assert len(sub.train) == 40 and np.bincount(sub.train.y).tolist() == [10] * 4
    assert len(sub.test) == 8


def test_study_writes_table_json_png(tiny_gray, budget, shortcut_attack, tmp_path):
    result = partial.run(tiny_gray, budget, shortcut_attack, ks=[0, 4])
    assert "| k=0 |" in result["table"] and "| k=4 |" in result["table"]
    json_path, png_path = output.save(result, str(tmp_path))
    with open(json_path) as f:
        saved = json.load(f)
    assert saved["study"] == "fig6_partial" and len(saved["rows"]) == 4
    assert os.path.getsize(png_path) > 1000


@pytest.mark.slow
def test_table4_rows_and_paper_column(tiny_gray, shortcut_attack):
    res = table4.run(tiny_gray, runner.Budget.smoke(), {1: shortcut_attack}, num_pixels=(1,),
                     betas=(0.01,))
    labels = [s["label"] for s in res["summary"]]
    assert labels == ["CE Clean", "CE Random N_p=1", "CE EvoShift N_p=1", "vibCE(beta=0.01) Clean",
                      "vibCE(beta=0.01) Random N_p=1", "vibCE(beta=0.01) EvoShift N_p=1"]
    assert all("alpha_N_mean" in s for s in res["summary"])   # clean rows probe the attack
    assert res["paper"]["CE EvoShift N_p=1"] == "0.16 / 0.89"


def test_attacks_come_from_files_then_cache(tiny_gray, shortcut_attack, tmp_path, monkeypatch):
    path = str(tmp_path / "a1.json")
    attack.save(shortcut_attack, path)
    got = attacks_lib.evoshift_attacks(tiny_gray, [1], [path])
    assert got[1].equals(shortcut_attack)
    cache = tmp_path / "cache"
    cache.mkdir()
    config = lambda n, seed: search.SearchConfig.smoke(num_pixels=n, seed=seed)  # noqa: E731
    attack.save(shortcut_attack, str(cache / attacks_lib.cache_key(tiny_gray.info, config(1, 0))))
    monkeypatch.setattr(attacks_lib.search, "run", lambda *a, **k: pytest.fail("searched"))
    got = attacks_lib.evoshift_attacks(tiny_gray, [1], (), cache_dir=str(cache), config_fn=config)
    assert got[1].equals(shortcut_attack)


def test_attack_cache_misses_for_another_dataset_of_the_same_shape(tiny_gray, shortcut_attack,
                                                                  tmp_path):
    config = search.SearchConfig.smoke(num_pixels=1, generations=1, population=2, per_class=8,
                                       holdout_per_class=4, discriminator_images=8)
    attack.save(shortcut_attack, str(tmp_path / attacks_lib.cache_key(tiny_gray.info, config)))
    other = data.Dataset(dataclasses.replace(tiny_gray.info, name="other_dataset"),
                         tiny_gray.train, tiny_gray.test)
    searched = []

    def config_fn(n, seed):
        searched.append(n)
        return config

    attacks_lib.evoshift_attacks(other, [1], (), cache_dir=str(tmp_path), config_fn=config_fn)
    assert searched == [1]
    assert attacks_lib.cache_key(other.info, config) != attacks_lib.cache_key(tiny_gray.info,
                                                                               config)
    assert (tmp_path / attacks_lib.cache_key(other.info, config)).exists()   # searched anew


def test_committed_attacks_are_used_only_for_their_dataset(tiny_gray, shortcut_attack, tmp_path):
    a = dataclasses.replace(shortcut_attack, provenance={"dataset": tiny_gray.info.name})
    attack.save(a, str(tmp_path / "evoshift_np1_seed0.json"))
    fail = lambda n, seed: pytest.fail("should not search")  # noqa: E731
    got = attacks_lib.evoshift_attacks(tiny_gray, [1], attack_dir=str(tmp_path), config_fn=fail)
    assert got[1].equals(a)
    other = data.Dataset(dataclasses.replace(tiny_gray.info, name="other_dataset"),
                         tiny_gray.train, tiny_gray.test)
    with pytest.raises(pytest.fail.Exception):
        attacks_lib.evoshift_attacks(other, [1], attack_dir=str(tmp_path), config_fn=fail)


@pytest.mark.slow
def test_every_study_runs_on_tiny_data(tiny_gray, shortcut_attack, tmp_path):
    b = runner.Budget.smoke()
    two = {1: shortcut_attack, 2: baselines.jacobsen_attack(4, 2, (12, 12, 1))}
    results = [regularizers.run(tiny_gray, b, shortcut_attack),
               optimizers.run(tiny_gray, b, shortcut_attack),
               median.run(tiny_gray, b, shortcut_attack),
               noise.run(tiny_gray, b, two, severities=(0, 5)),
               baselines_study.run(tiny_gray, b, two),
               architectures.run(tiny_gray, b, {1: shortcut_attack}, victims=("resnet20",))]
    for r in results:
        output.save(r, str(tmp_path))
        assert r["table"].count("\n") >= 2
    med = results[2]["summary"]
    assert med[0]["label"] == "clean none" and med[0]["normalized_accuracy_mean"] == 1.0


def test_optimizers_report_accuracy_relative_to_their_own_clean_run(tiny_gray, shortcut_attack):
    result = optimizers.run(tiny_gray, runner.Budget.smoke(), shortcut_attack)
    by_label = {s["label"]: s for s in result["summary"]}
    assert len(by_label) == 2 * len(optimizers.RECIPES)
    for label, _, _ in optimizers.RECIPES:
        want = (by_label[label]["clean_test_accuracy_mean"]
                / by_label[f"{label} clean"]["clean_test_accuracy_mean"])
        assert by_label[label]["accuracy_vs_clean_mean"] == pytest.approx(want)
        assert "alpha_N_mean" in by_label[f"{label} clean"]   # probed with the attack compared
    assert "accuracy_vs_clean" in result["table"]


def test_random_arms_draw_a_new_placement_per_repeat(tiny_gray, shortcut_attack):
    info = tiny_gray.info
    arms = {s.label: s for s in table4.settings(info, {1: shortcut_attack}, (1,), draws=3)}
    rnd = arms["CE Random N_p=1"]
    want = [baselines.get("random", tiny_gray.train, info.num_classes, 1, seed=d)
            for d in range(3)]
    assert [rnd.attack_for(r).equals(w) for r, w in enumerate(want)] == [True] * 3
    assert not want[0].equals(want[1])
    assert arms["CE EvoShift N_p=1"].attack_for(2) is shortcut_attack


def test_baselines_study_trains_each_random_draw_once(tiny_gray, shortcut_attack):
    res = baselines_study.run(tiny_gray, runner.Budget.smoke(repeats=2), {1: shortcut_attack})
    rows = [r for r in res["rows"] if r["label"] == "random N_p=1"]
    assert [r["seed"] for r in rows] == [0, 1]
    assert next(s for s in res["summary"] if s["label"] == "random N_p=1")["n"] == 2
