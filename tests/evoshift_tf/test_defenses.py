import keras
import numpy as np
import pytest

from evoshift_tf import defenses, models


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
