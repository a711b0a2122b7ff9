"""The CIFAR-10 reproduction page (``docs/reproduction_cifar10.md``): the paper's CIFAR-10
numbers beside a CIFAR-10 benchmark file's measurements (:mod:`.cifar10`), in the Markdown of
the Fashion-MNIST report (:mod:`.report`)."""

from __future__ import annotations

import dataclasses
import hashlib
import json

from evoshift_tf import atomic
from evoshift_tf import summary as summary_lib
from evoshift_tf.studies.reproduction import cifar10, report

SECTIONS = {
    "table2": "Table 2: transfer to ResNet-20/32 and DenseNet-40 with augmentation (CIFAR-10 rows)",
    "claims": "Claims in words that the benchmark's arms test",
    "fig10": "Fig. 10: the median filter, from the defense benchmark's cells",
    "not_measured": f"Not measured on {cifar10.DATASET}",
}
"""Report sections by the numbers' ``study``, in order."""


def _header(doc: dict, strengths: "list[Source]", epochs: int, command: str,
            defenses: "Source | None") -> list[str]:
    """Dataset, source files, budget per victim model (ours and the paper's), machine,
    command; ``doc``: the files ``strengths`` :func:`cifar10.combine`d."""
    mach = doc.get("machine") or {}
    kept, _ = cifar10.select(doc["rows"], epochs)
    summary = cifar10.arms(kept)
    search = ", ".join(f"{k} {v}" for k, v in (doc.get("search_overrides") or {}).items())
    left = len(doc["rows"]) - len(kept)
    files = " and ".join(f"`{x.name}` (sha256 {x.sha256})" for x in strengths)
    lines = [
        f"Dataset: `{cifar10.DATASET}`, CIFAR-10 re-encoded as quality-75 JPEGs (the same "
        "images, order and labels; [cifar10.md](cifar10.md)), compared with the paper's CIFAR-10 "
        "numbers. Every number of ours below is measured on it.", "",
        f"Measurements: {files}, written by `benchmarks/attack_strength.py`"
        + (" (one file per victim model)" if len(strengths) > 1 else "")
        + "; this page only reads it (nothing is trained)."
        + (f" Fig. 10: `{defenses.name}` (sha256 {defenses.sha256}), written by "
           "`benchmarks/defense_aware.py`." if defenses else ""), "",
        " ".join(_budget(doc["recipes"][v], [s for s in summary if s["victim"] == v], epochs)
                 for v in doc["recipes"])
        + f" The EvoShift attack's search: {search or 'its defaults'}. The paper's Table 2: "
        f"{cifar10.PAPER_EPOCHS} epochs on all {cifar10.PAPER_TRAIN_IMAGES:,} training images, "
        f"{cifar10.PAPER_REPEATS} repeats. With fewer than 3 seeds per arm every measured "
        "number is *inconclusive* by the rules below, whatever its gap."
        + (f" Left out: {left} rows at other victim epochs." if left else ""), ""]
    if mach:
        lines += [f"Machine of the measurement: {mach.get('cpus', '?')} CPU cores, flags "
                  f"{' '.join(mach.get('cpu_flags') or []) or 'none'}, {mach.get('gpus', 0)} "
                  f"GPU, TensorFlow {mach.get('tensorflow', '?')}.", ""]
    return lines + ([f"Command: `{command}`", ""] if command else [])


def _budget(recipe: dict, arms: list[dict], epochs: int) -> str:
    """One victim model's budget sentence: its arms' :func:`cifar10.budget` and its recipe."""
    return (f"Budget: {cifar10.budget(arms, recipe, epochs)}; "
            f"{recipe.get('optimizer', '?')} {recipe.get('learning_rate', '?')}, batch "
            f"{recipe.get('batch_size', '?')}, {recipe.get('precision', '?')}.")


def _measurements(doc: dict, epochs: int) -> list[str]:
    """Every arm of the benchmark files (combined), with or without a paper number."""
    kept, _ = cifar10.select(doc["rows"], epochs)
    summary = cifar10.arms(kept)
    return ["## Every arm measured", "",
            f"Mean ± std over the arm's victims (n), clean test accuracy after the last of "
            f"{epochs} epochs and at the best epoch (peak). Attacks without a paper number "
            "(OPS, random placement) are shown as measured; alpha_S and alpha_N have no paper "
            "value here (Table 4 has no CIFAR-10 column).", "",
            summary_lib.markdown(summary, cifar10.KEYS, title="arm"), ""]


@dataclasses.dataclass(frozen=True)
class Source:
    """A benchmark file read: its content, how the page names it, its SHA-256."""

    doc: dict
    name: str
    sha256: str = ""


def read(path: str, name: str | None = None) -> Source:
    """The JSON file ``path`` as a :class:`Source` (``name``: how the page names it)."""
    with open(path, "rb") as f:
        raw = f.read()
    return Source(json.loads(raw), name or path, hashlib.sha256(raw).hexdigest())


def markdown(strengths: list[Source], epochs: int | None = None, command: str = "",
             defenses: Source | None = None) -> str:
    """The page for the benchmark files ``strengths`` (one per victim model, shown by their
    names), Fig. 10 from the defense benchmark file ``defenses``: header with the budgets,
    verdict counts and legend, a table per section, every arm."""
    return _page(strengths, epochs, command, defenses)[0]


def _page(strengths: list[Source], epochs: int | None, command: str,
          defenses: Source | None) -> tuple[str, list[dict]]:
    """:func:`markdown`'s text and the verdicts it shows."""
    doc = cifar10.combine([x.doc for x in strengths])
    _, epochs = cifar10.select(doc["rows"], epochs)
    nums = cifar10.judge_all(doc, epochs, defenses.doc if defenses else None)
    lines = [f"# Reproduction of the paper's CIFAR-10 numbers on {cifar10.DATASET}", ""]
    lines += _header(doc, strengths, epochs, command, defenses)
    lines += report.summary_lines(nums, report.legend(cifar10.NOT_MEASURED))
    for sid, title in SECTIONS.items():
        rows = [n for n in nums if n["study"] == sid]
        if rows:
            lines += [f"## {title}", "", summary_lib.markdown_table(
                ["id", "what", "paper", "ours", "test", "budget", "verdict"],
                (report.row_cells(n) for n in rows)), ""]
    lines += _measurements(doc, epochs)
    return "\n".join(lines).rstrip("\n") + "\n", nums


def write(strengths: list[Source], markdown_path: str, epochs: int | None = None,
          command: str = "", defenses: Source | None = None) -> list[dict]:
    """Write the page of the benchmark files ``strengths`` (see :func:`read`) to
    ``markdown_path`` (atomically; ``defenses``: the defense file for Fig. 10) and return the
    verdicts."""
    text, nums = _page(strengths, epochs, command, defenses)
    atomic.write_text(markdown_path, text)
    return nums
