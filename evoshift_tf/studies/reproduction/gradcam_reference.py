"""Fig. 5b (Grad-CAM mass on the background) from a committed measurement: the reproduction
does not retrain it, it reports what ``studies/gradcam_background.py`` measured on the main
job's victims (the JSON beside ``docs/generative_and_transfer.md``)."""

from __future__ import annotations

import json
import os

CLAIM = "dominant gradient distribution in the background (MNIST figure; no number)"
METHODS = (("gradcam", "plain Grad-CAM"), ("hirescam", "HiResCAM"))


def _share(rows: list[dict], model: str, method: str) -> float | None:
    for r in rows:
        if r.get("model") == model and r.get("method") == method:
            return r.get("bg_share_clean_images")
    return None


def _outcome(rows: list[dict], method: str, words: str) -> tuple[dict | None, str]:
    evo, clean = _share(rows, "evoshift", method), _share(rows, "clean", method)
    if evo is None or clean is None:
        return None, f"{words}: no EvoShift and clean rows in the committed measurement"
    holds = evo > clean
    verb = "passes" if holds else "fails"
    return ({"mean": evo, "std": None, "n": 1},
            f"{words} {verb} the background test: EvoShift {evo:.3f} "
            f"{'>' if holds else '<'} clean {clean:.3f}")


def verdicts(path: str | None) -> list[dict]:
    """One ``not measured`` row per CAM method, its reason quoting the committed measurement
    at ``path`` (a ``gradcam_background`` JSON with ``rows``), or saying there is none."""
    rows = []
    if path and os.path.exists(path):
        with open(path) as f:
            rows = json.load(f).get("rows", [])
    out = []
    for method, words in METHODS:
        ours, outcome = _outcome(rows, method, words) if rows else (None, "")
        where = (f"committed measurement `{os.path.basename(path)}` (the main job's victims, "
                 "one model per arm, not rerun here)") if rows else "no committed measurement"
        out.append({
            "id": f"fig5b.{method}", "what": f"share of {words} mass on background pixels of "
            "clean test images, EvoShift model vs clean model", "source": "Fig. 5b, Sec. VIII-A",
            "study": "fig5b", "paper": CLAIM, "ours": ours,
            "test": "EvoShift model's background share above the clean model's",
            "budget": "main job", "verdict": "not measured",
            "reason": "; ".join(r for r in (where, outcome) if r)})
    return out
