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
from evoshift_tf.errors import UnknownNameError, UserError
from evoshift_tf.search import defenses as search_defenses
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
      patch_size: k; each of the ``num_pixels`` genes of a class is a ``k x k`` square of one
        value (``attack.decode``), so the attack changes ``num_pixels * k^2`` pixels per image
        (its L0 budget). 1 (the default) is the paper's single pixels; a lone pixel does not
        outlive a 3x3 median filter or JPEG's 8x8 blocks, a patch can.
      defenses: comma-separated defenses every candidate trains through
        (:mod:`evoshift_tf.search.defenses`), e.g. ``median3,jpeg10,augment,cutmix``; ``none``
        stands for undefended training. Empty (the default): undefended, as in the paper.
      defense_cost: how the costs under several ``defenses`` combine: ``max`` (the defender's
        best defense, the attacker's worst case) or ``mean``.
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
    patch_size: int = 1
    defenses: str = ""
    defense_cost: str = "max"

    def __post_init__(self):
        if self.model != "auto" and self.model not in SPECS:
            raise UnknownNameError(f"unknown search model {self.model!r}; known: "
                                   f"{['auto', *sorted(SPECS)]} (the search trains its own small "
                                   "CNNs; victims take any model)")
        hardware.check_precision(self.precision)
        population.check_devices(self.devices)
        search_defenses.parse(self.defenses)
        search_defenses.check_combine(self.defense_cost)
        if self.patch_size < 1:
            raise UserError(f"invalid search config: patch_size={self.patch_size!r} (>= 1)")

    @property
    def defense_names(self) -> tuple[str, ...]:
        """The defenses candidates train through; ``("none",)`` when ``defenses`` is empty."""
        return search_defenses.parse(self.defenses) or ("none",)

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
    semantic_by_defense: dict[str, np.ndarray] | None = None


def _decode_dense(genomes, info: DatasetInfo, num_pixels: int, patch_size: int = 1):
    attacks = attack_lib.decode(np.atleast_2d(genomes), info.num_classes, num_pixels,
                                info.image_shape, patch_size)
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
        self.classifiers = {     # one trainer per defense: each traces its own graph once
            name: population.classifier(
                SPECS[config.search_model(info.image_shape[-1])], population_size,
                info.image_shape, info.num_classes, config.batch_size, config.learning_rate,
                config.precision, config.devices,
                preprocessing=search_defenses.layers(name, info.image_shape, seed=config.seed),
                mixing=search_defenses.mixing(name))
            for name in config.defense_names}
        self.classifier = next(iter(self.classifiers.values()))
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

    def _defended_cost(self, name: str, masks, patterns, generation: int):
        """(semantic cost ``[P]``, stats) of the candidates trained through defense ``name``
        (Algorithm 1, steps 3-4), all from the generation's initial weights and batch order."""
        cfg, classifier = self.config, self.classifiers[name]
        classifier.reset(self._init_seeds(generation))
        classifier.fit(*self._fit, masks, patterns, cfg.epochs,
                       seed=cfg.generation_seed(generation))
        stats = classifier.evaluate(*self._holdout, masks, patterns,
                                    poisoned=cfg.term in fitness.POISONED_TERMS)
        return fitness.semantic_cost(stats, self.info.num_classes, cfg.term), stats

    def __call__(self, genomes: np.ndarray, generation: int) -> GenerationResult:
        """``genomes [P, D]`` in [0, 1] -> :class:`GenerationResult`. Under several defenses
        the semantic cost combines theirs (``defense_cost``) and the stats are their means."""
        cfg = self.config
        masks, patterns = _decode_dense(genomes, self.info, cfg.num_pixels, cfg.patch_size)
        parts = {name: self._defended_cost(name, masks, patterns, generation)
                 for name in self.classifiers}
        by_defense = {name: cost for name, (cost, _) in parts.items()}
        semantic = search_defenses.combine(np.stack(list(by_defense.values())), cfg.defense_cost)
        stats = _mean_stats([s for _, s in parts.values()])
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
        return GenerationResult(cost, semantic, domain, stats, monitor,
                                by_defense if len(by_defense) > 1 else None)


def _mean_stats(stats: list[population.PopulationStats]) -> population.PopulationStats:
    """Field by field mean of several defenses' stats (the one itself when alone)."""
    if len(stats) == 1:
        return stats[0]
    return population.PopulationStats(*(
        None if getattr(stats[0], f.name) is None
        else np.mean([getattr(s, f.name) for s in stats], axis=0)
        for f in dataclasses.fields(population.PopulationStats)))


class KerasEvaluator:
    """Reference path: one fresh Keras model, ``compile`` and ``fit`` per candidate.

    Same inputs and costs as :class:`PopulationEvaluator` with ``domain_weight = 0`` (the
    discriminator is batched only in the population path).
    """

    def __init__(self, fit: Split, holdout: Split, info: DatasetInfo,
                 config: EvaluatorConfig = EvaluatorConfig(), monitor: Split | None = None):
        if config.defenses or config.patch_size != 1:
            raise UserError("the Keras reference evaluator scores undefended single-pixel "
                            "candidates only; use PopulationEvaluator for defenses and patches")
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
