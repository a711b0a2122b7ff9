"""VAE-GAN: gray and colour, a train step, a distributed step, keras.saving round trip."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from evoshift_tf.victims import generative
from evoshift_tf import models
from evoshift_tf.models.vaegan import VAEGAN


@pytest.mark.parametrize("shape", [(12, 12, 1), (8, 8, 3)])
def test_shapes_gray_and_colour(shape):
    m = models.get("vaegan", shape, 10, latent_dim=4, filters=4)
    x = np.random.default_rng(0).integers(0, 256, size=(3, *shape)).astype(np.uint8)
    rec = keras.ops.convert_to_numpy(m(tf.cast(x, tf.float32)))
    assert rec.shape == (3, *shape) and rec.min() >= 0 and rec.max() <= 255
    logit, feats = m.discriminator(x.astype(np.float32) / 255)
    assert logit.shape == (3, 1) and feats.shape[-1] == 8
    assert m.sample(np.zeros((2, 4), np.float32)).shape == (2, *shape)


def test_bad_shape_is_a_clear_error():
    with pytest.raises(ValueError, match="divisible by 4"):
        VAEGAN((10, 10, 1))


def test_train_step_lowers_pixel_error_and_saves(tmp_path, tiny_gray):
    cfg = generative.VAEGANConfig.smoke(epochs=4, batch_size=32)
    result = generative.train_vaegan(tiny_gray.train.x, cfg)
    h = result.history
    assert len(h) == 4 and set(generative.LOSS_NAMES) <= set(h[0])
    assert h[-1]["pixel_mse"] < h[0]["pixel_mse"]
    assert result.samples.shape == (4, cfg.num_samples, 12, 12, 1)
    assert result.samples.dtype == np.uint8
    path = str(tmp_path / "vaegan.keras")
    result.model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, VAEGAN) and loaded.latent_dim == cfg.latent_dim
    x = tiny_gray.test.x[:5]
    np.testing.assert_allclose(generative.reconstruct(loaded, x),
                               generative.reconstruct(result.model, x), atol=1e-3)


@pytest.mark.slow
def test_seeded(tiny_gray):
    cfg = generative.VAEGANConfig.smoke(batch_size=32)
    a = generative.train_vaegan(tiny_gray.train.x, cfg)
    b = generative.train_vaegan(tiny_gray.train.x, cfg)
    assert a.history[0]["pixel_mse"] == pytest.approx(b.history[0]["pixel_mse"], rel=1e-5)


@pytest.mark.slow
def test_two_replica_mirrored_training_in_a_subprocess(tmp_path):
    """Two logical CPUs must be configured before TensorFlow initialises: a fresh process."""
    import subprocess
    import sys
    code = (
        "import tensorflow as tf\n"
        "cpu = tf.config.list_physical_devices('CPU')[0]\n"
        "tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()]*2)\n"
        "from evoshift_tf import data\nfrom evoshift_tf.victims import generative\n"
        "d = data.make_synthetic(3, 32, (8, 8, 3))\n"
        "s = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])\n"
        "assert s.num_replicas_in_sync == 2\n"
        "r = generative.train_vaegan(d.train.x, generative.VAEGANConfig.smoke(epochs=2), s)\n"
        "import math; assert all(math.isfinite(h['llike']) for h in r.history)\n"
        "print('OK', r.history[-1])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "OK" in out.stdout
