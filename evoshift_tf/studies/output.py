"""A study's result as a JSON file and a PNG.

A result is ``{"study", "budget", "rows", "summary", "table", "plot": {...}, "paper": {...}}``:
``table`` is its Markdown (:mod:`evoshift_tf.summary`); ``plot`` says how
:func:`evoshift_tf.figures.study_result` draws the summary: ``kind`` = ``epochs`` (test-accuracy
curves over epochs, one line per label), ``x`` (a metric over ``x`` with one line per
``group``), ``bars`` or ``heatmap`` (the result's ``grid`` of final and peak accuracy,
``attacks`` x ``defenses``).
"""

from __future__ import annotations

import os

from evoshift_tf import atomic, figures


def save(result: dict, out_dir: str) -> tuple[str, str]:
    """Write ``<study>.json`` (atomically) and ``<study>.png`` into ``out_dir``; return paths."""
    name = result["study"]
    json_path = atomic.write_json(os.path.join(out_dir, f"{name}.json"), result)
    png_path = os.path.join(out_dir, f"{name}.png")
    figures.study_result(png_path, result)
    return json_path, png_path
