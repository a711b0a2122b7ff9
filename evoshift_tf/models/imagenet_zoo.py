"""The ImageNet-scale victims of Fig. 14 (Sec. VIII-K): ResNet-50, ResNet-101 and DenseNet-161.

ResNet-50/101 are ``keras.applications`` with ``weights=None`` (trained from scratch, as the
attack requires), ``include_top=False`` + global average pooling + a logits ``Dense``. Keras has
no DenseNet-161 preset (its DenseNets use growth 32), so DenseNet-161 (Huang et al. 2017:
growth rate k = 48, blocks 6-12-36-24, 2k stem filters, bottleneck 4k, compression 0.5; 28.7 M
parameters with 1000 classes) is built here from the same layers as Keras's DenseNet-121.
Inputs are raw pixel values (a ``Rescaling`` to [0, 1]); outputs are logits. Any channel count
works (gray Fashion-MNIST included); ``keras.applications`` needs H, W >= 32.

Like every registry classifier they take the victim recipe's ``dropout`` (before the logits) and
``preprocessing`` (input defense layers on the [0, 1] image), so
:class:`evoshift_tf.victims.recipe.VictimRecipe` builds them. ``weight_decay`` must stay 0: the
``keras.applications`` backbones take no kernel regularizer, and a silent no-op would mislead.
"""

from __future__ import annotations

import keras
from keras import layers

from evoshift_tf.models import parts
from evoshift_tf.models.registry import register

DENSENET161_BLOCKS = (6, 12, 36, 24)
DENSENET161_GROWTH = 48


def _check_no_weight_decay(name: str, weight_decay: float) -> None:
    if weight_decay:
        raise ValueError(f"weight_decay={weight_decay}: model {name!r} takes no weight decay "
                         "(its backbone has no kernel regularizers); expected 0")


def _logits(x, num_classes: int, dropout: float):
    """Optional dropout (``dropout``), then the ``logits`` layer."""
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    return layers.Dense(num_classes, name="logits")(x)


def _head(backbone_fn, input_shape, num_classes, name, dropout=0.0, weight_decay=0.0,
          preprocessing=(), **kwargs) -> keras.Model:
    _check_no_weight_decay(name, weight_decay)
    inputs, x = parts.image_input(input_shape, preprocessing)
    backbone = backbone_fn(include_top=False, weights=None, input_shape=tuple(input_shape),
                           pooling="avg", **kwargs)
    return keras.Model(inputs, _logits(backbone(x), num_classes, dropout), name=name)


@register("resnet50")
def resnet50(input_shape=(64, 64, 3), num_classes=10, dropout=0.0, weight_decay=0.0,
             preprocessing=()) -> keras.Model:
    """ResNet-50 (He et al. 2016) from ``keras.applications``, random init."""
    return _head(keras.applications.ResNet50, input_shape, num_classes, "resnet50", dropout,
                 weight_decay, preprocessing)


@register("resnet101")
def resnet101(input_shape=(64, 64, 3), num_classes=10, dropout=0.0, weight_decay=0.0,
              preprocessing=()) -> keras.Model:
    """ResNet-101 from ``keras.applications``, random init."""
    return _head(keras.applications.ResNet101, input_shape, num_classes, "resnet101", dropout,
                 weight_decay, preprocessing)


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
             compression: float = 0.5, name: str = "densenet161", dropout: float = 0.0,
             preprocessing=()) -> keras.Model:
    """DenseNet-BC with the ImageNet stem (7x7/2 conv of ``2 growth`` filters, 3x3/2 max pool).
    The defaults are DenseNet-161."""
    inputs, x = parts.image_input(input_shape, preprocessing)
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
    return keras.Model(inputs, _logits(x, num_classes, dropout), name=name)


@register("densenet161")
def densenet161(input_shape=(64, 64, 3), num_classes=10, dropout=0.0, weight_decay=0.0,
                preprocessing=()) -> keras.Model:
    """DenseNet-161: growth 48, blocks 6-12-36-24 (Huang et al. 2017), random init."""
    _check_no_weight_decay("densenet161", weight_decay)
    return densenet(input_shape, num_classes, dropout=dropout, preprocessing=preprocessing)
