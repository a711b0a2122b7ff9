"""The paper's search CNNs (Sec. VIII): GrayNet and ColorNet.

GrayNet  = 24C3-P-48C3-P-256FC-10S (615,594 parameters on 28x28x1 with ``same`` padding).
ColorNet = 32C3-32C3-P-64C3-64C3-P-128C3-128C3-P-512FC-10S.
Inputs are raw pixel values (0..255, any dtype); a ``Rescaling`` layer maps them to [0, 1] so
that poisoning writes exact pixel values. Outputs are logits (the softmax lives in the loss).
"""

from __future__ import annotations

import keras
from keras import layers

from evoshift_tf.models import parts
from evoshift_tf.models.registry import register


def _stack(input_shape, num_classes, conv_blocks, dense_units, name, dropout=0.0,
           weight_decay=0.0, preprocessing=()):
    reg = parts.l2(weight_decay)
    inputs, x = parts.image_input(input_shape, preprocessing)
    for b, filters in enumerate(conv_blocks):
        for i, f in enumerate(filters):
            x = layers.Conv2D(f, 3, padding="same", activation="relu", kernel_regularizer=reg,
                              name=f"conv{b + 1}_{i + 1}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{b + 1}")(x)
    x = layers.Flatten(name="flatten")(x)
    for j, units in enumerate(dense_units):
        x = layers.Dense(units, activation="relu", kernel_regularizer=reg, name=f"fc{j + 1}")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"dropout{j + 1}")(x)
    outputs = layers.Dense(num_classes, kernel_regularizer=reg, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


GRAYNET_SPEC = ((24,), (48,)), (256,)
"""(conv blocks: filters per conv, each block then a 2x2 max pool), (dense units)."""
COLORNET_SPEC = ((32, 32), (64, 64), (128, 128)), (512,)
SPECS = {"graynet": GRAYNET_SPEC, "colornet": COLORNET_SPEC}


@register("graynet")
def graynet(input_shape=(28, 28, 1), num_classes=10, dropout=0.0, weight_decay=0.0,
            preprocessing=()) -> keras.Model:
    """GrayNet: 24C3-P-48C3-P-256FC-10S (Sec. VIII). ``preprocessing``: layers applied to the
    [0, 1] image before the first convolution (augmentation, input defenses)."""
    return _stack(input_shape, num_classes, *GRAYNET_SPEC, "graynet", dropout,
                  weight_decay, preprocessing)


@register("colornet")
def colornet(input_shape=(32, 32, 3), num_classes=10, dropout=0.0, weight_decay=0.0,
             preprocessing=()) -> keras.Model:
    """ColorNet: 32C3-32C3-P-64C3-64C3-P-128C3-128C3-P-512FC-10S (Sec. VIII)."""
    return _stack(input_shape, num_classes, *COLORNET_SPEC, "colornet",
                  dropout, weight_decay, preprocessing)
