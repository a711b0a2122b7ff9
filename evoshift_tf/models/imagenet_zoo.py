"""The ImageNet-scale victims of Fig. 14 (Sec. VIII-K): ResNet-50, ResNet-101 and DenseNet-161.

ResNet-50/101 are ``keras.applications`` with ``weights=None`` (trained from scratch, as the
attack requires), ``include_top=False`` + global average pooling + a logits ``Dense``. Keras has
no DenseNet-161 preset (its DenseNets use growth 32), so DenseNet-161 (Huang et al. 2017:
growth rate k = 48, blocks 6-12-36-24, 2k stem filters, bottleneck 4k, compression 0.5; 28.7 M
parameters with 1000 classes) is built here from the same layers as Keras's DenseNet-121.
Inputs are raw pixel values (a ``Rescaling`` to [0, 1]); outputs are logits. Any channel count
works (gray Fashion-MNIST included); ``keras.applications`` needs H, W >= 32.
"""

from __future__ import annotations

import keras
from keras import layers

from evoshift_tf.models import parts
from evoshift_tf.models.registry import register

DENSENET161_BLOCKS = (6, 12, 36, 24)
DENSENET161_GROWTH = 48


def _head(backbone_fn, input_shape, num_classes, name, **kwargs) -> keras.Model:
    inputs, x = parts.image_input(input_shape)
    backbone = backbone_fn(include_top=False, weights=None, input_shape=tuple(input_shape),
                           pooling="avg", **kwargs)
    outputs = layers.Dense(num_classes, name="logits")(backbone(x))
    return keras.Model(inputs, outputs, name=name)


@register("resnet50")
def resnet50(input_shape=(64, 64, 3), num_classes=10) -> keras.Model:
    """ResNet-50 (He et al. 2016) from ``keras.applications``, random init."""
    return _head(keras.applications.ResNet50, input_shape, num_classes, "resnet50")


@register("resnet101")
def resnet101(input_shape=(64, 64, 3), num_classes=10) -> keras.Model:
    """ResNet-101 from ``keras.applications``, random init."""
    return _head(keras.applications.ResNet101, input_shape, num_classes, "resnet101")


def _dense_layer(x, growth, name):
    y = layers.BatchNormalization(epsilon=1.001e-5, name=f"{name}_bn1")(x)
    y = layers.ReLU(name=f"{name}_relu1")(y)
    y = layers.Conv2D(4 * growth, 1, use_bias=False, name=f"{name}_conv1")(y)   # bottleneck
    y = layers.BatchNormalization(epsilon=1.001e-5, name=f"{name}_bn2")(y)
    y = layers.ReLU(name=f"{name}_relu2")(y)
    y = layers.Conv2D(growth, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    return layers.Concatenate(name=f"{name}_concat")([x, y])


def _transition(x, compression, name):
    x = layers.BatchNormalization(epsilon=1.001e-5, name=f"{name}_bn")(x)
    x = layers.ReLU(name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[-1] * compression), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def densenet(input_shape, num_classes, blocks=DENSENET161_BLOCKS, growth=DENSENET161_GROWTH,
             compression: float = 0.5, name: str = "densenet161") -> keras.Model:
    """DenseNet-BC with the ImageNet stem (7x7/2 conv of ``2 growth`` filters, 3x3/2 max pool).
    The defaults are DenseNet-161."""
    inputs, x = parts.image_input(input_shape)
    x = layers.ZeroPadding2D(3)(x)
    x = layers.Conv2D(2 * growth, 7, strides=2, use_bias=False, name="stem_conv")(x)
    x = layers.BatchNormalization(epsilon=1.001e-5, name="stem_bn")(x)
    x = layers.ReLU(name="stem_relu")(x)
    x = layers.ZeroPadding2D(1)(x)
    x = layers.MaxPooling2D(3, strides=2, name="stem_pool")(x)
    for b, n in enumerate(blocks):
        for i in range(n):
            x = _dense_layer(x, growth, f"block{b + 1}_layer{i + 1}")
        if b < len(blocks) - 1:
            x = _transition(x, compression, f"transition{b + 1}")
    x = layers.BatchNormalization(epsilon=1.001e-5, name="final_bn")(x)
    x = layers.ReLU(name="final_relu")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.Model(inputs, layers.Dense(num_classes, name="logits")(x), name=name)


@register("densenet161")
def densenet161(input_shape=(64, 64, 3), num_classes=10) -> keras.Model:
    """DenseNet-161: growth 48, blocks 6-12-36-24 (Huang et al. 2017), random init."""
    return densenet(input_shape, num_classes)
