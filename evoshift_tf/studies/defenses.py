"""The defense table: every attack against every defense, clean test accuracy final and peak.

What a reader of an availability-poisoning paper looks for first: does the poison survive the
defenses the field uses today? Rows are attacks (a clean reference, EvoShift, One-Pixel Shortcut,
Jacobsen et al., random placement), columns defenses (:data:`DEFENSES`): none, median 3x3,
Gaussian noise (Hendrycks severity 5), JPEG quality 10 and 4-bit depth (Image Shortcut Squeezing,
training images only), crop/flip/zoom augmentation, MixUp, CutMix, RandAugment, PGD adversarial
training (L-inf 8/255), vibCE (the VIB model, Sec. VII-A) and the pixel-poison detector with
repair (``detect_repair``: :mod:`evoshift_tf.detect` flags class-wise trigger pixels on the whole
labelled training subset and replaces them from their neighbourhood before training). Each cell
trains the victim on the poisoned class-balanced subset and reports clean test accuracy after the
last epoch (final) and the best over epochs (peak: early stopping, which the field also reports).

Cells are cached on disk as they finish (one JSON per attack x defense x seed, keyed by a hash
of everything that determines it), so an interrupted table resumes where it stopped.

Cost of an epoch, relative to the undefended one (GrayNet, 10k Fashion-MNIST images, measured on
2 busy CPU cores): adversarial training ``steps + 1`` forward/backward passes per batch (PGD-5:
6x in passes, 6-9x measured), median 3x3 about 2.5x (a sort per pixel), RandAugment about 2x,
vibCE about 1.6x, the others 1-1.2x (detect + repair: 1x, plus under a second once per cell):
about 22 undefended epochs per attack row per epoch of the budget. See :func:`default_budget` for
the budget sized to about an hour on 2 CPU cores.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os

import numpy as np
from absl import logging

from evoshift_tf.errors import UnknownNameError
from evoshift_tf import atomic
from evoshift_tf import attack as attack_lib
from evoshift_tf import baselines
from evoshift_tf import data as data_lib
from evoshift_tf import summary as summary_lib
from evoshift_tf.studies import runner

ADVERSARIAL_STEPS = 5
"""PGD steps of the table's adversarial training (step 2/255, so 5 steps cross the 8/255 ball;
fewer than the usual 10 to keep the table within its budget: 6x an undefended cell)."""


@dataclasses.dataclass(frozen=True)
class Defense:
    """One column: a model, its input layers, training-loop options and defenses of the whole
    training set.

    Attributes:
      label: column name.
      preprocessing: names in :data:`evoshift_tf.victims.defenses.NAMES`.
      model: victim in the models registry (``vib`` for vibCE).
      train_options: :class:`evoshift_tf.victims.training.TrainConfig` fields (mixing, adversarial).
      dataset_defenses: names in :data:`evoshift_tf.victims.dataset_defenses.NAMES`, applied to
        the poisoned training set before training (``detect_repair``).
    """

    label: str
    preprocessing: tuple[str, ...] = ()
    model: str = "graynet"
    train_options: dict = dataclasses.field(default_factory=dict)
    dataset_defenses: tuple[str, ...] = ()


def defenses_table(adversarial_steps: int = ADVERSARIAL_STEPS) -> dict[str, Defense]:
    """``key -> Defense`` in table order (the keys are what ``--defenses`` takes)."""
    return {
        "none": Defense("none"),
        "median3": Defense("median 3x3", ("median3",)),
        "gauss5": Defense("Gaussian noise", ("gauss5",)),
        "jpeg10": Defense("JPEG-10", ("jpeg10",)),
        "bits4": Defense("bit depth 4", ("bits4",)),
        "augment": Defense("augmentation", ("augment",)),
        "mixup": Defense("MixUp", train_options={"mixing": "mixup"}),
        "cutmix": Defense("CutMix", train_options={"mixing": "cutmix"}),
        "randaugment": Defense("RandAugment", ("randaugment",)),
        "adversarial": Defense(f"adv. training (PGD-{adversarial_steps})",
                               train_options={"adversarial_steps": adversarial_steps}),
        "vib": Defense("vibCE", model="vib"),
        "detect_repair": Defense("detect + repair", dataset_defenses=("detect_repair",)),
    }


DEFENSES = tuple(defenses_table())
"""Every defense key, in table order."""
ATTACKS = ("clean", "evoshift", "ops", "jacobsen", "random")
"""Row keys: ``clean`` (no poison: what each defense costs by itself), EvoShift and the three
baselines of :mod:`evoshift_tf.baselines`."""
ATTACK_LABELS = {"clean": "clean (no attack)", "evoshift": "EvoShift",
                 "ops": "One-Pixel Shortcut", "jacobsen": "Jacobsen et al.",
                 "random": "random"}


def default_budget(**overrides) -> runner.Budget:
    """The table's budget: GrayNet on a class-balanced 10,000-image Fashion-MNIST subset for 6
    epochs, clean test accuracy on 2,000 balanced test images after every epoch, one seed.

    60 cells = 5 rows x ~22 undefended-epoch equivalents x 6 epochs = ~660 epochs of 10k images
    (module docstring), plus model building, tracing and evaluation (~10 s a cell): at 4-6 s per
    GrayNet epoch of 10k images on a 2-core AVX2 CPU, 55-75 minutes."""
    return runner.Budget(**{**dict(train_images=10000, test_images=2000, epochs=6, repeats=1,
                                   measure_train_images=1000), **overrides})


def resolve_attacks(train: data_lib.Split, info: data_lib.DatasetInfo, rows,
                    paths: dict[str, str] | None = None,
                    evoshift: attack_lib.PixelAttack | None = None, num_pixels: int = 1,
                    seed: int = 0) -> dict[str, attack_lib.PixelAttack | None]:
    """``{row key: attack}`` for ``rows`` (keys of :data:`ATTACKS`; ``clean`` maps to ``None``).

    ``evoshift`` is the EvoShift row's attack (from :mod:`evoshift_tf.studies.attacks`, the one
    source every study uses). A baseline (``ops``, ``jacobsen``, ``random``) is read from
    ``paths[key]`` when that file exists and was made for ``info``'s dataset and shape, else
    built on ``train`` with ``num_pixels`` and ``seed``.
    """
    paths = paths or {}
    out: dict[str, attack_lib.PixelAttack | None] = {}
    for key in rows:
        if key not in ATTACKS:
            raise UnknownNameError(f"unknown attack row {key!r}; known: {list(ATTACKS)}")
        if key == "clean":
            out[key] = None
        elif key == "evoshift":
            if evoshift is None:
                raise attack_lib.AttackError("the EvoShift row needs an attack (evoshift=...)")
            out[key] = evoshift
        else:
            out[key] = _baseline(key, paths.get(key, ""), train, info, num_pixels, seed)
    return out


def _baseline(key, path, train, info, num_pixels, seed) -> attack_lib.PixelAttack:
    if path and os.path.exists(path):
        a = attack_lib.load(path)
        made_for = (a.provenance.get("dataset"), a.image_shape, a.num_classes)
        if made_for == (info.name, tuple(info.image_shape), info.num_classes):
            return a
        logging.info("%s: %s was made for %s, not %s", key, path, made_for,
                     (info.name, tuple(info.image_shape), info.num_classes))
    logging.info("%s: building it on the %d training images", key, len(train))
    return baselines.get(key, train, info.num_classes, num_pixels, seed=seed)


def cell_key(dataset_name: str, attack, defense: Defense, budget: runner.Budget,
             seed: int) -> str:
    """Hash of everything that determines a cell's numbers (hex, 16 characters). A column
    without dataset defenses hashes as before they existed, so earlier cached cells stay valid."""
    described = dataclasses.asdict(defense)
    if not described["dataset_defenses"]:
        del described["dataset_defenses"]
    payload = {"dataset": dataset_name,
               "attack": None if attack is None else attack_lib.to_json(attack),
               "defense": described,
               "budget": dataclasses.asdict(budget), "seed": seed}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()
                          ).hexdigest()[:16]


def _read_cell(path: str) -> dict | None:
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def run(dataset: data_lib.Dataset, budget: runner.Budget,
        attacks: dict[str, attack_lib.PixelAttack | None], defenses=DEFENSES,
        cache_dir: str | None = None, adversarial_steps: int = ADVERSARIAL_STEPS) -> dict:
    """Train every ``attacks`` row under every ``defenses`` column, ``budget.repeats`` seeds each.

    Args:
      dataset: the whole dataset; the class-balanced subsets of ``budget`` are taken here.
      attacks: ``{row key in ATTACKS: PixelAttack or None (clean)}`` in row order.
      defenses: column keys of :func:`defenses_table`.
      cache_dir: finished cells are written there and reused (resume after an interruption).
      adversarial_steps: PGD steps of the ``adversarial`` column.

    Returns a study result (``output.save`` writes its JSON and heat-map PNG): ``rows`` one per
    cell and seed with ``final_test_accuracy`` and ``peak_test_accuracy``, ``summary`` one per
    cell (mean and std over seeds), ``grid`` the two ``[attack, defense]`` matrices and ``table``
    the Markdown table.
    """
    table = defenses_table(adversarial_steps)
    unknown = [d for d in defenses if d not in table]
    if unknown:
        raise UnknownNameError(f"unknown defense(s) {unknown}; known: {list(table)}")
    data = runner.prepare(dataset, budget)
    name = dataset.info.name
    rows = []
    total = len(attacks) * len(defenses) * budget.repeats
    for a_key, attack in attacks.items():
        for d_key in defenses:
            d = table[d_key]
            for r in range(budget.repeats):
                seed = budget.seed + r
                path = (os.path.join(cache_dir, f"{a_key}-{d_key}-s{seed}-"
                                     f"{cell_key(name, attack, d, budget, seed)}.json")
                        if cache_dir else None)
                row = _read_cell(path) if path else None
                status = "cached"
                if row is None:
                    setting = runner.Setting(f"{a_key} / {d_key}", attack, model=d.model,
                                             preprocessing=d.preprocessing,
                                             train_options=d.train_options,
                                             dataset_defenses=d.dataset_defenses)
                    row = runner.run_one(data, setting, budget, seed)
                    row["final_test_accuracy"] = row["clean_test_accuracy"]
                    row["peak_test_accuracy"] = float(max(row["test_curve"]))
                    row.update(attack=a_key, defense=d_key, group=a_key)
                    if path:
                        atomic.write_json(path, row)
                    status = f"{row['seconds']:.0f}s"
                rows.append(row)
                logging.info("[%d/%d] %s x %s seed %d: final %.3f peak %.3f (%s)", len(rows),
                             total, a_key, d_key, seed, row["final_test_accuracy"],
                             row["peak_test_accuracy"], status)
    keys = ("final_test_accuracy", "peak_test_accuracy", "alpha_N")
    summary = summary_lib.by_label(rows, keys)
    for s in summary:
        s["attack"], s["defense"] = s["label"].split(" / ")
    grid = {k: [[_cell(summary, a, d, k) for d in defenses] for a in attacks]
            for k in ("final_test_accuracy", "peak_test_accuracy")}
    labels = {"attacks": [ATTACK_LABELS[a] for a in attacks],
              "defenses": [table[d].label for d in defenses]}
    return {"study": "defenses", "budget": dataclasses.asdict(budget), "dataset": name,
            "attack_keys": list(attacks), "defense_keys": list(defenses), **labels,
            "grid": grid, "rows": rows, "summary": summary,
            "table": markdown_grid(grid, labels["attacks"], labels["defenses"], budget,
                                   dataset.info.name, adversarial_steps),
            "plot": {"kind": "heatmap", "title": f"clean test accuracy ({name}): final (peak)"}}


def _cell(summary, attack, defense, key) -> float:
    s = next(s for s in summary if s["attack"] == attack and s["defense"] == defense)
    return s[f"{key}_mean"]


def markdown_grid(grid: dict, attack_labels, defense_labels, budget: runner.Budget,
                  dataset_name: str, adversarial_steps: int = ADVERSARIAL_STEPS) -> str:
    """Attacks as rows, defenses as columns, each cell ``final (peak)`` clean test accuracy in
    percent; a last column names the defense with the highest final accuracy; a caption states
    the budget."""
    final, peak = np.array(grid["final_test_accuracy"]), np.array(grid["peak_test_accuracy"])
    caption = (f"Clean test accuracy (%) after the last epoch (peak over epochs in brackets). "
               f"{dataset_name}, class-balanced subset of "
               f"{budget.train_images or 'all'} training images, {budget.test_images or 'all'} "
               f"test images, {budget.epochs} epochs, batch {budget.batch_size}, Adam 1e-3, "
               f"{budget.repeats} seed(s) from {budget.seed}; GrayNet except vibCE; "
               f"PGD-{adversarial_steps} at L-inf 8/255, step 2/255; JPEG and bit depth on the "
               f"training images only.")
    table = summary_lib.markdown_table(
        ["attack \\ defense", *defense_labels, "best defense"],
        ([a, *(f"{100 * final[i, j]:.1f} ({100 * peak[i, j]:.1f})"
               for j in range(len(defense_labels))),
          defense_labels[int(np.argmax(final[i]))]] for i, a in enumerate(attack_labels)))
    return f"{caption}\n\n{table}"
