"""Every victim is saved as .keras and exported as a SavedModel serving uint8 images; both reload
and predict what the in-memory model predicts, at any batch size."""

import numpy as np
import pytest
import keras

from evoshift_tf import models
from evoshift_tf.victims import training


@pytest.fixture(scope="module")
def trained(tiny_gray):
    config = training.TrainConfig(epochs=1, batch_size=32, seed=0)
    return training.train(lambda: models.get("graynet", tiny_gray.info.image_shape, 4),
                          tiny_gray.train.x, tiny_gray.train.y, config).model


def test_keras_and_saved_model_reload_give_the_same_predictions(trained, tiny_gray, tmp_path):
    paths = training.export(trained, str(tmp_path / "model"))
    x = tiny_gray.test.x
    assert x.dtype == np.uint8
    expected = training.predict_logits(trained, x)
    reloaded = keras.saving.load_model(paths["keras"])
    serve = training.load_saved_model_predictor(paths["saved_model"])
    for batch in (1, 7, len(x)):                      # any batch size, incl. a ragged last one
        got_keras = np.concatenate([training.predict_logits(reloaded, x[i:i + batch])
                                    for i in range(0, len(x), batch)])
        got_saved = np.concatenate([serve(x[i:i + batch]) for i in range(0, len(x), batch)])
        np.testing.assert_allclose(got_keras, expected, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(got_saved, expected, rtol=1e-5, atol=1e-5)
    assert (got_saved.argmax(-1) == expected.argmax(-1)).all()


def test_saved_model_signature_takes_uint8_images(trained, tmp_path):
    import tensorflow as tf
    paths = training.export(trained, str(tmp_path / "model"))
    sig = tf.saved_model.load(paths["saved_model"]).signatures["serving_default"]
    (spec,) = sig.structured_input_signature[1].values()
    assert spec.dtype == tf.uint8 and spec.shape.as_list() == [None, 12, 12, 1]
    assert sig.structured_outputs["logits"].shape.as_list() == [None, 4]
