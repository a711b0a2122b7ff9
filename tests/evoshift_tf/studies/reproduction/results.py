"""Hand-made study results for the verdict tests: summary rows as ``summary.by_label`` writes
them (``<key>_mean``, ``<key>_std``, ``n``)."""


def row(label: str, n: int = 3, **values) -> dict:
    """A summary row; ``values``: ``key=(mean, std)``."""
    out = {"label": label, "n": n, "group": "", "x": None}
    for k, (mean, std) in values.items():
        out[f"{k}_mean"], out[f"{k}_std"] = mean, std
    return out


def result(*rows) -> dict:
    return {"summary": list(rows)}
