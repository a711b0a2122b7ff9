"""Every paper number the reproduction judges (:func:`numbers`), in report order: Table 4 (the
dataset's column), then the figures' and tables' claims that a run on this dataset can test."""

from __future__ import annotations

import numpy as np

from evoshift_tf.studies import architectures, regularizers
from evoshift_tf.studies.reproduction import measures as m
from evoshift_tf.studies.reproduction import table4_claims
from evoshift_tf.studies.reproduction.paper_values import TRAIN_ACCURACY, PaperValues
from evoshift_tf.studies.reproduction.verdicts import Gap, NotMeasured, PaperNumber, Trend

TOLERANCE_ACCURACY = 0.02
"""|ours - paper| for a clean test accuracy to match."""
CONFOUND_TRAIN_GAP = 0.05
"""Fig. 8: SGD's poisoned-train accuracy this far below Adam's makes "SGD most robust"
confounded (it fits the poison less because it fits everything less)."""
FIG8 = ("SGD", "Adam", "RMSProp", "AdaBound")
"""The optimizers the paper compares (SGD + momentum is ours in addition)."""
DROPOUT = f"dropout {regularizers.DROPOUT}"
WEIGHT_DECAY = f"weight decay {regularizers.WEIGHT_DECAY}"


def _seed_stats(values) -> dict:
    v = np.asarray(values, float)
    return {"mean": float(v.mean()), "std": float(v.std()), "n": len(v)}


def _fig5d_measure(result):
    """Mean of the last generations' best clean accuracy minus the first generations' (a
    quarter of them, at least 3 where there are 6 or more); each generation is a sample."""
    acc = [h["best_monitor_clean_accuracy"] for h in result["history"]]
    q = max(min(3, len(acc) // 2), len(acc) // 4, 1)
    first, last = _seed_stats(acc[:q]), _seed_stats(acc[-q:])
    return {"mean": last["mean"] - first["mean"], "std": float(np.hypot(first["std"],
                                                                        last["std"])),
            "n": q, "first": first, "last": last}


def _fig5d_test(result):
    d = _fig5d_measure(result)
    f, la = d["first"], d["last"]
    return Trend((Gap(-d["mean"], d["std"], d["n"], f"generations 1-{d['n']}: {m.pm(f)} -> "
                      f"last {d['n']}: {m.pm(la)}"),))


def _by_seed(result) -> dict:
    """``{seed: {k: row}}`` of the partial-class study."""
    out = {}
    for r in result["rows"]:
        out.setdefault(r["seed"], {})[r["x"]] = r
    return out


def _fig6_measure(result):
    """Per seed, the slope of clean test accuracy over k (least squares); R^2 of the mean."""
    seeds = _by_seed(result)
    ks = sorted(next(iter(seeds.values())))
    if len(ks) < 3:
        raise NotMeasured("fewer than 3 values of k")
    slopes = [np.polyfit(ks, [s[k]["clean_test_accuracy"] for k in ks], 1)[0]
              for s in seeds.values()]
    acc = np.mean([[s[k]["clean_test_accuracy"] for k in ks] for s in seeds.values()], axis=0)
    fit = np.polyval(np.polyfit(ks, acc, 1), ks)
    total = np.sum((acc - acc.mean()) ** 2)
    r2 = 1 - np.sum((acc - fit) ** 2) / total if total > 0 else 0.0
    return {**_seed_stats(slopes), "r2": float(r2), "points": len(ks)}


def _fig6_linear(result):
    d = _fig6_measure(result)
    return Trend((Gap(-d["mean"], d["std"], d["n"], f"slope {d['mean']:+.3f} ± {d['std']:.3f} "
                      f"per class"),
                  Gap(d["r2"] - 0.8, 0.0, d["n"], f"R^2 {d['r2']:.2f} >= 0.8 over "
                      f"{d['points']} k")))


def _fig6_selective_measure(result):
    """Per seed at k ~ C/2: accuracy drop (vs k = 0) of the attacked classes minus the
    others'."""
    seeds = _by_seed(result)
    ks = sorted(next(iter(seeds.values())))
    inner = [x for x in ks if 0 < x < max(ks)]
    if not inner or 0 not in ks:
        raise NotMeasured("no k = 0 or no k strictly between 0 and C")
    mid = int(min(inner, key=lambda x: abs(x - max(ks) / 2)))
    diffs = []
    for s in seeds.values():
        drop = (np.asarray(s[0]["per_class_accuracy"], float)
                - np.asarray(s[mid]["per_class_accuracy"], float))
        diffs.append(np.nanmean(drop[:mid]) - np.nanmean(drop[mid:]))
    return {**_seed_stats(diffs), "k": mid}


def _fig6_selective(result):
    d = _fig6_selective_measure(result)
    return Trend((Gap(d["mean"], d["std"], d["n"], f"k = {d['k']}: attacked classes' drop "
                      f"minus the others' {m.pm(d)}"),))


def _fig7_augmentation(result):
    others = ("no-reg", DROPOUT, WEIGHT_DECAY)
    return Trend(tuple(m.gap(result, "augmentation", o) for o in others))


def _fig8_confound(result) -> str:
    sgd = m.mean(result, "SGD", "poisoned_train_accuracy")
    adam = m.mean(result, "Adam", "poisoned_train_accuracy")
    if sgd < adam - CONFOUND_TRAIN_GAP:
        return (f"plain SGD fits the poisoned training images to {sgd:.2f} vs Adam {adam:.2f} "
                f"(more than {CONFOUND_TRAIN_GAP:g} lower): it may learn the pixels less because "
                "it learns everything less in this budget")
    return ""


def _fig8_sgd(result):
    gaps = tuple(m.gap(result, "SGD", o) for o in FIG8 if o != "SGD")
    return Trend(gaps, _fig8_confound(result))


def _fig8_adaptive(result):
    confound = _fig8_confound(result)
    high = ("AdaBound",) if confound else ("AdaBound", "SGD")
    return Trend(tuple(m.gap(result, lo, hi, above=False) for lo in ("Adam", "RMSProp")
                       for hi in high))


def _fig8_adabound(result):
    gaps = (m.gap(result, "AdaBound", "Adam"), m.gap(result, "AdaBound", "RMSProp"),
            m.gap(result, "AdaBound", "SGD", above=False))
    return Trend(gaps, _fig8_confound(result))


def _fig9_pair(key: str, less: bool):
    def test(r):
        s, a = m.value(r, "loss surface", f"{key}_sgd"), m.value(r, "loss surface", f"{key}_adam")
        d = (a["mean"] - s["mean"]) if less else (s["mean"] - a["mean"])
        return Trend((Gap(d, float(np.hypot(s["std"], a["std"])), min(s["n"], a["n"]),
                          f"SGD {m.pm(s)} {'<' if less else '>'} Adam {m.pm(a)}"),))
    return test


def _median_sizes(result) -> list[str]:
    sizes = [s["label"].split(" ", 1)[1] for s in result["summary"]
             if s["label"].startswith("clean median")]
    if not sizes:
        raise NotMeasured("no median filter arm")
    return sizes


def _fig10(arm: str, above: bool):
    def test(r):
        return Trend(tuple(m.gap(r, f"{arm} {s}", f"{arm} none", above=above)
                           for s in _median_sizes(r)))
    return test


def _top_severity(result, n: int) -> int:
    sev = sorted(s["x"] for s in result["summary"] if s["group"] == f"N_p={n}")
    if len(sev) < 2 or sev[0] != 0:
        raise NotMeasured(f"N_p={n}: no severity 0 and a stronger one")
    return int(sev[-1])


def _noise_gain(n: int):
    """Measure: accuracy at the strongest severity minus none, for N_p = ``n``."""
    def measure(r):
        top = _top_severity(r, n)
        return m.delta(f"N_p={n} severity {top}", f"N_p={n} severity 0")(r)
    return measure


def _fig11_np1(r):
    top = _top_severity(r, 1)
    return Trend((m.gap(r, f"N_p=1 severity {top}", "N_p=1 severity 0"),))


def _fig11_np5(r):
    g1, g5 = _noise_gain(1)(r), _noise_gain(5)(r)
    return Trend((Gap(g1["mean"] - g5["mean"], float(np.hypot(g1["std"], g5["std"])),
                      min(g1["n"], g5["n"]), f"gain N_p=5 {m.pm(g5)} < gain N_p=1 "
                      f"{m.pm(g1)}"),))


def _psnr_below(arm: str, ref: str):
    def test(r):
        t = m.cmp(arm, ref, "psnr_db")(r)
        try:
            rnd = m.mean(r, arm.replace("EvoShift", "random"), "psnr_db")
            g = t.gaps[0]
            t = Trend((Gap(g.gap, g.spread, g.n, g.detail + f" (random placement, same N_p: "
                           f"{rnd:.2f})"),))
        except NotMeasured:
            pass
        return t
    return test


def _tables_numbers() -> list[PaperNumber]:
    out = []
    svhn, cifar = architectures.PAPER_TABLE2["SVHN"], architectures.PAPER_TABLE2["CIFAR10"]
    names = {"resnet20": "ResNet-20", "resnet32": "ResNet-32", "densenet40": "DenseNet-40"}
    for i, v in enumerate(architectures.VICTIMS):
        name = names[v]
        clean, e1, e5, jac = (f"{v} N_p=0", f"{v} EvoShift N_p=1", f"{v} EvoShift N_p=5",
                              f"{v} Jacobsen N_p=1")
        out += [
            PaperNumber(
                f"tables1_2.{v}.np1", f"{name} (augmentation) trained on EvoShift N_p = 1: clean "
                "test accuracy falls far below clean training", "Tables 1-2", "tables1_2",
                f"SVHN {svhn[0][i]} -> {svhn[1][i]} %, CIFAR-10 {cifar[0][i]} -> {cifar[1][i]} %",
                m.delta(e1, clean), trend="more than 10 points below clean",
                trend_test=lambda r, c=clean, e=e1: Trend((m.gap(r, e, c, above=False,
                                                                 margin=0.10),)),
                note="the paper's tables are SVHN and CIFAR-10 (ColorNet attacks)"),
            PaperNumber(
                f"tables1_2.{v}.jacobsen", f"{name}: EvoShift N_p = 1 below the Jacobsen et al. "
                "placement", "Table 1", "tables1_2",
                f"SVHN: Jacobsen {architectures.PAPER_TABLE1_JACOBSEN_SVHN[i]} % vs EvoShift "
                f"{svhn[1][i]} %", m.delta(e1, jac), trend="EvoShift below Jacobsen",
                trend_test=m.cmp(e1, jac), note="the paper's table is SVHN"),
            PaperNumber(
                f"tables1_2.{v}.np5", f"{name}: N_p = 5 below N_p = 1", "Tables 1-2", "tables1_2",
                f"SVHN {svhn[1][i]} -> {svhn[5][i]} %, CIFAR-10 {cifar[1][i]} -> "
                f"{cifar[5][i]} %", m.delta(e5, e1), trend="N_p = 5 below N_p = 1",
                trend_test=m.cmp(e5, e1), note="the paper's tables are SVHN and CIFAR-10"),
        ]
    return out


def _figure_numbers() -> list[PaperNumber]:
    P = PaperNumber
    return [
        P("fig5d.search_curve", "clean test accuracy of each generation's best candidate "
          "(last generations minus the first: a quarter, at least 3)", "Fig. 5d, Sec. VIII-A",
          "fig5d", "falls as the generations advance (figure; no numbers)", _fig5d_measure,
          trend="last generations below the first", trend_test=_fig5d_test,
          note="ours is the search's own 1-epoch victim, measured for the curve only"),
        P("fig6.linear", "clean test accuracy vs attacked classes k (slope per class)",
          "Fig. 6, Sec. VIII-C", "fig6", "falls about linearly in k (figure)", _fig6_measure,
          trend="negative slope, linear fit R^2 >= 0.8", trend_test=_fig6_linear),
        P("fig6.selective", "at k = C/2 the attacked classes lose accuracy, the others keep it "
          "(their accuracy drop vs k = 0 minus the others')", "Sec. VIII-C", "fig6",
          "the attacked classes are confused, the others correctly classified",
          _fig6_selective_measure, trend="drop of attacked classes > drop of the others",
          trend_test=_fig6_selective),
        P("fig7.augmentation", "augmentation vs the other regularizers under N_p = 1 "
          "(final accuracy minus no-reg)", "Fig. 7, Sec. VIII-D1", "fig7",
          "the most effective regularizer", m.delta("augmentation", "no-reg"),
          trend="above every other regularizer", trend_test=_fig7_augmentation),
        P("fig7.dropout", "dropout 0.4 minus no-reg, final clean test accuracy",
          "Fig. 7, Sec. VIII-D2", "fig7", "little to no effect", m.delta(DROPOUT, "no-reg"),
          trend="within 0.05 of no-reg", trend_test=m.near(DROPOUT, "no-reg", 0.05)),
        P("fig7.weight_decay", "weight decay 0.01 minus no-reg, final clean test accuracy",
          "Fig. 7, Sec. VIII-D3", "fig7", "marginal gain in early epochs; final accuracy "
          "similar to no-reg after 30 epochs", m.delta(WEIGHT_DECAY, "no-reg"),
          trend="within 0.05 of no-reg", trend_test=m.near(WEIGHT_DECAY, "no-reg", 0.05),
          note="the paper also sees a gain in the first epochs"),
        P("fig7.train_accuracy", "training accuracy on the poisoned images (no-reg, N_p = 1)",
          "Fig. 7 caption", "fig7", TRAIN_ACCURACY, m.of("no-reg", "poisoned_train_accuracy"),
          tolerance=0.05, note="the paper: 'close to 100%'"),
        P("fig8.sgd", "plain SGD vs Adam, RMSProp, AdaBound under N_p = 1 (SGD minus Adam, "
          "clean test accuracy)", "Fig. 8, Sec. VIII-G", "fig8",
          "SGD consistently the most robust", m.delta("SGD", "Adam"),
          trend="SGD above each of the three", trend_test=_fig8_sgd),
        P("fig8.adaptive", "Adam and RMSProp vs SGD, AdaBound (Adam's accuracy / its clean "
          "accuracy)", "Fig. 8, Sec. VIII-G", "fig8", "prohibitively low test accuracy",
          m.of("Adam", "accuracy_vs_clean"), trend="Adam and RMSProp below AdaBound and SGD "
          "(AdaBound only where SGD is confounded)", trend_test=_fig8_adaptive),
        P("fig8.adabound", "AdaBound between the adaptive methods and SGD (AdaBound minus "
          "Adam)", "Fig. 8, Sec. VIII-G", "fig8", "intermediate", m.delta("AdaBound", "Adam"),
          trend="max(Adam, RMSProp) < AdaBound < SGD", trend_test=_fig8_adabound),
        P("fig9.test_loss", "clean test loss at alpha = 0 (SGD) vs 1 (Adam), Eq. (14)",
          "Fig. 9, Sec. VIII-G1", "fig9", "lower at SGD", m.of("loss surface", "test_loss_sgd"),
          trend="SGD below Adam", trend_test=_fig9_pair("test_loss", True)),
        P("fig9.train_loss", "poisoned training loss at alpha = 0 (SGD) vs 1 (Adam)",
          "Fig. 9, Sec. VIII-G1", "fig9", "lower at SGD",
          m.of("loss surface", "train_loss_sgd"), trend="SGD below Adam",
          trend_test=_fig9_pair("train_loss", True)),
        P("fig9.sharpness", "sharpness of the training loss around SGD vs Adam "
          "((L(a-0.25) + L(a+0.25))/2 - L(a))", "Fig. 9, Sec. VIII-G1", "fig9",
          "sharper around SGD, flatter around Adam", m.of("loss surface", "sharpness_sgd"),
          trend="SGD sharper than Adam", trend_test=_fig9_pair("sharpness", False)),
        P("fig10.attacked", "median filter (train + test inputs) on the N_p = 1 attacked model",
          "Fig. 10, Sec. VIII-H1", "fig10", "improves the test accuracy",
          m.delta("N_p=1 median 3x3", "N_p=1 none"), trend="every filter size above no filter",
          trend_test=_fig10("N_p=1", True), note="the paper's figure is CIFAR-10"),
        P("fig10.clean", "median filter on the clean-trained model", "Fig. 10, Sec. VIII-H1",
          "fig10", "a slight drop", m.delta("clean median 3x3", "clean none"),
          trend="every filter size below no filter", trend_test=_fig10("clean", False),
          note="the paper's figure is CIFAR-10"),
        P("fig11.np1", "strongest Gaussian noise on the N_p = 1 attacked training images "
          "(accuracy gain over no noise)", "Fig. 11, Sec. VIII-H2", "fig11",
          "high severity provides some defense", _noise_gain(1),
          trend="a gain beyond the seed spread", trend_test=_fig11_np1,
          note="the paper's figure is MNIST"),
        P("fig11.np5", "the same gain at N_p = 5", "Fig. 11, Sec. VIII-H2", "fig11",
          "not much defense for more pixels", _noise_gain(5),
          trend="gain at N_p = 5 below the gain at N_p = 1", trend_test=_fig11_np5,
          note="the paper's figure is MNIST"),
        P("fig12.psnr_np1", "VAE-GAN PSNR of clean test reconstructions, trained on EvoShift "
          "N_p = 1 (dB)", "Sec. VIII-I", "fig12_13", "14.42 dB (CIFAR-10), 16.20 dB (SVHN)",
          m.of("EvoShift N_p=1", "psnr_db"), trend="below the clean-trained VAE-GAN",
          trend_test=_psnr_below("EvoShift N_p=1", "clean"),
          note="the paper reports CIFAR-10 and SVHN and no clean PSNR"),
        P("fig12.psnr_np10", "the same at N_p = 10 (dB)", "Sec. VIII-I, Figs. 12-13",
          "fig12_13", "11.06 dB (CIFAR-10), 13.49 dB (SVHN): lower than N_p = 1",
          m.of("EvoShift N_p=10", "psnr_db"), trend="below N_p = 1",
          trend_test=_psnr_below("EvoShift N_p=10", "EvoShift N_p=1"),
          note="the paper reports CIFAR-10 and SVHN"),
    ]


def numbers(values: PaperValues) -> list[PaperNumber]:
    """Every number judged for ``values``' dataset, in report order."""
    clean = PaperNumber(
        "clean_accuracy", "GrayNet clean test accuracy (CE, clean training)",
        "Table 4 (CE Clean alpha_S, Eq. (12) inverted)", "table4", values.clean_accuracy,
        m.of("CE Clean"), tolerance=TOLERANCE_ACCURACY)
    jacobsen = PaperNumber(
        "jacobsen.graynet", "GrayNet: EvoShift N_p = 1 minus the Jacobsen et al. placement, "
        "clean test accuracy", "Sec. VIII-B", "jacobsen",
        "EvoShift outperforms the baseline for all datasets",
        m.delta("evoshift N_p=1", "jacobsen N_p=1"), trend="EvoShift below Jacobsen",
        trend_test=m.cmp("evoshift N_p=1", "jacobsen N_p=1"))
    return ([clean] + table4_claims.numbers(values) + _figure_numbers() + _tables_numbers()
            + [jacobsen])
