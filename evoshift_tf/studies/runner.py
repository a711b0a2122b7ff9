"""Train and measure one study setting over several seeds (:func:`evoshift_tf.summary.by_label`
aggregates the runs into mean and std).

A :class:`Setting` is one arm of a study (a victim, its recipe, the attack on its training data);
:func:`run_settings` trains it ``budget.repeats`` times (seeds ``budget.seed + r``) on a
class-balanced subset of the data and measures, for each run: clean test accuracy, alpha_S
(Eq. (12)), alpha_N (Eq. (13), when an attack is given), accuracy on the poisoned training images,
per-class accuracy and the per-epoch curves of train and clean test accuracy.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from absl import logging

from evoshift_tf import attack as attack_lib
from evoshift_tf import data as data_lib
from evoshift_tf import evaluate, presets
from evoshift_tf.victims import dataset_defenses
from evoshift_tf.victims import recipe as recipe_lib


@dataclasses.dataclass(frozen=True)
class Budget:
    """How much each study trains.

    The default (preset ``default``) runs a study on 2 CPU cores in minutes: GrayNet on a
    class-balanced 10k-image training subset for 3 epochs, clean test accuracy on 2k balanced
    test images, 3 repeats. ``paper()`` is the paper's setting (full training set, 30 epochs,
    whole test set).

    Attributes:
      train_images: class-balanced training subset size (0 = the whole training set).
      test_images: class-balanced test subset size (0 = the whole test set).
      epochs: training epochs per victim (paper: 30).
      batch_size: training batch size.
      repeats: seeds per setting (paper: 3 for Tables 1-2, 5 for Figs. 7-8).
      seed: first seed.
      measure_train_images: poisoned training images on which the train accuracy is measured.
    """

    train_images: int = 10000
    test_images: int = 2000
    epochs: int = 3
    batch_size: int = 128
    repeats: int = 3
    seed: int = 0
    measure_train_images: int = 2000

    @classmethod
    def paper(cls, **overrides) -> "Budget":
        """Full training set, 30 epochs, full test set (GrayNet: about 1 h per 10 settings x 3
        repeats on 2 CPU cores; ResNets/DenseNet: many hours on CPU, minutes on a GPU)."""
        return cls(**{**dict(train_images=0, test_images=0, epochs=30), **overrides})

    @classmethod
    def smoke(cls, **overrides) -> "Budget":
        """Seconds: for tests on the tiny generated datasets."""
        return cls(**{**dict(train_images=0, test_images=0, epochs=1, batch_size=32, repeats=1,
                             measure_train_images=64), **overrides})


    @classmethod
    def preset(cls, name: str, **overrides) -> "Budget":
        """The budget of preset ``name`` (:mod:`evoshift_tf.presets`; ``light`` is
        ``default``: the light form only shortens the search)."""
        return presets.pick(name, {"smoke": cls.smoke, "default": cls, "paper": cls.paper}
                            )(**overrides)


@dataclasses.dataclass(frozen=True)
class Setting:
    """One arm of a study.

    Attributes:
      label: row name in tables and legends.
      attack: poison on the training data (``None`` = clean training).
      probe_attack: attack overlaid for alpha_N (default: ``attack``); lets a clean arm report
        alpha_N against the attack it is compared with.
      classes: attack only classes ``0..classes-1`` (Fig. 6); ``None`` = all.
      model: victim in the models registry; ``model_kwargs`` go to its builder (``dropout``
        and ``weight_decay`` there become the recipe's fields).
      preprocessing: names in :data:`evoshift_tf.victims.defenses.NAMES` (augmentation, input defenses).
      dataset_defenses: names in :data:`evoshift_tf.victims.dataset_defenses.NAMES`, applied to
        the (poisoned) training set before training, e.g. ``("detect_repair",)``.
      optimizer, learning_rate (None = the optimizer's usual one), momentum: the recipe.
      train_options: further :class:`evoshift_tf.victims.recipe.VictimRecipe` fields, e.g.
        ``{"mixing": "mixup"}`` or ``{"adversarial_steps": 5}`` (the loop's defenses).
      group, x: free fields the studies use to lay out tables and plots.
      draws: one attack per repeat instead of ``attack`` (repeat ``r`` trains on
        ``draws[r % len(draws)]``): a different random placement per seed.
    """

    label: str
    attack: attack_lib.PixelAttack | None = None
    probe_attack: attack_lib.PixelAttack | None = None
    classes: int | None = None
    model: str = "graynet"
    model_kwargs: dict = dataclasses.field(default_factory=dict)
    preprocessing: tuple[str, ...] = ()
    dataset_defenses: tuple[str, ...] = ()
    optimizer: str = "adam"
    learning_rate: float | None = None
    momentum: float = 0.0
    train_options: dict = dataclasses.field(default_factory=dict)
    group: str = ""
    x: float | None = None
    draws: tuple = ()

    def attack_for(self, repeat: int) -> attack_lib.PixelAttack | None:
        """The attack on repeat ``repeat``'s training data."""
        return self.draws[repeat % len(self.draws)] if self.draws else self.attack

    def recipe(self, budget: Budget) -> recipe_lib.VictimRecipe:
        """This arm's victim, trained for ``budget.epochs`` at ``budget.batch_size``."""
        kwargs = dict(self.model_kwargs)
        return recipe_lib.VictimRecipe.from_params(
            model=self.model, dropout=kwargs.pop("dropout", 0.0),
            weight_decay=kwargs.pop("weight_decay", 0.0), model_kwargs=kwargs,
            preprocessing=tuple(self.preprocessing), optimizer=self.optimizer,
            learning_rate=self.learning_rate, momentum=self.momentum,
            epochs=budget.epochs, batch_size=budget.batch_size, **self.train_options)


def prepare(dataset: data_lib.Dataset, budget: Budget) -> data_lib.Dataset:
    """Class-balanced train and test subsets of ``dataset`` per ``budget`` (seeded)."""
    c = dataset.info.num_classes
    train, test = dataset.train, dataset.test
    if budget.train_images and budget.train_images < len(train):
        train = data_lib.balanced_subset(train, budget.train_images // c, c, seed=budget.seed)
    if budget.test_images and budget.test_images < len(test):
        test = data_lib.balanced_subset(test, budget.test_images // c, c, seed=budget.seed)
    return data_lib.Dataset(dataset.info, train, test)


def run_one(dataset: data_lib.Dataset, setting: Setting, budget: Budget, seed: int,
            repeat: int = 0) -> dict:
    """Train ``setting`` once with ``seed`` (its attack for ``repeat``) and measure it (a
    JSON-able dict)."""
    info = dataset.info
    x, y = dataset.train.x, dataset.train.y
    attack = setting.attack_for(repeat)
    if attack is not None:
        mask = attack_lib.poison_mask(y, info.num_classes, setting.classes)
        x = attack_lib.apply(attack, x, y, mask)
    x, defended = dataset_defenses.apply(setting.dataset_defenses, x, y, info.num_classes)
    victim = setting.recipe(budget).build(info.image_shape, info.num_classes, seed)
    start = time.time()
    result = victim.train(x, y, eval_sets={"test": (dataset.test.x, dataset.test.y)})
    n = min(budget.measure_train_images or len(y), len(y))
    idx = np.random.default_rng(seed).permutation(len(y))[:n]
    report = evaluate.evaluate(result.model, dataset, data_lib.Split(x[idx], y[idx]),
                               setting.probe_attack or attack, max_train=0, seed=seed,
                               a_distance=False)
    row = {"label": setting.label, "group": setting.group, "x": setting.x, "seed": seed,
           **{k: report[k] for k in ("clean_test_accuracy", "alpha_S", "poisoned_train_accuracy",
                                     "per_class_accuracy", "alpha_N") if k in report},
           "test_curve": [h["test_accuracy"] for h in result.history],
           "train_curve": [h["train_accuracy"] for h in result.history],
           "seconds": round(time.time() - start, 1)}
    if defended:
        row["dataset_defenses"] = defended
    return row


def run_settings(dataset: data_lib.Dataset, settings: list[Setting], budget: Budget) -> list[dict]:
    """Every setting ``budget.repeats`` times; one row per run."""
    rows = []
    total = len(settings) * budget.repeats
    for i, s in enumerate(settings):
        for r in range(budget.repeats):
            row = run_one(dataset, s, budget, budget.seed + r, r)
            rows.append(row)
            logging.info("[%d/%d] %s seed %d: acc %.3f alpha_N %s (%.0fs)", len(rows), total,
                         s.label, row["seed"], row["clean_test_accuracy"],
                         f"{row['alpha_N']:.3f}" if "alpha_N" in row else "-", row["seconds"])
    return rows

