"""Judging one paper number: five verdicts, and rules that can fail.

- ``matches``: within the tolerance of the paper's value, and the trend test (if any) passes;
  a claim the paper states only in words matches when its trend test passes;
- ``trend holds, size differs``: the trend test passes but the number is off by more than the
  tolerance;
- ``differs``: the trend test fails, or a number without a trend test is off;
- ``inconclusive``: a compared arm has fewer than :data:`MIN_SEEDS` seeds, or a trend gap is
  not larger than :data:`SPREAD_FACTOR` x the combined seed spread ``sqrt(s1^2 + s2^2)``, or the
  comparison is confounded (e.g. optimizers that did not fit the training data alike);
- ``not measured``: the study was not run, or not with this arm.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

VERDICTS = ("matches", "trend holds, size differs", "differs", "inconclusive", "not measured")
MIN_SEEDS = 3
"""Fewest seeds per compared arm for a verdict other than ``inconclusive``."""
SPREAD_FACTOR = 2.0
"""A trend passes when its gap exceeds this many combined seed spreads (and fails below minus
as many)."""


class NotMeasured(LookupError):
    """A number's arm is not in the study's result (not run at this preset)."""


@dataclasses.dataclass(frozen=True)
class Gap:
    """One comparison a claim makes.

    Attributes:
      gap: how far the claim holds (> 0: in the claimed direction), in the measure's unit.
      spread: the combined seed std of the compared arms (:func:`combined`; 0 = none).
      n: the fewest seeds among the compared arms.
      detail: what was compared, with the numbers.
    """

    gap: float
    spread: float
    n: int
    detail: str


@dataclasses.dataclass(frozen=True)
class Trend:
    """A trend test's outcome: every gap must pass; ``confounded`` (a reason) makes it
    inconclusive whatever the gaps."""

    gaps: tuple[Gap, ...]
    confounded: str = ""


def combined(*stds) -> float:
    """``sqrt(s1^2 + s2^2 + ...)`` (None counts as 0)."""
    return math.sqrt(sum((s or 0.0) ** 2 for s in stds))


def gap_state(g: Gap) -> tuple[str, str]:
    """``("pass" | "fail" | "inconclusive", why)`` for one comparison."""
    if g.n < MIN_SEEDS:
        return "inconclusive", f"a compared arm has n = {g.n} < {MIN_SEEDS} seeds"
    bound = SPREAD_FACTOR * g.spread
    if g.gap > bound:
        return "pass", ""
    if g.gap < -bound or g.spread == 0:
        return "fail", ""
    return "inconclusive", (f"gap {g.gap:+.3f} within {SPREAD_FACTOR:g} x the seed spread "
                            f"({g.spread:.3f})")


def trend_state(t: Trend) -> tuple[str, str]:
    """``("pass" | "fail" | "inconclusive", why)``: fail if any gap fails, else inconclusive
    if any is (or the comparison is confounded), else pass."""
    if t.confounded:
        return "inconclusive", f"confounded: {t.confounded}"
    states = [gap_state(g) for g in t.gaps]
    if any(s == "fail" for s, _ in states):
        return "fail", "the claim fails here"
    why = [w for s, w in states if s == "inconclusive"]
    return ("inconclusive", "; ".join(dict.fromkeys(why))) if why else ("pass", "")


@dataclasses.dataclass(frozen=True)
class PaperNumber:
    """One number (or claim) of the paper and how ours is judged.

    Attributes:
      id: stable id (``table4.ce.evoshift.np1.alpha_S``).
      what: what it is, in words.
      source: where in the paper (``Table 4``, ``Sec. VIII-D``).
      study: the study id that measures ours.
      paper: the paper's value (float) or its claim in words.
      measure: ``result -> {"mean", "std", "n"}`` (raises :class:`NotMeasured`).
      tolerance: ours matches when ``|ours - paper| <= tolerance`` (numbers only).
      trend: the claim the trend test checks, in words ("" = none).
      trend_test: ``result -> Trend``.
      note: a difference of setting the reader should know (another dataset in the paper).
      paper_text: how to show ``paper`` when it is derived (``0.84 - 0.73 = 0.11``).
    """

    id: str
    what: str
    source: str
    study: str
    paper: float | str
    measure: Callable
    tolerance: float | None = None
    trend: str = ""
    trend_test: Callable | None = None
    note: str = ""
    paper_text: str = ""

    @property
    def numeric(self) -> bool:
        return isinstance(self.paper, (int, float)) and self.tolerance is not None


def _verdict(number: PaperNumber, ours: dict, trend: Trend | None) -> tuple[str, list[str]]:
    """The verdict and its reasons, before the notes on setting and budget."""
    off = ours["mean"] - number.paper if number.numeric else None
    within = off is not None and abs(off) <= number.tolerance
    size = [] if off is None else [f"{off:+.2f} from the paper's value"]
    if trend is None:
        if ours["n"] < MIN_SEEDS:
            return "inconclusive", [f"n = {ours['n']} < {MIN_SEEDS} seeds"]
        return ("matches", []) if within else ("differs", size)
    state, why = trend_state(trend)
    if state == "inconclusive":
        return "inconclusive", [why] + ([] if within else size)
    if state == "fail":
        return "differs", size + [why]
    if off is None or within:
        return "matches", []
    return "trend holds, size differs", size


def judge(number: PaperNumber, result: dict | None, budget: str = "",
          below_paper: str = "") -> dict:
    """The verdict on ``number`` from its study's ``result`` (None = not run): a JSON-able dict
    with ``id``, ``what``, ``source``, ``study``, ``paper``, ``ours`` (``{"mean", "std", "n"}``
    or None), ``test`` (tolerance and trend, with what was compared), ``budget``, ``verdict``
    and ``reason``. ``below_paper``: why the budget may explain a difference (added to the
    reasons of anything but a match)."""
    out = {"id": number.id, "what": number.what, "source": number.source, "study": number.study,
           "paper": number.paper_text or number.paper, "ours": None, "test": "",
           "budget": budget, "verdict": "", "reason": ""}
    if result is None:
        out.update(verdict="not measured", reason="study not run in this call (--only)")
        return out
    try:
        ours = number.measure(result)
        trend = number.trend_test(result) if number.trend_test else None
    except NotMeasured as e:
        out.update(verdict="not measured", reason=str(e))
        return out
    out["ours"] = {"mean": float(ours["mean"]), "n": int(ours["n"]),
                   "std": None if ours["std"] is None else float(ours["std"])}
    tests = [f"within {number.tolerance:g} of the paper"] if number.numeric else []
    if trend is not None:
        tests.append(f"{number.trend}: " + "; ".join(g.detail for g in trend.gaps))
    out["test"] = "; ".join(tests)
    verdict, reasons = _verdict(number, out["ours"], trend)
    if verdict != "matches":
        reasons += [r for r in (number.note, below_paper) if r]
    out.update(verdict=verdict, reason="; ".join(r for r in reasons if r))
    return out


def counts(verdicts: list[dict]) -> dict[str, int]:
    """``{verdict: how many}`` in :data:`VERDICTS` order (zeros kept)."""
    return {v: sum(n["verdict"] == v for n in verdicts) for v in VERDICTS}
