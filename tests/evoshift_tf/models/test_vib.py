import keras
import numpy as np

from evoshift_tf import models
from evoshift_tf.victims import training
from evoshift_tf.models import vib


def test_vib_ce_terms_equal_eq11_by_hand():
    # one image of 2 pixels, a 1-d latent, 2 classes: every term computed on paper
    labels = np.array([1])
    logits = np.array([[0.0, np.log(3.0)]], np.float32)        # softmax = (1/4, 3/4)
    x = np.array([[[[1.0], [0.0]]]], np.float32)                # [1, 1, 2, 1]
    recon = np.array([[[[0.0], [np.log(3.0)]]]], np.float32)    # p = (1/2, 3/4)
    mean = np.array([[1.0]], np.float32)
    log_var = np.array([[np.log(4.0)]], np.float32)             # sigma^2 = 4
    t = vib.vib_ce_terms(labels, logits, x, recon, mean, log_var, beta=0.5)
    ce = -np.log(3 / 4)
    rec = -np.log(1 / 2) - np.log(1 - 3 / 4)
    kl = 0.5 * (1.0 + 4.0 - 1.0 - np.log(4.0))                  # 0.5 (mu^2 + s^2 - 1 - log s^2)
    np.testing.assert_allclose(float(t["ce"]), ce, rtol=1e-5)
    np.testing.assert_allclose(float(t["reconstruction"]), rec, rtol=1e-5)
    np.testing.assert_allclose(float(t["kl"]), kl, rtol=1e-5)
    np.testing.assert_allclose(float(t["total"]), ce + rec + 0.5 * kl, rtol=1e-5)


def test_model_adds_beta_kl_and_reconstruction_only_in_training():
    m = models.get("vib", (12, 12, 1), 4, latent_dim=3, beta=0.25, seed=0)
    x = np.random.default_rng(0).integers(0, 256, (5, 12, 12, 1)).astype(np.float32)
    m(x, training=False)
    assert not m.losses
    m(x, training=True)
    kl_loss, rec_loss = [float(v) for v in m.losses]
    stats = keras.Model(m.input, m.get_layer("enc_stats").output)(x).numpy()
    mean, log_var = stats[:, :3], stats[:, 3:]
    kl = np.mean(0.5 * np.sum(mean ** 2 + np.exp(log_var) - 1 - log_var, axis=1))
    np.testing.assert_allclose(kl_loss, 0.25 * kl, rtol=1e-4)
    assert rec_loss > 0.5 * 144 * 0.1  # a sum over 144 pixels of Bernoulli NLLs


def test_inference_uses_mean_latent_and_round_trips(tmp_path):
    m = models.get("vib", (10, 10, 3), 3, seed=1)           # odd size: decoder crops to 10x10
    x = np.random.default_rng(1).integers(0, 256, (4, 10, 10, 3)).astype(np.float32)
    a, b = m(x, training=False).numpy(), m(x, training=False).numpy()
    np.testing.assert_array_equal(a, b)                      # deterministic: mean code
    path = str(tmp_path / "vib.keras")
    m.save(path)
    again = keras.saving.load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), a, rtol=1e-5, atol=1e-6)


def test_training_loop_minimises_vibce(tiny_gray):
    info = tiny_gray.info
    res = training.train(lambda: models.get("vib", info.image_shape, info.num_classes, seed=0),
                         tiny_gray.train.x, tiny_gray.train.y,
                         training.TrainConfig(epochs=6, batch_size=32, learning_rate=3e-3),
                         eval_sets={"test": (tiny_gray.test.x, tiny_gray.test.y)})
    losses = [r["loss"] for r in res.history]     # the cross-entropy part of Eq. (11)
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
    assert res.history[-1]["test_accuracy"] > 0.6  # chance is 0.25
