import keras
import numpy as np
import pytest
import tensorflow as tf

from evoshift_tf.victims import defenses
from evoshift_tf import models


def _median_reference(img, k):
    r = k // 2
    p = np.pad(img, ((r, r), (r, r), (0, 0)), mode="reflect")
    h, w, c = img.shape
    out = np.empty_like(img)
    for i in range(h):
        for j in range(w):
            out[i, j] = np.median(p[i:i + k, j:j + k].reshape(-1, c), axis=0)
    return out


@pytest.mark.parametrize("k", [3, 5])
def test_median_filter_matches_numpy_and_removes_a_single_pixel(k):
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(2, 9, 8, 3)).astype(np.float32)
    got = defenses.MedianFilter(k)(x).numpy()
    np.testing.assert_allclose(got[1], _median_reference(x[1], k), rtol=1e-6)
    flat = np.zeros((1, 9, 9, 1), np.float32)
    flat[0, 4, 4, 0] = 1.0                          # a one-pixel attack on a flat image
    assert defenses.MedianFilter(k)(flat).numpy().max() == 0.0


def test_median_train_only_flag():
    x = np.random.default_rng(1).uniform(size=(1, 6, 6, 1)).astype(np.float32)
    f = defenses.MedianFilter(3, train_only=True)
    np.testing.assert_array_equal(f(x, training=False).numpy(), x)
    assert not np.allclose(f(x, training=True).numpy(), x)
    g = defenses.MedianFilter(3)
    np.testing.assert_allclose(g(x, training=False).numpy(), g(x, training=True).numpy())
    with pytest.raises(ValueError, match="odd"):
        defenses.MedianFilter(4)


def test_gaussian_noise_severities_sigma_and_test_time_identity():
    assert defenses.GAUSSIAN_SEVERITY_SIGMAS == (0.04, 0.06, 0.08, 0.09, 0.10)
    x = np.full((4, 32, 32, 3), 0.5, np.float32)
    for s, sigma in enumerate(defenses.GAUSSIAN_SEVERITY_SIGMAS, start=1):
        layer = defenses.GaussianNoise(s, seed=s)
        noisy = layer(x, training=True).numpy()
        assert abs(np.std(noisy - x) - sigma) < 0.1 * sigma
        assert noisy.min() >= 0.0 and noisy.max() <= 1.0
        np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    with pytest.raises(ValueError, match="severity"):
        defenses.GaussianNoise(6)


def test_augmentation_changes_training_inputs_only():
    x = np.random.default_rng(2).uniform(size=(8, 16, 16, 1)).astype(np.float32)
    seq = keras.Sequential(defenses.augmentation((16, 16, 1), seed=0))
    np.testing.assert_array_equal(seq(x, training=False).numpy(), x)
    assert not np.allclose(seq(x, training=True).numpy(), x)


def test_cropflip_is_a_4_pixel_crop_and_a_flip_without_zoom():
    """The CIFAR-10 victims' augmentation (the paper's Tables 1-2, every peer): each training
    image is its source shifted by at most 4 pixels (zero fill), possibly mirrored; never scaled."""
    layers = defenses.get("cropflip", (32, 32, 3), seed=0)
    assert [layer.name for layer in layers] == ["random_crop", "random_flip"]
    x = np.random.default_rng(4).integers(1, 256, (16, 32, 32, 3)).astype(np.float32)
    out = keras.Sequential(layers)(x, training=True).numpy()
    for src, img in zip(x, out):
        candidates = [np.roll(np.roll(s, dy, 0), dx, 1) for s in (src, src[:, ::-1])
                      for dy in range(-4, 5) for dx in range(-4, 5)]
        inside = img > 0                                 # zero fill where the shift uncovered
        assert any(np.array_equal(c[inside], img[inside]) for c in candidates)
    np.testing.assert_array_equal(keras.Sequential(layers)(x, training=False).numpy(), x)


def test_registry_and_model_round_trip(tmp_path):
    with pytest.raises(KeyError, match="median3"):
        defenses.get("jpeg")
    m = models.get("graynet", (12, 12, 1), 4, preprocessing=defenses.get("median3") +
                   defenses.get("gauss2"))
    x = np.random.default_rng(3).integers(0, 256, (3, 12, 12, 1)).astype(np.float32)
    path = str(tmp_path / "m.keras")
    m.save(path)
    again = keras.saving.load_model(path)
    np.testing.assert_allclose(again(x).numpy(), m(x).numpy(), rtol=1e-5, atol=1e-6)


def _pixels(shape, seed=0):
    """uint8 images as the models see them after ``Rescaling``: ``[0, 1]`` floats ``k / 255``."""
    raw = np.random.default_rng(seed).integers(0, 256, shape).astype(np.uint8)
    return raw, raw.astype(np.float32) / 255.0


@pytest.mark.parametrize("shape", [(3, 12, 12, 1), (2, 10, 10, 3)])
def test_jpeg_equals_tf_adjust_jpeg_quality_on_training_inputs_only(shape):
    raw, x = _pixels(shape)
    want = np.stack([tf.image.adjust_jpeg_quality(im, 10).numpy() for im in x])
    # bit for bit the JPEG of the uint8 originals, too
    want_u8 = np.stack([tf.image.adjust_jpeg_quality(tf.image.convert_image_dtype(im, tf.float32),
                                                     10).numpy() for im in raw])
    train_only, both = defenses.get("jpeg10")[0], defenses.get("jpeg10_test")[0]
    np.testing.assert_array_equal(train_only(x, training=True).numpy(), want)
    np.testing.assert_array_equal(want, want_u8)
    np.testing.assert_array_equal(train_only(x, training=False).numpy(), x)
    np.testing.assert_array_equal(both(x, training=False).numpy(), want)
    assert not np.allclose(want, x)
    assert defenses.get("jpeg75")[0].quality == 75
    with pytest.raises(ValueError, match="quality"):
        defenses.JPEGCompression(0)


def test_squeezers_pass_the_gradient_straight_through():
    _, x = _pixels((2, 10, 10, 3))
    x = tf.constant(x)
    for layer in (defenses.JPEGCompression(10, train_only=False),
                  defenses.BitDepthReduction(2, train_only=False)):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(layer(x) * 3.0)
        np.testing.assert_allclose(tape.gradient(y, x).numpy(), 3.0)


def test_grayscale_channels_are_equal_to_the_luma_and_shape_is_kept():
    _, x = _pixels((2, 10, 10, 3), seed=1)
    g = defenses.get("gray")[0](x, training=True).numpy()
    luma = x @ np.array([0.2989, 0.5870, 0.1140], np.float32)
    assert g.shape == x.shape
    for c in range(3):
        np.testing.assert_allclose(g[..., c], luma, atol=1e-6)
    np.testing.assert_array_equal(defenses.get("gray")[0](x, training=False).numpy(), x)
    np.testing.assert_allclose(defenses.get("gray_test")[0](x, training=False).numpy(), g)
    _, gray = _pixels((2, 8, 8, 1))
    np.testing.assert_array_equal(defenses.Grayscale()(gray, training=True).numpy(), gray)


@pytest.mark.parametrize("bits", [1, 4])
def test_bit_depth_quantises_to_2_to_the_bits_levels(bits):
    _, x = _pixels((4, 12, 12, 1), seed=2)
    layer = defenses.get(f"bits{bits}")[0]
    q = layer(x, training=True).numpy()
    levels = 2 ** bits - 1
    np.testing.assert_allclose(q * levels, np.round(q * levels), atol=1e-5)   # on the grid
    assert len(np.unique(q)) <= 2 ** bits
    assert np.abs(q - x).max() <= 0.5 / levels + 1e-6                         # the nearest level
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    assert defenses.BIT_DEPTH == 4 and f"bits{defenses.BIT_DEPTH}" in defenses.NAMES


@pytest.mark.parametrize("name", ["mixup", "cutmix"])
def test_mixing_mixes_images_and_labels_with_the_same_weights(name):
    k = 4
    # image i is the constant 10 (i + 1), label i: a mixed pixel tells where it came from
    x = tf.constant(np.stack([np.full((8, 8, 1), 10.0 * (i + 1), np.float32) for i in range(k)]))
    images, labels = defenses.mixing(name, k, seed=3)(x, tf.range(k))
    images, labels = images.numpy(), labels.numpy()
    assert labels.shape == (k, k) and labels.dtype == np.float32
    np.testing.assert_allclose(labels.sum(1), 1.0, atol=1e-6)
    assert (labels.max(1) < 1.0).any()                       # some labels really are mixed
    values = 10.0 * (np.arange(k) + 1)
    if name == "mixup":                                      # every pixel the label-weighted blend
        np.testing.assert_allclose(images[..., 0], np.broadcast_to(
            (labels @ values)[:, None, None], (k, 8, 8)), rtol=1e-5)
    else:                                                    # pasted pixels, in the label's share
        for i in range(k):
            share = np.array([(images[i] == v).mean() for v in values])
            np.testing.assert_allclose(share, labels[i], atol=1e-6)
    assert defenses.mixing("none", k) is None
    with pytest.raises(ValueError, match="mixing"):
        defenses.mixing("mosaic", k)


def test_rand_augment_changes_training_images_only():
    _, x = _pixels((8, 16, 16, 1), seed=4)
    layer = defenses.get("randaugment", seed=0)[0]
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    assert not np.allclose(layer(x, training=True).numpy(), x)


def test_every_name_builds_and_loop_defenses_point_to_the_recipe():
    for name in defenses.NAMES:
        defenses.check_name(name)
    for name, hint in (("mixup", "mixing"), ("adversarial", "adversarial_steps"),
                       ("jpeg0", "known"), ("bits9", "known")):
        with pytest.raises(KeyError, match=hint):
            defenses.get(name)


def test_new_layers_round_trip_in_a_model(tmp_path):
    pre = [layer for n in ("gray_test", "jpeg20_test", "bits3_test", "randaugment")
           for layer in defenses.get(n, (10, 10, 3), seed=0)]
    m = models.get("colornet", (10, 10, 3), 3, preprocessing=pre)
    x, _ = _pixels((3, 10, 10, 3), seed=5)
    x = x.astype(np.float32)
    path = str(tmp_path / "m.keras")
    m.save(path)
    again = keras.saving.load_model(path)
    np.testing.assert_allclose(again(x).numpy(), m(x).numpy(), rtol=1e-5, atol=1e-6)
