"""Running the reproduction: the attacks, every study (or its cached result), the verdicts and
the report files."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time

import numpy as np
from absl import logging

from evoshift_tf import atomic, hardware
from evoshift_tf import attack as attack_lib
from evoshift_tf import data as data_lib
from evoshift_tf.studies import attacks as attacks_lib
from evoshift_tf.studies.reproduction import budgets, cache, claims, gradcam_reference
from evoshift_tf.studies.reproduction import paper_values, registry, report, verdicts
from evoshift_tf.studies.reproduction.monitor import LoadMonitor, cpu_seconds


def reference_dir(dataset_name: str) -> str:
    """The committed attacks for ``dataset_name`` (``evoshift_tf/reference_attacks/<name>/``)."""
    return os.path.join(attacks_lib.REFERENCE_DIR, dataset_name)


def file_sha256(path: str) -> str:
    """sha256 of a file's bytes (what ``sha256sum`` prints)."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _content_sha256(a: attack_lib.PixelAttack) -> str:
    payload = json.dumps({"positions": np.asarray(a.positions).tolist(),
                          "values": np.asarray(a.values).tolist()})
    return hashlib.sha256(payload.encode()).hexdigest()


def resolve_attacks(dataset: data_lib.Dataset, p: budgets.Preset, num_pixels, out_dir: str,
                    attack_dir: str | None = None, seed: int = 0) -> tuple[dict, dict]:
    """``({N_p: PixelAttack}, {N_p: where it came from})`` through the studies' one attack
    source: the committed attack in ``attack_dir``, else ``<out>/attacks/``, else a search
    (``p.attack_search``) cached there. ``sha256`` is the file's (``sha256sum``), or the
    positions' and values' for an attack searched now and not saved."""
    cache_dir = os.path.join(out_dir, "attacks")
    found = attacks_lib.evoshift_attacks(dataset, sorted(set(num_pixels)), (), cache_dir,
                                         p.attack_config, attack_dir, seed)
    where = {}
    for n, a in found.items():
        name = f"evoshift_np{n}_seed{seed}.json"
        files = ([os.path.join(attack_dir, dataset.info.name, name),
                  os.path.join(attack_dir, name)] if attack_dir else []) + [
            os.path.join(cache_dir, attacks_lib.cache_key(dataset.info, p.attack_config(n, seed)))]
        path = next((f for f in files if os.path.exists(f) and attack_lib.load(f).equals(a)),
                    None)
        prov = a.provenance or {}
        where[n] = {"path": os.path.relpath(path) if path else "searched now",
                    "sha256": file_sha256(path) if path else _content_sha256(a),
                    "search_seed": prov.get("seed"), "best_cost": prov.get("best_cost")}
    return found, where


def run_study(study: str, dataset: data_lib.Dataset, p: budgets.Preset, attacks: dict,
              fp: str, out_dir: str) -> tuple[dict, bool]:
    """``(entry, reused)``: the cached entry of ``study`` when its fingerprint is ``fp``, else
    the study run now and cached (``key``, ``seconds``, ``cpu_seconds``, ``load``,
    ``result``). Figures are written before the entry; a search's checkpoint lives in
    ``<out>/studies/<id>_work_<fp>/`` until the entry is written."""
    entry = cache.load(out_dir, study, fp)
    if entry is not None:
        return entry, True
    fig_dir = os.path.join(out_dir, "figures")
    os.makedirs(fig_dir, exist_ok=True)
    work_dir = os.path.join(out_dir, "studies", f"{study}_work_{fp[:16]}")
    s = registry.STUDIES[study]
    start, cpu = time.time(), cpu_seconds()
    with LoadMonitor() as load:
        result = s.run(dataset, p, attacks, fig_dir, work_dir)
    entry = {"key": fp, "study": study, "title": s.title, "preset": p.name,
             "budget": budgets.study_budget(p, study), "seconds": round(time.time() - start, 1),
             "cpu_seconds": round(cpu_seconds() - cpu, 1), "load": load.summary(),
             "result": result}
    atomic.write_json(cache.path(out_dir, study), entry)
    shutil.rmtree(work_dir, ignore_errors=True)
    return entry, False


def _studies(dataset, p, only, attacks, where, out_dir) -> tuple[dict, list]:
    """Run (or reuse) every study in ``only``; reuse the others' cached entries when there."""
    data_hash = cache.dataset_hash(dataset)
    entries, reused = {}, []
    for i, study in enumerate(budgets.STUDY_IDS):
        fp = cache.key(study, p, data_hash, where)
        if study not in only:
            entry = cache.load(out_dir, study, fp)
            if entry is not None:
                entries[study] = entry
                reused.append(study)
            continue
        logging.info("study %d/%d %s (%s): %s", i + 1, len(budgets.STUDY_IDS), study,
                     registry.STUDIES[study].title, budgets.study_budget(p, study))
        entries[study], was_cached = run_study(study, dataset, p, attacks, fp, out_dir)
        if was_cached:
            reused.append(study)
        logging.info("study %s: %s (%.0f s when it ran)", study,
                     "reused the cached result" if was_cached else "done",
                     entries[study]["seconds"])
    return entries, reused


def judge_all(values: paper_values.PaperValues, entries: dict, p: budgets.Preset,
              gradcam_json: str | None = None) -> list[dict]:
    """A verdict for every number of ``values``' dataset (in report order), then the Grad-CAM
    rows from the committed measurement."""
    out = []
    for n in claims.numbers(values):
        result = entries[n.study]["result"] if n.study in entries else None
        out.append(verdicts.judge(n, result, budgets.short_budget(p, n.study),
                                  budgets.below_paper(p, n.study)))
    return out + gradcam_reference.verdicts(gradcam_json)


def run(dataset: data_lib.Dataset, preset: str | budgets.Preset, out_dir: str,
        attack_dir: str | None = None, only=None, command: str = "",
        paper_dataset: str | None = None, gradcam_json: str | None = None) -> dict:
    """Run (or reuse) every study in ``only`` (default: all) at ``preset``, judge every paper
    number against the paper's column for ``paper_dataset`` (default: the dataset's name; a
    dataset the paper has none for is refused) and write ``<out>/REPRODUCTION.md``,
    ``<out>/reproduction.json`` and ``<out>/figures/``. ``attack_dir`` defaults to the
    committed attacks for the dataset. Returns the report dict."""
    p = budgets.get(preset) if isinstance(preset, str) else preset
    values = paper_values.for_dataset(paper_dataset or dataset.info.name)
    only = registry.check_ids(only or budgets.STUDY_IDS)
    attack_dir = attack_dir or reference_dir(dataset.info.name)
    start = time.time()
    os.makedirs(out_dir, exist_ok=True)
    with LoadMonitor() as load:
        need = sorted({n for s in registry.STUDIES.values() for n in s.num_pixels(p)})
        attacks, where = resolve_attacks(dataset, p, need, out_dir, attack_dir)
        entries, reused = _studies(dataset, p, only, attacks, where, out_dir)
    rep = {"preset": p.name, "preset_cost": p.cost, "dataset": dataset.info.name,
           "paper_column": values.dataset, "command": command, "machine": hardware.machine(),
           "wall_seconds": round(time.time() - start, 1), "load": load.summary(),
           "reused": reused, "attacks": {str(n): w for n, w in where.items()},
           "not_run": [s for s in budgets.STUDY_IDS if s not in entries],
           "studies": {k: report.study_summary(e) for k, e in entries.items()},
           "numbers": judge_all(values, entries, p, gradcam_json)}
    atomic.write_json(os.path.join(out_dir, "reproduction.json"), rep)
    atomic.write_text(os.path.join(out_dir, "REPRODUCTION.md"), report.markdown(rep))
    logging.info("wrote %s", os.path.join(out_dir, "REPRODUCTION.md"))
    return rep
