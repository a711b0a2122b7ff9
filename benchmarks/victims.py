"""The benchmarks' judging victims, trained through a defense.

GrayNet / ColorNet (the paper's small CNNs) without preprocessing train together, one per
attack, in the population trainer (:func:`evoshift_tf.strength.judge`); any other model
(``resnet20``: the paper's CIFAR-10 victim) or any standing preprocessing (``cropflip``) trains
one Keras victim per attack (:func:`evoshift_tf.strength.judge_keras`).
"""

from __future__ import annotations

import dataclasses

from absl import app, flags

from evoshift_tf import data, strength
from evoshift_tf.models.simple_cnn import SPECS
from evoshift_tf.victims import defenses
from evoshift_tf.victims.recipe import VictimRecipe


def define_flags(default_model: str, default_help: str) -> None:
    """``--victim`` (default ``default_model``, described by ``default_help``),
    ``--victim_preprocessing`` and ``--victim_batch_size``: the judging victims of a benchmark."""
    flags.DEFINE_string("victim", default_model, f"judging victim ({default_help}); any other "
                        "model (resnet20: the paper's CIFAR-10 victim) trains one Keras victim "
                        "per attack")
    flags.DEFINE_list("victim_preprocessing", [], "what every victim trains through besides a "
                      "defense (cropflip: CIFAR-10's usual crop and flip); makes the victims Keras "
                      "models")
    flags.DEFINE_integer("victim_batch_size", 128, "the judging victims' batch size")


@dataclasses.dataclass(frozen=True)
class Judges:
    """How the judging victims train, all but the defense and the seed.

    Attributes:
      model: a victim registry name (``graynet``, ``colornet``, ``resnet20``, ...).
      epochs: epochs on the (poisoned) training set.
      batch_size: images per step.
      precision: ``float32``, ``bfloat16`` or ``auto``.
      preprocessing: what every victim trains through besides the defense (``cropflip``: the
        usual CIFAR-10 crop and flip); the defense's filter comes first, as a defender who
        squeezes the training set before augmenting would.
      overlay_images: clean test images overlaid with each class pattern (population path).
      track_peak: clean test accuracy after every epoch (always on the Keras path).
    """

    model: str = "graynet"
    epochs: int = 5
    batch_size: int = 128
    precision: str = "float32"
    preprocessing: tuple[str, ...] = ()
    overlay_images: int = 2000
    track_peak: bool = False

    @property
    def population(self) -> bool:
        """True when the victims train together in the population trainer."""
        return self.model in SPECS and not self.preprocessing

    def batches(self, todo: list | dict) -> list:
        """``todo`` (victims to train: a list, or a dict by name) cut into what trains at once:
        all of it in the population trainer, else one Keras victim at a time, so a caller saves
        each as soon as it is measured (minutes each) and a crash loses one victim at most."""
        if not todo:
            return []
        if self.population:
            return [todo]
        items = todo.items() if isinstance(todo, dict) else todo
        return [type(todo)([item]) for item in items]

    def keras_recipe(self, defense: str = "none") -> VictimRecipe:
        """The Keras victims' recipe through ``defense`` (a filter layer or a label mixing)."""
        mixing = defense if defense in defenses.MIXING else "none"
        filters = () if defense in defenses.MIXING else (defense,)
        return VictimRecipe.from_params(
            model=self.model, epochs=self.epochs, batch_size=self.batch_size,
            precision=self.precision, mixing=mixing,
            preprocessing=tuple(p for p in (*filters, *self.preprocessing) if p != "none"))


def judge(attacks: list, dataset: data.Dataset, judges: Judges, victim_seed: int,
          defense: str = "none") -> list[dict]:
    """One victim per attack (``None``: clean) through ``defense``; each dict has
    ``clean_test_accuracy``, ``alpha_S`` and, when measured, ``alpha_N`` and
    ``peak_test_accuracy``."""
    if judges.population:
        recipe = strength.JudgeRecipe(model=judges.model, epochs=judges.epochs,
                                      batch_size=judges.batch_size,
                                      precision=judges.precision,
                                      overlay_images=judges.overlay_images,
                                      defense=defense, track_peak=judges.track_peak)
        return strength.judge(attacks, dataset, recipe, victim_seed=victim_seed)
    recipe = judges.keras_recipe(defense)
    return [strength.judge_keras(a, dataset, recipe, victim_seed,
                                 overlay_images=judges.overlay_images) for a in attacks]


def refuse_other_recipe(path: str, saved: dict, asked: dict, keys) -> None:
    """A usage error when the results file ``path`` holds victims trained another way:
    ``saved`` and ``asked`` (recipes) differ in one of ``keys``. Its rows would otherwise be
    mixed with these, or dropped when the file is rewritten."""
    diff = {k: (saved.get(k), asked.get(k)) for k in keys if saved.get(k) != asked.get(k)}
    if diff:
        raise app.UsageError(f"{path} holds victims trained another way (saved, asked: {diff}); "
                             "use another output file, or delete it")
