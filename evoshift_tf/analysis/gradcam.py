"""Grad-CAM maps of a classifier (Selvaraju et al. 2017; the paper's Fig. 5b, Sec. VIII-A).

For the last convolution ``A [h, w, K]`` of a model and the logit ``y^c`` of the true class,
``alpha_k = mean_{i,j} d y^c / d A_ij^k`` and ``CAM = ReLU(sum_k alpha_k A^k)``, upsampled
bilinearly to the input size. The paper averages the map of 100 test images per class; to ask
"where does the model look" we also report the *share of CAM mass on background pixels*
(pixels whose value is ``background_value`` in every channel; 0 on Fashion-MNIST): a model that
reads the attack pixels instead of the object puts more of its mass there.

``method="hirescam"`` (Draelos & Carin 2020) keeps the gradient per location instead of its
spatial mean: ``CAM = ReLU(sum_k dy^c/dA^k_ij * A^k_ij)``. For a head that flattens the feature
map into a dense layer (GrayNet, ColorNet) the spatial mean of Grad-CAM throws away *which*
locations the dense weights read, which is exactly where a few-pixel shortcut lives; HiResCAM is
the exact contribution of each location to a linear head. For a global-average-pooling head
both maps are equal up to the constant ``h w``.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from evoshift_tf import attack as attack_lib


def last_conv_layer(model: keras.Model) -> keras.layers.Layer:
    """The last ``Conv2D`` of ``model`` (in layer order), or ``ValueError`` if none."""
    convs = [l for l in model.layers if isinstance(l, keras.layers.Conv2D)]
    if not convs:
        raise ValueError(f"model {model.name!r} has no Conv2D layer; layers: "
                         f"{[l.name for l in model.layers]}")
    return convs[-1]


METHODS = ("gradcam", "hirescam")


def gradcam(model: keras.Model, images: np.ndarray, labels: np.ndarray,
            layer_name: str | None = None, batch_size: int = 256,
            normalize: bool = True, method: str = "gradcam") -> np.ndarray:
    """Grad-CAM of ``images [N, H, W, C]`` (raw pixel values) for classes ``labels [N]``:
    ``float32 [N, H, W]``. ``normalize``: each map divided by its sum (a map of zeros stays 0),
    so maps of different images and models weigh equally in a mean. ``method``: ``gradcam``
    (channel weights = spatial mean of the gradient) or ``hirescam`` (gradient kept per
    location); see the module docstring."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    layer = model.get_layer(layer_name) if layer_name else last_conv_layer(model)
    probe = keras.Model(model.inputs, [layer.output, model.output])
    size = images.shape[1:3]
    out = []
    for i in range(0, len(images), batch_size):
        x = tf.cast(images[i:i + batch_size], tf.float32)
        y = tf.cast(labels[i:i + batch_size], tf.int32)
        with tf.GradientTape() as tape:
            feats, logits = probe(x, training=False)
            score = tf.reduce_sum(tf.gather(logits, y, batch_dims=1))
        grads = tape.gradient(score, feats)                            # [B, h, w, K]
        weights = (grads if method == "hirescam"
                   else tf.reduce_mean(grads, axis=(1, 2), keepdims=True))   # alpha_k
        cam = tf.nn.relu(tf.reduce_sum(weights * feats, -1, keepdims=True))
        cam = tf.image.resize(cam, size, "bilinear")[..., 0]
        out.append(cam.numpy())
    cams = np.concatenate(out).astype(np.float32)
    if normalize:
        total = cams.sum(axis=(1, 2), keepdims=True)
        cams = np.divide(cams, total, out=np.zeros_like(cams), where=total > 0)
    return cams


def per_class_indices(labels: np.ndarray, num_classes: int, per_class: int = 100,
                      seed: int = 0) -> np.ndarray:
    """``per_class`` (or all, if fewer) seeded random indices of every class, class-major."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:per_class]
                           for c in range(num_classes)])


def class_mean_maps(cams: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Mean map per class: ``[C, H, W]`` (Fig. 5b); NaN for a class with no image."""
    onehot = (labels[:, None] == np.arange(num_classes)[None]).astype(np.float64)   # [N, C]
    counts = onehot.sum(0)
    sums = np.tensordot(onehot, cams.astype(np.float64), axes=(0, 0))              # [C, H, W]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sums / counts[:, None, None]).astype(np.float32)


def background_mask(images: np.ndarray, background_value: int = 0) -> np.ndarray:
    """``bool [N, H, W]``: pixels equal to ``background_value`` in every channel."""
    return np.all(images == background_value, axis=-1)


def background_share(cams: np.ndarray, images: np.ndarray, background_value: int = 0
                     ) -> np.ndarray:
    """Per image, the fraction of its CAM mass on background pixels: ``[N]`` in [0, 1]
    (NaN where a map is all zero)."""
    bg = background_mask(images, background_value)
    total = cams.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (cams * bg).sum(axis=(1, 2)) / total


def location_mask(attack, image_shape, radius: int = 1) -> np.ndarray:
    """``bool [H, W]``: the ``(2 radius + 1)``-square around every class's attack pixel (the
    resolution of a map upsampled from a pooled convolution is a few pixels)."""
    h, w = image_shape[:2]
    mask = np.zeros((h, w), bool)
    for r, c in np.asarray(attack.positions).reshape(-1, 2):
        mask[max(r - radius, 0):r + radius + 1, max(c - radius, 0):c + radius + 1] = True
    return mask


def _nanmean(values: np.ndarray) -> float:
    """Mean over the finite entries; NaN (quietly) when there is none."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def _map_stats(cams, images, labels, num_classes, background_value, locations):
    share = background_share(cams, images, background_value)
    out = {"background_share": _nanmean(share),
           "background_share_per_class": [_nanmean(share[labels == c])
                                          for c in range(num_classes)],
           "zero_maps": float(np.mean(cams.sum(axis=(1, 2)) == 0)),
           "mean_maps": class_mean_maps(cams, labels, num_classes)}
    if locations is not None:
        nonzero = cams.sum(axis=(1, 2)) > 0
        out["attack_location_share"] = float((cams * locations).sum(axis=(1, 2))[nonzero].mean())
    return out


def compare(models: dict, images: np.ndarray, labels: np.ndarray, num_classes: int,
            per_class: int = 100, background_value: int = 0, seed: int = 0,
            method: str = "gradcam", attacks: dict | None = None) -> dict:
    """CAMs of several models on the same ``per_class`` clean test images per class.

    Returns ``{"background_pixel_fraction": float, "models": {name: {"background_share": mean
    share, "background_share_per_class": [C], "zero_maps": fraction of all-zero maps,
    "mean_maps": [C, H, W] array}}}``. The pixel fraction is what a map spread uniformly over
    the image would score. ``attacks`` (``{name: PixelAttack}``, for the poisoned models) adds,
    per attacked model, ``"attack_location_share"`` (mass within one pixel of an attack pixel;
    uniform would score ``location_fraction``) and ``"poisoned"``: the same statistics on the
    test images carrying the model's own attack (what it was trained on).
    """
    idx = per_class_indices(labels, num_classes, per_class, seed)
    x, y = images[idx], labels[idx]
    out = {"background_pixel_fraction": float(background_mask(x, background_value).mean()),
           "num_images": int(len(idx)), "method": method, "models": {}}
    attacks = attacks or {}
    for name, model in models.items():
        atk = attacks.get(name)
        loc = None if atk is None else location_mask(atk, x.shape[1:])
        row = _map_stats(gradcam(model, x, y, method=method), x, y, num_classes,
                         background_value, loc)
        if atk is not None:
            xp = attack_lib.apply(atk, x, y)
            row["location_fraction"] = float(loc.mean())
            poisoned = _map_stats(gradcam(model, xp, y, method=method), x, y, num_classes,
                                  background_value, loc)
            poisoned.pop("mean_maps")
            row["poisoned"] = poisoned
        out["models"][name] = row
    return out
