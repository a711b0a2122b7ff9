import dataclasses
import json
import os

import pytest

from evoshift_tf import attack, data
from evoshift_tf.studies import reproduce, runner


@pytest.fixture(scope="module")
def tiny():
    """4 classes of 12x12x1 blobs: every study's victims (GrayNet, VIB, ResNet-20, VAE-GAN) fit."""
    return data.make_synthetic(num_classes=4, per_class=64, image_shape=(12, 12, 1), seed=0)


@pytest.fixture(scope="module")
def attack_dir(tiny, tmp_path_factory):
    """Committed-style attack files for the tiny dataset (no search needed): a strong
    class-wise pattern at every N_p the studies use."""
    folder = str(tmp_path_factory.mktemp("attacks"))
    info = tiny.info
    for n in (1, 2, 5, 10):
        a = attack.random_attack(info.num_classes, n, info.image_shape, seed=n)
        a = dataclasses.replace(a, provenance={"method": "evoshift", "dataset": info.name,
                                               "seed": 0})
        attack.save(a, os.path.join(folder, f"evoshift_np{n}_seed0.json"))
    return folder


@pytest.fixture(scope="module")
def quick_run(tiny, attack_dir, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("reproduction"))
    report = reproduce.run(tiny, reproduce.SCALES["quick"], out, attack_dir)
    return out, report


def test_quick_scale_writes_a_verdict_for_every_paper_number(quick_run):
    out, report = quick_run
    with open(os.path.join(out, "REPRODUCTION.md")) as f:
        text = f.read()
    assert text.startswith("# Reproduction")
    head = text.split("\n\n")[1:5]
    assert head[0].startswith("Scale: **quick**")
    assert head[1].startswith("Machine: ") and "CPU cores" in head[1]
    assert head[2].startswith("Time: the 11 studies took") and "s CPU" in head[2]
    assert head[3].startswith("Attacks used") and "evoshift_np10_seed0.json" in head[3]
    for number in reproduce.NUMBERS:
        line = next((ln for ln in text.splitlines() if ln.startswith(f"| {number.id} |")), None)
        assert line is not None, number.id
        assert any(f"**{v}**" in line for v in reproduce.VERDICTS), line
    verdicts = {n["id"]: n["verdict"] for n in report["numbers"]}
    assert set(verdicts) == {n.id for n in reproduce.NUMBERS}
    # quick trains ResNet-20 only, at N_p = 1: the other victims' and N_p = 5 rows say so
    measured = [i for i, v in verdicts.items() if v != "not measured"]
    assert all(not i.startswith(("tables1_2.resnet32", "tables1_2.densenet40"))
               for i in measured)
    assert verdicts["tables1_2.resnet32.np1"] == "not measured"
    assert len(measured) >= len(reproduce.NUMBERS) - 7
    for fig in ("table4.png", "fig5d.png", "fig9.png", "fig12.png", "fig13.png"):
        assert os.path.getsize(os.path.join(out, "figures", fig)) > 1000
        assert f"(figures/{fig})" in text


def test_second_run_reuses_the_cache(quick_run, tiny, attack_dir):
    out, first = quick_run
    stamps = {s: os.path.getmtime(os.path.join(out, "studies", f"{s}.json"))
              for s in reproduce.STUDY_IDS}
    again = reproduce.run(tiny, reproduce.SCALES["quick"], out, attack_dir)
    assert sorted(again["reused"]) == sorted(reproduce.STUDY_IDS)
    assert again["wall_seconds"] < 30
    assert [n["verdict"] for n in again["numbers"]] == [n["verdict"] for n in first["numbers"]]
    for s, t in stamps.items():
        assert os.path.getmtime(os.path.join(out, "studies", f"{s}.json")) == t
    # --only runs nothing else and keeps the other cached studies in the report
    part = reproduce.run(tiny, reproduce.SCALES["quick"], out, attack_dir, only=["fig7"])
    assert sorted(part["reused"]) == sorted(reproduce.STUDY_IDS)


def test_a_changed_scale_is_not_served_from_the_cache(quick_run, tiny):
    out, _ = quick_run
    scale = reproduce.SCALES["quick"]
    other = dataclasses.replace(scale, noise_severities=(0, 3))
    where = {n: {"sha256": "x"} for n in (1, 2, 5, 10)}
    assert (reproduce.cache_key("fig11", scale, tiny, where)
            != reproduce.cache_key("fig11", other, tiny, where))
    assert (reproduce.cache_key("fig7", scale, tiny, where)
            == reproduce.cache_key("fig7", other, tiny, where))


def test_export_rewrites_figure_links(quick_run, tmp_path):
    out, _ = quick_run
    md = str(tmp_path / "docs" / "reproduction.md")
    os.makedirs(os.path.dirname(md))
    folder = reproduce.export(out, md)
    text = open(md).read()
    assert "(reproduction/fig9.png)" in text and "(figures/" not in text
    assert os.path.exists(os.path.join(folder, "fig9.png"))
    with open(os.path.join(folder, "reproduction.json")) as f:
        assert len(json.load(f)["numbers"]) == len(reproduce.NUMBERS)


def test_scales_are_valid_and_the_paper_scale_is_the_papers_budget():
    paper = reproduce.SCALES["paper"]
    assert paper.budget.epochs == 30 and paper.budget.train_images == 0
    assert paper.budget.test_images == 0 and paper.budget.repeats >= 3
    assert paper.budget_for("fig7").repeats == 5 and paper.budget_for("fig8").repeats == 5
    assert paper.transfer_victims == ("resnet20", "resnet32", "densenet40")
    assert paper.transfer_budget.epochs == 30 and paper.partial_points is None
    assert reproduce.below_paper(paper, "table4") == ""
    standard = reproduce.SCALES["standard"]
    assert "3 epochs on 10k images vs 30 on 60k" in reproduce.below_paper(standard, "fig7")
    with pytest.raises(ValueError, match="unknown studies"):
        dataclasses.replace(paper, repeats=(("fig99", 2),))
    with pytest.raises(ValueError, match="loss_alphas"):
        dataclasses.replace(paper, loss_alphas=10)


def test_judge_verdicts():
    scale = reproduce.SCALES["standard"]
    number = next(n for n in reproduce.NUMBERS if n.id == "table4.ce.evoshift.np1.alpha_S")

    def result(evo, rnd):
        row = lambda label, v: {"label": label, "n": 2, "alpha_S_mean": v,  # noqa: E731
                                "alpha_S_std": 0.01}
        return {"summary": [row("CE EvoShift N_p=1", evo), row("CE Random N_p=1", rnd)]}

    assert reproduce.judge(number, result(0.18, 0.30), scale)["verdict"] == "matches"
    v = reproduce.judge(number, result(0.35, 0.70), scale)
    assert v["verdict"] == "trend holds" and "+0.19" in v["reason"]
    v = reproduce.judge(number, result(0.50, 0.40), scale)
    assert v["verdict"] == "differs" and "budget: 3 epochs on 10k images" in v["reason"]
    assert "the claim fails" in v["reason"]
    v = reproduce.judge(number, {"summary": []}, scale)
    assert v["verdict"] == "not measured"
    assert reproduce.judge(number, None, scale)["verdict"] == "not measured"


def test_every_number_names_a_known_study_and_has_a_test():
    ids = [n.id for n in reproduce.NUMBERS]
    assert len(ids) == len(set(ids))
    for n in reproduce.NUMBERS:
        assert n.study in reproduce.STUDIES
        assert n.trend_test is not None or n.tolerance is not None, n.id
    # Table 4: every Fashion-MNIST value of the paper, alpha_S and alpha_N
    assert sum(i.startswith("table4.") for i in ids) == 28


def test_budget_description():
    assert reproduce.describe_budget(runner.Budget()) == "10k/2k images, 3 epochs, 3 seeds"
    assert reproduce.describe_budget(runner.Budget.paper(repeats=1)) == \
        "all/all images, 30 epochs, 1 seed"
