"""Input defenses and augmentation as Keras layers on ``[0, 1]`` images (Sec. VIII-D1, VIII-H).

Every model in the zoo takes ``preprocessing=[layers...]`` applied right after its ``Rescaling``
to ``[0, 1]``, so these layers see ``[B, H, W, C] float32`` in ``[0, 1]``. All are vectorised over
the batch and the image (no Python loop over images or pixels) and serialise with ``keras.saving``.

- :class:`MedianFilter` (3x3 or 5x5; Sec. VIII-H1, Fig. 10): applied to training *and* test
  inputs by default; ``train_only=True`` filters the training inputs only.
- :class:`GaussianNoise` at Hendrycks & Dietterich's (ICLR 2019, arXiv:1903.12261) five
  severities of their CIFAR-10-C ``gaussian_noise``: sigma = 0.04, 0.06, 0.08, 0.09, 0.10 on
  ``[0, 1]`` pixels, result clipped to ``[0, 1]`` (their code). Training images only (Fig. 11).
- :func:`augmentation`: random crop with zero padding (as a random integer translation with zero
  fill, which is the same distribution as pad-then-crop and is the identity at test time; Keras'
  ``RandomCrop`` would *resize* a padded image at test time), horizontal flip and zoom
  (Sec. VIII-D1).
- Image Shortcut Squeezing (Liu et al., ICML 2023, arXiv:2301.13838): :class:`JPEGCompression`
  (quality 10 by default), :class:`Grayscale` and :class:`BitDepthReduction` (4 bits by
  default). As in ISS they squeeze the *training* images only; ``train_only=False`` (registry
  suffix ``_test``) squeezes the test images too. Their gradient is the identity (the
  straight-through estimator, BPDA of Athalye et al. 2018), so PGD adversarial training can run
  through them.
- ``randaugment``: Keras' ``RandAugment`` (Cubuk et al. 2020; 2 ops, magnitude factor 0.5) on
  ``[0, 1]`` images, training only.

Label-mixing augmentations cannot be a layer of the model, because they change the labels:
:func:`mixing` builds MixUp (Zhang et al. 2018) or CutMix (Yun et al. 2019) from Keras'
``MixUp`` / ``CutMix`` as a batch function ``(images, labels) -> (images, soft labels)`` that the
training loop applies in its input pipeline when ``TrainConfig.mixing`` names it. PGD adversarial
training is likewise a training-loop option (``TrainConfig.adversarial_steps``).

``get(name, image_shape)`` builds a named list of layers; see :data:`NAMES`. Where a defense
exists in a train-only and a train-and-test form, the bare name is the form of its source paper
(``median3``: train and test, Sec. VIII-H1; ``jpeg10``: training only, ISS) and the suffix names
the other (``median3_train``, ``jpeg10_test``).
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers
from evoshift_tf.errors import UnknownNameError

GAUSSIAN_SEVERITY_SIGMAS = (0.04, 0.06, 0.08, 0.09, 0.10)
"""Hendrycks & Dietterich's ``gaussian_noise`` sigmas for severity 1..5 on ``[0, 1]`` pixels."""


@keras.saving.register_keras_serializable(package="evoshift_tf")
class MedianFilter(layers.Layer):
    """``size x size`` median of each channel, reflect-padded so the shape is kept.

    Args:
      size: odd window size (paper: 3 and 5).
      train_only: if True the filter acts only when ``training=True``.
    """

    def __init__(self, size: int = 3, train_only: bool = False, **kwargs):
        super().__init__(**kwargs)
        if size < 1 or size % 2 == 0:
            raise ValueError(f"median filter size must be odd and >= 1, got {size}")
        self.size = int(size)
        self.train_only = bool(train_only)

    def _filter(self, x):
        k, r = self.size, self.size // 2
        shape = tf.shape(x)
        b, h, w, c = shape[0], shape[1], shape[2], x.shape[-1]
        padded = tf.pad(x, [[0, 0], [r, r], [r, r], [0, 0]], mode="REFLECT")
        patches = tf.image.extract_patches(padded, [1, k, k, 1], [1, 1, 1, 1], [1, 1, 1, 1],
                                           "VALID")                  # [B, H, W, k*k*C]
        patches = tf.reshape(patches, [b, h, w, k * k, c])
        return tf.sort(patches, axis=3)[:, :, :, (k * k) // 2, :]    # the median

    def call(self, x, training=None):
        if self.train_only and not training:
            return x
        return self._filter(x)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "train_only": self.train_only}


@keras.saving.register_keras_serializable(package="evoshift_tf")
class GaussianNoise(layers.Layer):
    """``clip(x + N(0, sigma^2), 0, 1)`` on training inputs; identity at test time.

    Args:
      severity: 1..5, picks sigma from :data:`GAUSSIAN_SEVERITY_SIGMAS` (ignored if ``sigma``).
      sigma: explicit standard deviation on ``[0, 1]`` pixels.
      seed: noise seed.
    """

    def __init__(self, severity: int = 1, sigma: float | None = None, seed: int | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        if sigma is None:
            if not 1 <= severity <= len(GAUSSIAN_SEVERITY_SIGMAS):
                raise ValueError(f"severity must be in 1..{len(GAUSSIAN_SEVERITY_SIGMAS)}, "
                                 f"got {severity}")
            sigma = GAUSSIAN_SEVERITY_SIGMAS[severity - 1]
        if sigma < 0:
            raise ValueError(f"sigma must be >= 0, got {sigma}")
        self.severity, self.sigma, self.seed = int(severity), float(sigma), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=None):
        if not training:
            return x
        noise = keras.random.normal(tf.shape(x), stddev=self.sigma, seed=self.seed_generator)
        return tf.clip_by_value(x + noise, 0.0, 1.0)

    def get_config(self):
        return {**super().get_config(), "severity": self.severity, "sigma": self.sigma,
                "seed": self.seed}


def augmentation(image_shape, crop_padding: int = 4, flip: bool = True, zoom: float = 0.1,
                 seed: int | None = None, prefix: str = "random") -> list[layers.Layer]:
    """Sec. VIII-D1: random crop with ``crop_padding`` zero pixels (CIFAR's usual 4), horizontal
    flip, zoom by up to ``zoom``. Active in training only. Layers are named ``<prefix>_crop``,
    ``<prefix>_flip``, ``<prefix>_zoom``: two augmentations in one model need two prefixes."""
    h, w = int(image_shape[0]), int(image_shape[1])
    out = [layers.RandomTranslation(crop_padding / h, crop_padding / w, fill_mode="constant",
                                    interpolation="nearest", seed=seed, name=f"{prefix}_crop")]
    if flip:
        out.append(layers.RandomFlip("horizontal", seed=seed, name=f"{prefix}_flip"))
    if zoom:
        out.append(layers.RandomZoom(zoom, fill_mode="constant", seed=seed, name=f"{prefix}_zoom"))
    return out


@keras.saving.register_keras_serializable(package="evoshift_tf")
class JPEGCompression(layers.Layer):
    """JPEG encode then decode at ``quality`` (ISS, Liu et al. 2023: quality 10).

    Exactly ``tf.image.adjust_jpeg_quality`` per image (mapped over the batch in the graph): the
    ``[0, 1]`` floats are converted to uint8, JPEG-coded and scaled back, so an image that came in
    as ``uint8 / 255`` is compressed bit for bit as its uint8 original. Needs 1 or 3 channels.
    The gradient is the identity (straight-through), so adversarial training sees through it.

    Args:
      quality: JPEG quality 1..100 (lower = stronger compression).
      train_only: if True (ISS) only training inputs are compressed; else test inputs too.
    """

    def __init__(self, quality: int = 10, train_only: bool = True, **kwargs):
        super().__init__(**kwargs)
        if not 1 <= int(quality) <= 100:
            raise ValueError(f"JPEG quality must be in 1..100, got {quality}")
        self.quality, self.train_only = int(quality), bool(train_only)

    def build(self, input_shape):
        if input_shape[-1] not in (1, 3):
            raise ValueError(f"JPEG needs 1 or 3 channels, got input shape {input_shape}")

    def call(self, x, training=None):
        if self.train_only and not training:
            return x
        q, shape = self.quality, x.shape

        def compress(images):
            coded = tf.map_fn(lambda im: tf.image.adjust_jpeg_quality(im, q), images,
                              fn_output_signature=images.dtype)
            return tf.ensure_shape(coded, shape)        # decode_jpeg loses the static shape

        return tf.grad_pass_through(compress)(x)        # straight-through gradient

    def get_config(self):
        return {**super().get_config(), "quality": self.quality, "train_only": self.train_only}


@keras.saving.register_keras_serializable(package="evoshift_tf")
class Grayscale(layers.Layer):
    """Luma ``0.2989 R + 0.5870 G + 0.1140 B`` (``tf.image.rgb_to_grayscale``) copied into every
    channel, so the shape (and the model after it) is unchanged. ISS's grayscale squeezing.
    The identity on 1-channel images.

    Args:
      train_only: if True (ISS) only training inputs are converted; else test inputs too.
    """

    def __init__(self, train_only: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.train_only = bool(train_only)

    def build(self, input_shape):
        if input_shape[-1] not in (1, 3):
            raise ValueError(f"grayscale needs 1 or 3 channels, got input shape {input_shape}")

    def call(self, x, training=None):
        if (self.train_only and not training) or x.shape[-1] == 1:
            return x
        return tf.tile(tf.image.rgb_to_grayscale(x), [1, 1, 1, 3])

    def get_config(self):
        return {**super().get_config(), "train_only": self.train_only}


BIT_DEPTH = 4
"""Default bits of :class:`BitDepthReduction` (a documented choice: 16 levels, between feature
squeezing's 1 bit for MNIST and 5 bits for CIFAR-10, Xu et al., NDSS 2018)."""


@keras.saving.register_keras_serializable(package="evoshift_tf")
class BitDepthReduction(layers.Layer):
    """``round(x * (2^bits - 1)) / (2^bits - 1)``: ``[0, 1]`` pixels to ``2^bits`` evenly spaced
    levels (feature squeezing, Xu et al. 2018; one of ISS's squeezers). Straight-through gradient.

    Args:
      bits: 1..8 bits per channel.
      train_only: if True only training inputs are quantised; else test inputs too.
    """

    def __init__(self, bits: int = BIT_DEPTH, train_only: bool = True, **kwargs):
        super().__init__(**kwargs)
        if not 1 <= int(bits) <= 8:
            raise ValueError(f"bit depth must be in 1..8, got {bits}")
        self.bits, self.train_only = int(bits), bool(train_only)

    def call(self, x, training=None):
        if self.train_only and not training:
            return x
        levels = float(2 ** self.bits - 1)
        quantise = lambda t: tf.round(tf.clip_by_value(t, 0.0, 1.0) * levels) / levels  # noqa
        return tf.grad_pass_through(quantise)(x)        # straight-through gradient

    def get_config(self):
        return {**super().get_config(), "bits": self.bits, "train_only": self.train_only}


def rand_augment(num_ops: int = 2, factor: float = 0.5, seed: int | None = None) -> layers.Layer:
    """Keras' ``RandAugment`` on ``[0, 1]`` images (Cubuk et al. 2020; ``num_ops`` random ops of
    strength ``factor`` per image; Keras' defaults). Training only: the identity at test time."""
    return layers.RandAugment(value_range=(0, 1), num_ops=num_ops, factor=factor, seed=seed,
                              name="rand_augment")


MIXING = ("none", "mixup", "cutmix")
"""Label-mixing batch augmentations for ``TrainConfig.mixing`` (see :func:`mixing`)."""
MIXING_ALPHA = 1.0
"""Default Beta(alpha, alpha) of the mixing weight: Zhang et al.'s CIFAR-10 MixUp and Yun et al.'s
CutMix both use alpha = 1 (a uniform mixing weight)."""


def mixing(name: str, num_classes: int, alpha: float = MIXING_ALPHA, seed: int | None = None):
    """A batch function ``(images [B, H, W, C] float32, labels [B] int) -> (images [B, H, W, C]
    float32, soft labels [B, K] float32)``, or ``None`` for ``"none"``.

    - ``mixup``: Keras' ``MixUp``: each image blended pixel-wise with a random partner of the
      batch, ``w x_i + (1 - w) x_j``, ``w ~ Beta(alpha, alpha)``; labels blended with the same ``w``.
    - ``cutmix``: Keras' ``CutMix`` (``factor=(alpha, alpha)``, i.e. ``Beta(alpha, alpha)``,
      alpha <= 1): a random box of the partner pasted in. Keras weights the labels by the box's
      real-valued area; here, as in Yun et al.'s reference code, by the exact fraction of pixels
      each image keeps (they differ by up to a row and a column of pixels per edge).

    Each soft label sums to 1. Any pixel scale works (0..255 or ``[0, 1]``). Random draws come
    from ``seed``; meant for a ``tf.data`` map (Keras: "safe to use inside a tf.data pipeline").
    """
    if name not in MIXING:
        raise UnknownNameError(f"unknown mixing {name!r}; known: {list(MIXING)}")
    if not alpha > 0 or (name == "cutmix" and alpha > 1):
        raise ValueError(f"mixing alpha must be > 0 (and <= 1 for cutmix, Keras' bound), got "
                         f"{alpha}")
    if name == "none":
        return None
    if name == "mixup":
        layer = layers.MixUp(alpha=alpha, seed=seed)

        def mix(images, labels):
            out = layer({"images": images, "labels": tf.one_hot(labels, num_classes)},
                        training=True)
            return out["images"], tf.cast(out["labels"], tf.float32)

        return mix
    layer = layers.CutMix(factor=(alpha, alpha), seed=seed)

    def cut_mix(images, labels):
        onehot = tf.one_hot(labels, num_classes)
        t = layer.get_random_transformation({"images": images, "labels": onehot},
                                            training=True)
        kept = 1.0 - tf.reduce_mean(tf.cast(t["batch_masks"], tf.float32), axis=[1, 2, 3])
        t = {**t, "mix_weight": kept}               # the exact pixel fraction of image i
        return (layer.transform_images(images, t, training=True),
                tf.cast(layer.transform_labels(onehot, t, training=True), tf.float32))

    return cut_mix


NAMES = ("none", "augment", "cropflip", "median3", "median5", "median3_train", "median5_train",
         "gauss1", "gauss2", "gauss3", "gauss4", "gauss5", "jpeg10", "jpeg10_test",
         "gray", "gray_test", f"bits{BIT_DEPTH}", f"bits{BIT_DEPTH}_test", "randaugment")
"""Named preprocessing recipes: ``median{3,5}`` (train and test), ``median{3,5}_train``
(training inputs only), ``gauss{1..5}`` (Hendrycks severity), ``augment`` (crop, flip and
zoom: the paper's Sec. VIII-D1), ``cropflip`` (crop with 4-pixel padding and horizontal flip: the
CIFAR-10 recipe of the paper's Tables 1-2 victims and of every peer), ``jpeg<q>`` (JPEG at
quality ``q`` in 1..100, training inputs only; ``jpeg<q>_test``: test inputs too), ``gray`` /
``gray_test``, ``bits<b>`` / ``bits<b>_test`` (``b`` in 1..8 bits), ``randaugment``. The
``jpeg`` and ``bits`` families take any valid number; :data:`NAMES` lists the defaults."""

_TRAINING_OPTIONS = {
    "mixup": "TrainConfig(mixing='mixup') (train_victim --mixing=mixup)",
    "cutmix": "TrainConfig(mixing='cutmix') (train_victim --mixing=cutmix)",
    "adversarial": "TrainConfig(adversarial_steps=...) (train_victim --adversarial_steps=10)",
    "vib": "the 'vib' model (train_victim --model=vib)",
}


def _family(name: str, prefix: str, lo: int, hi: int) -> tuple[int, bool] | None:
    """``jpeg10_test`` -> ``(10, True)`` for prefix ``jpeg``; None if ``name`` is not one."""
    rest = name[len(prefix):]
    test = rest.endswith("_test")
    number = rest[:-5] if test else rest
    if name.startswith(prefix) and number.isdigit() and lo <= int(number) <= hi:
        return int(number), test
    return None


def get(name: str, image_shape=(28, 28, 1), seed: int | None = None) -> list[layers.Layer]:
    """Named recipe -> list of layers for a model's ``preprocessing``. ``KeyError`` lists names."""
    if name == "none":
        return []
    if name == "augment":                  # named apart from cropflip's: a victim may have both
        return augmentation(image_shape, seed=seed, prefix="augment")
    if name == "cropflip":
        return augmentation(image_shape, zoom=0.0, seed=seed)
    if name.startswith("median") and name in NAMES:
        return [MedianFilter(int(name[6]), train_only=name.endswith("_train"))]
    if name.startswith("gauss") and name in NAMES:
        return [GaussianNoise(int(name[5]), seed=seed)]
    if name in ("gray", "gray_test"):
        return [Grayscale(train_only=name == "gray")]
    if name == "randaugment":
        return [rand_augment(seed=seed)]
    if (q := _family(name, "jpeg", 1, 100)) is not None:
        return [JPEGCompression(q[0], train_only=not q[1])]
    if (b := _family(name, "bits", 1, 8)) is not None:
        return [BitDepthReduction(b[0], train_only=not b[1])]
    if name in _TRAINING_OPTIONS:
        raise UnknownNameError(f"{name!r} is not an input layer: use {_TRAINING_OPTIONS[name]}")
    raise UnknownNameError(f"unknown defense {name!r}; known: {list(NAMES)} "
                           "(jpeg<1..100>[_test], bits<1..8>[_test])")


def check_name(name: str) -> None:
    """Raise :class:`UnknownNameError` (listing the known names) unless ``get(name)`` would
    build layers."""
    get(name)
