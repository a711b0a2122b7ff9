"""The whole reproduction at the ``smoke`` preset on tiny generated data, the cache, the export,
and the attacks' printed hashes."""

import dataclasses
import json
import os
import subprocess

import pytest

from evoshift_tf import attack, data
from evoshift_tf.errors import UserError
from evoshift_tf.studies import reproduction
from evoshift_tf.studies.reproduction import budgets, cache, claims, paper_values


@pytest.fixture(scope="module")
def tiny():
    """4 classes of 12x12x1 blobs: every study's victims (GrayNet, VIB, ResNet-20, VAE-GAN) fit."""
    return data.make_synthetic(num_classes=4, per_class=64, image_shape=(12, 12, 1), seed=0)


@pytest.fixture(scope="module")
def attack_dir(tiny, tmp_path_factory):
    """Committed-style attack files for the tiny dataset (no search needed)."""
    folder = str(tmp_path_factory.mktemp("attacks"))
    info = tiny.info
    for n in (1, 2, 5, 10):
        a = attack.random_attack(info.num_classes, n, info.image_shape, seed=n)
        a = dataclasses.replace(a, provenance={"method": "evoshift", "dataset": info.name,
                                               "seed": 0})
        attack.save(a, os.path.join(folder, f"evoshift_np{n}_seed0.json"))
    return folder


def _run(tiny, out, attack_dir, **kw):
    return reproduction.run(tiny, "smoke", out, attack_dir, paper_dataset="fashion_mnist", **kw)


@pytest.fixture(scope="module")
def smoke_run(tiny, attack_dir, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("reproduction"))
    return out, _run(tiny, out, attack_dir)


def _sha256sum(path: str) -> str:
    return subprocess.run(["sha256sum", path], capture_output=True, text=True,
                          check=True).stdout.split()[0]


def test_smoke_preset_writes_a_verdict_for_every_paper_number(smoke_run):
    out, report = smoke_run
    with open(os.path.join(out, "REPRODUCTION.md")) as f:
        text = f.read()
    assert text.startswith("# Reproduction")
    head = text.split("\n\n")[1:5]
    assert head[0].startswith("Preset: **smoke**") and "paper's fashion_mnist numbers" in head[0]
    assert head[1].startswith("Machine: ") and "CPU cores" in head[1]
    assert head[2].startswith("Time: the 11 studies took") and "s CPU" in head[2]
    assert head[3].startswith("Attacks used") and "evoshift_np10_seed0.json" in head[3]
    numbers = claims.numbers(paper_values.for_dataset("fashion_mnist"))
    for number in numbers:
        line = next((ln for ln in text.splitlines() if ln.startswith(f"| {number.id} |")), None)
        assert line is not None, number.id
        assert any(f"**{v}**" in line for v in reproduction.VERDICTS), line
    verdicts = {n["id"]: n["verdict"] for n in report["numbers"]}
    assert set(verdicts) == {n.id for n in numbers} | {"fig5b.gradcam", "fig5b.hirescam"}
    # one seed everywhere at smoke: nothing can match or differ on a trend
    assert {verdicts[n.id] for n in numbers if n.trend_test} <= {"inconclusive", "not measured"}
    assert verdicts["tables1_2.resnet32.np1"] == "not measured"
    for fig in ("table4.png", "fig5d.png", "fig9.png", "fig12.png", "fig13.png"):
        assert os.path.getsize(os.path.join(out, "figures", fig)) > 1000
        assert f"(figures/{fig})" in text


def test_printed_hashes_are_the_attack_files_sha256(smoke_run, attack_dir):
    out, report = smoke_run
    text = open(os.path.join(out, "REPRODUCTION.md")).read()
    for n in (1, 2, 5, 10):
        digest = _sha256sum(os.path.join(attack_dir, f"evoshift_np{n}_seed0.json"))
        assert report["attacks"][str(n)]["sha256"] == digest
        assert f"sha256 {digest}" in text


def test_reference_attacks_hashes_equal_the_committed_files(tmp_path):
    ds = data.make_synthetic(num_classes=10, per_class=2, image_shape=(28, 28, 1),
                             test_per_class=1, name="fashion_mnist")
    folder = reproduction.reference_dir("fashion_mnist")
    assert folder.endswith(os.path.join("evoshift_tf", "reference_attacks", "fashion_mnist"))
    _, where = reproduction.resolve_attacks(ds, budgets.get("smoke"), (1, 2, 5, 10),
                                            str(tmp_path), folder)
    for n in (1, 2, 5, 10):
        path = os.path.join(folder, f"evoshift_np{n}_seed0.json")
        assert os.path.samefile(where[n]["path"], path)
        assert where[n]["sha256"] == _sha256sum(path)


def test_second_run_reuses_the_cache(smoke_run, tiny, attack_dir):
    out, first = smoke_run
    stamps = {s: os.path.getmtime(cache.path(out, s)) for s in reproduction.STUDY_IDS}
    again = _run(tiny, out, attack_dir)
    assert sorted(again["reused"]) == sorted(reproduction.STUDY_IDS)
    assert again["wall_seconds"] < 30
    assert [n["verdict"] for n in again["numbers"]] == [n["verdict"] for n in first["numbers"]]
    for s, t in stamps.items():
        assert os.path.getmtime(cache.path(out, s)) == t
    part = _run(tiny, out, attack_dir, only=["fig7"])   # --only keeps the others from the cache
    assert sorted(part["reused"]) == sorted(reproduction.STUDY_IDS)


def test_the_header_names_the_studies_not_run(tiny, attack_dir, tmp_path):
    rep = _run(tiny, str(tmp_path), attack_dir, only=["fig7"])
    assert rep["not_run"] == [s for s in reproduction.STUDY_IDS if s != "fig7"]
    text = open(os.path.join(tmp_path, "REPRODUCTION.md")).read()
    line = next(ln for ln in text.splitlines() if ln.startswith("Not run in this call"))
    assert "table4, fig5d" in line and "fig7" not in line


def test_a_changed_preset_is_not_served_from_the_cache():
    p = budgets.get("smoke")
    other = dataclasses.replace(p, noise_severities=(0, 3))
    where = {n: {"sha256": "x"} for n in (1, 2, 5, 10)}
    assert cache.key("fig11", p, "d", where) != cache.key("fig11", other, "d", where)
    assert cache.key("fig7", p, "d", where) == cache.key("fig7", other, "d", where)
    assert cache.key("fig7", p, "d", where) != cache.key("fig7", p, "e", where)
    changed = {**where, 1: {"sha256": "y"}}
    assert cache.key("fig7", p, "d", where) != cache.key("fig7", p, "d", changed)


def test_unknown_dataset_preset_and_study_are_refused(tiny, tmp_path):
    with pytest.raises(UserError, match="no numbers for dataset 'synthetic'"):
        reproduction.run(tiny, "smoke", str(tmp_path))
    with pytest.raises(UserError, match="unknown preset 'quick'"):
        reproduction.run(tiny, "quick", str(tmp_path), paper_dataset="fashion_mnist")
    with pytest.raises(UserError, match="unknown study ids"):
        reproduction.run(tiny, "smoke", str(tmp_path), only=["fig99"],
                         paper_dataset="fashion_mnist")


def test_export_rewrites_figure_links(smoke_run, tmp_path):
    out, _ = smoke_run
    md = str(tmp_path / "docs" / "reproduction.md")
    os.makedirs(os.path.dirname(md))
    folder = reproduction.export(out, md)
    text = open(md).read()
    assert "(reproduction/fig9.png)" in text and "(figures/" not in text
    assert os.path.exists(os.path.join(folder, "fig9.png"))
    with open(os.path.join(folder, "reproduction.json")) as f:
        assert len(json.load(f)["numbers"]) == 60
