"""The main job's figures: Fig. 4 grid, Fig. 5c/d search curve, the arms' bars."""

import os

import numpy as np

from evoshift_tf import data, figures, summary


def test_poisoned_grid_circles_every_attack_pixel(tmp_path, tiny_gray, tiny_attack, drawn):
    keep = tiny_gray.train.y != 3                         # class 3 has no image here
    split = data.Split(tiny_gray.train.x[keep], tiny_gray.train.y[keep])
    path = str(tmp_path / "grid.png")
    figures.poisoned_grid(path, tiny_attack, split, tiny_gray.info, per_class=3)
    assert os.path.getsize(path) > 1000
    axes = np.array(drawn[0].axes).reshape(4, 3)
    assert all(len(ax.patches) == tiny_attack.num_pixels for ax in axes[:3].ravel())
    assert not any(ax.axison for ax in axes[3])           # the empty class row is blank
    assert "N_p = 2" in drawn[0].texts[0].get_text()


def test_search_curve_adds_the_monitor_axis_only_when_measured(tmp_path, drawn):
    history = [{"generation": g, "best_cost": 9 - g, "mean_cost": 9.5 - g,
                "best_so_far_cost": 9 - g, "best_monitor_clean_accuracy": 0.8 - 0.1 * g}
               for g in range(3)]
    figures.search_curve(str(tmp_path / "a.png"), history)
    figures.search_curve(str(tmp_path / "b.png"),
                         [{k: v for k, v in h.items() if "monitor" not in k} for h in history])
    assert [len(f.axes) for f in drawn] == [2, 1]
    assert list(drawn[0].axes[0].lines[0].get_xdata()) == [1, 2, 3]


def test_arm_bars_draw_mean_and_std_of_each_arm(tmp_path, drawn):
    rows = [{"arm": a, "clean_test_accuracy": v, "alpha_S": v - 0.1}
            for a, v in (("clean", 0.9), ("evoshift", 0.3), ("evoshift", 0.5))]
    table = summary.by_arm(rows, ("clean_test_accuracy", "alpha_S"))
    figures.arm_bars(str(tmp_path / "arms.png"), table, keys=("clean_test_accuracy", "alpha_S"))
    ax = drawn[0].axes[0]
    assert np.allclose([p.get_height() for p in ax.patches], [0.9, 0.8, 0.4, 0.3])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["clean", "evoshift"]
