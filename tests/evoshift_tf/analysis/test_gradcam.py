"""Grad-CAM (Fig. 5b) against a model whose map is known in closed form."""

import keras
import numpy as np
import pytest

from evoshift_tf.analysis import gradcam


def _linear_cam_model(h=6, w=6):
    """1x1 conv with weight 1 -> global mean -> logits (+1, -1): the CAM of class 0 is the
    image itself (alpha = 1 / (h w) > 0), the CAM of class 1 is zero (alpha < 0, ReLU)."""
    inp = keras.Input((h, w, 1))
    conv = keras.layers.Conv2D(1, 1, use_bias=False, name="conv", kernel_initializer="ones")
    feats = conv(inp)
    pooled = keras.layers.GlobalAveragePooling2D()(feats)
    dense = keras.layers.Dense(2, use_bias=False, name="logits")
    out = dense(pooled)
    model = keras.Model(inp, out)
    dense.set_weights([np.array([[1.0, -1.0]], np.float32)])
    return model


def test_gradcam_equals_hand_computed_map():
    model = _linear_cam_model()
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, size=(3, 6, 6, 1)).astype(np.uint8)
    cams = gradcam.gradcam(model, x, np.array([0, 0, 1]))
    expected = x[..., 0] / x[..., 0].sum(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(cams[:2], expected[:2], rtol=1e-5)
    np.testing.assert_array_equal(cams[2], 0.0)
    assert gradcam.last_conv_layer(model).name == "conv"


def test_background_share_hand_computed():
    images = np.zeros((1, 2, 2, 1), np.uint8)
    images[0, 0, 0, 0] = 9                   # one object pixel, three background pixels
    cams = np.array([[[0.4, 0.1], [0.2, 0.3]]], np.float32)
    assert gradcam.background_share(cams, images)[0] == pytest.approx(0.6)
    assert gradcam.background_mask(images).sum() == 3


def test_class_mean_maps_and_compare():
    cams = np.stack([np.full((2, 2), v, np.float32) for v in (1, 3, 5)])
    means = gradcam.class_mean_maps(cams, np.array([0, 0, 1]), 3)
    np.testing.assert_allclose(means[0], 2.0)
    np.testing.assert_allclose(means[1], 5.0)
    assert np.isnan(means[2]).all()
    model = _linear_cam_model()
    x = np.zeros((10, 6, 6, 1), np.uint8)
    x[:, 2:4, 2:4] = 200                      # the object in the middle, background 0
    out = gradcam.compare({"m": model}, x, np.zeros(10, np.int64), 2, per_class=4)
    assert out["num_images"] == 4
    assert out["background_pixel_fraction"] == pytest.approx(32 / 36)
    # CAM = image: all mass on the object
    assert out["models"]["m"]["background_share"] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="no Conv2D"):
        gradcam.last_conv_layer(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))


def _flatten_head_model(weights):
    """1x1 conv (weight 1) -> Flatten -> Dense(2), class 0 with per-location ``weights [h, w]``
    and class 1 with zeros: logit 0 is sum_ij w_ij x_ij, so its HiResCAM = ReLU(w * x) and its
    Grad-CAM = ReLU(mean(w) x); class 1's maps are zero."""
    h, w = weights.shape
    inp = keras.Input((h, w, 1))
    feats = keras.layers.Conv2D(1, 1, use_bias=False, kernel_initializer="ones")(inp)
    dense = keras.layers.Dense(2, use_bias=False)
    model = keras.Model(inp, dense(keras.layers.Flatten()(feats)))
    kernel = np.stack([weights.reshape(-1), np.zeros(h * w)], 1).astype(np.float32)
    dense.set_weights([kernel])
    return model


def test_hirescam_keeps_the_location_that_a_flatten_head_reads():
    weights = np.zeros((4, 4))
    weights[0, 3] = 8.0                      # the head reads one corner pixel only
    weights[2, 1] = -1.0
    model = _flatten_head_model(weights)
    x = np.full((2, 4, 4, 1), 10, np.uint8)
    hires = gradcam.gradcam(model, x, np.zeros(2, int), method="hirescam")
    expected = np.zeros((4, 4))
    expected[0, 3] = 1.0                     # ReLU(w x) / sum: all mass on the read pixel
    np.testing.assert_allclose(hires[0], expected, atol=1e-6)
    plain = gradcam.gradcam(model, x, np.zeros(2, int))   # mean(w) = 7/16 > 0: map = image
    np.testing.assert_allclose(plain[0], np.full((4, 4), 1 / 16), rtol=1e-5)
    with pytest.raises(ValueError, match="method"):
        gradcam.gradcam(model, x, np.zeros(2, int), method="saliency")


def test_compare_reports_mass_at_the_attack_pixels():
    from evoshift_tf import attack
    weights = np.zeros((6, 6))
    weights[0, 0] = 1.0
    model = _flatten_head_model(weights)
    atk = attack.PixelAttack(np.array([[[0, 0]], [[5, 5]]]), np.full((2, 1, 1), 255), (6, 6, 1))
    x = np.zeros((4, 6, 6, 1), np.uint8)
    x[:, 2:4, 2:4] = 200
    y = np.array([0, 0, 1, 1])
    out = gradcam.compare({"m": model}, x, y, 2, per_class=2, method="hirescam",
                          attacks={"m": atk})
    row = out["models"]["m"]
    assert row["zero_maps"] == 1.0           # clean images are 0 at the read pixel
    poisoned = row["poisoned"]               # class 0 carries the pixel the head reads
    assert poisoned["attack_location_share"] == pytest.approx(1.0)
    assert poisoned["background_share"] == pytest.approx(1.0)
    assert row["location_fraction"] == pytest.approx(8 / 36)
