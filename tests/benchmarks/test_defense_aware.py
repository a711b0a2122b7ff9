"""The defender's table on a tiny dataset: a row per attack and column per defense and seed,
held-out columns marked, the best defense read off the means, and a rerun that reuses what it
has. In its own process: the script's flags would clash with pipelines.run's in this one."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(npz_dataset, tmp_path):
    args = [sys.executable, "-m", "benchmarks.defense_aware", f"--dataset={npz_dataset}",
            "--rows=clean,ops,evoshift_median3", "--columns=none,median3,detect_repair",
            "--victim_seeds=0,1", "--train_images=128", "--epochs=2", "--preset=smoke",
            "--patch_size=2", f"--out={tmp_path / 'da.json'}",
            f"--attack_dir={tmp_path / 'attacks'}", f"--work_dir={tmp_path / 'work'}"]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done, json.load(open(tmp_path / "da.json"))


@pytest.mark.slow
def test_the_table_has_every_cell_marks_held_out_columns_and_resumes(npz_dataset, tmp_path):
    done, result = _run(npz_dataset, tmp_path)
    rows = result["rows"]
    assert len(rows) == 3 * 3 * 2
    cell = {(r["attack"], r["defense"], r["victim_seed"]): r for r in rows}
    assert not cell[("evoshift_median3", "median3", 0)]["held_out"]
    assert cell[("evoshift_median3", "none", 1)]["held_out"]
    assert cell[("evoshift_median3", "none", 0)]["num_pixels"] == 4          # one 2x2 patch
    assert cell[("evoshift_median3", "none", 0)]["patch_size"] == 2
    for r in rows:
        assert 0.0 <= r["clean_test_accuracy"] <= r["peak_test_accuracy"] <= 1.0
    best = result["best_defense"]["ops"]
    means = {s["defense"]: s["clean_test_accuracy_mean"] for s in result["summary"]
             if s["attack"] == "ops" and s["defense"] != "detect_repair"}
    assert best["clean_test_accuracy"] == max(means.values())
    assert result["attacks"]["evoshift_median3"]["changed_pixels"] == pytest.approx(4, abs=0.5)
    assert os.path.exists(tmp_path / "da.png")
    assert os.listdir(tmp_path / "attacks") == ["evoshift_median3_seed0.json"]
    assert "| evoshift_median3 |" in done.stdout and "*" in done.stdout
    again, second = _run(npz_dataset, tmp_path)                  # nothing left to train
    assert second["rows"] == rows
    assert "victims in" not in again.stderr


def test_keras_victims_train_one_per_cell_through_each_defense(tmp_path):
    """``--victim=resnet20 --victim_preprocessing=cropflip`` (the CIFAR-10 victim): a row per
    cell, from a Keras victim, written as soon as it is measured (minutes each on CIFAR-10),
    the victim named in the recipe so a rerun with another victim is refused (its cells would
    be mixed with, or dropped for, the new ones)."""
    from evoshift_tf import data
    path = str(tmp_path / "tiny_color.npz")
    data.save_npz(path, data.make_synthetic(num_classes=3, per_class=32, image_shape=(10, 10, 3),
                                            seed=1))
    args = [sys.executable, "-m", "benchmarks.defense_aware", f"--dataset={path}",
            "--rows=clean,ops", "--columns=jpeg10,cutmix", "--victim_seeds=0",
            "--train_images=96", "--epochs=1", "--victim=resnet20",
            "--victim_preprocessing=cropflip", "--victim_batch_size=32",
            f"--out={tmp_path / 'da.json'}", f"--attack_dir={tmp_path / 'attacks'}"]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.load(open(tmp_path / "da.json"))
    assert {(r["attack"], r["defense"]) for r in result["rows"]} == {
        ("clean", "jpeg10"), ("ops", "jpeg10"), ("clean", "cutmix"), ("ops", "cutmix")}
    assert result["victim_recipe"]["victim"] == "resnet20"
    assert result["victim_recipe"]["victim_preprocessing"] == ["cropflip"]
    assert done.stderr.count("epoch 1/1") == 4                    # one Keras victim per cell
    assert done.stderr.count(": 1 victims in") == 4               # each cell saved at once
    other = [a for a in args if not a.startswith("--victim_preprocessing")]
    refused = subprocess.run(other, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert refused.returncode != 0                        # the cells are kept, not overwritten
    assert "holds victims trained another way" in refused.stderr
    assert "victim_preprocessing" in refused.stderr and "epoch 1/1" not in refused.stderr
    assert json.load(open(tmp_path / "da.json")) == result


def test_a_started_search_names_its_starts_and_a_cached_attack_serves_only_its_own_search(
        npz_dataset, tmp_path):
    """``--start_attacks``: the search starts from another search's attack (kept as a
    finalist); the attack and the results file name the start. The attack folder is not
    reused by a search from other starts or with another config (it would be judged as if it
    were that search's attack)."""
    def defense_aware(*extra):
        args = [sys.executable, "-m", "benchmarks.defense_aware", f"--dataset={npz_dataset}",
                "--rows=evoshift_median3", "--columns=none", "--victim_seeds=0",
                "--train_images=64", "--epochs=1", "--preset=smoke", "--patch_size=2",
                f"--work_dir={tmp_path / 'work'}", *extra]
        return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)

    first = defense_aware(f"--out={tmp_path / 'a.json'}", f"--attack_dir={tmp_path / 'a'}")
    assert first.returncode == 0, first.stderr[-3000:]
    other_config = defense_aware(f"--out={tmp_path / 'e.json'}", f"--attack_dir={tmp_path / 'a'}",
                                 "--patch_size=3")
    assert other_config.returncode != 0
    assert "was searched with another config" in other_config.stderr
    assert "'patch_size': (2, 3)" in other_config.stderr
    assert not os.path.exists(tmp_path / "e.json")
    start = tmp_path / "a" / "evoshift_median3_seed0.json"
    started = defense_aware(f"--out={tmp_path / 'b.json'}", f"--attack_dir={tmp_path / 'b'}",
                            f"--start_attacks={start}")
    assert started.returncode == 0, started.stderr[-3000:]
    start_id = json.load(open(tmp_path / "a.json"))["attacks"]["evoshift_median3"]["attack_id"]
    found = json.load(open(tmp_path / "b" / "evoshift_median3_seed0.json"))
    assert found["provenance"]["started_from"] == [start_id]
    result = json.load(open(tmp_path / "b.json"))
    assert result["victim_recipe"]["start_attacks"] == [start_id]
    assert f"from ['{start_id}']" in started.stderr
    refused = defense_aware(f"--out={tmp_path / 'c.json'}", f"--attack_dir={tmp_path / 'b'}")
    assert refused.returncode != 0
    assert "was searched from other --start_attacks" in refused.stderr
    assert not os.path.exists(tmp_path / "c.json")
    other_seed = defense_aware(f"--out={tmp_path / 'd.json'}", f"--attack_dir={tmp_path / 'b'}",
                               f"--start_attacks={start}", "--search_seed=1")
    assert other_seed.returncode == 0, other_seed.stderr[-3000:]    # its own checkpoint folder
    assert sorted(os.listdir(tmp_path / "b")) == ["evoshift_median3_seed0.json",
                                                  "evoshift_median3_seed1.json"]


def test_an_unknown_victim_preprocessing_fails_before_any_work(tmp_path):
    args = [sys.executable, "-m", "benchmarks.defense_aware", "--dataset=/nonexistent",
            "--columns=jpeg10", "--victim=resnet20", "--victim_preprocessing=cropflop"]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "cropflop" in done.stderr
    assert "nonexistent" not in done.stderr
    assert "oneDNN" not in done.stderr                  # TensorFlow's start-up lines hidden


def test_the_heat_map_keeps_columns_outside_the_default_list():
    """``gray`` (a CIFAR-10 column) is drawn, after the default columns, the detector last."""
    from benchmarks import defense_aware
    rows = [{"defense": d} for d in ("gray", "detect_repair", "jpeg10", "none", "gray")]
    assert defense_aware._columns_of(rows) == ["none", "jpeg10", "gray", "detect_repair"]
