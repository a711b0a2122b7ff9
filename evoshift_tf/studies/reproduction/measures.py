"""Reading a study's result: an arm's mean, std and seeds, and the comparisons (gaps) that the
trend tests make between arms (:class:`~evoshift_tf.studies.reproduction.verdicts.Gap`)."""

from __future__ import annotations

from evoshift_tf.studies.reproduction.verdicts import Gap, NotMeasured, Trend, combined

ACC = "clean_test_accuracy"


def row(result: dict, label: str) -> dict:
    """The summary row ``label`` of a study's result (:class:`NotMeasured` if absent)."""
    for s in result.get("summary", ()):
        if s["label"] == label:
            return s
    raise NotMeasured(f"{label!r} not run at this preset")


def value(result: dict, label: str, key: str = ACC) -> dict:
    """``{"mean", "std", "n"}`` of ``key`` in the summary row ``label``."""
    s = row(result, label)
    if f"{key}_mean" not in s:
        raise NotMeasured(f"{label!r} has no {key}")
    return {"mean": s[f"{key}_mean"], "std": s[f"{key}_std"], "n": s["n"]}


def mean(result: dict, label: str, key: str = ACC) -> float:
    return value(result, label, key)["mean"]


def pm(v: dict, digits: int = 3) -> str:
    """``mean ± std`` of a value."""
    return f"{v['mean']:.{digits}f} ± {v['std']:.{digits}f}"


def gap(result: dict, a: str, b: str, key: str = ACC, above: bool = True,
        margin: float = 0.0) -> Gap:
    """``a`` above (or below) ``b`` by more than ``margin``, in ``key``."""
    va, vb = value(result, a, key), value(result, b, key)
    d = va["mean"] - vb["mean"]
    g = (d if above else -d) - margin
    sign = ">" if above else "<"
    extra = f" + {margin:g}" if margin and above else (f" - {margin:g}" if margin else "")
    return Gap(g, combined(va["std"], vb["std"]), min(va["n"], vb["n"]),
               f"{a} {pm(va)} {sign} {b} {pm(vb)}{extra}")


def cmp(a: str, b: str, key: str = ACC, less: bool = True):
    """Trend test: ``key`` of ``a`` below (``less``) or above that of ``b``."""
    return lambda r: Trend((gap(r, a, b, key, above=not less),))


def near(a: str, b: str, within: float, key: str = ACC):
    """Trend test: ``|a - b| < within`` (an equivalence claim: the gap is ``within - |d|``)."""
    def test(r):
        va, vb = value(r, a, key), value(r, b, key)
        d = va["mean"] - vb["mean"]
        return Trend((Gap(within - abs(d), combined(va["std"], vb["std"]),
                          min(va["n"], vb["n"]), f"{a} - {b} = {d:+.3f} (within {within:g})"),))
    return test


def delta(a: str, b: str, key: str = ACC):
    """Measure: ``a - b`` in ``key``, its combined std and the fewer seeds."""
    def measure(r):
        va, vb = value(r, a, key), value(r, b, key)
        return {"mean": va["mean"] - vb["mean"], "std": combined(va["std"], vb["std"]),
                "n": min(va["n"], vb["n"])}
    return measure


def of(label: str, key: str = ACC):
    """Measure: ``key`` of arm ``label``."""
    return lambda r: value(r, label, key)
