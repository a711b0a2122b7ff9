import os

import pytest

from evoshift_tf.errors import UserError
from evoshift_tf.studies.reproduction import cifar10, cifar10_report, verdicts

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))))
COMMITTED = os.path.join("benchmarks", "results", "attack_strength_cifar10_jpeg75.json")
RESNET32 = os.path.join("benchmarks", "results", "cifar10_jpeg75_resnet32",
                        "attack_strength_cifar10_jpeg75.json")
DEFENSES = os.path.join("benchmarks", "results", "defense_aware_cifar10_jpeg75_resnet20.json")
PAGE = os.path.join(REPO, "docs", "reproduction_cifar10.md")
RECIPE = {"model": "resnet20", "preprocessing": ["cropflip"], "epochs": 10,
          "train_images": 10000, "seeds": [0, 1, 2]}


def victims(attack, accuracies, num_pixels=1, epochs=10, victim="resnet20"):
    """One benchmark row per accuracy, victim seeds 0, 1, ...; searched attacks get the same
    search seed as victim seed."""
    searched = attack in ("evoshift", "random")
    return [{"attack": attack, "num_pixels": num_pixels, "victim": victim,
             "search_seed": i if searched else None, "victim_seed": i, "victim_epochs": epochs,
             "clean_test_accuracy": a, "peak_test_accuracy": a + 0.05, "alpha_S": None,
             "alpha_N": None} for i, a in enumerate(accuracies)]


def judged(*rows, epochs=None) -> dict:
    doc = {"rows": [r for rs in rows for r in rs], "victim": RECIPE}
    return {v["id"]: v for v in cifar10.judge_all(doc, epochs)}


def test_table2_rows_take_the_papers_cifar10_values_not_fashion_mnist():
    v = judged(victims("clean", [0.6]), victims("evoshift", [0.3]))
    assert v["table2.resnet20.clean"]["paper"] == "0.785 (78.5 ± 1.2 %)"
    assert v["table2.resnet20.np1"]["paper"] == "0.333 (33.3 ± 8.4 %)"
    assert v["table2.resnet20.np5"]["paper"] == "0.145 (14.5 ± 2.6 %)"
    papers = {n.id: n.paper for n, _ in cifar10.numbers()}
    assert papers["table2.resnet20.clean"] == pytest.approx(0.785)
    assert papers["table2.resnet20.np1"] == pytest.approx(0.333)
    assert papers["table2.resnet20.np5"] == pytest.approx(0.145)
    assert not [i for i in v if i.startswith("table4") or i == "clean_accuracy"]


def test_one_seed_is_inconclusive_and_the_row_states_its_budget():
    v = judged(victims("clean", [0.785]), victims("evoshift", [0.333]),
               victims("jacobsen", [0.5]), victims("random", [0.5]))
    for i in ("table2.resnet20.clean", "table2.resnet20.np1", "sec8b.jacobsen", "sec8j.random"):
        assert v[i]["verdict"] == "inconclusive", i
        assert "n = 1 < 3 seeds" in v[i]["reason"]
    # even a value equal to the paper's does not match on one seed
    assert v["table2.resnet20.clean"]["ours"] == {"mean": 0.785, "std": 0.0, "n": 1}
    assert v["table2.resnet20.np1"]["budget"] == (
        "resnet20 + cropflip, 10 epochs, 10,000 train images, victim seeds 0, search seeds 0")
    assert "10 epochs on 10,000 training images vs the paper's 30 on 50,000" \
        in v["table2.resnet20.np1"]["reason"]


def test_three_seeds_far_from_the_paper_are_judged_by_the_rules():
    v = judged(victims("clean", [0.61, 0.615, 0.62]), victims("evoshift", [0.20, 0.21, 0.22]),
               victims("evoshift", [0.55, 0.56, 0.57], num_pixels=5))
    clean = v["table2.resnet20.clean"]          # no trend test: off by more than 0.02
    assert clean["verdict"] == "differs" and "-0.17 from the paper's value" in clean["reason"]
    np1 = v["table2.resnet20.np1"]              # 0.21 < 0.615 - 0.10, but 0.12 from 0.333
    assert np1["verdict"] == "trend holds, size differs"
    assert "-0.12 from the paper's value" in np1["reason"]
    np5 = v["table2.resnet20.np5"]              # N_p = 5 above N_p = 1: the claim fails
    assert np5["verdict"] == "differs" and "the claim fails here" in np5["reason"]
    assert v["table2.resnet20.clean"]["budget"].endswith("victim seeds 0, 1, 2, search seeds none")


def test_three_seeds_near_the_paper_match():
    v = judged(victims("clean", [0.78, 0.785, 0.79]), victims("evoshift", [0.33, 0.333, 0.336]))
    assert v["table2.resnet20.clean"]["verdict"] == "matches"
    assert v["table2.resnet20.np1"]["verdict"] == "matches"


def test_missing_measurements_are_not_measured_with_a_reason():
    v = judged(victims("clean", [0.6, 0.6, 0.6]), victims("evoshift", [0.3, 0.3, 0.3]))
    assert v["table2.resnet20.np5"]["verdict"] == "not measured"
    assert "no resnet20 evoshift N_p=5 victims in the benchmark file (it holds resnet20: clean, " \
        "evoshift N_p=1)" in v["table2.resnet20.np5"]["reason"]
    assert v["table2.resnet32.clean"]["verdict"] == "not measured"
    assert v["sec8b.jacobsen"]["verdict"] == "not measured"
    assert "STL-10 is not on this machine" in v["table3.stl10.np1"]["reason"]
    assert "cifar10_jpeg75" in v["fig10.attacked"]["reason"]
    assert v["sec8i.psnr_np1"]["paper"] == "14.42 dB"
    assert v["sec8i.psnr_np10"]["paper"].startswith("11.06 dB")
    assert "fig4c.samples" in v and "ImageNet" in v["fig14.imagenet"]["reason"]
    missing = [n for n in v.values() if n["verdict"] == "not measured"]
    assert all(n["reason"] and n["ours"] is None and not n["budget"] for n in missing)


def test_fig10_without_a_defense_file_names_the_benchmarks_victim():
    v = judged(victims("clean", [0.6]), victims("evoshift", [0.3]))
    for i in ("fig10.attacked", "fig10.clean"):
        assert v[i]["verdict"] == "not measured"
        assert "ResNet-20" in v[i]["what"] and "ColorNet" not in v[i]["what"], v[i]["what"]


def cells(attack, defense, accuracies, attack_id="a1"):
    return [{"attack": attack, "attack_id": attack_id, "defense": defense, "victim_seed": i,
             "num_pixels": 0 if attack == "clean" else 1, "clean_test_accuracy": a,
             "peak_test_accuracy": a} for i, a in enumerate(accuracies)]


def test_fig10_reads_the_median_cells_of_the_defense_file():
    defenses = {"rows": cells("evoshift", "none", [0.20, 0.22, 0.21])
                + cells("evoshift", "median3", [0.50, 0.52, 0.51])
                + cells("evoshift", "median3", [0.05], attack_id="old")     # re-searched since
                + cells("clean", "none", [0.60, 0.61, 0.62])
                + cells("clean", "median3", [0.55, 0.56, 0.57]),
                "attacks": {"evoshift": {"attack_id": "a1"}, "clean": {"attack_id": "a1"}},
                "victim_recipe": {"victim": "resnet20", "victim_preprocessing": ["cropflip"],
                                  "epochs": 10, "train_images": 10000}}
    doc = {"rows": victims("clean", [0.6]), "victim": RECIPE}
    v = {n["id"]: n for n in cifar10.judge_all(doc, defenses=defenses)}
    attacked, clean = v["fig10.attacked"], v["fig10.clean"]
    assert attacked["ours"]["mean"] == pytest.approx(0.30) and attacked["ours"]["n"] == 3
    assert attacked["verdict"] == clean["verdict"] == "matches"
    assert clean["ours"]["mean"] == pytest.approx(-0.05)
    assert attacked["budget"] == ("resnet20 + cropflip, 10 epochs, 10,000 train images, "
                                  "victim seeds 0, 1, 2, search seeds none")
    defenses["rows"] = [r for r in defenses["rows"] if r["defense"] == "none"]
    v = {n["id"]: n for n in cifar10.judge_all(doc, defenses=defenses)}
    assert v["fig10.clean"]["verdict"] == "not measured"
    assert "no resnet20 clean under median3 victims in the defense file (it holds resnet20: " \
        "clean under none, evoshift N_p=1 under none)" in v["fig10.clean"]["reason"]


def test_rows_of_other_epochs_are_not_averaged_in():
    rows = (victims("clean", [0.6, 0.6, 0.6], epochs=10), victims("clean", [0.2], epochs=5))
    assert judged(*rows)["table2.resnet20.clean"]["ours"]["mean"] == pytest.approx(0.6)
    five = judged(*rows, epochs=5)["table2.resnet20.clean"]
    assert five["ours"]["n"] == 1 and "5 epochs" in five["budget"]
    with pytest.raises(UserError, match=r"no rows at 7 victim epochs; the file has \[5, 10\]"):
        judged(*rows, epochs=7)


def test_files_of_two_victims_judge_each_table2_column_with_its_own_budget():
    resnet20 = {"rows": victims("clean", [0.6]) + victims("evoshift", [0.3]), "victim": RECIPE}
    resnet32 = {"rows": victims("clean", [0.5], victim="resnet32")
                + victims("evoshift", [0.2], victim="resnet32"),
                "victim": {**RECIPE, "model": "resnet32", "train_images": 5000}}
    doc = cifar10.combine([resnet20, resnet32])
    v = {n["id"]: n for n in cifar10.judge_all(doc)}
    assert v["table2.resnet20.np1"]["ours"]["mean"] == pytest.approx(0.3)
    assert v["table2.resnet32.np1"]["ours"]["mean"] == pytest.approx(0.2)
    assert "10,000 train images" in v["table2.resnet20.np1"]["budget"]
    assert v["table2.resnet32.clean"]["budget"].startswith("resnet32 + cropflip, 10 epochs, "
                                                           "5,000 train images")
    assert v["table2.densenet40.clean"]["verdict"] == "not measured"
    text = cifar10_report.markdown([cifar10_report.Source(resnet20, "a.json", "1"),
                                    cifar10_report.Source(resnet32, "b.json", "2")])
    assert "`a.json` (sha256 1) and `b.json` (sha256 2)" in text
    assert "| resnet32 evoshift N_p=1 |" in text
    with pytest.raises(UserError, match="two benchmark files hold resnet20 victims"):
        cifar10.combine([resnet20, resnet20])


def test_page_states_dataset_budget_and_counts():
    doc = {"rows": victims("clean", [0.6]) + victims("evoshift", [0.3]), "victim": RECIPE}
    text = cifar10_report.markdown([cifar10_report.Source(doc, "strength.json", "abc")],
                                   command="python -m x")
    counts = verdicts.counts(cifar10.judge_all(doc))
    assert text.startswith("# Reproduction of the paper's CIFAR-10 numbers on cifar10_jpeg75")
    assert "Budget: resnet20 + cropflip, 10 epochs, 10,000 train images" in text
    assert f"{sum(counts.values())} numbers: {counts['inconclusive']} *inconclusive*; " \
        f"{counts['not measured']} *not measured*." in text
    assert "| table2.resnet20.np1 |" in text and "Command: `python -m x`" in text
    assert not any(w in text.lower() for w in ("session", "issue", "ticket"))


def committed(strengths: list[str], page: str, command: str, tmp_path) -> dict:
    """The verdicts of the committed strength files ``strengths`` (Fig. 10 from the committed
    defense file), after checking that ``page`` is what ``command`` writes from them."""
    read = [cifar10_report.read(os.path.join(REPO, p), p) for p in strengths]
    defenses = cifar10_report.read(os.path.join(REPO, DEFENSES), DEFENSES)
    written = tmp_path / "page.md"
    nums = cifar10_report.write(read, str(written), command=command, defenses=defenses)
    with open(page) as f:
        assert f.read() == written.read_text(), "regenerate: " + command
    return {n["id"]: n for n in nums}


def test_committed_page_is_the_committed_measurement_judged(tmp_path):
    v = committed([COMMITTED, RESNET32], PAGE, "python -m studies.reproduce_cifar10", tmp_path)
    clean, np5 = v["table2.resnet20.clean"], v["table2.resnet20.np5"]
    assert clean["ours"]["n"] == 3 and clean["ours"]["mean"] == pytest.approx(0.6092, abs=1e-4)
    assert clean["verdict"] == "differs"                  # 10 epochs on 10k images: -0.18
    assert v["table2.resnet20.np1"]["verdict"] == "trend holds, size differs"
    assert v["table2.resnet20.np1"]["ours"]["n"] == 4               # search seeds 0-3
    assert v["table2.resnet20.np1"]["ours"]["mean"] == pytest.approx(0.216, abs=1e-3)
    assert np5["ours"]["n"] == 9 and np5["ours"]["mean"] == pytest.approx(0.170, abs=1e-3)
    assert np5["verdict"] == "inconclusive"       # search seeds 0-3: 0.26, 0.10, 0.16, 0.11
    counts = verdicts.counts(list(v.values()))
    assert counts["inconclusive"] == len(v) - counts["not measured"] - 4 == 7
    resnet32 = v["table2.resnet32.clean"]                 # the second file's victims
    assert resnet32["ours"]["n"] == 3                     # victim seeds 0-2
    assert resnet32["ours"]["mean"] == pytest.approx(0.585, abs=1e-3)
    assert resnet32["verdict"] == "differs"               # 10 epochs on 10k images: -0.17
    assert resnet32["budget"].startswith("resnet32 + cropflip, 10 epochs, 10,000 train images")
    assert v["table2.resnet32.np1"]["ours"]["n"] == 4                 # search seeds 0-3
    assert v["table2.resnet32.np1"]["ours"]["mean"] == pytest.approx(0.205, abs=1e-3)
    assert v["table2.resnet32.np1"]["verdict"] == "trend holds, size differs"
    assert v["table2.resnet32.np5"]["ours"]["n"] == 3                 # search seeds 0-2
    assert v["table2.resnet32.np5"]["ours"]["mean"] == pytest.approx(0.166, abs=1e-3)
    assert v["fig10.attacked"]["ours"]["mean"] > 0.2                  # the filter restores


STRENGTH_50K = os.path.join("benchmarks", "results", "cifar10_jpeg75_50000_images",
                            "attack_strength_cifar10_jpeg75.json")
PAGE_50K = os.path.join(REPO, "docs", "reproduction_cifar10_50000_images.md")
COMMAND_50K = ("python -m studies.reproduce_cifar10 --strength_json=" + STRENGTH_50K +
               " --out=docs/reproduction_cifar10_50000_images.md")


def test_committed_50000_image_page_is_that_measurement_judged(tmp_path):
    v = committed([STRENGTH_50K], PAGE_50K, COMMAND_50K, tmp_path)
    clean = v["table2.resnet20.clean"]               # the paper's image budget, 10 epochs
    assert clean["ours"]["n"] == 3 and clean["ours"]["mean"] == pytest.approx(0.772, abs=1e-3)
    assert clean["verdict"] == "matches"
    assert "all 50,000 train images" in clean["budget"]
    np1 = v["table2.resnet20.np1"]                   # search seeds 0-3: 0.303, 0.102, 0.173, 0.237
    assert np1["ours"]["n"] == 4 and np1["ours"]["mean"] == pytest.approx(0.204, abs=1e-3)
    np5 = v["table2.resnet20.np5"]                   # search seeds 0-3: 0.269, 0.100, 0.109, 0.100
    assert np5["ours"]["n"] == 4 and np5["ours"]["mean"] == pytest.approx(0.145, abs=1e-3)
    assert np5["verdict"] == "inconclusive"
    assert v["sec8j.random"]["verdict"] != "not measured"
