import json
import os

import pytest

from pipelines import evoshift_pipeline, local_runner

SMOKE_SEARCH = dict(population=4, generations=2, per_class=16, holdout_per_class=8,
                    discriminator_images=32, discriminator_epochs=1, batch_size=16)


def _pipeline(npz, **kw):
    return evoshift_pipeline.create_pipeline(
        dataset=npz, search_params={**SMOKE_SEARCH, **kw}, victim_seeds=1,
        train_params={"epochs": 1, "batch_size": 16},
        evaluate_params={"max_train_images": 64})


def test_pipeline_runs_end_to_end_and_reuses_steps(tmp_path, npz_dataset):
    root = str(tmp_path / "run")
    first = local_runner.run(_pipeline(npz_dataset), root)
    assert all(t["status"] == "ran" for t in first.values())
    summary = json.load(open(os.path.join(root, "report", "report", "summary.json")))
    assert [a["arm"] for a in summary["arms"]] == ["clean", "evoshift", "random"]
    for png in ("poisoned_samples.png", "search_curve.png", "arms.png"):
        assert os.path.getsize(os.path.join(root, "report", "report", png)) > 1000
    again = local_runner.run(_pipeline(npz_dataset), root, record={"preset": "smoke"})
    assert all(t["status"] == "reused" for t in again.values())
    assert json.load(open(os.path.join(root, local_runner.RUN_RECORD))) == {
        "pipeline": "evoshift", "preset": "smoke"}                 # what the last run was asked
    # A changed search parameter reruns the search and everything downstream of it only
    # (without the injected baselines, which the tiny search returns, the attack changes).
    attack_file = os.path.join(local_runner.output_dir(root, "search", "attack"), "attack.json")
    before = open(attack_file).read()
    changed = local_runner.run(_pipeline(npz_dataset, sigma0=0.2, inject_baselines=False), root)
    assert changed["search"]["status"] == "ran"
    assert json.loads(open(attack_file).read())["positions"] != json.loads(before)["positions"]
    assert changed["train_clean_s0"]["status"] == "reused"
    assert changed["train_random_s0"]["status"] == "reused"
    downstream = [n for n in changed if n.startswith(("poison_evoshift", "train_evoshift"))]
    assert downstream and all(changed[n]["status"] == "ran" for n in downstream)
    assert changed["report"]["status"] == "ran"


def test_bad_wiring_fails_before_any_work(tmp_path, npz_dataset):
    from pipelines.dag import Node, Pipeline, Ref
    from components import poison
    p = _pipeline(npz_dataset)
    bad = Pipeline("bad", p.nodes + (Node("x", poison.SPEC, {"dataset": Ref("search", "attack")},
                                          {}),))
    with pytest.raises(ValueError, match="wants Dataset"):
        local_runner.run(bad, str(tmp_path / "r"))
    assert not os.path.exists(tmp_path / "r" / "ingest")


def test_the_random_reference_places_the_searchs_patches():
    """``--patch_size=3``: the random arm changes as many pixels as the attack it is set
    beside (N_p squares of 3x3), not N_p single pixels."""
    pipeline = evoshift_pipeline.create_pipeline(search_params={"patch_size": 3}, num_pixels=2)
    assert pipeline.node("random").params["patch_size"] == 3
    assert evoshift_pipeline.create_pipeline().node("random").params["patch_size"] == 1
