"""Figures of the generative, transfer and failure-analysis studies, each from plain data."""

import os

import numpy as np

from evoshift_tf import attack, figures


def test_reconstructions_and_samples(tmp_path, drawn):
    rng = np.random.default_rng(0)
    originals = rng.integers(0, 256, (4, 8, 8, 1), dtype=np.uint8)
    figures.reconstruction_grid(str(tmp_path / "r.png"), originals,
                                {"clean": originals, "evoshift": originals[::-1]},
                                {"clean": 20.0, "evoshift": 14.42})
    samples = {"clean": rng.integers(0, 256, (3, 2, 8, 8, 3), dtype=np.uint8)}
    figures.samples_over_training(str(tmp_path / "s.png"), samples)
    grid = np.array(drawn[0].axes).reshape(3, 4)
    assert grid[2, 0].get_ylabel() == "evoshift  (14.42 dB)"
    assert len(drawn[1].axes) == 3 * 2 and drawn[1].axes[0].get_ylabel() == "ep 1"
    assert all(os.path.getsize(tmp_path / f) > 1000 for f in ("r.png", "s.png"))


def test_gradcam_maps_label_each_models_background_share(tmp_path, drawn):
    maps = np.random.default_rng(1).random((3, 4, 4))
    result = {"models": {"clean": {"mean_maps": maps, "background_share": 0.1},
                         "evoshift": {"mean_maps": maps, "background_share": 0.55}},
              "num_images": 30, "background_pixel_fraction": 0.5, "method": "hirescam"}
    figures.gradcam_maps(str(tmp_path / "g.png"), result, ["a", "b", "c"])
    axes = np.array(drawn[0].axes).reshape(2, 3)
    assert axes[1, 0].get_ylabel() == "evoshift\nbg 0.55" and axes[0, 2].get_title() == "c"


def test_loss_surface_svf_panel_and_table3(tmp_path, drawn):
    rows = [{"alpha": a, "train_loss": 1 + a * a, "test_loss": 2 + a, "train_accuracy": 0.9,
             "test_accuracy": 0.5} for a in (-0.5, 0.0, 0.5, 1.0, 1.5)]
    figures.loss_surface(str(tmp_path / "l.png"), rows)
    atk = attack.random_attack(3, 2, (16, 16, 1), seed=0)
    figures.svf_panel(str(tmp_path / "v.png"), np.ones((8, 8)), np.ones((16, 16)),
                      {"svf": atk}, np.zeros((16, 16, 1), np.uint8), {"svf": {0: 0.8, 2: 0.4}})
    t3 = [{"arm": arm, "source": {"cat": 0.5, "dog": 0.6},
           "target": {"cat": 0.4, "dog": 0.3, "mean": 0.35}} for arm in ("clean", "np1")]
    figures.table3_bars(str(tmp_path / "t.png"), t3)
    surface, panel, bars = drawn
    assert len(surface.axes) == 2 and surface.axes[0].get_yscale() == "log"
    assert len(panel.axes) == 4 and panel.axes[3].get_xlabel() == "N_p"
    assert len(bars.axes[0].patches) == 2 * 2 * 2          # arms x sides x shared classes
