import keras
import numpy as np
import pytest

from evoshift_tf import models
from evoshift_tf.victims import training

PUBLISHED = {"resnet20": 0.27e6, "resnet32": 0.46e6, "densenet40": 1.0e6}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
@pytest.mark.parametrize("shape", [(32, 32, 3), (28, 28, 1)])
def test_parameter_count_matches_published(name, shape):
    n = models.get(name, shape, 10).count_params()
    assert abs(n - PUBLISHED[name]) / PUBLISHED[name] < 0.05, n


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_save_reload_same_outputs_with_regularizers(name, tmp_path):
    m = models.get(name, (12, 12, 1), 4, dropout=0.4, weight_decay=0.01)
    assert m.losses  # weight decay shows up as a model loss the training loop adds
    x = np.random.default_rng(0).integers(0, 256, (2, 12, 12, 1)).astype(np.float32)
    path = str(tmp_path / f"{name}.keras")
    m.save(path)
    again = keras.saving.load_model(path)
    np.testing.assert_allclose(again(x).numpy(), m(x).numpy(), rtol=1e-4, atol=1e-5)
    assert m(x).shape == (2, 4)


@pytest.mark.slow
def test_resnet20_trains_on_tiny_data(tiny_gray):
    info = tiny_gray.info
    res = training.train(lambda: models.get("resnet20", info.image_shape, info.num_classes),
                         tiny_gray.train.x, tiny_gray.train.y,
                         training.TrainConfig(epochs=3, batch_size=32, learning_rate=3e-3))
    assert res.history[-1]["train_accuracy"] > 0.5
