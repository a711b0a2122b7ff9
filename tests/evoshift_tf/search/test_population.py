import keras
import numpy as np
import pytest
import tensorflow as tf

from evoshift_tf import attack, models
from evoshift_tf.search import population
from evoshift_tf.models.simple_cnn import GRAYNET_SPEC


def _dense(attacks):
    mp = [a.masks_and_patterns() for a in attacks]
    return tf.constant(np.stack([m for m, _ in mp])), tf.constant(np.stack([p for _, p in mp]))


def test_population_equals_separate_keras_models(tiny_gray):
    """Model p of the population ends with the weights a Keras GrayNet gets from the same
    init, the same batches and Adam: summing losses does not couple the models."""
    info, split = tiny_gray.info, tiny_gray.train
    attacks = [attack.random_attack(4, 1, info.image_shape, seed=s) for s in (1, 2)]
    masks, patterns = _dense(attacks)
    pop = population.PopulationClassifier(GRAYNET_SPEC, 2, info.image_shape, 4, batch_size=32)
    pop.reset(np.array([[0, 0], [0, 1]]))
    init = [pop.keras_weights(p) for p in range(2)]
    pop.fit(tf.constant(split.x), tf.constant(split.y), masks, patterns, epochs=1, seed=5)

    perm = tf.random.experimental.stateless_shuffle(tf.range(len(split)), seed=[5, 0]).numpy()
    for p in range(2):
        model = models.get("graynet", info.image_shape, 4)
        model.set_weights(init[p])
        opt = keras.optimizers.Adam(1e-3)
        x = attack.apply(attacks[p], split.x, split.y).astype(np.float32)
        for s in range(len(split) // 32):
            idx = perm[s * 32:(s + 1) * 32]
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
                    split.y[idx], model(x[idx], training=True), from_logits=True))
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))
        for got, want in zip(pop.keras_weights(p), model.get_weights()):
            np.testing.assert_allclose(got, want, atol=2e-4, rtol=1e-3)


def test_reset_is_reproducible_and_clean_mask_means_clean(tiny_gray):
    info, split = tiny_gray.info, tiny_gray.train
    empty = tf.zeros((2, 4) + info.image_shape[:2] + (1,))
    pats = tf.zeros((2, 4) + info.image_shape)
    pop = population.PopulationClassifier(GRAYNET_SPEC, 2, info.image_shape, 4, batch_size=32)
    x, y = tf.constant(split.x), tf.constant(split.y)
    pop.reset(np.zeros((2, 2)))
    first = pop.fit(x, y, empty, pats, 1, seed=1)
    pop.reset(np.zeros((2, 2)))
    again = pop.fit(x, y, empty, pats, 1, seed=1)
    np.testing.assert_allclose(first, again, rtol=1e-5)
    np.testing.assert_allclose(first[0], first[1], rtol=1e-5)  # same init, same data
    s = pop.evaluate(tf.constant(tiny_gray.test.x), tf.constant(tiny_gray.test.y), empty, pats)
    np.testing.assert_allclose(s.clean_ce, s.poisoned_ce, rtol=1e-5)


def test_clean_only_evaluation_gives_the_same_clean_stats(tiny_gray):
    info = tiny_gray.info
    a = attack.random_attack(4, 1, info.image_shape, seed=3)
    m, p = (tf.constant(t[None]) for t in a.masks_and_patterns())
    pop = population.PopulationClassifier(GRAYNET_SPEC, 1, info.image_shape, 4, batch_size=32)
    pop.reset(np.zeros((1, 2)))
    pop.fit(tf.constant(tiny_gray.train.x), tf.constant(tiny_gray.train.y), m, p, 1, seed=0)
    x, y = tf.constant(tiny_gray.test.x), tf.constant(tiny_gray.test.y)
    both, clean = pop.evaluate(x, y, m, p), pop.evaluate(x, y, m, p, poisoned=False)
    for field in ("clean_ce", "clean_accuracy", "clean_true_prob"):
        np.testing.assert_allclose(getattr(clean, field), getattr(both, field), rtol=1e-5)
    assert np.isnan(clean.poisoned_ce).all() and np.isnan(clean.poisoned_accuracy).all()


def test_bfloat16_reaches_the_accuracy_of_float32(tiny_gray):
    info = tiny_gray.info
    x, y = tf.constant(tiny_gray.train.x), tf.constant(tiny_gray.train.y)
    empty = tf.zeros((1, 4) + info.image_shape[:2] + (1,))
    pats = tf.zeros((1, 4) + info.image_shape)
    accs = {}
    for precision in ("float32", "bfloat16"):
        pop = population.PopulationClassifier(GRAYNET_SPEC, 1, info.image_shape, 4,
                                              batch_size=16, precision=precision)
        pop.reset(np.zeros((1, 2)))
        pop.fit(x, y, empty, pats, epochs=6, seed=0)
        accs[precision] = pop.evaluate(tf.constant(tiny_gray.test.x),
                                       tf.constant(tiny_gray.test.y), empty, pats).clean_accuracy[0]
    assert accs["float32"] > 0.7  # chance is 0.25
    assert abs(accs["float32"] - accs["bfloat16"]) <= 0.1


def test_bad_precision_is_rejected():
    with pytest.raises(ValueError, match="precision"):
        population.PopulationClassifier(GRAYNET_SPEC, 2, (8, 8, 1), 2, precision="fp8")
