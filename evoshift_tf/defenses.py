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

``get(name, image_shape)`` builds a named list of layers; see :data:`NAMES`.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

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
                 seed: int | None = None) -> list[layers.Layer]:
    """Sec. VIII-D1: random crop with ``crop_padding`` zero pixels (CIFAR's usual 4), horizontal
    flip, zoom by up to ``zoom``. Active in training only."""
    h, w = int(image_shape[0]), int(image_shape[1])
    out = [layers.RandomTranslation(crop_padding / h, crop_padding / w, fill_mode="constant",
                                    interpolation="nearest", seed=seed, name="random_crop")]
    if flip:
        out.append(layers.RandomFlip("horizontal", seed=seed, name="random_flip"))
    if zoom:
        out.append(layers.RandomZoom(zoom, fill_mode="constant", seed=seed, name="random_zoom"))
    return out


NAMES = ("none", "augment", "median3", "median5", "median3_train", "median5_train",
         "gauss1", "gauss2", "gauss3", "gauss4", "gauss5")
"""Named preprocessing recipes: ``median{3,5}`` (train and test), ``median{3,5}_train``
(training inputs only), ``gauss{1..5}`` (Hendrycks severity), ``augment``."""


def get(name: str, image_shape=(28, 28, 1), seed: int | None = None) -> list[layers.Layer]:
    """Named recipe -> list of layers for a model's ``preprocessing``. ``KeyError`` lists names."""
    if name == "none":
        return []
    if name == "augment":
        return augmentation(image_shape, seed=seed)
    if name.startswith("median") and name in NAMES:
        return [MedianFilter(int(name[6]), train_only=name.endswith("_train"))]
    if name.startswith("gauss") and name in NAMES:
        return [GaussianNoise(int(name[5]), seed=seed)]
    raise KeyError(f"unknown defense {name!r}; known: {list(NAMES)}")
