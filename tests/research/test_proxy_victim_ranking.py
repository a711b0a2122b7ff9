"""The proxy-victim experiment: its attacks named as the strength benchmark names them, proxies
that train on the attacker's subset and are measured outside it, and seed picks read right."""

import json

import numpy as np

from evoshift_tf import data
from research import proxy_victim_ranking as pvr


def test_attack_file_names_give_the_strength_benchmarks_keys():
    assert pvr.attack_key("evoshift_np5_seed3.json") == ("evoshift", 5, 3)
    assert pvr.attack_key("ops_np1.json") == ("ops", 1, None)
    assert pvr.attack_key("random_np1_seed2.json") == ("random", 1, 2)


def test_proxies_train_inside_the_searched_subset_and_are_measured_outside_it():
    ds = data.make_synthetic(num_classes=4, per_class=64, test_per_class=4)
    train, heldout = pvr.proxy_splits(ds, train_images=80, proxy_images=40, heldout_images=40)
    subset = {im.tobytes() for im in data.balanced_subset(ds.train, 20, 4).x}
    assert len(train) == 40 and len(heldout) == 40
    assert np.bincount(train.y, minlength=4).tolist() == [10] * 4
    assert all(im.tobytes() in subset for im in train.x)
    assert not any(im.tobytes() in subset for im in heldout.x)


def test_each_rule_picks_the_seed_it_ranks_first_and_reads_that_seeds_full_victim():
    proxy = {("evoshift", 1, s): v for s, v in enumerate([0.38, 0.34, 0.37, 0.36])}
    full = {("evoshift", 1, s): v for s, v in enumerate([0.29, 0.14, 0.22, 0.21])}
    cost = {("evoshift", 1, s): v for s, v in enumerate([-5.8, -2.9, -4.4, -3.5])}
    (pick,) = pvr.picks(proxy, full, cost)
    assert (pick["proxy_pick"], pick["proxy_pick_full"]) == (1, 0.14)
    assert (pick["cost_pick"], pick["cost_pick_full"]) == (0, 0.29)
    assert pick["spearman_within"] == 1.0 and pick["best_full"] == 0.14
    assert abs(pick["mean_full"] - 0.215) < 1e-9


def test_full_victims_are_averaged_per_attack_for_final_and_peak(tmp_path):
    rows = [{"attack": "ops", "num_pixels": 1, "search_seed": None, "clean_test_accuracy": a,
             "peak_test_accuracy": p} for a, p in ((0.2, 0.4), (0.3, 0.5))]
    rows.append({"attack": "clean", "num_pixels": 1, "search_seed": None,
                 "clean_test_accuracy": 0.6, "peak_test_accuracy": 0.6})
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"rows": rows, "victim": {"train_images": 10000}}))
    refs = pvr.full_victims([str(path)])
    assert sorted(refs) == ["10000 final", "10000 peak"]
    assert abs(refs["10000 final"][("ops", 1, None)] - 0.25) < 1e-9
    assert abs(refs["10000 peak"][("ops", 1, None)] - 0.45) < 1e-9
    assert ("clean", 1, None) not in refs["10000 final"]
