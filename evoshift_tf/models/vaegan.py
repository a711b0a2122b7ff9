"""VAE-GAN (Larsen et al. 2016, "Autoencoding beyond pixels"), the generative victim of
Sec. V-D / VIII-I (Figs. 12-13).

Three networks:
* encoder ``Enc: x -> (mu, log sigma^2)`` of a ``latent_dim`` Gaussian;
* decoder/generator ``Dec: z -> x~`` (sigmoid, pixel values / 255);
* discriminator ``Dis: x -> logit``, whose hidden layer ``Dis_l`` (the last convolution) gives
  the *learned similarity*: the reconstruction loss is measured on ``Dis_l`` features, not pixels.

Losses (Larsen et al. Eq. 7-9, Algorithm 1), per example, averaged over the *global* batch:
* ``L_prior = KL(q(z|x) || N(0, I))``;
* ``L_llike = ||Dis_l(x) - Dis_l(Dec(Enc(x)))||^2`` (Gaussian log-likelihood on Dis_l, up to
  constants; summed over feature units, as the KL is summed over latent units);
* ``L_GAN = log Dis(x) + log(1 - Dis(Dec(z))) + log(1 - Dis(Dec(Enc(x))))`` with
  ``z ~ N(0, I)``: cross-entropy, the paper's Eq. (8);
* encoder minimises ``L_prior + L_llike``, decoder ``gamma L_llike - L_GAN`` (its GAN part
  written as the non-saturating ``-log Dis(.)`` of fakes), discriminator maximises ``L_GAN``.

Images go in as raw pixel values (0..255, any dtype), like every model here; a ``Rescaling``
layer maps them to [0, 1]. ``train_step`` is per replica and averages over the global batch, so
it serves ``model.fit`` and the strategy-agnostic loop in :mod:`evoshift_tf.victims.generative`.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

from evoshift_tf.models.registry import register


def _check_shape(image_shape):
    h, w, c = (int(s) for s in image_shape)
    if h % 4 or w % 4 or c not in (1, 3):
        raise ValueError(f"VAE-GAN needs H and W divisible by 4 and 1 or 3 channels, got "
                         f"{tuple(image_shape)} (pad or resize, e.g. 28x28 or 32x32)")
    return h, w, c


def build_encoder(image_shape, latent_dim: int, filters: int) -> keras.Model:
    """``x [B, H, W, C]`` (0..255) -> ``concat(mu, log_var) [B, 2 latent_dim]``."""
    inputs = keras.Input(image_shape, name="image")
    x = layers.Rescaling(1.0 / 255.0)(inputs)
    for i, f in enumerate((filters, 2 * filters)):
        x = layers.Conv2D(f, 5, strides=2, padding="same", use_bias=False, name=f"conv{i + 1}")(x)
        x = layers.BatchNormalization(name=f"bn{i + 1}")(x)
        x = layers.ReLU()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(8 * filters, use_bias=False, name="fc")(x)
    x = layers.ReLU()(layers.BatchNormalization(name="bn_fc")(x))
    return keras.Model(inputs, layers.Dense(2 * latent_dim, name="mu_logvar")(x), name="encoder")


def build_decoder(image_shape, latent_dim: int, filters: int) -> keras.Model:
    """``z [B, latent_dim]`` -> ``x~ [B, H, W, C]`` in [0, 1]."""
    h, w, c = _check_shape(image_shape)
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense((h // 4) * (w // 4) * 2 * filters, use_bias=False, name="fc")(z)
    x = layers.ReLU()(layers.BatchNormalization(name="bn_fc")(x))
    x = layers.Reshape((h // 4, w // 4, 2 * filters))(x)
    x = layers.Conv2DTranspose(filters, 5, strides=2, padding="same", use_bias=False,
                               name="deconv1")(x)
    x = layers.ReLU()(layers.BatchNormalization(name="bn1")(x))
    x = layers.Conv2DTranspose(c, 5, strides=2, padding="same", activation="sigmoid",
                               name="deconv2")(x)
    return keras.Model(z, x, name="decoder")


def build_discriminator(image_shape, filters: int) -> keras.Model:
    """``x [B, H, W, C]`` in [0, 1] -> ``(logit [B, 1], Dis_l features [B, h, w, 2 filters])``."""
    inputs = keras.Input(image_shape, name="image01")
    x = layers.Conv2D(filters, 5, strides=2, padding="same", name="conv1")(inputs)
    x = layers.LeakyReLU(0.2)(x)
    feats = layers.Conv2D(2 * filters, 5, strides=2, padding="same", name="dis_l")(x)
    x = layers.LeakyReLU(0.2)(feats)
    x = layers.Flatten()(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(inputs, [logit, feats], name="discriminator")


@keras.saving.register_keras_serializable(package="evoshift_tf")
class VAEGAN(keras.Model):
    """Encoder + decoder + discriminator with Larsen et al.'s three-player training step.

    Args:
      image_shape: ``(H, W, C)``, H and W divisible by 4, C in {1, 3}.
      latent_dim: size of z (Larsen et al. use 128 on 64x64 faces).
      filters: width of the first convolution (doubles once).
      gamma: weight of ``L_llike`` against the GAN loss in the decoder's loss (Larsen et al.'s
        gamma; 1.0 here, documented choice).
      kl_weight: weight of ``L_prior`` (1.0 = the VAE bound).
    """

    def __init__(self, image_shape=(28, 28, 1), latent_dim: int = 128, filters: int = 32,
                 gamma: float = 1.0, kl_weight: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = _check_shape(image_shape)
        self.latent_dim, self.filters = int(latent_dim), int(filters)
        self.gamma, self.kl_weight = float(gamma), float(kl_weight)
        self.encoder = build_encoder(self.image_shape, self.latent_dim, self.filters)
        self.decoder = build_decoder(self.image_shape, self.latent_dim, self.filters)
        self.discriminator = build_discriminator(self.image_shape, self.filters)

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "latent_dim": self.latent_dim, "filters": self.filters, "gamma": self.gamma,
                "kl_weight": self.kl_weight}

    def build(self, input_shape=None):
        # the sub-models are functional and already built; nothing to create here
        self.built = True

    def compile(self, encoder_optimizer=None, decoder_optimizer=None,
                discriminator_optimizer=None, **kwargs):
        """Three optimizers (default: Adam 3e-4, beta_1 0.5, as is usual for DCGAN-style nets)."""
        super().compile(**kwargs)
        make = lambda: keras.optimizers.Adam(3e-4, beta_1=0.5)  # noqa: E731
        self.encoder_optimizer = encoder_optimizer or make()
        self.decoder_optimizer = decoder_optimizer or make()
        self.discriminator_optimizer = discriminator_optimizer or make()

    def build_optimizers(self):
        """Create the optimizers' slots now (inside ``strategy.scope()``, before tracing)."""
        self.encoder_optimizer.build(self.encoder.trainable_variables)
        self.decoder_optimizer.build(self.decoder.trainable_variables)
        self.discriminator_optimizer.build(self.discriminator.trainable_variables)

    # ------------------------------------------------------------------ inference

    def encode(self, x, training=False):
        mu, log_var = tf.split(self.encoder(x, training=training), 2, axis=-1)
        return mu, log_var

    def call(self, x, training=False):
        """Reconstruction from the posterior mean: ``[B, H, W, C]`` in pixel units (0..255)."""
        mu, _ = self.encode(x, training)
        return 255.0 * self.decoder(mu, training=training)

    def sample(self, z):
        """Decode ``z [B, latent_dim]``: images in pixel units (0..255)."""
        return 255.0 * self.decoder(z, training=False)

    # ------------------------------------------------------------------ training

    def train_step(self, data):
        """One Larsen et al. step on a per-replica batch ``x`` (pixel values; labels ignored)."""
        x = data[0] if isinstance(data, (tuple, list)) else data
        x = tf.cast(x, tf.float32)
        x01 = x / 255.0
        batch = tf.shape(x)[0]
        replicas = tf.distribute.get_strategy().num_replicas_in_sync

        def average(per_example):       # mean over the global batch (equal replica batches)
            return tf.reduce_mean(per_example) / replicas

        bce = lambda labels, logits: tf.nn.sigmoid_cross_entropy_with_logits(  # noqa: E731
            labels=labels, logits=logits)[:, 0]
        with tf.GradientTape(persistent=True) as tape:
            mu, log_var = self.encode(x, training=True)
            eps = tf.random.normal(tf.shape(mu))
            z = mu + tf.exp(0.5 * log_var) * eps
            x_rec = self.decoder(z, training=True)
            z_p = tf.random.normal(tf.shape(mu))
            x_p = self.decoder(z_p, training=True)
            real_logit, real_feat = self.discriminator(x01, training=True)
            rec_logit, rec_feat = self.discriminator(x_rec, training=True)
            p_logit, _ = self.discriminator(x_p, training=True)
            kl = -0.5 * tf.reduce_sum(1 + log_var - tf.square(mu) - tf.exp(log_var), -1)
            # Gaussian log-likelihood on Dis_l: a *sum* over feature units, like the KL's sum
            # over latent units (a mean lets the KL win and the posterior collapse)
            llike = tf.reduce_sum(tf.square(real_feat - rec_feat), axis=[1, 2, 3])
            ones, zeros = tf.ones([batch, 1]), tf.zeros([batch, 1])
            gan_d = bce(ones, real_logit) + bce(zeros, rec_logit) + bce(zeros, p_logit)
            gan_g = bce(ones, rec_logit) + bce(ones, p_logit)       # non-saturating fakes
            enc_loss = average(self.kl_weight * kl + llike)
            dec_loss = average(self.gamma * llike + gan_g)
            dis_loss = average(gan_d)
        for loss, net, opt in ((enc_loss, self.encoder, self.encoder_optimizer),
                               (dec_loss, self.decoder, self.decoder_optimizer),
                               (dis_loss, self.discriminator, self.discriminator_optimizer)):
            grads = tape.gradient(loss, net.trainable_variables)
            opt.apply_gradients(zip(grads, net.trainable_variables))
        del tape
        pixel_mse = tf.reduce_mean(tf.square(x01 - x_rec), axis=[1, 2, 3])
        return {"kl": average(kl), "llike": average(llike), "dis_loss": dis_loss,
                "dec_gan": average(gan_g), "pixel_mse": average(pixel_mse)}


@register("vaegan")
def vaegan(input_shape=(28, 28, 1), num_classes=None, latent_dim: int = 128, filters: int = 32,
           gamma: float = 1.0, kl_weight: float = 1.0) -> VAEGAN:
    """VAE-GAN for gray or colour images (``num_classes`` is ignored: it is unsupervised)."""
    return VAEGAN(input_shape, latent_dim=latent_dim, filters=filters, gamma=gamma,
                  kl_weight=kl_weight, name="vaegan")
