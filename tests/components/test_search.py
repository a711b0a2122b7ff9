"""search component: TensorBoard scalars per generation (best and mean cost and the other numeric
history fields) under ``<run_root>/tensorboard/<step>``, beside the step's artifacts."""

import glob
import os

import tensorflow as tf

from components import artifacts, base, baseline, ingest, search

SMOKE = dict(population=4, generations=2, per_class=20, holdout_per_class=10,
             discriminator_images=40, discriminator_epochs=1, batch_size=16, epochs=1,
             monitor_per_class=0)


def _scalars(logdir):
    """``{tag: {step: value}}`` from every event file in ``logdir``."""
    out = {}
    for path in glob.glob(os.path.join(logdir, "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for v in event.summary.value:
                out.setdefault(v.tag, {})[event.step] = float(tf.make_ndarray(v.tensor))
    return out


def _search(run, ds, work):
    base.run_executor(search.SPEC, {"dataset": ds},
                      {"attack": os.path.join(run, "search", "attack"),
                       "history": os.path.join(run, "search", "history")}, SMOKE, work_dir=work)


def test_search_writes_tensorboard_scalars_per_generation(tmp_path, npz_dataset):
    run = str(tmp_path / "run")
    ds = os.path.join(run, "ingest", "dataset")
    base.run_executor(ingest.SPEC, {}, {"dataset": ds}, {"dataset": npz_dataset})
    _search(run, ds, str(tmp_path / "work1"))
    logdir = os.path.join(run, "tensorboard", "search")
    assert artifacts.tensorboard_dir(os.path.join(run, "search", ".attack.tmp-x")) == logdir
    scalars = _scalars(logdir)
    history = artifacts.read_json(os.path.join(run, "search", "history", "history.json"))
    for field in ("best_cost", "mean_cost", "best_semantic", "best_so_far_cost", "sigma",
                  "best_heldout_clean_accuracy"):
        assert scalars[f"search/{field}"] == {
            row["generation"]: tf.constant(row[field], tf.float32).numpy() for row in history}
    assert "search/generation" not in scalars
    # nothing but the two artifacts and the TensorBoard folder in the run folder
    assert sorted(os.listdir(run)) == ["ingest", "search", "tensorboard"]
    # a fresh search (no checkpoint) replaces the curves instead of overlaying them
    _search(run, ds, str(tmp_path / "work2"))
    assert len(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))) == 1
    assert sorted(_scalars(logdir)["search/best_cost"]) == [0, 1]


def test_search_started_from_an_attack_artifact_keeps_it_unless_beaten(tmp_path, npz_dataset):
    """``evoshift search --start_attack=<attack folder>``: a known attack (here One-Pixel
    Shortcut's, N_p = 1, grown to the search's 2 pixels) is a finalist, and with a margin no
    found attack can beat it is what the search returns."""
    run = str(tmp_path / "run")
    ds = os.path.join(run, "ingest", "dataset")
    base.run_executor(ingest.SPEC, {}, {"dataset": ds}, {"dataset": npz_dataset})
    start = os.path.join(run, "ops", "attack")
    base.run_executor(baseline.SPEC, {"dataset": ds}, {"attack": start},
                      {"method": "ops", "num_pixels": 1})
    out = os.path.join(run, "search", "attack")
    base.run_executor(search.SPEC, {"dataset": ds, "start_attack": start},
                      {"attack": out, "history": os.path.join(run, "search", "history")},
                      {**SMOKE, "num_pixels": 2, "finalists": 4, "selection_per_class": 0,
                       "start_margin": 1e6}, work_dir=str(tmp_path / "work"))
    ops, found = artifacts.load_attack(start), artifacts.load_attack(out)
    rows = found.provenance["selection"]
    assert [r["is_start"] for r in rows].count(True) == 1
    assert next(r for r in rows if r["chosen"])["is_start"]
    assert found.num_pixels == 2
    assert (found.positions[:, 0] == ops.positions[:, 0]).all()
    assert artifacts.read_metadata(out)["inputs"]["start_attack"]
