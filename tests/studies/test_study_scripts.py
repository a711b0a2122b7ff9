"""The study scripts run end to end (slow: each trains models)."""

import json
import os

import pytest
from absl import flags


@pytest.mark.slow
def test_cross_dataset_study_on_mock_data(tmp_path):
    from studies import cross_dataset as study
    flags.FLAGS(["prog", f"--workdir={tmp_path}", "--mock_examples=40", "--epochs=1",
                 "--batch_size=8", "--num_pixels=1"])
    try:
        study.main([])
    finally:
        flags.FLAGS.unparse_flags()
    out = json.loads((tmp_path / "cross_dataset" / "table3.json").read_text())
    assert out["mock"] and [r["arm"] for r in out["rows"]] == ["clean", "random_np1"]
    assert os.path.getsize(tmp_path / "cross_dataset" / "table3.png") > 1000
