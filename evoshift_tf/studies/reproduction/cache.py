"""A finished study's result, cached in ``<out>/studies/<id>.json`` under the study's
fingerprint (:func:`evoshift_tf.fingerprint.fingerprint`, the pipeline runner's): the study, the
part of the preset it depends on and the content hashes of its inputs (dataset, attacks)."""

from __future__ import annotations

import hashlib
import json
import os

from evoshift_tf import data as data_lib
from evoshift_tf.fingerprint import fingerprint
from evoshift_tf.studies.reproduction.budgets import Preset
from evoshift_tf.studies.reproduction.registry import STUDIES


def study_params(p: Preset, study: str) -> dict:
    """The fields of preset ``p`` that ``study``'s result depends on."""
    if study == "tables1_2":
        return {"budget": p.transfer_budget, "victims": p.transfer_victims,
                "num_pixels": p.transfer_num_pixels}
    if study == "fig5d":
        return {"search": p.search_config, "monitor": p.search_monitor_images,
                "seed": p.budget.seed}
    if study == "fig9":
        return {"budget": p.budget, **{f: getattr(p, f) for f in (
            "loss_train_images", "loss_epochs", "loss_eval_images", "loss_alphas")}}
    if study == "fig12_13":
        return {"budget": p.budget, **{f: getattr(p, f) for f in (
            "vaegan", "vaegan_train_images", "vaegan_test_images", "vaegan_random_arms")}}
    extra = {"fig6": {"partial_points": p.partial_points},
             "fig10": {"sizes": p.median_sizes},
             "fig11": {"severities": p.noise_severities}}.get(study, {})
    return {"budget": p.budget_for(study), **extra}


def dataset_hash(dataset: data_lib.Dataset) -> str:
    """sha256 of the dataset's name, shape and image and label bytes."""
    h = hashlib.sha256(json.dumps([dataset.info.name, list(dataset.info.image_shape)]).encode())
    for split in (dataset.train, dataset.test):
        for a in (split.x, split.y):
            h.update(memoryview(a).cast("B") if a.flags.c_contiguous else a.tobytes())
    return h.hexdigest()


def key(study: str, p: Preset, data_hash: str, attacks: dict) -> str:
    """The fingerprint of ``study`` at preset ``p`` on the dataset of ``data_hash`` with the
    attacks it uses (``attacks``: ``{N_p: {"sha256": ...}}``)."""
    need = STUDIES[study].num_pixels(p)
    inputs = {"dataset": data_hash, **{f"attack_np{n}": attacks[n]["sha256"] for n in need}}
    params = {k: repr(v) for k, v in study_params(p, study).items()}
    return fingerprint(f"reproduction.{study}", params, inputs)


def path(out_dir: str, study: str) -> str:
    return os.path.join(out_dir, "studies", f"{study}.json")


def load(out_dir: str, study: str, fp: str) -> dict | None:
    """The cached entry of ``study`` if its fingerprint is ``fp``, else None."""
    p = path(out_dir, study)
    if not os.path.exists(p):
        return None
    with open(p) as f:
        entry = json.load(f)
    return entry if entry.get("key") == fp else None
