"""canvas: PNGs written atomically (no half file, no temporary left), image panels."""

import os

import numpy as np
import pytest

from evoshift_tf.figures import canvas
from evoshift_tf.figures.canvas import plt


def test_save_writes_a_png_into_a_new_folder_and_closes_the_figure(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = str(tmp_path / "new" / "line.png")
    assert canvas.save(fig, path) == path
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert os.listdir(tmp_path / "new") == ["line.png"]
    assert not plt.fignum_exists(fig.number)


def test_a_failed_save_keeps_the_old_png_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "plot.png"
    path.write_bytes(b"old")
    fig, _ = plt.subplots()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        canvas.save(fig, str(path))
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["plot.png"]
    assert not plt.fignum_exists(fig.number)


def test_image_shows_grey_and_colour_pixels_without_ticks():
    fig, (a, b) = plt.subplots(1, 2)
    canvas.image(a, np.full((5, 6, 1), 200, np.uint8))
    canvas.image(b, np.zeros((5, 6, 3), np.uint8))
    grey, colour = a.images[0], b.images[0]
    assert grey.get_array().shape == (5, 6) and grey.get_clim() == (0, 255)
    assert grey.get_cmap().name == "gray"
    assert colour.get_array().shape == (5, 6, 3)
    assert list(a.get_xticks()) == [] and list(b.get_yticks()) == []
    plt.close(fig)
