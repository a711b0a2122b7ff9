"""ResNet-20 / ResNet-32, the CIFAR variant of He et al. 2016 (Sec. 4.2), for Table 2.

``conv3x3(16) -> 3 stages of n basic blocks (16, 32, 64 filters; stride 2 entering stages 2, 3)
-> global average pool -> dense``, with ``depth = 6 n + 2`` (n = 3: ResNet-20, 0.27M parameters;
n = 5: ResNet-32, 0.46M). A basic block is conv3x3-BN-ReLU-conv3x3-BN + shortcut, ReLU. Where
the shape changes the shortcut is a 1x1 strided convolution + BN (He et al.'s option B; their
CIFAR models used option A, zero-padded identity, which has no parameters: option B adds about
3k parameters, 1%). Works for any ``(H, W, C)`` input, gray or colour.

Batch-norm moving averages use momentum 0.9 (Torch's default, which the paper's reference
implementations used) instead of Keras' 0.99: with Keras' value a short run (the studies' small
budget: tens of steps) leaves the moving statistics near their initial values and the model
predicts near chance at test time (measured: 11% test accuracy after one 2k-image epoch).
"""

from __future__ import annotations

import keras
from keras import layers

from evoshift_tf.models import parts
from evoshift_tf.models.registry import register


BN_MOMENTUM = 0.9
"""Moving-average momentum of every BatchNormalization (see module docstring)."""


def batch_norm(name: str) -> layers.BatchNormalization:
    """BatchNormalization with :data:`BN_MOMENTUM`."""
    return layers.BatchNormalization(momentum=BN_MOMENTUM, name=name)


def _block(x, filters, stride, reg, name):
    y = layers.Conv2D(filters, 3, stride, padding="same", use_bias=False,
                      kernel_regularizer=reg, name=f"{name}_conv1")(x)
    y = batch_norm(f"{name}_bn1")(y)
    y = layers.ReLU(name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_regularizer=reg,
                      name=f"{name}_conv2")(y)
    y = batch_norm(f"{name}_bn2")(y)
    if stride != 1 or x.shape[-1] != filters:
        x = layers.Conv2D(filters, 1, stride, use_bias=False, kernel_regularizer=reg,
                          name=f"{name}_proj")(x)
        x = batch_norm(f"{name}_proj_bn")(x)
    return layers.ReLU(name=f"{name}_out")(layers.Add(name=f"{name}_add")([x, y]))


def resnet_cifar(input_shape, num_classes, blocks_per_stage, name, dropout=0.0,
                 weight_decay=0.0, preprocessing=()) -> keras.Model:
    """CIFAR ResNet with ``blocks_per_stage`` (n) basic blocks in each of 3 stages."""
    reg = parts.l2(weight_decay)
    inputs, x = parts.image_input(input_shape, preprocessing)
    x = layers.Conv2D(16, 3, padding="same", use_bias=False, kernel_regularizer=reg,
                      name="stem_conv")(x)
    x = layers.ReLU(name="stem_relu")(batch_norm("stem_bn")(x))
    for s, filters in enumerate((16, 32, 64)):
        for b in range(blocks_per_stage):
            x = _block(x, filters, 2 if (s > 0 and b == 0) else 1, reg, f"s{s + 1}b{b + 1}")
    outputs = parts.pooled_logits(x, num_classes, dropout, reg)
    return keras.Model(inputs, outputs, name=name)


@register("resnet20")
def resnet20(input_shape=(32, 32, 3), num_classes=10, **kwargs) -> keras.Model:
    """ResNet-20 (n = 3), about 0.27M parameters."""
    return resnet_cifar(input_shape, num_classes, 3, "resnet20", **kwargs)


@register("resnet32")
def resnet32(input_shape=(32, 32, 3), num_classes=10, **kwargs) -> keras.Model:
    """ResNet-32 (n = 5), about 0.46M parameters."""
    return resnet_cifar(input_shape, num_classes, 5, "resnet32", **kwargs)
