"""Image folders (train/<class>/<image>, test/<class>/<image>) as a dataset source: shapes,
labels, class and file order, classes.txt, the pixel rules (grayscale, palette, alpha), and one
one-line error per mistake, naming the folder or file."""

import os
import time

import numpy as np
import pytest
from PIL import Image

from evoshift_tf import data, image_folder
from evoshift_tf.errors import UserError
from evoshift_tf.image_folder import ImageFolderError
from tests.image_folders import make_folder, save, write_image

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CIFAR10_JPEG75 = os.path.join(REPO, "..", "shared", "datasets", "cifar10_jpeg75")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")


def one_line_error(fn, *args, match):
    with pytest.raises(ImageFolderError, match=match) as e:
        fn(*args)
    assert "\n" not in str(e.value)
    assert isinstance(e.value, data.DatasetError) and isinstance(e.value, UserError)
    return str(e.value)


def test_folder_gives_uint8_nhwc_labels_in_sorted_class_order(tmp_path):
    root = str(tmp_path / "pets")
    written = make_folder(root, ["dog", "cat", "emu"], {
        "train": {"dog": 3, "cat": 2, "emu": 1}, "test": {"dog": 1, "cat": 1, "emu": 2}})
    ds = data.load(root)
    assert ds.info == data.DatasetInfo("pets", 3, (6, 5, 3), ("cat", "dog", "emu"))
    assert ds.train.x.dtype == np.uint8 and ds.train.x.shape == (6, 6, 5, 3)
    assert ds.train.y.dtype == np.int64
    # classes interleaved (first file of every class, then the second, ...): balanced prefixes
    assert ds.train.y.tolist() == [0, 1, 2, 0, 1, 1]
    assert ds.test.y.tolist() == [0, 1, 2, 2]
    listing = image_folder.list_files(root)
    assert listing.class_order == "sorted folder names"
    assert [os.path.relpath(p, root) for p in listing.paths["train"]] == [
        "train/cat/00.png", "train/dog/00.png", "train/emu/00.png", "train/cat/01.png",
        "train/dog/01.png", "train/dog/02.png"]
    for split in ("train", "test"):                      # PNG is lossless: exact pixels
        expected = np.stack([written[p] for p in listing.paths[split]])
        assert np.array_equal(getattr(ds, split).x, expected)


def test_files_sorted_by_name_as_strings_sub_folders_included(tmp_path):
    root = str(tmp_path / "d")
    rng = np.random.default_rng(1)
    for split in ("train", "test"):
        for name in ("2.png", "10.png", "a/1.png", "notes.txt", ".hidden.png", ".cache/3.png"):
            path = os.path.join(root, split, "only", name)
            if name.endswith(".txt"):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                open(path, "w").write("not an image")
            else:
                write_image(path, rng.integers(0, 256, (4, 4, 3), dtype=np.uint8))
    listing = image_folder.list_files(root)
    assert [os.path.relpath(p, root) for p in listing.paths["train"]] == [
        "train/only/10.png", "train/only/2.png", "train/only/a/1.png"]
    assert [os.path.basename(p) for p in listing.skipped] == ["notes.txt", "notes.txt"]


def test_classes_txt_sets_the_label_order(tmp_path):
    root = str(tmp_path / "d")
    make_folder(root, ["cat", "dog", "emu"])
    (tmp_path / "d" / "classes.txt").write_text("emu\n\n  cat \ndog\n")
    ds = data.load(root)
    assert ds.info.class_names == ("emu", "cat", "dog")
    listing = image_folder.list_files(root)
    assert listing.class_order == "classes.txt"
    assert all(os.path.basename(os.path.dirname(p)) == ds.info.class_names[y]
               for p, y in zip(listing.paths["train"], ds.train.y))


def test_classes_txt_must_name_every_class_folder_once(tmp_path):
    root = str(tmp_path / "d")
    make_folder(root, ["cat", "dog"])
    classes = tmp_path / "d" / "classes.txt"
    classes.write_text("cat\nwolf\n")
    one_line_error(image_folder.list_files, root,
                   match=r"classes.txt names \['wolf'\] that have no class folder and leaves out "
                         r"the class folder\(s\) \['dog'\]; expected every class folder once")
    classes.write_text("cat\ndog\ncat\n")
    one_line_error(image_folder.list_files, root, match=r"names \['cat'\] more than once")


def test_grayscale_jpeg_gives_one_channel_identical_to_pillow(tmp_path):
    root = str(tmp_path / "gray")
    make_folder(root, ["a", "b"], shape=(9, 7, 1), ext="jpg")
    ds = data.load(root)
    assert ds.info.image_shape == (9, 7, 1) and ds.info.channels == 1
    paths = image_folder.list_files(root).paths["train"]
    pillow = np.stack([image_folder.decode_with_pillow(p) for p in paths])
    assert np.array_equal(ds.train.x, pillow)


def test_colour_jpeg_decodes_like_pillow(tmp_path):
    root = str(tmp_path / "colour")
    make_folder(root, ["a", "b"], shape=(16, 16, 3), ext="jpg")
    paths = image_folder.list_files(root).paths["test"]
    x = image_folder.decode_images(paths)
    assert x.shape == (2, 16, 16, 3)
    assert np.array_equal(x, np.stack([np.asarray(Image.open(p)) for p in paths]))


def test_palette_opaque_alpha_bmp_and_gif_become_rgb(tmp_path):
    root = str(tmp_path / "mixed")
    rng = np.random.default_rng(2)
    rgb = rng.integers(0, 256, (5, 5, 3), dtype=np.uint8)
    rgba = np.concatenate([rgb, np.full((5, 5, 1), 255, np.uint8)], axis=-1)
    write_image(f"{root}/train/a/0.png", rgb)
    write_image(f"{root}/train/a/1.png", rgba)                       # opaque: alpha dropped
    save(Image.fromarray(rgb).convert("P"), f"{root}/train/b/0.png")  # palette -> RGB
    write_image(f"{root}/test/a/0.bmp", rgb)                         # Pillow's path
    save(Image.fromarray(rgb).convert("P"), f"{root}/test/b/0.gif")
    ds = data.load(root)
    assert ds.info.image_shape == (5, 5, 3)
    assert np.array_equal(ds.train.x[0], rgb) and np.array_equal(ds.train.x[2], rgb)
    assert np.array_equal(ds.train.x[1], np.asarray(Image.open(f"{root}/train/b/0.png")
                                                    .convert("RGB")))
    assert np.array_equal(ds.test.x[0], rgb)


def test_transparent_image_is_refused_by_name(tmp_path):
    root = str(tmp_path / "d")
    make_folder(root, ["a", "b"], shape=(4, 4, 3))
    rgba = np.full((4, 4, 4), 200, np.uint8)
    rgba[0, 0, 3] = 0
    write_image(f"{root}/test/b/09.png", rgba)
    one_line_error(data.load, root, match=r"test/b/09.png: has transparent pixels")


def test_no_test_folder(tmp_path):
    root = str(tmp_path / "d")
    make_folder(root, ["a"], {"train": {"a": 1}})
    msg = one_line_error(data.load, root, match=r"no test/ folder; expected an image folder with "
                                                r"train/<class>/<image> and test/<class>/<image>")
    assert msg.startswith(root)


def test_folder_that_is_neither_layout_says_both(tmp_path):
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "readme.md").write_text("hello")
    with pytest.raises(data.DatasetError, match=r"stuff is neither an image folder "
                                                r"\(train/<class>/<image>.*nor a folder of IDX"):
        data.load(str(tmp_path / "stuff"))
    with pytest.raises(data.DatasetError, match=r"no such file or folder .*missing"):
        data.load(str(tmp_path / "missing"))


def test_class_in_one_split_only(tmp_path):
    root = str(tmp_path / "d")
    make_folder(root, ["a", "b"], {"train": {"a": 1, "b": 1}, "test": {"a": 1}})
    one_line_error(data.load, root, match=r"class folder\(s\) \['b'\] in train/ but not in test/; "
                                          r"expected the same class folders in both splits")


def test_empty_class_folder(tmp_path):
    root = str(tmp_path / "d")
    make_folder(root, ["a", "b"])
    os.makedirs(f"{root}/test/c")
    os.makedirs(f"{root}/train/c")
    (tmp_path / "d" / "train" / "c" / "labels.csv").write_text("x")
    one_line_error(data.load, root, match=r"train/c: no image files; expected at least one image "
                                          r"per class")


def test_images_of_different_sizes_name_two_files(tmp_path):
    root = str(tmp_path / "d")
    make_folder(root, ["a", "b"], shape=(6, 6, 3))
    write_image(f"{root}/test/b/00.png", np.zeros((6, 7, 3), np.uint8))
    one_line_error(data.load, root, match=r"images differ in size or channels: \S+train/a/00.png "
                                          r"is 6x6 with 3 channel\(s\), \S+test/b/00.png is 6x7 "
                                          r"with 3 channel\(s\)")


def test_images_of_different_channel_counts_name_two_files(tmp_path):
    root = str(tmp_path / "d")
    make_folder(root, ["a", "b"], shape=(6, 6, 3), ext="jpg")
    write_image(f"{root}/train/b/01.jpg", np.zeros((6, 6, 1), np.uint8))
    one_line_error(data.load, root, match=r"\S+train/a/00.jpg is 6x6 with 3 channel\(s\), "
                                          r"\S+train/b/01.jpg is 6x6 with 1 channel\(s\)")


def test_unreadable_file_is_named(tmp_path):
    root = str(tmp_path / "d")
    make_folder(root, ["a", "b"], ext="jpg")
    path = f"{root}/train/b/01.jpg"
    blob = open(path, "rb").read()
    open(path, "wb").write(blob[: len(blob) // 2])                # truncated JPEG
    one_line_error(data.load, root, match=rf"{path}: not a readable image \(OSError")
    open(path, "wb").write(b"hello")                               # not an image at all
    one_line_error(data.load, root, match=rf"{path}: not a readable image")
    open(f"{root}/train/a/00.jpg", "wb").write(b"")                # the first file, empty
    one_line_error(data.load, root, match=r"train/a/00.jpg: not a readable image")


def test_sixteen_bit_image_is_refused(tmp_path):
    root = str(tmp_path / "d")
    make_folder(root, ["a"], shape=(4, 4, 1))
    Image.fromarray(np.full((4, 4), 4000, np.uint16)).save(f"{root}/test/a/00.png")
    one_line_error(data.load, root, match=r"test/a/00.png: I;16 image \(16-bit or float\)")


def test_export_folder_is_not_an_image_folder(tmp_path, tiny_gray):
    from evoshift_tf import interchange
    folder = str(tmp_path / "exported")
    interchange.export(tiny_gray, folder, "png")
    one_line_error(data.load, folder, match=r"train holds no class folders; expected "
                                            r"train/<class>/<image> .*load_export")


def test_idx_folder_still_loads(tmp_path, tiny_gray):
    import gzip
    import struct
    for prefix, split in (("train", tiny_gray.train), ("t10k", tiny_gray.test)):
        x = split.x[..., 0]
        with gzip.open(tmp_path / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(struct.pack(">IIII", 2051, *x.shape) + x.tobytes())
        with gzip.open(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(struct.pack(">II", 2049, x.shape[0]) + split.y.astype(np.uint8).tobytes())
    ds = data.load(str(tmp_path) + "/")
    assert ds.info.name == tmp_path.name and np.array_equal(ds.train.x, tiny_gray.train.x)


def test_progress_reports_every_image(tmp_path):
    root = str(tmp_path / "d")
    make_folder(root, ["a", "b"])
    calls = []
    image_folder.load(root, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (6, 6)


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir(CIFAR10_JPEG75), reason="no shared CIFAR-10 JPEG folder")
def test_cifar10_jpeg75_folder():
    """The shared folder's 60,000 JPEGs in CIFAR-10's label order (alphabetical, no
    classes.txt): 6-11 s on a shared 2-core AVX-512 machine, plus 3.5 s to import TensorFlow."""
    start = time.time()
    ds = data.load(os.path.normpath(CIFAR10_JPEG75))
    assert ds.info == data.DatasetInfo("cifar10_jpeg75", 10, (32, 32, 3), CIFAR10_CLASSES)
    assert ds.train.x.shape == (50000, 32, 32, 3) and ds.test.x.shape == (10000, 32, 32, 3)
    assert ds.train.x.dtype == np.uint8
    assert np.bincount(ds.train.y).tolist() == [5000] * 10
    assert np.bincount(ds.test.y).tolist() == [1000] * 10
    assert ds.test.y[:10].tolist() == list(range(10))
    print(f"cifar10_jpeg75 loaded in {time.time() - start:.1f} s")
