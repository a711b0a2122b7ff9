"""``drawn``: every figure saved during a test, kept for inspection (the PNG is still written)."""

import pytest

from evoshift_tf.figures import analysis, canvas, pipeline, study


@pytest.fixture
def drawn(monkeypatch):
    figs = []

    def keep(fig, path, dpi=canvas.DPI):
        figs.append(fig)
        return canvas.save(fig, path, dpi)

    for module in (analysis, pipeline, study):
        monkeypatch.setattr(module, "save", keep)
    return figs
