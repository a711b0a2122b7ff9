"""The strength benchmark on a tiny dataset: a row per attack and victim, the attacks kept, a
rerun that reuses them, and a cached attack refused when the search asked for differs. In its
own process: the script defines its flags at import."""

import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SMOKE = ('{"population": 4, "generations": 2, "per_class": 16, "holdout_per_class": 8, '
         '"discriminator_images": 32, "discriminator_epochs": 1, "batch_size": 16}')


def _run(npz, out_dir, search_overrides=SMOKE, extra=()):
    args = [sys.executable, "-m", "benchmarks.attack_strength", f"--dataset={npz}",
            "--num_pixels=1", "--search_seeds=0", "--victim_seeds=0", "--victim_epochs=1",
            "--victim_batch_size=32", "--attacks=evoshift,random,clean", f"--out_dir={out_dir}",
            f"--search_overrides={search_overrides}", *extra]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_rows_attacks_and_plot_then_a_rerun_reuses_them(npz_dataset, tmp_path):
    out = str(tmp_path / "out")
    done = _run(npz_dataset, out)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.load(open(os.path.join(out, "attack_strength_tiny.json")))
    rows = {r["attack"]: r for r in result["rows"]}
    assert set(rows) == {"evoshift", "random", "clean"}
    for r in rows.values():
        assert 0.0 <= r["clean_test_accuracy"] <= 1.0 and r["victim_epochs"] == 1
    assert rows["evoshift"]["search_seconds"] > 0 and rows["random"]["search_seconds"] is None
    assert result["victim"]["model"] == "graynet"
    assert sorted(os.listdir(os.path.join(out, "attacks_tiny"))) == [
        "evoshift_np1_seed0.json", "random_np1_seed0.json"]
    assert os.path.getsize(os.path.join(out, "attack_strength_tiny.png")) > 1000
    assert "| evoshift | 0." in done.stdout
    again = _run(npz_dataset, out)                    # every row cached: no search, no victim
    assert again.returncode == 0, again.stderr[-3000:]
    assert "generation 1/" not in again.stderr and "training 3 victims" not in again.stderr
    assert json.load(open(os.path.join(out, "attack_strength_tiny.json")))["rows"] == \
        result["rows"]
    os.remove(os.path.join(out, "attack_strength_tiny.png"))   # redrawn from the JSON alone
    replot = subprocess.run([sys.executable, "-m", "benchmarks.attack_strength",
                             f"--dataset={tmp_path / 'gone' / 'tiny.npz'}", "--report_only",
                             f"--out_dir={out}"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert replot.returncode == 0, replot.stderr[-3000:]
    assert os.path.getsize(os.path.join(out, "attack_strength_tiny.png")) > 1000
    assert "| evoshift | 0." in replot.stdout
    assert "(graynet victims, 1 epochs on all poisoned training images, tiny)" in replot.stdout
    more = _run(npz_dataset, out, extra=["--victim_seeds=1", "--attacks=clean"])
    assert more.returncode == 0, more.stderr[-3000:]
    cached = _run(npz_dataset, out)        # asks for seed 0 only: the file still holds both
    assert cached.returncode == 0, cached.stderr[-3000:]
    victim = json.load(open(os.path.join(out, "attack_strength_tiny.json")))["victim"]
    assert victim["seeds"] == [0, 1] and victim["epochs"] == 1
    changed = _run(npz_dataset, out, SMOKE.replace('"generations": 2', '"generations": 3'))
    assert changed.returncode != 0
    assert "was searched with another config" in changed.stderr
    fewer = _run(npz_dataset, out, extra=["--train_images=40"])   # rows of another budget
    assert fewer.returncode != 0
    assert "holds victims trained another way" in fewer.stderr
    assert "'train_images': ('all', 40)" in fewer.stderr


def test_keras_victims_are_saved_one_by_one(npz_dataset, tmp_path):
    """Keras victims (minutes each on CIFAR-10) train one at a time and each row is written as
    soon as its victim ends: the file is first seen with one row, not all three."""
    out = tmp_path / "out"
    path = out / "attack_strength_tiny.json"
    args = [sys.executable, "-m", "benchmarks.attack_strength", f"--dataset={npz_dataset}",
            "--num_pixels=1", "--search_seeds=0", "--victim_seeds=0", "--victim_epochs=2",
            "--victim_batch_size=32", "--victim_preprocessing=cropflip",
            "--attacks=random,jacobsen,clean", f"--out_dir={out}"]
    run = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    first_seen = None
    while run.poll() is None and first_seen is None:
        if path.exists():
            first_seen = len(json.loads(path.read_text())["rows"])
        time.sleep(0.05)
    stdout, stderr = run.communicate(timeout=600)
    assert run.returncode == 0, stderr[-3000:]
    assert first_seen == 1
    assert [r["attack"] for r in json.loads(path.read_text())["rows"]] == [
        "random", "jacobsen", "clean"]
    assert stderr.count("training 1 victim for") == 3
