"""Summary figures: a study result by its plot spec, the defense heat map, accuracy over N_p,
victims' clean confusion matrices."""

import os

import numpy as np
import pytest

from evoshift_tf import figures, summary


def _result(kind, **spec):
    rows = [{"label": f"{g} N_p={n}", "group": g, "x": n, "clean_test_accuracy": acc + d,
             "test_curve": [0.5, acc + d], "train_curve": [0.6, 0.9]}
            for g, n, acc in (("EvoShift", 5, 0.3), ("EvoShift", 1, 0.4), ("random", 1, 0.7))
            for d in (0.0, 0.02)]
    return {"study": "demo", "summary": summary.by_label(rows), "plot": {"kind": kind, **spec}}


@pytest.mark.parametrize("kind, lines", [("epochs", 3), ("x", 2), ("bars", 0)])
def test_study_result_draws_its_plot_kind(tmp_path, drawn, kind, lines):
    path = str(tmp_path / f"{kind}.png")
    figures.study_result(path, _result(kind, title="Fig. demo"))
    ax = drawn[0].axes[0]
    assert os.path.getsize(path) > 1000 and ax.get_title() == "Fig. demo"
    assert len(ax.get_legend().get_texts()) == (lines or 1)
    if kind == "x":                                       # points in x order within a line
        assert list(ax.containers[0].lines[0].get_xdata()) == [1, 5]
    if kind == "bars":
        assert np.allclose([p.get_height() for p in ax.patches], [0.31, 0.41, 0.71])


def test_defense_heatmap_writes_final_and_peak_percent(tmp_path, drawn):
    result = {"study": "defenses", "attacks": ["clean", "EvoShift"], "defenses": ["none", "MixUp"],
              "grid": {"final_test_accuracy": [[0.9, 0.8], [0.3, 0.7]],
                       "peak_test_accuracy": [[0.9, 0.85], [0.5, 0.7]]},
              "plot": {"kind": "heatmap", "title": "final (peak)"}}
    figures.study_result(str(tmp_path / "d.png"), result)
    texts = [t.get_text() for t in drawn[0].axes[0].texts]
    assert texts == ["90\n(90)", "80\n(85)", "30\n(50)", "70\n(70)"]



def test_defense_heatmap_frames_the_defenses_an_attack_was_searched_through(tmp_path, drawn):
    from evoshift_tf.figures import study
    result = {"study": "defense_aware", "attacks": ["plain", "median3-searched"],
              "defenses": ["none", "median3"],
              "grid": {"final_test_accuracy": [[0.3, 0.8], [0.3, 0.35]],
                       "peak_test_accuracy": [[0.4, 0.8], [0.4, 0.4]]},
              "searched_through": [[False, False], [False, True]], "plot": {"title": "t"}}
    study.defense_heatmap(str(tmp_path / "d.png"), result)
    ax = drawn[0].axes[0]
    frames = [(p.get_x(), p.get_y()) for p in ax.patches]
    assert frames == [(0.5, 0.5)]                         # row 1, column 1 only
    assert "held out" in ax.get_title()

def test_accuracy_vs_num_pixels_draws_a_line_per_attack_on_a_log_axis(tmp_path, drawn):
    rows = [{"attack": a, "num_pixels": n, "clean_test_accuracy": v}
            for a, n, v in (("random", 5, 0.7), ("evoshift", 5, 0.4), ("evoshift", 1, 0.3),
                            ("evoshift", 1, 0.5), ("random", 1, 0.8))]
    table = summary.aggregate(rows, ("clean_test_accuracy",), by=("attack", "num_pixels"))
    figures.accuracy_vs_num_pixels(str(tmp_path / "s.png"), table, ("evoshift", "random", "ops"),
                                   "GrayNet victims")
    ax = drawn[0].axes[0]
    assert ax.get_xscale() == "log" and ax.get_title() == "GrayNet victims"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["evoshift", "random"]
    line = ax.containers[0].lines[0]
    assert list(line.get_xdata()) == [1, 5] and np.allclose(line.get_ydata(), [0.4, 0.4])


def test_confusion_grid_draws_one_panel_per_victim_and_blanks_the_rest(tmp_path, drawn):
    eye, flat = np.eye(3), np.full((3, 3), 1 / 3)
    path = str(tmp_path / "c.png")
    figures.confusion_grid(path, {"clean": eye, "evoshift": flat, "ops": eye, "jacobsen": eye,
                                  "random": flat}, ["a", "b", "c"], "where clean images go")
    axes = drawn[0].axes
    assert os.path.getsize(path) > 1000 and len(axes) == 8
    assert [ax.get_title() for ax in axes[:5]] == ["clean", "evoshift", "ops", "jacobsen", "random"]
    assert not any(ax.axison for ax in axes[5:])
    np.testing.assert_allclose(axes[1].images[0].get_array(), flat)
