"""Genomes of one CMA-ES generation -> costs (Algorithm 1, steps 3-6).

:class:`PopulationEvaluator` (the default) trains the lambda candidates together with
:mod:`evoshift_tf.search.population`; :class:`KerasEvaluator` trains them one ``model.fit`` at a time,
as a naive implementation does (kept as the reference and the benchmark baseline).
Both measure fitness on the held-out split of the training set only (Sec. V-C). A ``monitor``
split (e.g. the test set) may be given for plots; its accuracy is recorded, never used in a cost.
"""

from __future__ import annotations

import copy
import dataclasses

import keras
import numpy as np
import tensorflow as tf

from evoshift_tf import attack as attack_lib
from evoshift_tf import hardware, models
from evoshift_tf.errors import UnknownNameError
from evoshift_tf.search import fitness, population
from evoshift_tf.data import DatasetInfo, Split
from evoshift_tf.models.simple_cnn import SPECS


@dataclasses.dataclass(frozen=True)
class EvaluatorConfig:
    """How one candidate is scored.

    Attributes:
      model: search CNN, ``graynet`` or ``colornet`` (Sec. VIII), or ``auto``: the paper's
        choice by the images' channels, ColorNet for 3 and GrayNet for 1 (:meth:`search_model`).
      num_pixels: N_p, pixels per class (paper default 1).
      epochs: training epochs per candidate on the fit split.
      batch_size: images per step per model. 32 (not 128): the cost only ranks attacks the
        way full-set victims do once a candidate has taken enough steps (measured rank
        correlation with 5-epoch full-set victims: 0.19 at 39 steps, 0.86 at 156).
      learning_rate: Adam step size.
      precision: ``float32``, ``bfloat16`` or ``auto`` compute in the population trainer:
        ``auto`` is bfloat16 on a GPU or a CPU with native bfloat16 (AVX512_BF16 / AMX), float32
        elsewhere (emulated bfloat16 is slower than float32).
      term: semantic cost, one of ``fitness.TERMS``: ``mismatch`` (Eq. (6), the default: it
        ranked attacks like full-set victims best), ``score`` (Algorithm 1, step 4) or
        ``accuracy``.
      domain_weight: w_d in C = C_m + w_d C_d; 0 disables the discriminator.
      discriminator_images: images of the fit split used to train the discriminator.
      discriminator_epochs: its epochs.
      common_init: all candidates of a generation start from the same weights and see the same
        batch order (common random numbers: differences in cost come from the attacks).
      seed: base seed; generation g uses ``(seed, g)``.
      devices: where the population trains: ``auto`` (every GPU when there are several, the
        candidates split between them), ``none`` (one device), or a list like
        ``/GPU:0,/GPU:1``. Changes where, not what: the costs are the same.
    """

    model: str = "auto"
    num_pixels: int = 1
    epochs: int = 1
    batch_size: int = 32
    learning_rate: float = 1e-3
    precision: str = "auto"
    term: str = "mismatch"
    domain_weight: float = 1.0
    discriminator_images: int = 2000
    discriminator_epochs: int = 3
    common_init: bool = True
    seed: int = 0
    devices: str = "auto"

    def __post_init__(self):
        if self.model != "auto" and self.model not in SPECS:
            raise UnknownNameError(f"unknown search model {self.model!r}; known: "
                                   f"{['auto', *sorted(SPECS)]} (the search trains its own small "
                                   "CNNs; victims take any model)")
        hardware.check_precision(self.precision)
        population.check_devices(self.devices)

    def search_model(self, channels: int) -> str:
        """The search CNN for images with ``channels`` channels: ``model``, or for ``auto``
        ColorNet on colour (3) and GrayNet on grey (1) images, as the paper does (Sec. VIII)."""
        if self.model != "auto":
            return self.model
        return "colornet" if channels == 3 else "graynet"

    def generation_seed(self, generation: int) -> int:
        """The seed of generation ``generation``: its candidates' initial weights and batch
        order (shared by all of them with ``common_init``)."""
        return self.seed * 100003 + generation


@dataclasses.dataclass(frozen=True)
class GenerationResult:
    """Costs and their parts for the P candidates of one generation (each ``[P]``)."""

    costs: np.ndarray
    semantic: np.ndarray
    domain: np.ndarray | None
    stats: population.PopulationStats
    monitor_accuracy: np.ndarray | None


def _decode_dense(genomes, info: DatasetInfo, num_pixels: int):
    attacks = attack_lib.decode(np.atleast_2d(genomes), info.num_classes, num_pixels,
                                info.image_shape)
    masks, patterns = attack_lib.stack_dense(attacks, info.num_classes, info.image_shape)
    return tf.constant(masks), tf.constant(patterns)


def _flags(n: int, seed: int) -> np.ndarray:
    """Half the images shown poisoned (1), half clean (0), seeded."""
    flags = np.zeros(n, np.int32)
    flags[np.random.default_rng(seed).permutation(n)[: n // 2]] = 1
    return flags


class PopulationEvaluator:
    """Scores a whole generation with one :class:`population.PopulationClassifier`.

    Args:
      fit: poisoned-training split ``[N, H, W, C] uint8`` (class-balanced subset).
      holdout: held-out split of the training set on which costs are measured.
      info: the dataset's :class:`DatasetInfo`.
      population_size: lambda.
      config: :class:`EvaluatorConfig`.
      monitor: optional split (e.g. test) measured for plots only.
    """

    def __init__(self, fit: Split, holdout: Split, info: DatasetInfo, population_size: int,
                 config: EvaluatorConfig = EvaluatorConfig(), monitor: Split | None = None):
        self.config, self.info, self.population_size = config, info, population_size
        self.classifier = population.classifier(
            SPECS[config.search_model(info.image_shape[-1])], population_size, info.image_shape, info.num_classes,
            config.batch_size, config.learning_rate, config.precision, config.devices)
        self._fit = (tf.constant(fit.x), tf.constant(fit.y))
        self._holdout = (tf.constant(holdout.x), tf.constant(holdout.y))
        self._monitor = None if monitor is None else (tf.constant(monitor.x), tf.constant(monitor.y))
        self.discriminator = None
        if config.domain_weight:
            n = min(config.discriminator_images, len(fit))
            self.discriminator = population.PopulationDiscriminator(
                population_size, info.image_shape, batch_size=config.batch_size)
            self._disc_train = (tf.constant(fit.x[:n]), tf.constant(fit.y[:n]),
                                tf.constant(_flags(n, config.seed)))
            self._disc_test = self._holdout + (tf.constant(_flags(len(holdout), config.seed + 1)),)

    def rescorer(self, fit: Split | None = None, term: str | None = None
                 ) -> "PopulationEvaluator":
        """This evaluator's models (nothing is rebuilt) scoring on ``fit`` (None: the same) with
        the semantic ``term`` alone (None: the same term), without the discriminator term."""
        other = copy.copy(self)
        other.config = dataclasses.replace(self.config, term=term or self.config.term,
                                           domain_weight=0.0)
        other.discriminator = None
        if fit is not None:
            other._fit = (tf.constant(fit.x), tf.constant(fit.y))
        return other

    def _init_seeds(self, generation: int) -> np.ndarray:
        p = self.population_size
        member = np.zeros(p) if self.config.common_init else np.arange(p)
        return np.stack([np.full(p, self.config.generation_seed(generation)), member], 1)

    def __call__(self, genomes: np.ndarray, generation: int) -> GenerationResult:
        """``genomes [P, D]`` in [0, 1] -> :class:`GenerationResult`."""
        cfg = self.config
        masks, patterns = _decode_dense(genomes, self.info, cfg.num_pixels)
        self.classifier.reset(self._init_seeds(generation))
        self.classifier.fit(*self._fit, masks, patterns, cfg.epochs,       # Algorithm 1, step 3
                            seed=cfg.generation_seed(generation))
        stats = self.classifier.evaluate(*self._holdout, masks, patterns,
                                         poisoned=cfg.term in fitness.POISONED_TERMS)
        # Algorithm 1, step 4
        semantic = fitness.semantic_cost(stats, self.info.num_classes, cfg.term)
        domain = None
        if self.discriminator is not None:                                   # Algorithm 1, step 5
            err = self.discriminator.fit_error(self._disc_train, self._disc_test, masks, patterns,
                                               cfg.discriminator_epochs, seed=cfg.seed + generation)
            domain = fitness.domain_cost(err)
        monitor = None
        if self._monitor is not None:
            monitor = self.classifier.evaluate(*self._monitor, masks, patterns,
                                               poisoned=False).clean_accuracy
        cost = fitness.total_cost(semantic, domain, cfg.domain_weight)      # Algorithm 1, step 6
        return GenerationResult(cost, semantic, domain, stats, monitor)


class KerasEvaluator:
    """Reference path: one fresh Keras model, ``compile`` and ``fit`` per candidate.

    Same inputs and costs as :class:`PopulationEvaluator` with ``domain_weight = 0`` (the
    discriminator is batched only in the population path).
    """

    def __init__(self, fit: Split, holdout: Split, info: DatasetInfo,
                 config: EvaluatorConfig = EvaluatorConfig(), monitor: Split | None = None):
        self.config, self.info = config, info
        self.fit_split, self.holdout, self.monitor = fit, holdout, monitor

    def _train_one(self, attack: attack_lib.PixelAttack, seed: int) -> keras.Model:
        cfg = self.config
        keras.utils.set_random_seed(seed)
        model = models.get(cfg.search_model(self.info.image_shape[-1]), self.info.image_shape,
                           self.info.num_classes)
        model.compile(keras.optimizers.Adam(cfg.learning_rate),
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        x = attack_lib.apply(attack, self.fit_split.x, self.fit_split.y).astype(np.float32)
        model.fit(x, self.fit_split.y, batch_size=cfg.batch_size, epochs=cfg.epochs, verbose=0)
        return model

    def _stats(self, model, attack, split: Split) -> np.ndarray:
        clean = model.predict(split.x.astype(np.float32), batch_size=500, verbose=0)
        pois = model.predict(attack_lib.apply(attack, split.x, split.y).astype(np.float32),
                             batch_size=500, verbose=0)
        ce = lambda logits: keras.ops.convert_to_numpy(keras.losses.sparse_categorical_crossentropy(
            split.y, logits, from_logits=True))
        ce_c, ce_p = ce(clean), ce(pois)
        return np.array([ce_c.mean(), ce_p.mean(), np.mean(clean.argmax(-1) == split.y),
                         np.mean(pois.argmax(-1) == split.y), np.exp(-ce_c).mean()])

    def __call__(self, genomes: np.ndarray, generation: int) -> GenerationResult:
        cfg = self.config
        attacks = attack_lib.decode(np.atleast_2d(genomes), self.info.num_classes,
                                    cfg.num_pixels, self.info.image_shape)
        rows, monitor = [], []
        for j, a in enumerate(attacks):
            member = 0 if cfg.common_init else j
            seed = np.random.SeedSequence([cfg.generation_seed(generation), member])
            model = self._train_one(a, int(seed.generate_state(1)[0]))
            rows.append(self._stats(model, a, self.holdout))
            if self.monitor is not None:
                monitor.append(self._stats(model, a, self.monitor)[2])
        stats = population.PopulationStats(*np.array(rows).T)
        semantic = fitness.semantic_cost(stats, self.info.num_classes, cfg.term)
        return GenerationResult(fitness.total_cost(semantic, None, 0.0), semantic, None, stats,
                                np.array(monitor) if monitor else None)
