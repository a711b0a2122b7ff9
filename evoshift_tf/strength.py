"""Attack strength: how badly victims trained on the full poisoned set fail on clean data.

Every attack is judged by the same recipe (the benchmark's): a GrayNet (or ColorNet) trained from
scratch with Adam on the whole poisoned training set, then clean test accuracy, alpha_S (Eq. (12))
and alpha_N (Eq. (13)). Victims of several attacks train together in one
:class:`population.PopulationClassifier` (each sees its own poisoned copy; Adam is elementwise, so
each model gets exactly the update it would get alone). The search never calls this: it sees the
training set only (Sec. V-C).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

from evoshift_tf import attack as attack_lib
from evoshift_tf import data as data_lib
from evoshift_tf import metrics
from evoshift_tf import hardware
from evoshift_tf.search import defenses as search_defenses
from evoshift_tf.search import population
from evoshift_tf.models.simple_cnn import SPECS


@dataclasses.dataclass(frozen=True)
class JudgeRecipe:
    """How a judging victim is trained.

    Attributes:
      model: ``graynet`` or ``colornet`` (Sec. VIII).
      epochs: epochs on the full poisoned training set (5: 2-epoch victims understate some attacks).
      batch_size: images per step.
      learning_rate: Adam step size.
      precision: ``float32`` or ``bfloat16`` compute (see ``hardware.resolve_precision``).
      overlay_images: clean test images overlaid with every class pattern for alpha_N (0 = all).
      defense: what the victims train through (:mod:`evoshift_tf.search.defenses`: a victim
        defense layer such as ``median3`` or ``jpeg10``, ``mixup``, ``cutmix``; ``none``).
      track_peak: measure clean test accuracy after every epoch (``peak_test_accuracy``, the
        best over epochs: early stopping, which the field also reports).
    """

    model: str = "graynet"
    epochs: int = 5
    batch_size: int = 128
    learning_rate: float = 1e-3
    precision: str = "float32"
    overlay_images: int = 2000
    defense: str = "none"
    track_peak: bool = False

    def __post_init__(self):
        if len(search_defenses.parse(self.defense)) != 1:
            raise ValueError(f"a judging victim trains through one defense, got "
                             f"{self.defense!r}")


def judge(attacks: list[attack_lib.PixelAttack | None], dataset: data_lib.Dataset,
          recipe: JudgeRecipe = JudgeRecipe(), victim_seed: int = 0) -> list[dict]:
    """One victim per attack (``None`` = clean training), trained together.

    Returns one dict per attack: ``clean_test_accuracy``, ``alpha_S``, ``clean_confusion``
    (``[C][C]`` list: the fraction of clean test images of true class ``i`` predicted as ``j``)
    and, for attacks, ``overlay_accuracy`` and ``alpha_N`` (on ``recipe.overlay_images`` seeded
    test images).
    """
    info = dataset.info
    if recipe.model not in SPECS:
        raise ValueError(f"judging victims are {sorted(SPECS)}, got {recipe.model!r}")
    for a in attacks:
        if a is not None:
            attack_lib.check_compatible(a, info.image_shape, info.num_classes)
    masks, patterns = (tf.constant(d) for d in attack_lib.stack_dense(
        attacks, info.num_classes, info.image_shape))
    trainer = population.PopulationClassifier(
        SPECS[recipe.model], len(attacks), info.image_shape, info.num_classes,
        recipe.batch_size, recipe.learning_rate, hardware.resolve_precision(recipe.precision),
        preprocessing=search_defenses.layers(recipe.defense, info.image_shape, seed=victim_seed),
        mixing=search_defenses.mixing(recipe.defense))
    trainer.reset(np.stack([np.full(len(attacks), victim_seed), np.zeros(len(attacks))], 1))
    x, y = tf.constant(dataset.train.x), tf.constant(dataset.train.y)
    test_x, test_y = tf.constant(dataset.test.x), tf.constant(dataset.test.y)
    curve = []
    for epoch in range(recipe.epochs if recipe.track_peak else 1):
        trainer.fit(x, y, masks, patterns, 1 if recipe.track_peak else recipe.epochs,
                    seed=victim_seed, first_epoch=epoch)
        stats = trainer.evaluate(test_x, test_y, masks, patterns, poisoned=False)
        curve.append(stats.clean_accuracy)
    rows = [{"clean_test_accuracy": float(a),
             "alpha_S": metrics.semantic_sensitivity(float(a), info.num_classes),
             "clean_confusion": c.tolist()}
            for a, c in zip(stats.clean_accuracy, stats.clean_confusion)]
    if recipe.track_peak:
        for row, per_epoch in zip(rows, np.stack(curve, 1)):
            row["peak_test_accuracy"] = float(per_epoch.max())
            row["test_accuracy_per_epoch"] = per_epoch.tolist()
    overlay = _overlay_accuracy(trainer, dataset.test, masks, patterns, info.num_classes,
                                recipe.overlay_images, victim_seed)
    for row, a, o in zip(rows, attacks, overlay):
        if a is not None:
            row["overlay_accuracy"] = float(o)
            row["alpha_N"] = metrics.nuisance_sensitivity(float(o), info.num_classes)
    return rows


def judge_keras(attack: attack_lib.PixelAttack | None, dataset: data_lib.Dataset, recipe,
                victim_seed: int = 0, overlay_images: int = 2000) -> dict:
    """One victim of any model (a :class:`evoshift_tf.victims.recipe.VictimRecipe`: ResNet-20
    with augmentation for CIFAR-10, the paper's Tables 1-2) trained on the full training set
    poisoned by ``attack`` (``None`` = clean). Returns :func:`evoshift_tf.evaluate.evaluate`'s
    ``clean_test_accuracy``, ``alpha_S`` (and ``alpha_N`` for an attack), plus
    ``peak_test_accuracy`` and ``test_accuracy_per_epoch``: where victims sit at chance, the
    best clean accuracy over epochs is what tells attacks apart."""
    from evoshift_tf import evaluate
    info = dataset.info
    x = dataset.train.x
    if attack is not None:
        attack_lib.check_compatible(attack, info.image_shape, info.num_classes)
        x = attack_lib.apply(attack, x, dataset.train.y)
    victim = recipe.build(info.image_shape, info.num_classes, seed=victim_seed)
    result = victim.train(x, dataset.train.y,
                          eval_sets={"test": (dataset.test.x, dataset.test.y)})
    report = evaluate.evaluate(result.model, dataset, attack=attack, seed=victim_seed,
                               overlay_images=overlay_images, a_distance=False)
    curve = [row["test_accuracy"] for row in result.history]
    return {**{k: report[k] for k in ("clean_test_accuracy", "alpha_S", "alpha_N")
               if k in report},
            "peak_test_accuracy": max(curve), "test_accuracy_per_epoch": curve}


def _overlay_accuracy(trainer, test: data_lib.Split, masks, patterns, num_classes: int,
                      images: int, seed: int) -> np.ndarray:
    """``[P]``: E_k E_x I[F(x + delta_k) = k] (numerator of Eq. (13)) for every victim."""
    x = test.x
    if images and len(x) > images:
        x = x[np.random.default_rng(seed).permutation(len(x))[:images]]
    x = tf.constant(x)
    hits = [trainer.evaluate(x, tf.fill([x.shape[0]], tf.constant(k, tf.int64)), masks, patterns,
                             poisoned=True).poisoned_accuracy for k in range(num_classes)]
    return np.mean(hits, axis=0)


def clean_destinations(confusion: np.ndarray) -> dict:
    """Where a victim sends clean images, from its ``confusion [C, C]`` (rows: true class).

    Returns ``destination`` (``[C]``: each true class's most predicted class), ``absorbing``
    (the classes that are the destination of some other class, sorted) and
    ``absorbing_own_accuracy`` (the clean accuracy the absorbing classes' own images contribute
    with equal class shares: the floor a victim that sends every clean image to an absorbing
    class of its own group keeps, 0.1 per absorbing class on a 10-class set).
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    num_classes = confusion.shape[0]
    destination = np.argmax(confusion, axis=1)
    absorbing = sorted({int(d) for k, d in enumerate(destination) if d != k})
    own = float(sum(confusion[k, k] for k in absorbing) / num_classes)
    return {"destination": destination.tolist(), "absorbing": absorbing,
            "absorbing_own_accuracy": own}
