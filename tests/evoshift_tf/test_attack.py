import numpy as np
import pytest

from evoshift_tf import attack


@pytest.mark.parametrize("shape,channels_per_pixel", [((28, 28, 1), 3), ((32, 32, 3), 5)])
def test_genome_round_trip(shape, channels_per_pixel):
    a = attack.random_attack(10, 2, shape, seed=5)
    g = attack.encode(a)
    assert g.shape == (10 * 2 * channels_per_pixel,)
    assert g.min() >= 0 and g.max() <= 1
    assert attack.decode(g, 10, 2, shape).equals(a)


def test_decode_clips_and_stays_inside_image():
    g = np.array([1.0, 1.0, 1.0, -0.5, 2.0, 0.0])
    a = attack.decode(g, 2, 1, (5, 7, 1))
    assert a.positions.tolist() == [[[4, 6]], [[0, 6]]]
    assert a.values.ravel().tolist() == [255, 0]


def test_apply_writes_exactly_the_chosen_pixels(tiny_gray, tiny_attack):
    x, y = tiny_gray.train.x, tiny_gray.train.y
    out = attack.apply(tiny_attack, x, y)
    changed = out != x
    for i in range(len(y)):
        expected = np.zeros(x.shape[1:], bool)
        for (r, c), v in zip(tiny_attack.positions[y[i]], tiny_attack.values[y[i]]):
            assert np.array_equal(out[i, r, c], v)
            expected[r, c] |= x[i, r, c] != v
        assert np.array_equal(changed[i], expected)
    assert np.array_equal(x, tiny_gray.train.x), "input must not be modified"


def test_partial_classes_and_rate(tiny_gray, tiny_attack):
    y = tiny_gray.train.y
    mask = attack.poison_mask(y, 4, classes=2)
    assert mask.tolist() == (y < 2).tolist()
    out = attack.apply(tiny_attack, tiny_gray.train.x, y, mask)
    untouched = y >= 2
    assert np.array_equal(out[untouched], tiny_gray.train.x[untouched])
    half = attack.poison_mask(y, 4, rate=0.5, seed=1)
    for c in range(4):
        assert half[y == c].sum() == round(0.5 * (y == c).sum())
    with pytest.raises(attack.AttackError, match="rate"):
        attack.poison_mask(y, 4, rate=0.0)


def test_overlay_uses_one_class_pattern(tiny_gray, tiny_attack):
    out = attack.overlay(tiny_attack, tiny_gray.test.x, 3)
    r, c = tiny_attack.positions[3, 0]
    assert (out[:, r, c] == tiny_attack.values[3, 0]).all()


def test_dense_form_matches_scatter(tiny_gray, tiny_attack):
    import tensorflow as tf
    mask, pattern = tiny_attack.masks_and_patterns()
    x, y = tiny_gray.train.x[:20], tiny_gray.train.y[:20]
    dense = attack.apply_tf(tf.cast(x, tf.float32), y, mask, pattern).numpy()
    assert np.array_equal(dense.astype(np.uint8), attack.apply(tiny_attack, x, y))


def test_json_round_trip_and_validation(tmp_path, tiny_attack):
    path = str(tmp_path / "a.json")
    attack.save(tiny_attack, path)
    assert attack.load(path, (12, 12, 1), 4).equals(tiny_attack)
    with pytest.raises(attack.AttackError, match="attack is for images"):
        attack.load(path, (28, 28, 1), 4)
    with pytest.raises(attack.AttackError, match="classes"):
        attack.load(path, (12, 12, 1), 10)
    text = open(path).read()
    open(path, "w").write(text[: len(text) // 2])
    with pytest.raises(attack.AttackError, match="truncated"):
        attack.load(path)
    d = attack.to_json(tiny_attack)
    d["positions"][0][0] = [12, 0]
    with pytest.raises(attack.AttackError, match="inside|lie in"):
        attack.from_json(d)


def test_zero_pixels_is_rejected():
    with pytest.raises(attack.AttackError, match="N_p"):
        attack.genome_size(10, 0, 1)
    with pytest.raises(attack.AttackError, match="N_p"):
        attack.PixelAttack(np.zeros((10, 0, 2)), np.zeros((10, 0, 1)), (28, 28, 1))
