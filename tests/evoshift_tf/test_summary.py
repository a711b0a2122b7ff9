"""summary: mean ± std over runs and the tables that show it, on hand-made rows."""

import numpy as np
import pytest

from evoshift_tf import summary


def _study_rows():
    a = [{"label": "attacked", "group": "g", "x": 1, "seed": s, "clean_test_accuracy": acc,
          "alpha_S": acc - 0.1, "test_curve": [0.2, acc], "train_curve": [0.5, 0.9]}
         for s, acc in enumerate((0.4, 0.5, 0.9))]
    clean = {"label": "clean", "group": "h", "x": 0, "seed": 0, "clean_test_accuracy": 0.8,
             "alpha_N": None, "test_curve": [0.6, 0.8], "train_curve": [0.7, 0.8]}
    return a + [clean]


def test_aggregate_means_and_population_std_per_group():
    out = summary.aggregate(_study_rows(), ("clean_test_accuracy", "alpha_N"), carry=("group",))
    assert [s["label"] for s in out] == ["attacked", "clean"]           # first-seen order
    first = out[0]
    assert (first["group"], first["n"]) == ("g", 3)
    assert first["clean_test_accuracy_mean"] == pytest.approx(0.6)
    assert first["clean_test_accuracy_std"] == pytest.approx(np.std([0.4, 0.5, 0.9]))
    assert "alpha_N_mean" not in first and "alpha_N_mean" not in out[1]   # missing / None


def test_aggregate_groups_by_several_fields_and_orders_them():
    rows = [{"arm": a, "num_pixels": n, "acc": v}
            for a, n, v in (("random", 1, 0.7), ("evoshift", 5, 0.3), ("evoshift", 1, 0.4),
                            ("evoshift", 1, 0.6), ("ops", 1, 0.1), ("clean", 0, 0.9))]
    out = summary.aggregate(rows, ("acc",), by=("arm", "num_pixels"))
    assert [(s["arm"], s["num_pixels"], s["n"]) for s in out] == [
        ("random", 1, 1), ("evoshift", 5, 1), ("evoshift", 1, 2), ("ops", 1, 1), ("clean", 0, 1)]
    assert out[2]["acc_mean"] == pytest.approx(0.5) and out[2]["acc_std"] == pytest.approx(0.1)
    arms = summary.by_arm(rows, keys=("acc",))               # the main job's order, then by name
    assert [(s["arm"], s["n"]) for s in arms] == [("clean", 1), ("evoshift", 3), ("random", 1),
                                                  ("ops", 1)]
    assert [s["arm"] for s in summary.by_arm(rows, ("acc",), order=())] == [
        "clean", "evoshift", "ops", "random"]


def test_by_label_keeps_plot_fields_and_averages_curves_epoch_by_epoch():
    out = summary.by_label(_study_rows())
    assert list(out[0])[:4] == ["label", "group", "x", "n"]
    assert out[0]["test_curve_mean"] == pytest.approx([0.2, 0.6])
    assert out[0]["test_curve_std"] == pytest.approx([0.0, np.std([0.4, 0.5, 0.9])])
    assert out[0]["alpha_S_mean"] == pytest.approx(0.5) and "alpha_S_mean" not in out[1]


def test_fmt_scales_and_marks_missing():
    row = {"acc_mean": 0.4567, "acc_std": 0.0123}
    assert summary.fmt(row, "acc") == "0.457 ± 0.012"
    assert summary.fmt(row, "acc", 100.0, 1) == "45.7 ± 1.2"
    assert summary.fmt(row, "alpha_N") == "-"


def test_markdown_of_a_hand_made_summary():
    table = [{"label": "CE Clean", "n": 2, "acc_mean": 0.8, "acc_std": 0.01},
             {"label": "CE EvoShift", "n": 2, "acc_mean": 0.4, "acc_std": 0.05,
              "alpha_N_mean": 0.3, "alpha_N_std": 0.0}]
    text = summary.markdown(table, ("acc", "alpha_N"), {"paper": {"CE Clean": "0.90"}})
    assert text.splitlines() == [
        "| setting | n | acc | alpha_N | paper |",
        "|---|---|---|---|---|",
        "| CE Clean | 2 | 0.800 ± 0.010 | - | 0.90 |",
        "| CE EvoShift | 2 | 0.400 ± 0.050 | 0.300 ± 0.000 |  |"]
    arms = [{"arm": "clean", "n": 1, "acc_mean": 0.9, "acc_std": 0.0}]
    assert summary.markdown(arms, ("acc",), name="arm", title="recipe").splitlines()[::2] == [
        "| recipe | n | acc |", "| clean | 1 | 0.900 ± 0.000 |"]


def test_markdown_table_of_ready_cells():
    assert summary.markdown_table(["attack", "N_p = 1"], [["random", "0.5"], ["ops", 3]]) == (
        "| attack | N_p = 1 |\n|---|---|\n| random | 0.5 |\n| ops | 3 |")


def test_text_table_aligns_columns():
    text = summary.text_table([{"arm": "clean", "psnr_db": 14.4201}, {"arm": "evoshift_np10"}],
                              ["arm", "psnr_db"], "VAE-GAN")
    assert text.splitlines() == ["VAE-GAN",
                                 "arm            psnr_db",
                                 "-------------  -------",
                                 "clean          14.4201",
                                 "evoshift_np10         "]
    assert summary.text_table([], ["arm"]).splitlines() == ["arm", "---"]


def test_rank_correlation_is_spearman_on_a_hand_computed_case():
    # ranks (0, 1, 2, 3) and (0, 2, 1, 3): d^2 = 2, rho = 1 - 6 * 2 / (4 * 15) = 0.8
    assert summary.rank_correlation([1, 2, 3, 4], [10, 30, 20, 40]) == pytest.approx(0.8)
    assert summary.rank_correlation([3, 2, 1], [0.1, 0.5, 0.9]) == pytest.approx(-1.0)
