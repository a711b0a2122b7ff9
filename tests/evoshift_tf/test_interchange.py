"""Poisons in and out: export then import gives back the same arrays bit for bit; a foreign
poison that does not fit its clean dataset is refused naming the file; the pixel-difference
report counts what a hand-made poison changed."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from evoshift_tf import attack, data, interchange


def _poisoned(clean, a):
    x = attack.apply(a, clean.train.x, clean.train.y,
                     np.ones(len(clean.train), bool))
    return data.Dataset(clean.info, data.Split(x, clean.train.y), clean.test)


def _same(a, b):
    assert a.info == b.info
    for s in ("train", "test"):
        x, y = getattr(a, s), getattr(b, s)
        assert x.x.dtype == y.x.dtype == np.uint8 and x.y.dtype == y.y.dtype == np.int64
        np.testing.assert_array_equal(x.x, y.x)
        np.testing.assert_array_equal(x.y, y.y)


@pytest.mark.parametrize("fixture", ["tiny_gray", "tiny_color"])
@pytest.mark.parametrize("fmt", ["png", "npz", "tfrecord"])
def test_export_then_read_back_is_bit_exact(request, tmp_path, fixture, fmt):
    clean = request.getfixturevalue(fixture)
    a = attack.random_attack(clean.info.num_classes, 3, clean.info.image_shape, seed=5)
    poisoned = _poisoned(clean, a)
    counts = interchange.export(poisoned, str(tmp_path / "out"), fmt)
    assert counts == {"train": len(clean.train), "test": len(clean.test)}
    _same(interchange.load_export(str(tmp_path / "out")), poisoned)
    imported = interchange.import_poison(
        str(tmp_path / "out" / ("dataset.npz" if fmt == "npz" else
                                "train.tfrecord" if fmt == "tfrecord" else "")), clean)
    _same(imported.dataset, poisoned)
    np.testing.assert_array_equal(imported.dataset.test.x, clean.test.x)   # the test set is clean


def test_png_layout_modes_and_info(tmp_path, tiny_gray, tiny_color):
    interchange.export(tiny_gray, str(tmp_path / "g"), "png", splits=("train",))
    interchange.export(tiny_color, str(tmp_path / "c"), "png", png_names="index")
    gray = sorted(os.listdir(tmp_path / "g" / "train"))
    assert len(gray) == len(tiny_gray.train) and not (tmp_path / "g" / "test").exists()
    assert f"17_{tiny_gray.train.y[17]}.png" in gray                    # not zero-padded
    with Image.open(tmp_path / "g" / "train" / f"17_{tiny_gray.train.y[17]}.png") as im:
        assert im.mode == "L" and im.size == (12, 12)
    with Image.open(tmp_path / "c" / "test" / "5.png") as im:             # ISS naming
        assert im.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(im), tiny_color.test.x[5])
    info = json.load(open(tmp_path / "c" / interchange.INFO_FILE))
    assert info["layout"] == "<split>/<index>.png" and info["num_images"]["train"] == 96
    assert data.DatasetInfo.from_json(info["info"]) == tiny_color.info


def test_tfrecord_raw_and_tf_data(tmp_path, tiny_color):
    interchange.export(tiny_color, str(tmp_path / "r"), "tfrecord", tfrecord_encoding="raw")
    ds = interchange.tfrecord_dataset(str(tmp_path / "r" / "test.tfrecord"), (10, 10, 3))
    x, y = next(iter(ds.batch(1000)))
    np.testing.assert_array_equal(x.numpy(), tiny_color.test.x)
    np.testing.assert_array_equal(y.numpy(), tiny_color.test.y)


def test_tfrecord_of_another_shape_is_refused(tmp_path, tiny_color):
    """RGB records read against a 1-channel clean dataset: refused, not converted to gray."""
    interchange.export(tiny_color, str(tmp_path / "c"), "tfrecord", splits=("train",))
    gray = data.Dataset(data.DatasetInfo("gray", 3, (10, 10, 1), ("a", "b", "c")),
                        data.Split(tiny_color.train.x[..., :1], tiny_color.train.y),
                        data.Split(tiny_color.test.x[..., :1], tiny_color.test.y))
    with pytest.raises(interchange.PoisonMismatchError,
                       match=r"record 0 holds a \(10, 10, 3\) image, expected \(10, 10, 1\)"):
        interchange.import_poison(str(tmp_path / "c" / "train.tfrecord"), gray)


def test_export_refuses_a_folder_that_already_holds_pngs(tmp_path, tiny_gray):
    interchange.export(tiny_gray, str(tmp_path / "o"), "png")
    with pytest.raises(data.DatasetError, match="already holds PNG"):
        interchange.export(tiny_gray, str(tmp_path / "o"), "png")
    with pytest.raises(ValueError, match="expected one of"):
        interchange.export(tiny_gray, str(tmp_path / "x"), "jpeg")


def test_foreign_iss_folder_without_labels_imports(tmp_path, tiny_gray):
    """Another tool's `<index>.png` folder: labels come from the clean dataset."""
    x = tiny_gray.train.x.copy()
    x[:, 0, 0, 0] ^= 0xFF                                   # one pixel changed in every image
    folder = tmp_path / "foreign"
    folder.mkdir()
    for i in range(len(x)):
        Image.fromarray(x[i, ..., 0]).save(folder / f"{i}.png")
    imported = interchange.import_poison(str(folder), tiny_gray)
    np.testing.assert_array_equal(imported.dataset.train.x, x)
    np.testing.assert_array_equal(imported.dataset.train.y, tiny_gray.train.y)
    assert imported.report.changed_pixels_max == 1 and imported.report.fraction_changed == 1.0


@pytest.fixture
def png_folder(tmp_path, tiny_gray):
    interchange.export(tiny_gray, str(tmp_path / "p"), "png")
    return tmp_path / "p" / "train"


def test_a_wrong_label_is_refused_naming_the_file(png_folder, tiny_gray):
    y = tiny_gray.train.y
    wrong = (y[7] + 1) % tiny_gray.info.num_classes
    os.rename(png_folder / f"7_{y[7]}.png", png_folder / f"7_{wrong}.png")
    with pytest.raises(interchange.PoisonMismatchError,
                       match=rf"7_{wrong}\.png: label {wrong}, expected {y[7]}"):
        interchange.import_poison(str(png_folder), tiny_gray)


def test_a_wrong_shape_is_refused_naming_the_file(png_folder, tiny_gray):
    name = f"3_{tiny_gray.train.y[3]}.png"
    Image.fromarray(np.zeros((12, 12, 3), np.uint8)).save(png_folder / name)
    with pytest.raises(ValueError, match=rf"{name}: 12x12 PNG of mode RGB, expected 12x12 mode L"):
        interchange.import_poison(str(png_folder), tiny_gray)
    Image.fromarray(np.zeros((11, 12), np.uint8)).save(png_folder / name)
    with pytest.raises(interchange.PoisonMismatchError, match=r"11x12 PNG.*expected 12x12"):
        interchange.import_poison(str(png_folder), tiny_gray)


def test_a_missing_or_extra_image_is_refused(png_folder, tiny_gray):
    n = len(tiny_gray.train)
    os.remove(png_folder / f"9_{tiny_gray.train.y[9]}.png")
    with pytest.raises(interchange.PoisonMismatchError, match=r"first missing: \[9\]"):
        interchange.import_poison(str(png_folder), tiny_gray)
    os.rename(png_folder / f"{n - 1}_{tiny_gray.train.y[n - 1]}.png", png_folder / "9_0.png")
    Image.fromarray(np.zeros((12, 12), np.uint8)).save(png_folder / f"{n}_0.png")
    Image.fromarray(np.zeros((12, 12), np.uint8)).save(png_folder / f"{n - 1}_0.png")
    with pytest.raises(interchange.PoisonMismatchError, match=rf"{n + 1} images, expected {n}"):
        interchange.import_poison(str(png_folder), tiny_gray)


def test_a_foreign_npz_is_validated(tmp_path, tiny_gray):
    x, y = tiny_gray.train.x, tiny_gray.train.y
    good = tmp_path / "good.npz"
    np.savez(good, x_train=x[..., 0], y_train=y.astype(np.int32))   # [N, H, W], int32 labels
    imported = interchange.import_poison(str(good), tiny_gray)
    np.testing.assert_array_equal(imported.dataset.train.x, x)
    assert imported.report.images_changed == 0
    y_bad = y.copy()
    y_bad[30] = (y[30] + 1) % 4
    np.savez(tmp_path / "lab.npz", x_train=x, y_train=y_bad)
    with pytest.raises(interchange.PoisonMismatchError, match=r"y_train\[30\]: label"):
        interchange.import_poison(str(tmp_path / "lab.npz"), tiny_gray)
    np.savez(tmp_path / "f.npz", x_train=x / 255.0, y_train=y)
    with pytest.raises(interchange.PoisonMismatchError, match="float64, expected uint8"):
        interchange.import_poison(str(tmp_path / "f.npz"), tiny_gray)
    np.savez(tmp_path / "s.npz", x_train=x[:, :10], y_train=y)
    with pytest.raises(interchange.PoisonMismatchError,
                       match=r"\(10, 12, 1\), expected \(12, 12, 1\)"):
        interchange.import_poison(str(tmp_path / "s.npz"), tiny_gray)
    with pytest.raises(data.DatasetError, match="missing poisoned training set"):
        interchange.import_poison(str(tmp_path / "nothing.npz"), tiny_gray)
    np.savez(tmp_path / "k.npz", images=x)
    with pytest.raises(interchange.PoisonMismatchError, match="lacks"):
        interchange.import_poison(str(tmp_path / "k.npz"), tiny_gray)


def test_report_counts_hand_made_changes():
    """Image i gets i % 4 pixels changed (image 0: none); one colour pixel changes by 200 in one
    channel only and still counts as one pixel."""
    rng = np.random.default_rng(0)
    clean = rng.integers(0, 256, size=(8, 6, 5, 3), dtype=np.uint8)
    poisoned = clean.copy()
    for i in range(8):                                     # a loop over images, test-only
        for k in range(i % 4):
            poisoned[i, k, k, :] ^= 0x01
    poisoned[5, 5, 4, 1] = clean[5, 5, 4, 1] + (200 if clean[5, 5, 4, 1] < 56 else -200)
    r = interchange.diff_report(clean, poisoned)
    per_image = np.array([0, 1, 2, 3, 0, 2, 2, 3])         # image 5: 1 + the extra pixel
    assert r.num_images == 8 and r.pixels_per_image == 30
    assert r.changed_pixels_mean == per_image.mean() and r.changed_pixels_max == 3
    assert r.images_changed == 6 and r.fraction_changed == 0.75
    assert r.changed_pixels_histogram == {0: 2, 1: 1, 2: 3, 3: 2}
    assert r.changed_pixels_quantiles["0.5"] == 2.0
    assert r.linf_max == 200 and r.linf_mean == (5 * 1 + 200) / 8
    assert json.loads(json.dumps(r.to_json()))["changed_pixels_histogram"]["2"] == 3


def test_report_of_a_pixel_attack_is_n_p(tiny_gray):
    """A class-wise attack whose values all differ from the clean pixels changes exactly N_p
    pixels in every image."""
    n_p = 3
    a = attack.random_attack(4, n_p, (12, 12, 1), seed=0)
    x = tiny_gray.train.x.copy()
    rows = a.positions[tiny_gray.train.y]                          # [N, N_p, 2]
    idx = np.arange(len(x))[:, None]
    x[idx, rows[..., 0], rows[..., 1], 0] ^= 0x80                  # every pixel really changes
    r = interchange.diff_report(tiny_gray.train.x, x)
    assert r.changed_pixels_max == n_p and r.changed_pixels_mean == n_p
    assert r.changed_pixels_histogram == {n_p: len(x)} and r.linf_max == 128
