"""DenseNet-40 (Huang et al. 2017, Sec. 3-4, the CIFAR "DenseNet (L = 40, k = 12)"), for Table 2.

``conv3x3(2k... here 16) -> 3 dense blocks of 12 layers -> global average pool -> dense``.
A layer is BN-ReLU-conv3x3(k = 12) whose output is concatenated to its input; between blocks a
transition BN-ReLU-conv1x1 (same width, no compression) - 2x2 average pool. Depth
``3 * 12 + 4 = 40``; about 1.0M parameters (Huang et al. report 1.0M). No bottleneck, no dropout
by default (they use 0.2 without augmentation; ``dropout`` here is the Fig. 7 head dropout).
Batch norm momentum 0.9 as in :mod:`evoshift_tf.models.resnet`.
"""

from __future__ import annotations

import keras
from keras import layers

from evoshift_tf.models import parts
from evoshift_tf.models.registry import register
from evoshift_tf.models.resnet import batch_norm  # batch norm with momentum 0.9, see resnet.py


def densenet_cifar(input_shape, num_classes, depth=40, growth=12, name="densenet40",
                   dropout=0.0, weight_decay=0.0, preprocessing=()) -> keras.Model:
    """DenseNet for CIFAR-sized inputs: 3 blocks of ``(depth - 4) / 3`` layers of growth ``k``."""
    if (depth - 4) % 3:
        raise ValueError(f"DenseNet depth must be 3 n + 4, got {depth}")
    per_block = (depth - 4) // 3
    reg = parts.l2(weight_decay)
    inputs, x = parts.image_input(input_shape, preprocessing)
    x = layers.Conv2D(16, 3, padding="same", use_bias=False, kernel_regularizer=reg,
                      name="stem_conv")(x)
    for b in range(3):
        for i in range(per_block):
            y = batch_norm(f"b{b + 1}l{i + 1}_bn")(x)
            y = layers.ReLU(name=f"b{b + 1}l{i + 1}_relu")(y)
            y = layers.Conv2D(growth, 3, padding="same", use_bias=False, kernel_regularizer=reg,
                              name=f"b{b + 1}l{i + 1}_conv")(y)
            x = layers.Concatenate(name=f"b{b + 1}l{i + 1}_cat")([x, y])
        if b < 2:
            x = layers.ReLU(name=f"t{b + 1}_relu")(batch_norm(f"t{b + 1}_bn")(x))
            x = layers.Conv2D(x.shape[-1], 1, use_bias=False, kernel_regularizer=reg,
                              name=f"t{b + 1}_conv")(x)
            x = layers.AveragePooling2D(2, name=f"t{b + 1}_pool")(x)
    x = layers.ReLU(name="final_relu")(batch_norm("final_bn")(x))
    outputs = parts.pooled_logits(x, num_classes, dropout, reg)
    return keras.Model(inputs, outputs, name=name)


@register("densenet40")
def densenet40(input_shape=(32, 32, 3), num_classes=10, **kwargs) -> keras.Model:
    """DenseNet-40, growth rate 12, about 1.0M parameters."""
    return densenet_cifar(input_shape, num_classes, 40, 12, "densenet40", **kwargs)
