"""Train a whole CMA-ES population of small CNNs at once: the hot path of the search.

``P`` copies of a plain CNN (GrayNet / ColorNet spec) live as stacked variables
(``kernel [P, 3, 3, c_in, c_out]``, ``dense [P, F, U]``). One ``tf.function`` runs a whole epoch
over tensors already in memory: a shuffled batch is gathered once, poisoned in-graph for every
candidate (its class-wise mask and pattern gathered by label), pushed through P ordinary
convolutions and batched matmuls, and the P mean cross-entropies are summed under one fused
Adam. Adam is elementwise, so the summed loss gives each model exactly the update it would get
alone. Variables and graphs are built once; :meth:`reset` re-initialises weights and optimizer
state for a new generation without retracing.

Measured on 2 CPU cores (see ``benchmarks/population.py``): bfloat16 compute with float32
master weights is the fast CPU path; grouped convolutions and XLA are slower there.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import tensorflow as tf

from evoshift_tf import hardware
from evoshift_tf.errors import UnknownNameError, UserError
from evoshift_tf.search import defenses as search_defenses


@dataclasses.dataclass(frozen=True)
class PopulationStats:
    """Per-candidate statistics on one evaluation set, each ``float64 [P]``.

    clean_ce / poisoned_ce: mean cross-entropy (nats) on clean / poisoned images.
    clean_accuracy / poisoned_accuracy: accuracy on clean / poisoned images.
    clean_true_prob: mean softmax probability of the true class on clean images.
    class_true_prob: ``[P, C]``, the same per true class (NaN for a class with no image): the
      per-class credit the search recombines with.
    clean_confusion: ``[P, C, C]``, fraction of the clean images of true class ``i`` predicted
      as class ``j`` (rows sum to 1; NaN rows for a class with no image).
    """

    clean_ce: np.ndarray
    poisoned_ce: np.ndarray
    clean_accuracy: np.ndarray
    poisoned_accuracy: np.ndarray
    clean_true_prob: np.ndarray
    class_true_prob: np.ndarray | None = None
    clean_confusion: np.ndarray | None = None


def _glorot_limit(fan_in: int, fan_out: int) -> float:
    return math.sqrt(6.0 / (fan_in + fan_out))


class _StackedModels:
    """P models' variables with fused Adam (Keras' Adam update, eps=1e-7) and stateless init."""

    def __init__(self, shapes: list[tuple[tuple[int, ...], float]], population: int,
                 learning_rate: float, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.population = population
        self._limits = [limit for _, limit in shapes]
        self.variables = [tf.Variable(tf.zeros((population,) + s), trainable=True)
                          for s, _ in shapes]
        self._m = [tf.Variable(tf.zeros_like(v)) for v in self.variables]
        self._v = [tf.Variable(tf.zeros_like(v)) for v in self.variables]
        self._step = tf.Variable(0.0)
        self._hp = [tf.constant(x, tf.float32) for x in (learning_rate, beta_1, beta_2, epsilon)]

    @tf.function
    def _reset(self, seeds):
        """``seeds int32 [P, 2]``: model p's weights come from ``seeds[p]`` alone."""
        for i, (var, limit) in enumerate(zip(self.variables, self._limits)):
            if limit > 0:  # glorot-uniform kernel
                values = tf.stack([
                    tf.random.stateless_uniform(var.shape[1:], seed=seeds[p] + [0, 7919 * i],
                                                minval=-limit, maxval=limit)
                    for p in range(self.population)])
                var.assign(values)
            else:  # bias
                var.assign(tf.zeros_like(var))
        for s in self._m + self._v:
            s.assign(tf.zeros_like(s))
        self._step.assign(0.0)

    def reset(self, seeds: np.ndarray) -> None:
        self._reset(tf.constant(np.asarray(seeds, np.int32).reshape(self.population, 2)))

    def apply_gradients(self, grads) -> None:
        self._step.assign_add(1.0)
        lr, b1, b2, eps = self._hp
        b1p, b2p = tf.pow(b1, self._step), tf.pow(b2, self._step)
        for var, m, v, g in zip(self.variables, self._m, self._v, grads):
            tf.raw_ops.ResourceApplyAdam(var=var.handle, m=m.handle, v=v.handle, beta1_power=b1p,
                                         beta2_power=b2p, lr=lr, beta1=b1, beta2=b2, epsilon=eps,
                                         grad=g)


class PopulationClassifier:
    """P plain CNNs trained together on per-candidate poisoned copies of one dataset.

    Args:
      spec: ``(conv_blocks, dense_units)``, e.g. ``models.simple_cnn.GRAYNET_SPEC``.
      population: P, the CMA-ES lambda.
      input_shape: ``(H, W, C)``; num_classes: C.
      batch_size: images per model per step (paper-style 128).
      learning_rate: Adam step size.
      precision: ``"float32"``, ``"bfloat16"`` (master weights stay float32) or ``"auto"``
        (:func:`evoshift_tf.hardware.resolve_precision`).
      preprocessing: Keras layers every model applies to its ``[0, 1]`` input (a defended
        victim's, :mod:`evoshift_tf.victims.defenses`), in float32 on the whole population's
        batch at once, ``training=True`` while fitting and ``False`` when evaluating.
      mixing: ``none``, ``mixup`` or ``cutmix`` (:func:`evoshift_tf.search.defenses.mix`) on the
        poisoned training batches, with soft labels.
    """

    def __init__(self, spec, population: int, input_shape, num_classes: int,
                 batch_size: int = 128, learning_rate: float = 1e-3,
                 precision: str = "float32", preprocessing=(), mixing: str = "none"):
        precision = hardware.resolve_precision(precision)
        if population < 1:
            raise ValueError(f"population must be >= 1, got {population}")
        self.conv_blocks, self.dense_units = spec
        self.population, self.batch_size = population, batch_size
        self.input_shape, self.num_classes = tuple(input_shape), num_classes
        self.dtype = tf.bfloat16 if precision == "bfloat16" else tf.float32
        self.preprocessing, self.mixing = list(preprocessing), mixing
        self.models = _StackedModels(self._shapes(), population, learning_rate)
        self._train_epoch = tf.function(self._train_epoch_impl)
        self._evaluate = tf.function(self._evaluate_impl)

    def _shapes(self):
        h, w, c = self.input_shape
        shapes = []
        for block in self.conv_blocks:
            for f in block:
                shapes += [((3, 3, c, f), _glorot_limit(9 * c, 9 * f)), ((f,), 0.0)]
                c = f
            h, w = h // 2, w // 2
        fan_in = h * w * c
        for u in tuple(self.dense_units) + (self.num_classes,):
            shapes += [((fan_in, u), _glorot_limit(fan_in, u)), ((u,), 0.0)]
            fan_in = u
        return shapes

    def keras_weights(self, p: int) -> list[np.ndarray]:
        """Model p's weights in the order of the matching Keras model's ``get_weights()``."""
        return [v.numpy()[p] for v in self.models.variables]

    def reset(self, seeds: np.ndarray) -> None:
        """Fresh weights (``seeds [P, 2]``) and optimizer state for a new generation."""
        self.models.reset(seeds)

    # ------------------------------------------------------------------ graph pieces

    def _preprocess(self, x, training: bool):
        """The defense layers on ``x [P, B, H, W, C]``, all candidates' images as one batch."""
        if not self.preprocessing:
            return x
        shape = tf.shape(x)
        h = tf.reshape(x, tf.concat([[-1], shape[2:]], 0))
        h = tf.ensure_shape(h, [None, *self.input_shape])
        for layer in self.preprocessing:
            h = layer(h, training=training)
        return tf.reshape(h, shape)

    def _logits(self, x, training: bool = False):
        """``x [P, B, H, W, C]`` in [0, 1] -> logits ``[P, B, num_classes] float32``, through
        the ``preprocessing`` layers."""
        ws = [tf.cast(v, self.dtype) for v in self.models.variables]
        x = tf.cast(self._preprocess(x, training), self.dtype)
        features = []
        for p in range(self.population):
            h, i = x[p], 0
            for block in self.conv_blocks:
                for _ in block:
                    h = tf.nn.relu(tf.nn.bias_add(
                        tf.nn.conv2d(h, ws[i][p], 1, "SAME"), ws[i + 1][p]))
                    i += 2
                h = tf.nn.max_pool2d(h, 2, 2, "VALID")
            features.append(tf.reshape(h, [tf.shape(h)[0], -1]))
        h = tf.stack(features)                                    # [P, B, F]
        n_dense = len(self.dense_units) + 1
        for j in range(n_dense):
            h = tf.matmul(h, ws[i]) + ws[i + 1][:, None, :]
            i += 2
            if j < n_dense - 1:
                h = tf.nn.relu(h)
        return tf.cast(h, tf.float32)

    @staticmethod
    def _poison(xb, yb, masks, patterns):
        """Clean batch ``[B, H, W, C]`` 0..255 -> per-candidate poisoned ``[P, B, H, W, C]``
        in [0, 1]. ``masks [P, K, H, W, 1]``, ``patterns [P, K, H, W, C]``."""
        m = tf.gather(masks, yb, axis=1)
        return (xb[None] * (1.0 - m) + m * tf.gather(patterns, yb, axis=1)) / 255.0

    def _train_epoch_impl(self, x, y, masks, patterns, seed):
        n = tf.shape(y)[0]
        b = self.batch_size
        perm = tf.random.experimental.stateless_shuffle(tf.range(n), seed=seed)
        total = tf.zeros([self.population])
        for s in tf.range(n // b):
            idx = perm[s * b:(s + 1) * b]
            yb = tf.gather(y, idx)
            xp = self._poison(tf.cast(tf.gather(x, idx), tf.float32), yb, masks, patterns)
            soft = None
            if self.mixing != "none":
                xp, soft = search_defenses.mix(xp, yb, self.num_classes, self.mixing,
                                               seed + tf.stack([0, 1 + s]))
            with tf.GradientTape() as tape:
                logits = self._logits(xp, training=True)
                if soft is None:
                    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(
                        labels=tf.broadcast_to(yb[None], tf.shape(logits)[:2]), logits=logits)
                else:
                    ce = tf.nn.softmax_cross_entropy_with_logits(
                        labels=tf.broadcast_to(soft[None], tf.shape(logits)), logits=logits)
                per_model = tf.reduce_mean(ce, axis=1)            # [P]
                loss = tf.reduce_sum(per_model)
            grads = tape.gradient(loss, self.models.variables)
            self.models.apply_gradients(grads)
            total += per_model
        return total / tf.cast(tf.maximum(n // b, 1), tf.float32)

    def _batch_sums(self, xb, yb, masks, patterns, poisoned: bool):
        """Sums over one batch of (clean CE, poisoned CE, clean acc, poisoned acc, p_true),
        ``[5, P]``; the poisoned pair is NaN when ``poisoned`` is False (half the cost)."""
        xc = tf.broadcast_to(xb[None] / 255.0, tf.concat([[self.population], tf.shape(xb)], 0))
        if poisoned:
            lc, lp = tf.split(
                self._logits(tf.concat([xc, self._poison(xb, yb, masks, patterns)], 1)), 2, 1)
        else:
            lc, lp = self._logits(xc), None
        labels = tf.broadcast_to(yb[None], tf.shape(lc)[:2])

        def ce_acc(logits):
            ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
            return ce, tf.cast(tf.equal(tf.argmax(logits, -1), labels), tf.float32)

        ce_c, acc_c = ce_acc(lc)
        ce_p, acc_p = ce_acc(lp) if poisoned else (ce_c * float("nan"),) * 2
        terms = (ce_c, ce_p, acc_c, acc_p, tf.exp(-ce_c))
        onehot = tf.one_hot(yb, self.num_classes, dtype=tf.float32)           # [B, C]
        per_class = tf.matmul(tf.exp(-ce_c), onehot)                          # [P, C]
        predicted = tf.one_hot(tf.argmax(lc, -1), self.num_classes)           # [P, B, C]
        confusion = tf.einsum("bi,pbj->pij", onehot, predicted)               # [P, C, C]
        return (tf.cast(tf.stack([tf.reduce_sum(t, axis=1) for t in terms]), tf.float64),
                tf.cast(per_class, tf.float64), tf.cast(confusion, tf.float64),
                tf.cast(tf.reduce_sum(onehot, 0), tf.float64))

    def _evaluate_impl(self, x, y, masks, patterns, poisoned: bool):
        n = tf.shape(y)[0]
        b = 500
        sums = tf.zeros([5, self.population], tf.float64)
        class_sums = tf.zeros([self.population, self.num_classes], tf.float64)
        confusion = tf.zeros([self.population, self.num_classes, self.num_classes], tf.float64)
        counts = tf.zeros([self.num_classes], tf.float64)
        for s in tf.range((n + b - 1) // b):
            xb = tf.cast(x[s * b:(s + 1) * b], tf.float32)
            batch, per_class, conf, count = self._batch_sums(xb, y[s * b:(s + 1) * b], masks,
                                                             patterns, poisoned)
            sums, class_sums = sums + batch, class_sums + per_class
            confusion, counts = confusion + conf, counts + count
        return (sums / tf.cast(n, tf.float64), class_sums / counts,
                confusion / counts[None, :, None])

    # ------------------------------------------------------------------ public API

    def fit(self, x: tf.Tensor, y: tf.Tensor, masks: tf.Tensor, patterns: tf.Tensor,
            epochs: int = 1, seed: int = 0, first_epoch: int = 0) -> np.ndarray:
        """Train all P models for ``epochs`` on ``x [N, H, W, C] uint8`` poisoned per candidate.

        ``masks [P, K, H, W, 1]``/``patterns [P, K, H, W, C]`` float32 (see
        ``PixelAttack.masks_and_patterns``; an all-zero mask means clean). The batch order is
        shared by all P models and drawn from ``seed`` and the epoch's index (from
        ``first_epoch``: fitting epoch by epoch gives the same run as one call). Returns the last
        epoch's mean loss ``[P]``.
        """
        loss = None
        for e in range(first_epoch, first_epoch + epochs):
            loss = self._train_epoch(x, y, masks, patterns,
                                     tf.constant([seed, e], tf.int32))
        return loss.numpy()

    def evaluate(self, x: tf.Tensor, y: tf.Tensor, masks: tf.Tensor,
                 patterns: tf.Tensor, poisoned: bool = True) -> PopulationStats:
        """Per-candidate stats on clean ``x`` and, if ``poisoned``, on ``x`` poisoned with each
        candidate's attack (otherwise the poisoned fields are NaN and cost half the time)."""
        s, per_class, confusion = self._evaluate(x, y, masks, patterns, bool(poisoned))
        return PopulationStats(*s.numpy(), per_class.numpy(), confusion.numpy())


class PopulationDiscriminator:
    """P small discriminators (MLP, one hidden ReLU layer) between clean and attacked images,
    trained together; each candidate's error on images it was not trained on gives its proxy
    A-distance (Eq. (7), Algorithm 1, step 5).

    Images are split by a fixed flag: flagged images are shown poisoned, the rest clean, so the
    two domains are disjoint uniform samples (Sec. V-B).
    """

    def __init__(self, population: int, input_shape, hidden: int = 64, batch_size: int = 128,
                 learning_rate: float = 1e-3):
        self.population, self.batch_size = population, batch_size
        d = int(np.prod(input_shape))
        self.models = _StackedModels(
            [((d, hidden), _glorot_limit(d, hidden)), ((hidden,), 0.0),
             ((hidden, 1), _glorot_limit(hidden, 1)), ((1,), 0.0)], population, learning_rate)
        self._train_epoch = tf.function(self._train_epoch_impl)
        self._error = tf.function(self._error_impl)

    def _inputs(self, x, y, flag, masks, patterns):
        xb = tf.cast(x, tf.float32)
        xp = PopulationClassifier._poison(xb, y, masks, patterns)
        f = tf.cast(flag, tf.float32)[None, :, None, None, None]
        mixed = f * xp + (1.0 - f) * xb[None] / 255.0
        return tf.reshape(mixed, [self.population, tf.shape(x)[0], -1])

    def _logits(self, h):
        w1, b1, w2, b2 = self.models.variables
        h = tf.nn.relu(tf.matmul(h, w1) + b1[:, None, :])
        return (tf.matmul(h, w2) + b2[:, None, :])[..., 0]       # [P, B]

    def _train_epoch_impl(self, x, y, flag, masks, patterns, seed):
        n = tf.shape(y)[0]
        b = self.batch_size
        perm = tf.random.experimental.stateless_shuffle(tf.range(n), seed=seed)
        for s in tf.range(n // b):
            idx = perm[s * b:(s + 1) * b]
            h = self._inputs(tf.gather(x, idx), tf.gather(y, idx), tf.gather(flag, idx),
                             masks, patterns)
            target = tf.broadcast_to(tf.cast(tf.gather(flag, idx), tf.float32)[None],
                                     [self.population, b])
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.reduce_mean(
                    tf.nn.sigmoid_cross_entropy_with_logits(target, self._logits(h)), axis=1))
            self.models.apply_gradients(tape.gradient(loss, self.models.variables))

    def _error_impl(self, x, y, flag, masks, patterns):
        logits = self._logits(self._inputs(x, y, flag, masks, patterns))
        wrong = tf.not_equal(logits > 0, tf.cast(flag, tf.bool)[None])
        return tf.reduce_mean(tf.cast(wrong, tf.float64), axis=1)

    def fit_error(self, train, test, masks, patterns, epochs: int = 3, seed: int = 0) -> np.ndarray:
        """Reset, train on ``train = (x, y, flag)`` and return each candidate's error ``[P]`` on
        ``test = (x, y, flag)`` (flag 1 = shown poisoned)."""
        seeds = np.stack([np.full(self.population, seed), np.arange(self.population)], 1)
        self.models.reset(seeds)
        for e in range(epochs):
            self._train_epoch(*train, masks, patterns, tf.constant([seed, e], tf.int32))
        return self._error(*test, masks, patterns).numpy()


# ---------------------------------------------------------------------- several devices

_DEVICE = re.compile(r"^(/job:\w+(/replica:\d+)?(/task:\d+)?)?/?(device:)?(CPU|GPU|TPU):\d+$",
                     re.IGNORECASE)


def check_devices(spec: str) -> str:
    """``spec`` if it is ``auto``, ``none``, empty or a comma list of device names
    (``/GPU:0,/GPU:1``), else a :class:`UserError` (before any work; whether the devices exist
    is checked when the search starts, :func:`resolve_devices`)."""
    names = [d.strip() for d in spec.split(",") if d.strip()]
    if spec in ("", "auto", "none") or (names and all(_DEVICE.match(d) for d in names)):
        return spec
    raise UserError(f"devices={spec!r}: expected 'auto', 'none' or a comma list of devices "
                    "such as '/GPU:0,/GPU:1'")


def resolve_devices(spec: str = "auto") -> list[str] | None:
    """Devices to spread a population over: ``"auto"`` = every GPU when there are two or more,
    ``"none"`` = one device (TF's placement), else a comma list such as ``"/GPU:0,/GPU:1"``.
    Returns None for the single-device path."""
    if check_devices(spec) in ("", "none"):
        return None
    if spec == "auto":
        gpus = tf.config.list_logical_devices("GPU")
        return [d.name for d in gpus] if len(gpus) > 1 else None
    def canonical(name):
        d = tf.DeviceSpec.from_string(name)
        return f"{(d.device_type or '').upper()}:{d.device_index or 0}"

    devices = [d.strip() for d in spec.split(",") if d.strip()]
    known = {canonical(d.name) for d in tf.config.list_logical_devices()}
    missing = [d for d in devices if canonical(d) not in known]
    if missing:
        raise UnknownNameError(f"unknown devices {missing}; this process has {sorted(known)}")
    return devices or None


def _shard_sizes(population: int, shards: int) -> list[int]:
    base, extra = divmod(population, shards)
    return [base + (i < extra) for i in range(shards) if base + (i < extra) > 0]


class ShardedPopulationClassifier:
    """The P candidates split into contiguous groups, one :class:`PopulationClassifier` per
    device, run concurrently (one Python thread per device; TensorFlow releases the GIL).

    The candidates of a population share nothing but their input data, so spreading them over
    devices needs no gradient exchange: this is the multi-GPU path (``MirroredStrategy``'s
    all-reduce would only add traffic). Same API and, candidate for candidate, the same weights
    and results as the single-device trainer (model p's init depends on ``seeds[p]`` alone, the
    batch order on ``seed``). ``devices``: e.g. ``["/GPU:0", "/GPU:1"]``.
    """

    def __init__(self, spec, population: int, input_shape, num_classes: int,
                 devices: list[str], batch_size: int = 128, learning_rate: float = 1e-3,
                 precision: str = "float32", preprocessing=(), mixing: str = "none"):
        if not devices:
            raise ValueError("ShardedPopulationClassifier needs at least one device")
        sizes = _shard_sizes(population, len(devices))
        self.devices = list(devices)[:len(sizes)]
        self.population, self.batch_size = population, batch_size
        self.bounds = np.cumsum([0] + sizes)
        self.shards = []
        for device, size in zip(self.devices, sizes):
            with tf.device(device):
                self.shards.append(PopulationClassifier(spec, size, input_shape, num_classes,
                                                        batch_size, learning_rate, precision,
                                                        preprocessing, mixing))
        self._pool = None

    def _map(self, fn):
        """``fn(i, shard, lo, hi)`` for every shard, concurrently; results in shard order."""
        import concurrent.futures

        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(len(self.shards))

        def one(i):
            with tf.device(self.devices[i]):
                return fn(i, self.shards[i], self.bounds[i], self.bounds[i + 1])
        return list(self._pool.map(one, range(len(self.shards))))

    def reset(self, seeds: np.ndarray) -> None:
        seeds = np.asarray(seeds).reshape(self.population, 2)
        self._map(lambda i, s, lo, hi: s.reset(seeds[lo:hi]))

    def fit(self, x, y, masks, patterns, epochs: int = 1, seed: int = 0) -> np.ndarray:
        return np.concatenate(self._map(lambda i, s, lo, hi: s.fit(
            tf.identity(x), tf.identity(y), masks[lo:hi], patterns[lo:hi], epochs, seed)))

    def evaluate(self, x, y, masks, patterns, poisoned: bool = True) -> PopulationStats:
        parts = self._map(lambda i, s, lo, hi: s.evaluate(
            tf.identity(x), tf.identity(y), masks[lo:hi], patterns[lo:hi], poisoned))
        return PopulationStats(*(np.concatenate([getattr(p, f.name) for p in parts])
                                 for f in dataclasses.fields(PopulationStats)))


    def keras_weights(self, p: int) -> list[np.ndarray]:
        i = int(np.searchsorted(self.bounds, p, side="right") - 1)
        return self.shards[i].keras_weights(p - self.bounds[i])


def classifier(spec, population: int, input_shape, num_classes: int, batch_size: int = 128,
               learning_rate: float = 1e-3, precision: str = "float32", devices: str = "auto",
               preprocessing=(), mixing: str = "none"):
    """A :class:`PopulationClassifier`, or a :class:`ShardedPopulationClassifier` when
    :func:`resolve_devices` finds several devices."""
    found = resolve_devices(devices)
    args = (spec, population, input_shape, num_classes)
    options = dict(batch_size=batch_size, learning_rate=learning_rate, precision=precision,
                   preprocessing=preprocessing, mixing=mixing)
    if found and len(found) > 1:
        return ShardedPopulationClassifier(*args, found, **options)
    if found:
        with tf.device(found[0]):
            return PopulationClassifier(*args, **options)
    return PopulationClassifier(*args, **options)
