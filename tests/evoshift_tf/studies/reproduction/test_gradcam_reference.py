import os

from evoshift_tf.studies.reproduction import gradcam_reference

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))))
COMMITTED = os.path.join(REPO, "docs", "figures", "generative_and_transfer", "gradcam_mainjob.json")


def test_plain_gradcam_fails_and_hirescam_passes_the_background_test():
    rows = {v["id"]: v for v in gradcam_reference.verdicts(COMMITTED)}
    assert rows["fig5b.gradcam"]["verdict"] == "not measured"
    assert "plain Grad-CAM fails the background test: EvoShift 0.392 < clean 0.540" \
        in rows["fig5b.gradcam"]["reason"]
    assert "HiResCAM passes the background test: EvoShift 0.419 > clean 0.377" \
        in rows["fig5b.hirescam"]["reason"]


def test_without_the_measurement_the_rows_say_so(tmp_path):
    rows = gradcam_reference.verdicts(str(tmp_path / "missing.json"))
    assert all(r["reason"] == "no committed measurement" for r in rows)
