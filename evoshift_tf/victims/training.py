"""Victim training: one custom loop that serves every ``tf.distribute`` strategy.

Keras 3's ``fit`` fails under ``MultiWorkerMirroredStrategy`` (keras-team/keras#20585), so the
loop is written once by hand: model and optimizer are created in ``strategy.scope()``, the
dataset is distributed, a ``tf.function`` epoch calls ``strategy.run`` per step, and the loss is
averaged over the *global* batch (``tf.nn.compute_average_loss``) so replicas do not double count.
Seeded: the weights come from ``seed`` and the batch order of epoch ``e`` from ``(seed, e)``.

Two defenses live in the loop rather than in the model, because they change the labels or the
loss: label mixing (``TrainConfig.mixing``: MixUp or CutMix, applied per global batch in the
``tf.data`` pipeline, so the step sees soft labels ``[B, K]`` and uses categorical cross-entropy;
without it the step is the plain sparse one) and PGD adversarial training
(``TrainConfig.adversarial_steps > 0``: each batch is replaced by its L-inf PGD adversarial
examples, :mod:`evoshift_tf.victims.adversarial`, which costs ``adversarial_steps + 1`` forward and
backward passes per batch instead of 1). With either, the recorded train accuracy is measured on
what the step trained on (mixed or adversarial images, against the dominant label).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from typing import Callable

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from evoshift_tf.errors import UnknownNameError
from evoshift_tf import atomic, hardware
from evoshift_tf.errors import UserError
from evoshift_tf.victims import adversarial, defenses
from evoshift_tf.victims.optimizers import DEFAULT_LEARNING_RATES
from evoshift_tf.victims.optimizers import NAMES as OPTIMIZERS
STRATEGIES = ("default", "mirrored", "multiworker")


def make_strategy(name: str = "default") -> tf.distribute.Strategy:
    """``default`` (one device), ``mirrored`` (all local GPUs, else every logical CPU device:
    ``tf.config.set_logical_device_configuration`` splits a CPU into several) or
    ``multiworker`` (``MultiWorkerMirroredStrategy`` configured from ``TF_CONFIG``, as Kubeflow's
    training operator sets it; every worker must run the same training)."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = ([d.name for d in tf.config.list_logical_devices("GPU")]
                   or [d.name for d in tf.config.list_logical_devices("CPU")])
        return tf.distribute.MirroredStrategy(devices)
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise UnknownNameError(f"unknown strategy {name!r}; known: {list(STRATEGIES)}")


def is_chief(strategy: tf.distribute.Strategy | None = None) -> bool:
    """True unless this is a non-chief worker of a multi-worker strategy."""
    resolver = getattr(strategy, "cluster_resolver", None) if strategy is not None else None
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    return task_type is None or task_type == "chief" or (
        task_type == "worker" and task_id == 0 and "chief" not in resolver.cluster_spec().jobs)


def tf_config_is_chief(tf_config: str | None = None) -> bool:
    """Whether ``TF_CONFIG`` (default: the environment's) makes this process the chief: task
    type ``chief``, or worker 0 of a cluster without a chief; True without ``TF_CONFIG``."""
    import json
    text = os.environ.get("TF_CONFIG", "") if tf_config is None else tf_config
    if not text:
        return True
    cfg = json.loads(text)
    task = cfg.get("task", {})
    kind, index = task.get("type"), int(task.get("index", 0))
    return kind == "chief" or (kind == "worker" and index == 0
                               and "chief" not in cfg.get("cluster", {}))


def local_cluster_tf_configs(num_workers: int) -> list[dict]:
    """``TF_CONFIG`` dicts for ``num_workers`` processes on this host, worker ``i`` gets element
    ``i`` (free localhost ports): ``multiworker`` without a cluster, for trying it out."""
    import socket

    socks = [socket.socket() for _ in range(num_workers)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    cluster = {"worker": [f"127.0.0.1:{s.getsockname()[1]}" for s in socks]}
    for s in socks:
        s.close()
    return [{"cluster": cluster, "task": {"type": "worker", "index": i}}
            for i in range(num_workers)]


def worker_path(path: str, strategy: tf.distribute.Strategy | None = None) -> str:
    """Where this worker writes ``path``: the chief writes the real path, every other worker a
    throw-away sibling (collective ops need all workers to save; only the chief's copy counts)."""
    if is_chief(strategy):
        return path
    resolver = strategy.cluster_resolver
    parent, name = os.path.split(os.path.abspath(path))
    return os.path.join(parent, f".{name}.{resolver.task_type}{resolver.task_id}.tmp")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """A victim training recipe.

    Attributes:
      epochs: passes over the training set.
      batch_size: global batch size (split across replicas).
      optimizer: one of ``OPTIMIZERS`` (``evoshift_tf.victims.optimizers.NAMES``: adam, sgd, rmsprop,
        adabound; paper default Adam, Sec. VIII).
      learning_rate: step size; 0 (or None) = the optimizer's usual one
        (``optimizers.DEFAULT_LEARNING_RATES``: Adam 1e-3, the Keras default; SGD 1e-2), so
        every caller of one optimizer trains at the same rate (:attr:`step_size`).
      momentum: SGD momentum (0 = plain SGD).
      seed: weights and batch order.
      mixing: label-mixing augmentation of each training batch, one of ``defenses.MIXING``
        (``none``, ``mixup``: Zhang et al. 2018, ``cutmix``: Yun et al. 2019; Keras' layers).
      mixing_alpha: Beta(alpha, alpha) of the mixing weight (1.0: both papers' CIFAR value).
      adversarial_steps: PGD steps of L-inf adversarial training (Madry et al. 2018); 0 = off.
        Costs ``adversarial_steps + 1`` forward/backward passes per batch (10 is usual: 11x).
      adversarial_eps: L-inf radius on [0, 1] pixels (8/255, the CIFAR convention; the models
        see 0..255, so the perturbation is at most 8 grey levels).
      adversarial_step_size: PGD step on [0, 1] pixels (2/255, Madry et al.'s CIFAR value).
      precision: ``float32``, or ``bfloat16`` (Keras' ``mixed_bfloat16``: bfloat16 compute,
        float32 weights and loss), or ``auto``: bfloat16 where it is native (a GPU, a CPU with
        AVX512_BF16 / AMX; :func:`evoshift_tf.hardware.resolve_precision`, the search's rule).
    """

    epochs: int = 5
    batch_size: int = 128
    optimizer: str = "adam"
    learning_rate: float = 0.0
    momentum: float = 0.0
    seed: int = 0
    mixing: str = "none"
    mixing_alpha: float = defenses.MIXING_ALPHA
    adversarial_steps: int = 0
    adversarial_eps: float = adversarial.EPS
    adversarial_step_size: float = adversarial.STEP_SIZE
    precision: str = "float32"

    def __post_init__(self):
        hardware.check_precision(self.precision)
        if self.optimizer not in OPTIMIZERS:
            raise UserError(f"unknown optimizer {self.optimizer!r}; known: {list(OPTIMIZERS)}")
        if self.epochs < 1 or self.batch_size < 1 or not (self.learning_rate or 0) >= 0:
            raise UserError(f"need epochs >= 1, batch_size >= 1, learning_rate > 0 (0: the "
                            f"optimizer's usual one); got {self.epochs}, {self.batch_size}, "
                            f"{self.learning_rate}")
        if self.mixing not in defenses.MIXING:
            raise UserError(f"unknown mixing {self.mixing!r}; known: {list(defenses.MIXING)}")
        if not self.mixing_alpha > 0:
            raise UserError(f"mixing_alpha must be > 0, got {self.mixing_alpha}")
        if (self.adversarial_steps < 0 or not 0 <= self.adversarial_eps <= 1
                or not 0 <= self.adversarial_step_size <= 1):
            raise UserError(f"need adversarial_steps >= 0 and adversarial_eps, "
                             f"adversarial_step_size in [0, 1] (pixel scale [0, 1]); got "
                             f"{self.adversarial_steps}, {self.adversarial_eps}, "
                             f"{self.adversarial_step_size}")

    @property
    def step_size(self) -> float:
        """The learning rate the optimizer gets: ``learning_rate``, or the optimizer's usual
        one where it is 0 / None."""
        return self.learning_rate or DEFAULT_LEARNING_RATES[self.optimizer]

    @classmethod
    def smoke(cls, **overrides) -> "TrainConfig":
        return cls(**{**dict(epochs=2, batch_size=32), **overrides})


@dataclasses.dataclass
class TrainResult:
    """The trained model and one dict per epoch (loss, train accuracy, eval accuracies, time)."""

    model: keras.Model
    history: list[dict]


def make_optimizer(config: TrainConfig) -> keras.optimizers.Optimizer:
    from evoshift_tf.victims import optimizers
    return optimizers.get(config.optimizer, config.step_size, config.momentum)


def predict_logits(model: keras.Model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """``images [N, H, W, C]`` (uint8 ok) -> logits ``[N, K] float32``, ``batch_size`` images
    per call (measured on 28x28 images: DenseNet-40 peaks at 6.4 GB with 250, over 23 GB with
    1,000)."""
    out = [tf.cast(model(tf.cast(images[i:i + batch_size], tf.float32), training=False),
                   tf.float32) for i in range(0, len(images), batch_size)]
    return np.concatenate([keras.ops.convert_to_numpy(o) for o in out])


def predict_labels(model: keras.Model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    return predict_logits(model, images, batch_size).argmax(-1)


def _epoch_dataset(x, y, batch_size, seed, epoch, mix=None):
    """Epoch ``epoch``'s global batches ``(images [B, H, W, C] float32 0..255, labels)``;
    labels ``[B] int`` or, with ``mix`` (a :func:`evoshift_tf.victims.defenses.mixing` function),
    soft ``[B, K] float32``."""
    order = np.random.default_rng([seed, epoch]).permutation(len(y))
    ds = tf.data.Dataset.from_tensor_slices((x[order], y[order]))
    ds = ds.batch(batch_size, drop_remainder=True).map(lambda a, b: (tf.cast(a, tf.float32), b))
    if mix is not None:
        ds = ds.map(mix)
    return ds.prefetch(2)


@contextlib.contextmanager
def dtype_policy(precision: str):
    """Models built inside compute in ``precision`` (``bfloat16``: Keras' ``mixed_bfloat16``,
    weights stay float32); the previous global policy is restored on exit."""
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16" if precision == "bfloat16" else "float32")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


def train(build_model: Callable[[], keras.Model], x: np.ndarray, y: np.ndarray,
          config: TrainConfig = TrainConfig(), strategy: tf.distribute.Strategy | None = None,
          eval_sets: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
          checkpoint_dir: str | None = None, tensorboard_dir: str | None = None
          ) -> TrainResult:
    """Train ``build_model()`` on ``x [N, H, W, C] uint8``, ``y [N]`` with a custom loop.

    Args:
      build_model: returns a fresh Keras model emitting logits; called in ``strategy.scope()``.
      strategy: any ``tf.distribute`` strategy (default: the current one).
      eval_sets: ``name -> (x, y)`` measured after every epoch (e.g. clean test accuracy).
      checkpoint_dir: if given, a ``tf.train.Checkpoint`` (model, optimizer, epoch) is written
        after every epoch and a run found there resumes at the next epoch.
      tensorboard_dir: if given, the chief writes every epoch's numbers there as TensorBoard
        scalars ``victim/<field>`` (``loss``, ``train_accuracy``, ``<eval set>_accuracy``,
        ``seconds``; step = epoch, from 1).
    """
    strategy = strategy or tf.distribute.get_strategy()
    if len(y) < config.batch_size:
        raise ValueError(f"{len(y)} training images is fewer than one batch ({config.batch_size})")
    keras.utils.set_random_seed(config.seed)
    with strategy.scope(), dtype_policy(hardware.resolve_precision(config.precision)):
        model = build_model()
        optimizer = make_optimizer(config)
        optimizer.build(model.trainable_variables)
        epoch_var = tf.Variable(0, dtype=tf.int64, trainable=False)
    manager = None
    chief = is_chief(strategy)
    if checkpoint_dir:
        ckpt = tf.train.Checkpoint(model=model, optimizer=optimizer, epoch=epoch_var)
        # Every worker restores the chief's checkpoint and saves (a collective op), the chief
        # into checkpoint_dir and the others into throw-away folders (TF's multi-worker guide).
        latest = tf.train.latest_checkpoint(checkpoint_dir)
        if latest:
            ckpt.restore(latest)
            logging.info("resuming training at epoch %d", int(epoch_var.numpy()))
        manager = tf.train.CheckpointManager(ckpt, worker_path(checkpoint_dir, strategy),
                                             max_to_keep=1)
    history = list(_load_history(checkpoint_dir)) if manager and latest else []
    gb = config.batch_size
    soft = config.mixing != "none"
    num_classes = (int(model(tf.zeros([1, *x.shape[1:]]), training=False).shape[-1]) if soft
                   else None)
    loss_fn = adversarial.soft_loss if soft else adversarial.sparse_loss

    def step_fn(xb, yb):
        if config.adversarial_steps:                                 # Madry et al. 2018
            xb = adversarial.pgd_linf(model, xb, yb, config.adversarial_eps,
                                      config.adversarial_step_size, config.adversarial_steps,
                                      loss_fn)
        with tf.GradientTape() as tape:
            logits = tf.cast(model(xb, training=True), tf.float32)     # loss in float32
            per_example = loss_fn(yb, logits)
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=gb)
            if model.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        target = tf.argmax(yb, -1) if soft else yb
        correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, -1), target), tf.float32))
        return tf.reduce_sum(per_example), correct

    @tf.function
    def run_epoch(dist_ds):
        totals = tf.zeros([2])
        for xb, yb in dist_ds:
            loss_sum, correct = strategy.run(step_fn, args=(xb, yb))
            totals += tf.stack([strategy.reduce(tf.distribute.ReduceOp.SUM, loss_sum, axis=None),
                                strategy.reduce(tf.distribute.ReduceOp.SUM, correct, axis=None)])
        return totals

    seen = (len(y) // gb) * gb
    writer = tf.summary.create_file_writer(tensorboard_dir) if tensorboard_dir and chief else None
    progbar = keras.utils.Progbar(config.epochs, unit_name="epoch", verbose=1 if
                                  os.isatty(2) else 0)
    for epoch in range(int(epoch_var.numpy()), config.epochs):
        start = time.time()
        mix = defenses.mixing(config.mixing, num_classes, config.mixing_alpha,
                              seed=int(np.random.default_rng([config.seed, epoch, 1])
                                       .integers(2 ** 31)))
        dist = strategy.experimental_distribute_dataset(
            _epoch_dataset(x, y, gb, config.seed, epoch, mix))
        loss_sum, correct = run_epoch(dist).numpy()
        row = {"epoch": epoch + 1, "loss": float(loss_sum / seen),
               "train_accuracy": float(correct / seen), "seconds": time.time() - start}
        for name, (ex, ey) in (eval_sets or {}).items():
            row[f"{name}_accuracy"] = float(np.mean(predict_labels(model, ex) == ey))
        history.append(row)
        if writer is not None:
            with writer.as_default(step=epoch + 1):
                for key, value in row.items():
                    if key != "epoch":
                        write_scalar(f"victim/{key}", value)
            writer.flush()
        epoch_var.assign(epoch + 1)
        if manager:
            manager.save()
            if chief:
                _save_history(checkpoint_dir, history)
        logging.info("epoch %d/%d %s", epoch + 1, config.epochs,
                     " ".join(f"{k}={v:.4f}" for k, v in row.items() if k != "epoch"))
        progbar.update(epoch + 1)
    if writer is not None:
        writer.close()
    return TrainResult(model, history)


def write_scalar(tag: str, value: float, step: int | None = None) -> None:
    """One TensorBoard scalar into the default ``tf.summary`` writer: what
    ``tf.summary.scalar`` writes (the ``scalars`` plugin's metadata, a float32 tensor), without
    needing the ``tensorboard`` package installed to *write* it (only to view it)."""
    from tensorflow.core.framework import summary_pb2
    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"),
        data_class=summary_pb2.DATA_CLASS_SCALAR)
    tf.summary.write(tag, tf.constant(value, tf.float32), step=step, metadata=metadata)


def _save_history(directory: str, history: list[dict]) -> None:
    atomic.write_json(os.path.join(directory, "history.json"), history, indent=None)


def _load_history(directory: str) -> list[dict]:
    import json
    path = os.path.join(directory, "history.json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return json.load(f)


# ---------------------------------------------------------------- saving and export

KERAS_FILE, SAVED_MODEL_DIR = "model.keras", "saved_model"


def export(model: keras.Model, folder: str, strategy: tf.distribute.Strategy | None = None
           ) -> dict[str, str]:
    """Save ``model`` as ``<folder>/model.keras`` (reloads with ``keras.saving.load_model``) and
    export a SavedModel ``<folder>/saved_model`` whose ``serving_default`` signature takes
    ``image: uint8 [batch, H, W, C]`` (any batch size) and returns ``logits: float32
    [batch, K]``. Under a multi-worker strategy every worker calls this; non-chief workers write
    to throw-away folders which are removed. Returns the two paths."""
    target = worker_path(folder, strategy)
    os.makedirs(target, exist_ok=True)
    keras_path, saved_path = (os.path.join(target, KERAS_FILE),
                              os.path.join(target, SAVED_MODEL_DIR))
    model.save(keras_path)
    shape = tuple(model.inputs[0].shape[1:])

    archive = keras.export.ExportArchive()
    archive.track(model)

    def serve(image):
        return {"logits": model(tf.cast(image, tf.float32), training=False)}

    archive.add_endpoint("serve", serve,
                         input_signature=[tf.TensorSpec((None, *shape), tf.uint8, name="image")])
    archive.write_out(saved_path, verbose=False)
    if target != folder:
        import shutil
        shutil.rmtree(target, ignore_errors=True)
    return {"keras": os.path.join(folder, KERAS_FILE),
            "saved_model": os.path.join(folder, SAVED_MODEL_DIR)}


def load_saved_model_predictor(path: str) -> Callable[[np.ndarray], np.ndarray]:
    """``images uint8 [N, H, W, C] -> logits [N, K]`` through an exported SavedModel's
    ``serving_default`` signature."""
    loaded = tf.saved_model.load(path)
    fn = loaded.signatures["serving_default"]

    def predict(images: np.ndarray) -> np.ndarray:
        return fn(image=tf.constant(images, tf.uint8))["logits"].numpy()

    predict.loaded = loaded  # keep the object (and its variables) alive
    return predict
