"""The reproduction's Markdown report (``REPRODUCTION.md``) and its export to ``docs/``."""

from __future__ import annotations

import json
import os
import shutil

from evoshift_tf import atomic, hardware
from evoshift_tf import summary as summary_lib
from evoshift_tf.studies.reproduction import budgets, registry, verdicts

NOT_COVERED = (
    ("Table 4, the other dataset's column", "`--dataset=mnist` (or fashion_mnist) where it is "
     "prepared"),
    ("Fig. 5c (MNIST search curve), Figs. 5a/6a (MNIST)", "another dataset"),
    ("Table 3 (CIFAR-10 -> STL-10)", "neither dataset is on this machine: "
     "`studies/cross_dataset.py`"),
    ("Fig. 14 (SVF transfer to 64x64 ImageNet, ResNet-50/101, DenseNet-161)", "ImageNet: "
     "`studies/svf_transfer.py`"),
    ("Tables 1-2 absolute accuracies", "SVHN and CIFAR-10 with ColorNet attacks; here only "
     "their claims are tested"),
)
"""Paper numbers that a run on one dataset cannot measure, and where they are handled."""

NOT_MEASURED = "not run at this preset or in this call"
"""What *not measured* means in the legend of the reproduction's report."""


def legend(not_measured: str = NOT_MEASURED) -> str:
    """The verdicts' legend; ``not_measured``: what *not measured* means in this report."""
    return (
        "Verdicts: *matches* = within the stated tolerance of the paper's number and its trend "
        "test passes (a claim in words: its trend test passes); *trend holds, size differs* = "
        "the trend test passes but the number is off by more than the tolerance; *differs* = the "
        "trend test fails, or a number without one is off; *inconclusive* = a compared arm has "
        f"fewer than {verdicts.MIN_SEEDS} seeds, or a trend gap is not larger than "
        f"{verdicts.SPREAD_FACTOR:g} x the combined seed spread sqrt(s1^2 + s2^2), or the "
        f"comparison is confounded; *not measured* = {not_measured}. A trend passes only when "
        "its gap exceeds that spread rule. Ours: mean ± std over seeds (population std), n "
        "seeds. Every victim is measured by `evoshift_tf.evaluate.evaluate`.")


LEGEND = legend()


def study_summary(entry: dict) -> dict:
    """What the report keeps of a study's cache entry."""
    return {"title": entry["title"], "budget": entry["budget"], "seconds": entry["seconds"],
            "cpu_seconds": entry.get("cpu_seconds"), "load": entry["load"],
            "figures": entry["result"].get("figures", [])}


def _ours(v: dict) -> str:
    """``mean ± std (n = seeds)``, or mean and n where there is no std."""
    o = v.get("ours")
    if not o:
        return "-"
    if o["std"] is None or o["n"] == 1:
        return f"{o['mean']:.3f} (n = {o['n']})"
    return f"{o['mean']:.3f} ± {o['std']:.3f} (n = {o['n']})"


def _paper(v) -> str:
    return f"{v:.2f}" if isinstance(v, float) else str(v)


def _time_line(rep: dict) -> str:
    m, studies = rep["machine"], rep["studies"]
    wall = sum(s["seconds"] for s in studies.values())
    cpu = sum(s.get("cpu_seconds") or 0 for s in studies.values())
    load_mean = (sum(s["load"]["mean"] * s["seconds"] for s in studies.values()) / wall
                 if wall else rep["load"]["mean"])
    load_max = max([s["load"]["max"] for s in studies.values()] or [rep["load"]["max"]])
    shared = load_max > (m["cpus"] or 1)
    reused = rep["reused"]
    return (f"Time: the {len(studies)} studies took {wall:.0f} s wall ({wall / 60:.1f} min) and "
            f"{cpu:.0f} s CPU ({cpu / 60:.1f} min, all threads; other jobs do not inflate it); "
            f"1-min load mean {load_mean:.1f}, max {load_max:.1f} on {m['cpus']} cores while "
            "they ran" + (": the CPU was shared with other jobs, so the wall times are inflated"
                          if shared else "") + f". This command ran {rep['wall_seconds']:.0f} s"
            + (f" and reused {len(reused)} finished studies from the cache of an earlier run "
               f"({', '.join(reused)})" if reused else "") + ".")


def _header(rep: dict) -> list[str]:
    """Preset, dataset and paper column, machine, time, attacks, command."""
    m = rep["machine"]
    lines = [
        f"Preset: **{rep['preset']}** ({rep['preset_cost']}); dataset {rep['dataset']}, "
        f"compared with the paper's {rep['paper_column']} numbers.", "",
        f"Machine: {m['cpus']} CPU cores, flags "
        f"{' '.join(m['cpu_flags']) or 'none of ' + '/'.join(hardware.SPEED_CPU_FLAGS)}, "
        f"{m['gpus']} GPU, TensorFlow {m['tensorflow']}.", "",
        _time_line(rep), "",
        "Attacks used (the studies' one attack source; sha256 of the file): " + "; ".join(
            f"N_p = {n}: `{w['path']}` (search seed {w['search_seed']}, sha256 {w['sha256']})"
            for n, w in sorted(rep["attacks"].items(), key=lambda kv: int(kv[0]))) + "."]
    if rep.get("command"):
        lines += ["", f"Command: `{rep['command']}`"]
    if rep.get("not_run"):
        lines += ["", f"Not run in this call and not in the cache (their numbers are *not "
                      f"measured*): {', '.join(rep['not_run'])}."]
    return lines


def row_cells(n: dict) -> list[str]:
    """A verdict's cells in the report's tables (id, what, paper, ours, test, budget, verdict;
    ``|`` escaped)."""
    cells = (n["id"], f"{n['what']} ({n['source']})", _paper(n["paper"]), _ours(n),
             n["test"] or "-", n["budget"] or "-",
             f"**{n['verdict']}**" + (f": {n['reason']}" if n["reason"] else ""))
    return [str(c).replace("|", "\\|") for c in cells]


def _section(title: str, rows: list[dict], info: dict | None, figure_dir: str,
             sid: str) -> list[str]:
    lines = [f"## {title}", ""]
    if info:
        cpu = "" if info.get("cpu_seconds") is None else f", {info['cpu_seconds']:.0f} s CPU"
        lines += [f"Budget: {info['budget']}; {info['seconds']:.0f} s wall{cpu}.", ""]
    lines += [summary_lib.markdown_table(
        ["id", "what", "paper", "ours", "test", "budget", "verdict"],
        (row_cells(n) for n in rows)), ""]
    for fig in (info or {}).get("figures", []):
        lines += [f"![{sid}]({figure_dir}/{fig})", ""]
    return lines


def summary_lines(nums: list[dict], legend_text: str = LEGEND) -> list[str]:
    """The verdict counts, the legend and what differs (with the test and why)."""
    counts = verdicts.counts(nums)
    lines = [f"{len(nums)} numbers: " + "; ".join(f"{c} *{v}*" for v, c in counts.items() if c)
             + ".", "", legend_text, ""]
    differs = [n for n in nums if n["verdict"] in ("differs", "trend holds, size differs")]
    if differs:
        lines += ["Where ours differs:", ""]
        lines += [f"- `{n['id']}` ({n['what']}): paper {_paper(n['paper'])}, ours {_ours(n)}: "
                  f"**{n['verdict']}**. Test: {n['test']}. Why: {n['reason']}." for n in differs]
        lines.append("")
    return lines


def _times(rep: dict) -> list[str]:
    return ["## Budgets and times", "", summary_lib.markdown_table(
        ["study", "budget", "wall s", "CPU s", "1-min load (mean / max)"],
        ([f"{k}: {s['title']}", s["budget"], f"{s['seconds']:.0f}",
          "-" if s.get("cpu_seconds") is None else f"{s['cpu_seconds']:.0f}",
          f"{s['load']['mean']:.1f} / {s['load']['max']:.1f}"]
         for k, s in rep["studies"].items())),
        "", f"The paper's victims: {budgets.PAPER_BUDGET}, 3 seeds (5 for Figs. 7-8).", ""]


def markdown(rep: dict, figure_dir: str = "figures") -> str:
    """``REPRODUCTION.md``: the header, the verdict counts and legend, what differs, a table
    per study with its figures (``figure_dir``/..., relative to the report), the budgets and
    times, and what is not covered."""
    nums = rep["numbers"]
    lines = [f"# Reproduction of the paper's numbers on {rep['dataset']}", ""]
    lines += _header(rep) + [""] + summary_lines(nums)
    titles = {**{s: registry.STUDIES[s].title for s in budgets.STUDY_IDS},
              **registry.REFERENCE_SECTIONS}
    for sid, title in titles.items():
        rows = [n for n in nums if n["study"] == sid]
        if rows:
            lines += _section(title, rows, rep["studies"].get(sid), figure_dir, sid)
    lines += _times(rep) + ["## Not covered", ""]
    lines += [f"- {what}: {why}." for what, why in NOT_COVERED]
    return "\n".join(lines) + "\n"


def export(out_dir: str, markdown_path: str) -> str:
    """Copy ``<out>/REPRODUCTION.md`` to ``markdown_path`` and its figures and
    ``reproduction.json`` to the folder named like it (``docs/reproduction.md`` ->
    ``docs/reproduction/``), links rewritten to that folder. Returns the folder."""
    folder = os.path.splitext(markdown_path)[0]
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(out_dir, "reproduction.json")) as f:
        rep = json.load(f)
    for fig in (fig for s in rep["studies"].values() for fig in s["figures"]):
        shutil.copyfile(os.path.join(out_dir, "figures", fig), os.path.join(folder, fig))
    shutil.copyfile(os.path.join(out_dir, "reproduction.json"),
                    os.path.join(folder, "reproduction.json"))
    atomic.write_text(markdown_path, markdown(rep, os.path.basename(folder)))
    return folder
