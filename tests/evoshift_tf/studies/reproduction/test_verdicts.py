import pytest

from evoshift_tf.studies.reproduction import measures, verdicts
from evoshift_tf.studies.reproduction.verdicts import Gap, PaperNumber, Trend, judge

from .results import result, row


def number(paper=0.16, tolerance=0.05, trend=True):
    """EvoShift alpha_S below random's, like the Table 4 CE EvoShift row."""
    return PaperNumber("x", "alpha_S of EvoShift", "Table 4", "table4", paper,
                       measures.of("evo", "alpha_S"), tolerance=tolerance,
                       trend="below random" if trend else "",
                       trend_test=measures.cmp("evo", "rnd", "alpha_S") if trend else None)


def arms(evo, rnd, std=0.01, n=3):
    return result(row("evo", n, alpha_S=(evo, std)), row("rnd", n, alpha_S=(rnd, std)))


def test_within_tolerance_and_trend_passes_matches():
    assert judge(number(), arms(0.18, 0.40))["verdict"] == "matches"


def test_far_off_value_with_passing_trend_is_trend_holds_size_differs():
    v = judge(number(), arms(0.35, 0.70))
    assert v["verdict"] == "trend holds, size differs"
    assert "+0.19 from the paper's value" in v["reason"]


def test_failing_trend_differs():
    v = judge(number(), arms(0.50, 0.30), below_paper="budget: 3 epochs")
    assert v["verdict"] == "differs"
    assert "the claim fails here" in v["reason"] and "budget: 3 epochs" in v["reason"]


def test_two_seeds_are_inconclusive_even_with_a_large_gap():
    v = judge(number(), arms(0.16, 0.70, std=0.0, n=2))
    assert v["verdict"] == "inconclusive" and "n = 2 < 3 seeds" in v["reason"]


def test_gap_inside_twice_the_combined_spread_is_inconclusive():
    # gap 0.05; spread sqrt(0.02^2 + 0.02^2) = 0.028; 2 x spread = 0.057 > 0.05
    v = judge(number(), arms(0.16, 0.21, std=0.02))
    assert v["verdict"] == "inconclusive" and "seed spread" in v["reason"]
    # the same gap with a tight spread passes
    assert judge(number(), arms(0.16, 0.21, std=0.005))["verdict"] == "matches"


def test_opposite_gap_beyond_the_spread_differs_and_inside_is_inconclusive():
    assert judge(number(), arms(0.30, 0.16, std=0.02))["verdict"] == "differs"
    assert judge(number(), arms(0.18, 0.16, std=0.02))["verdict"] == "inconclusive"


def test_a_number_without_trend_matches_or_differs_by_tolerance_only():
    n = number(paper=0.01, trend=False)
    assert judge(n, arms(0.03, 0.0))["verdict"] == "matches"
    assert judge(n, arms(0.20, 0.0))["verdict"] == "differs"
    assert judge(n, arms(0.03, 0.0, n=2))["verdict"] == "inconclusive"


def test_a_claim_in_words_matches_when_its_trend_passes():
    n = PaperNumber("w", "claim", "Fig. 1", "fig", "falls", measures.of("evo", "alpha_S"),
                    trend="below", trend_test=measures.cmp("evo", "rnd", "alpha_S"))
    assert judge(n, arms(0.2, 0.6))["verdict"] == "matches"
    assert judge(n, arms(0.6, 0.2))["verdict"] == "differs"


def test_confounded_is_inconclusive():
    n = PaperNumber("c", "claim", "Fig. 8", "fig8", "SGD best", measures.of("evo", "alpha_S"),
                    trend="t", trend_test=lambda r: Trend((Gap(0.5, 0.0, 5, "big"),),
                                                          confounded="SGD underfits"))
    v = judge(n, arms(0.2, 0.6))
    assert v["verdict"] == "inconclusive" and v["reason"].startswith("confounded: SGD underfits")


def test_not_measured():
    assert judge(number(), None)["verdict"] == "not measured"
    v = judge(number(), result(row("evo", alpha_S=(0.2, 0.0))))
    assert v["verdict"] == "not measured" and "'rnd'" in v["reason"]


@pytest.mark.parametrize("gap, spread, n, state", [
    (0.10, 0.02, 3, "pass"), (0.03, 0.02, 3, "inconclusive"), (-0.10, 0.02, 3, "fail"),
    (0.0, 0.0, 3, "fail"), (0.10, 0.0, 1, "inconclusive")])
def test_gap_state(gap, spread, n, state):
    assert verdicts.gap_state(Gap(gap, spread, n, ""))[0] == state


def test_combined_spread_is_root_sum_of_squares():
    assert verdicts.combined(0.03, 0.04) == pytest.approx(0.05)
    assert verdicts.combined(None, 0.04) == pytest.approx(0.04)


def test_counts_has_the_five_kinds():
    c = verdicts.counts([{"verdict": "matches"}, {"verdict": "inconclusive"}])
    assert list(c) == list(verdicts.VERDICTS) and len(c) == 5
    assert c["matches"] == 1 and c["differs"] == 0
