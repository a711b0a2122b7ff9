from evoshift_tf.studies.reproduction import claims, paper_values
from evoshift_tf.studies.reproduction.verdicts import judge

from .results import result, row


def _numbers():
    return {n.id: n for n in claims.numbers(paper_values.for_dataset("fashion_mnist"))}


def test_ids_are_unique_and_every_number_has_a_test():
    nums = claims.numbers(paper_values.for_dataset("fashion_mnist"))
    assert len({n.id for n in nums}) == len(nums)
    assert all(n.trend_test is not None or n.tolerance is not None for n in nums)
    assert _numbers()["clean_accuracy"].paper == 0.91
    assert paper_values.for_dataset("mnist") and \
        {n.id for n in claims.numbers(paper_values.for_dataset("mnist"))} == set(_numbers())


def _fig8(sgd_train, sgd=0.80):
    arm = lambda label, acc, train: row(label, 5, clean_test_accuracy=(acc, 0.01),  # noqa: E731
                                        poisoned_train_accuracy=(train, 0.01),
                                        accuracy_vs_clean=(acc / 0.85, 0.01))
    return result(arm("SGD", sgd, sgd_train), arm("Adam", 0.40, 0.99),
                  arm("RMSProp", 0.42, 0.99), arm("AdaBound", 0.60, 0.99))


def test_fig8_sgd_is_confounded_when_it_fits_the_poison_less():
    n = _numbers()["fig8.sgd"]
    v = judge(n, _fig8(sgd_train=0.70))
    assert v["verdict"] == "inconclusive" and v["reason"].startswith("confounded: plain SGD")
    assert judge(n, _fig8(sgd_train=0.97))["verdict"] == "matches"
    assert judge(n, _fig8(sgd_train=0.97, sgd=0.50))["verdict"] == "differs"


def test_fig8_adaptive_drops_the_confounded_sgd_arm():
    n = _numbers()["fig8.adaptive"]
    v = judge(n, _fig8(sgd_train=0.70))
    assert v["verdict"] == "matches" and "SGD" not in v["test"].split(": ", 1)[1]
    assert "< SGD" in judge(n, _fig8(sgd_train=0.97))["test"]


def _noise(g1_top, std):
    r = lambda label, acc: {**row(label, 3, clean_test_accuracy=(acc, std)),  # noqa: E731
                            "group": label.split(" ")[0], "x": int(label[-1])}
    return result(r("N_p=1 severity 0", 0.30), r("N_p=1 severity 5", 0.30 + g1_top),
                  r("N_p=5 severity 0", 0.20), r("N_p=5 severity 5", 0.21))


def test_a_noise_gain_needs_more_than_the_spread():
    n = _numbers()["fig11.np1"]
    assert judge(n, _noise(0.016, 0.02))["verdict"] == "inconclusive"   # the old "+0.016 > 0"
    assert judge(n, _noise(0.20, 0.02))["verdict"] == "matches"


def test_psnr_from_one_vaegan_per_arm_is_inconclusive():
    r = result(row("clean", 1, psnr_db=(18.00, 0.0)),
               row("EvoShift N_p=1", 1, psnr_db=(17.96, 0.0)))
    v = judge(_numbers()["fig12.psnr_np1"], r)
    assert v["verdict"] == "inconclusive" and "n = 1" in v["reason"]


def _search(accuracies):
    return {"history": [{"best_monitor_clean_accuracy": a} for a in accuracies]}


def test_fig5d_compares_the_first_and_last_three_generations():
    n = _numbers()["fig5d.search_curve"]
    v = judge(n, _search([0.80, 0.78, 0.79, 0.70, 0.65, 0.60, 0.55, 0.50, 0.52, 0.51]))
    assert v["verdict"] == "matches" and v["ours"]["n"] == 3
    assert judge(n, _search([0.80, 0.70, 0.75, 0.76, 0.72, 0.74, 0.78, 0.71, 0.79, 0.73])
                 )["verdict"] == "inconclusive"
    assert judge(n, _search([0.5, 0.6]))["verdict"] == "inconclusive"   # one generation each
