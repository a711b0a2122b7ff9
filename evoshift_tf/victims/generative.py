"""The attack on a generative model (Sec. V-D, VIII-I, Figs. 12-13): train a VAE-GAN on clean or
poisoned images and measure how well it reconstructs the *clean* test set (PSNR, dB).

``train_vaegan`` is one custom loop for every ``tf.distribute`` strategy (as
:mod:`evoshift_tf.victims.training`): the model and its three optimizers are created in
``strategy.scope()``, the dataset is distributed, and a ``tf.function`` epoch calls
``strategy.run(model.train_step)``; the per-replica losses are already global-batch averages and
are summed across replicas. After every epoch it decodes a fixed batch of ``z ~ N(0, I)``: the
samples-over-training grid of Fig. 13.
"""

from __future__ import annotations

import dataclasses
import os
import time

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from evoshift_tf import attack as attack_lib
from evoshift_tf import metrics
from evoshift_tf.models.vaegan import VAEGAN


LOSS_NAMES = ("dec_gan", "dis_loss", "kl", "llike", "pixel_mse")
"""What ``VAEGAN.train_step`` returns, in sorted order (the order ``run_epoch`` stacks them)."""


@dataclasses.dataclass(frozen=True)
class VAEGANConfig:
    """How a VAE-GAN victim is trained. The paper uses the implementation of its ref. [14]
    without giving a budget; the defaults below are documented choices.

    Attributes:
      epochs: passes over the training images.
      batch_size: global batch size.
      latent_dim: size of z (Larsen et al.: 128).
      filters: width of the first convolution in each network.
      gamma: weight of the Dis_l reconstruction loss in the decoder loss (Larsen et al.).
      kl_weight: weight of the KL prior term.
      learning_rate: Adam step size of all three networks (DCGAN-style 3e-4).
      beta_1: Adam beta_1 (0.5, the usual GAN value).
      num_samples: fixed latent draws decoded after every epoch (Fig. 13 grid columns).
      seed: weights, batch order, latent draws.
    """

    epochs: int = 20
    batch_size: int = 64
    latent_dim: int = 128
    filters: int = 32
    gamma: float = 1.0
    kl_weight: float = 1.0
    learning_rate: float = 3e-4
    beta_1: float = 0.5
    num_samples: int = 8
    seed: int = 0

    def __post_init__(self):
        if self.epochs < 1 or self.batch_size < 1 or self.latent_dim < 1 or self.filters < 1:
            raise ValueError(f"need epochs, batch_size, latent_dim, filters >= 1: {self}")

    @classmethod
    def smoke(cls, **overrides) -> "VAEGANConfig":
        """Seconds on 2 cores: tests and trying the tools."""
        return cls(**{**dict(epochs=1, batch_size=16, latent_dim=8, filters=8,
                             num_samples=4), **overrides})


@dataclasses.dataclass
class VAEGANResult:
    """The trained model, one dict of mean losses per epoch, and ``samples
    [epochs, num_samples, H, W, C] uint8``: the fixed latent draws decoded after each epoch."""

    model: VAEGAN
    history: list[dict]
    samples: np.ndarray


def build(image_shape, config: VAEGANConfig) -> VAEGAN:
    """A compiled VAE-GAN (three Adam optimizers) for ``image_shape``."""
    model = VAEGAN(image_shape, config.latent_dim, config.filters, config.gamma,
                   config.kl_weight, name="vaegan")
    opt = lambda: keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1)  # noqa
    model.compile(opt(), opt(), opt())
    return model


def train_vaegan(x: np.ndarray, config: VAEGANConfig = VAEGANConfig(),
                 strategy: tf.distribute.Strategy | None = None) -> VAEGANResult:
    """Train a VAE-GAN on images ``x [N, H, W, C] uint8`` (labels are not used)."""
    strategy = strategy or tf.distribute.get_strategy()
    gb = config.batch_size
    if len(x) < gb:
        raise ValueError(f"{len(x)} training images is fewer than one batch ({gb})")
    keras.utils.set_random_seed(config.seed)
    with strategy.scope():
        model = build(x.shape[1:], config)
        model.build_optimizers()
    z_fixed = np.random.default_rng(config.seed).standard_normal(
        (config.num_samples, config.latent_dim)).astype(np.float32)

    @tf.function
    def run_epoch(dist_ds):
        totals, steps = tf.zeros([len(LOSS_NAMES)]), tf.constant(0.0)
        for xb in dist_ds:
            logs = strategy.run(model.train_step, args=(xb,))
            totals += tf.stack([strategy.reduce(tf.distribute.ReduceOp.SUM, logs[k], axis=None)
                                for k in LOSS_NAMES])
            steps += 1.0
        return totals / steps

    history, samples = [], []
    progbar = keras.utils.Progbar(config.epochs, unit_name="epoch",
                                  verbose=1 if os.isatty(2) else 0)
    for epoch in range(config.epochs):
        start = time.time()
        order = np.random.default_rng([config.seed, epoch]).permutation(len(x))
        ds = tf.data.Dataset.from_tensor_slices(x[order]).batch(gb, drop_remainder=True).map(
            lambda a: tf.cast(a, tf.float32)).prefetch(2)
        means = run_epoch(strategy.experimental_distribute_dataset(ds)).numpy()
        row = {"epoch": epoch + 1, **{k: float(v) for k, v in zip(LOSS_NAMES, means)},
               "seconds": time.time() - start}
        history.append(row)
        samples.append(to_uint8(model.sample(z_fixed)))
        logging.info("vaegan epoch %d/%d %s", epoch + 1, config.epochs,
                     " ".join(f"{k}={v:.4f}" for k, v in row.items() if k != "epoch"))
        progbar.update(epoch + 1)
    return VAEGANResult(model, history, np.stack(samples))


def to_uint8(images) -> np.ndarray:
    """Pixel-unit floats -> ``uint8`` (rounded, clipped)."""
    return np.clip(np.round(keras.ops.convert_to_numpy(images)), 0, 255).astype(np.uint8)


def reconstruct(model: VAEGAN, images: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Reconstructions from the posterior mean: ``float32 [N, H, W, C]`` in 0..255."""
    out = [keras.ops.convert_to_numpy(model(tf.cast(images[i:i + batch_size], tf.float32)))
           for i in range(0, len(images), batch_size)]
    return np.clip(np.concatenate(out), 0.0, 255.0)


def reconstruction_psnr(model: VAEGAN, images: np.ndarray) -> float:
    """Mean PSNR (dB, peak 255) of ``model``'s reconstructions of ``images`` (Sec. VIII-I)."""
    return metrics.psnr(images, reconstruct(model, images), max_value=255.0)


def attack_study(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, arms: dict,
                 config: VAEGANConfig = VAEGANConfig(), strategy=None) -> dict:
    """Train one VAE-GAN per arm (``arms``: name -> ``PixelAttack`` or ``None`` = clean) on the
    (poisoned) training images and measure the PSNR of reconstructions of the clean ``test_x``.

    Returns ``{name: {"psnr_db", "history", "samples", "reconstructions", "model"}}``.
    """
    out = {}
    for name, atk in arms.items():
        x = train_x if atk is None else attack_lib.apply(atk, train_x, train_y)
        result = train_vaegan(x, config, strategy)
        rec = reconstruct(result.model, test_x)
        out[name] = {"psnr_db": metrics.psnr(test_x, rec), "history": result.history,
                     "samples": result.samples, "reconstructions": to_uint8(rec),
                     "model": result.model}
        logging.info("vaegan arm %s: clean test PSNR %.2f dB", name, out[name]["psnr_db"])
    return out
