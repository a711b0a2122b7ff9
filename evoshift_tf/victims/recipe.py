"""One victim recipe: which model, its regularizers and input defenses, and how it is trained.

:class:`VictimRecipe` is the one place a victim is described, checked and built; the
``train_victim`` component and every study (:mod:`evoshift_tf.studies.runner`) build their
victims from it::

    recipe = VictimRecipe("graynet", dropout=0.4, preprocessing=("augment",),
                          training=TrainConfig(epochs=3))
    recipe = VictimRecipe.from_params(model="graynet", dropout=0.4, epochs=3)   # flat, as flags
    recipe.validate()                                   # clear errors before any work
    victim = recipe.build(info.image_shape, info.num_classes, seed=0)
    result = victim.train(x, y)                         # training.train(make_model, x, y, config)

The loss follows the model: cross-entropy (CE) for every classifier, vibCE (Eq. (11), Sec. VII-A)
with ``model="vib"`` (the VIB classifier adds its KL and reconstruction terms itself, so the one
training loop optimises vibCE; its ``beta`` goes in ``model_kwargs``).
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import keras

from evoshift_tf.errors import UserError
from evoshift_tf.models import victim as victim_lib
from evoshift_tf.victims import defenses, training


@dataclasses.dataclass(frozen=True)
class VictimRecipe:
    """A victim and its training recipe (everything but the seed, which :meth:`build` takes).

    Attributes:
      model: a registry name (``evoshift_tf.models.names()``), a ``.keras`` file (re-initialised)
        or ``module:function`` returning a Keras model (:mod:`evoshift_tf.models.victim`);
        ``vib`` is the vibCE classifier (Sec. VII-A).
      model_kwargs: further keyword arguments of a registry builder, e.g. ``{"beta": 0.01}`` for
        ``vib`` (not ``dropout`` / ``weight_decay``: those are fields).
      dropout: dropout rate before the head, in [0, 1) (paper Fig. 7: 0.4; registry models only).
      weight_decay: L2 coefficient on kernels, >= 0 (paper Fig. 7: 0.01; registry models only).
      preprocessing: input defenses / augmentation, names in
        :data:`evoshift_tf.victims.defenses.NAMES` (also ``jpeg<q>[_test]``, ``bits<b>[_test]``).
      training: how it is trained (:class:`training.TrainConfig`: optimizer and its rate,
        epochs, batch, label mixing, PGD); its ``seed`` is replaced by :meth:`build`'s.
    """

    model: str = "graynet"
    model_kwargs: dict = dataclasses.field(default_factory=dict)
    dropout: float = 0.0
    weight_decay: float = 0.0
    preprocessing: tuple[str, ...] = ()
    training: training.TrainConfig = training.TrainConfig()

    @classmethod
    def from_params(cls, **params) -> "VictimRecipe":
        """A recipe from flat parameters (flags, component parameters, a sweep's JSON): the
        :class:`training.TrainConfig` fields go to ``training``, the rest to the recipe."""
        train_fields = {f.name for f in dataclasses.fields(training.TrainConfig)} - {"seed"}
        train = {k: params.pop(k) for k in list(params) if k in train_fields}
        unknown = sorted(set(params) - {f.name for f in dataclasses.fields(cls)} - {"training"})
        if unknown:
            raise UserError(f"unknown victim parameter(s) {unknown}; known: "
                            f"{sorted(train_fields | {f.name for f in dataclasses.fields(cls)})}")
        if isinstance(params.get("preprocessing"), str):
            params["preprocessing"] = tuple(n for n in params["preprocessing"].split(",") if n)
        base = params.pop("training", training.TrainConfig())
        return cls(**params, training=dataclasses.replace(base, **train))

    @classmethod
    def smoke(cls, **overrides) -> "VictimRecipe":
        """Seconds on the tiny generated datasets: 2 epochs of batch 32."""
        return cls.from_params(**{**dict(training=training.TrainConfig.smoke()), **overrides})

    def validate(self) -> None:
        """Raise :class:`UserError` naming the bad value and what was expected (an unknown
        model or defense, an out-of-range rate); builds nothing and reads no data (the
        training config checks itself when it is built)."""
        victim_lib.check(self.model, self.dropout, self.weight_decay)
        clash = sorted(set(self.model_kwargs) & {"dropout", "weight_decay", "preprocessing"})
        if clash:
            raise UserError(f"model_kwargs {clash}: set them as the recipe's fields, not in "
                            "model_kwargs")
        if isinstance(self.preprocessing, str):
            raise UserError(f"preprocessing={self.preprocessing!r}: expected a tuple of defense "
                            f"names, e.g. ({self.preprocessing!r},)")
        for name in self.preprocessing:
            try:
                defenses.check_name(name)
            except KeyError as e:
                raise UserError(f"preprocessing: {e.args[0]}") from None
        twice = sorted({n for n in self.preprocessing if self.preprocessing.count(n) > 1})
        if twice:
            raise UserError(f"preprocessing names {twice} more than once: {self.preprocessing}")
        if not 0.0 <= self.dropout < 1.0:
            raise UserError(f"dropout={self.dropout} out of range: expected 0 <= dropout < 1")
        if not self.weight_decay >= 0.0:
            raise UserError(f"weight_decay={self.weight_decay} out of range: expected >= 0")

    def __post_init__(self):
        if not isinstance(self.training, training.TrainConfig):
            raise UserError(f"training={self.training!r}: expected a TrainConfig")

    def train_config(self, seed: int = 0) -> training.TrainConfig:
        """The training loop's config for this recipe and ``seed`` (weights, batch order)."""
        return dataclasses.replace(self.training, seed=seed)

    def build(self, image_shape: Sequence[int], num_classes: int, seed: int = 0,
              seed_defenses: bool = True) -> "Victim":
        """Validate, then the model builder and training config for ``image_shape (H, W, C)``
        and ``num_classes``.

        Args:
          seed: the training seed (weights, batch order; :class:`training.TrainConfig`).
          seed_defenses: True: the random input layers (augmentation, noise, RandAugment) are
            seeded with ``seed``; False: they draw from Keras' global seed, which
            :func:`training.train` sets from ``seed`` before it builds the model (what the
            ``train_victim`` component has always done).
        """
        self.validate()
        shape, layer_seed = tuple(int(d) for d in image_shape), seed if seed_defenses else None

        def make_model() -> keras.Model:
            layers = [layer for name in self.preprocessing
                      for layer in defenses.get(name, shape, seed=layer_seed)]
            return victim_lib.build(self.model, shape, num_classes, preprocessing=layers,
                                    dropout=self.dropout, weight_decay=self.weight_decay,
                                    **self.model_kwargs)

        return Victim(make_model, self.train_config(seed))


@dataclasses.dataclass(frozen=True)
class Victim:
    """What :meth:`VictimRecipe.build` returns.

    Attributes:
      make_model: builds a fresh, untrained model (raw 0..255 pixels in, logits out); call it
        inside ``strategy.scope()`` (:func:`training.train` does).
      config: the training loop's config (recipe and seed).
    """

    make_model: Callable[[], keras.Model]
    config: training.TrainConfig

    def train(self, x, y, **kwargs) -> training.TrainResult:
        """:func:`training.train` of this victim on ``x [N, H, W, C] uint8``, ``y [N]``;
        ``kwargs``: ``strategy``, ``eval_sets``, ``checkpoint_dir``, ``tensorboard_dir``."""
        return training.train(self.make_model, x, y, self.config, **kwargs)
