"""Pieces every classifier here shares: the raw-pixel input and the pooled logits head.

Layer names are part of saved models and of the analysis code (``rescale``, ``gap``, ``logits``),
so they are fixed here, once.
"""

from __future__ import annotations

import keras
from keras import layers


def l2(weight_decay: float):
    """An L2 kernel regularizer, or None for ``weight_decay = 0``."""
    return keras.regularizers.L2(weight_decay) if weight_decay else None


def image_input(input_shape, preprocessing=()):
    """``(inputs, x)``: an ``image`` input of raw pixel values (0..255, any dtype), rescaled to
    [0, 1], then the ``preprocessing`` layers (augmentation, input defenses) in order."""
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = layers.Rescaling(1.0 / 255.0, name="rescale")(inputs)
    for layer in preprocessing:
        x = layer(x)
    return inputs, x


def pooled_logits(x, num_classes: int, dropout: float = 0.0, regularizer=None):
    """Global average pooling (``gap``), optional dropout, then the ``logits`` layer."""
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    return layers.Dense(num_classes, kernel_regularizer=regularizer, name="logits")(x)
