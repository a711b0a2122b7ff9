import gzip
import struct

import numpy as np
import pytest

from evoshift_tf import data


def _write_idx(path, array, magic):
    header = struct.pack(">II", magic, array.shape[0])
    if array.ndim == 3:
        header += struct.pack(">II", *array.shape[1:])
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def idx_dir(tmp_path):
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 30), ("t10k", 10)):
        _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz",
                   rng.integers(0, 256, (n, 28, 28)), 2051)
        _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n) % 10, 2049)
    return tmp_path


def test_idx_parsing_gives_uint8_nhwc(idx_dir):
    ds = data.load_idx_dir(str(idx_dir))
    assert ds.train.x.shape == (30, 28, 28, 1) and ds.train.x.dtype == np.uint8
    assert ds.test.y.tolist() == list(range(10))
    assert ds.info.num_classes == 10 and ds.info.class_names[0] == "T-shirt/top"
    raw = gzip.open(idx_dir / "train-images-idx3-ubyte.gz").read()
    assert np.array_equal(ds.train.x[..., 0].ravel(), np.frombuffer(raw[16:], np.uint8))


def test_truncated_gzip_is_a_clear_error(idx_dir):
    path = idx_dir / "train-images-idx3-ubyte.gz"
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(data.DatasetError, match="truncated"):
        data.load_idx_dir(str(idx_dir))


def test_payload_shorter_than_header_says_so(idx_dir):
    path = idx_dir / "train-labels-idx1-ubyte.gz"
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">II", 2049, 30) + bytes(20))
    with pytest.raises(data.DatasetError, match="header says"):
        data.load_idx_dir(str(idx_dir))


def test_bad_magic(idx_dir):
    _write_idx(idx_dir / "t10k-labels-idx1-ubyte.gz", np.zeros(10), 1234)
    with pytest.raises(data.DatasetError, match="magic"):
        data.load_idx_dir(str(idx_dir))


def test_missing_dataset_names_the_apt_package(tmp_path):
    with pytest.raises(data.DatasetError, match="apt-get install -y dataset-fashion-mnist"):
        data.load("fashion_mnist", data_dir=str(tmp_path / "nowhere"))


def test_unknown_dataset_lists_known_names():
    with pytest.raises(data.DatasetError, match="cifar10"):
        data.load("imagenet21k")


def test_npz_round_trip(npz_dataset, tiny_gray):
    ds = data.load(npz_dataset)
    assert np.array_equal(ds.train.x, tiny_gray.train.x)
    assert ds.info.num_classes == 4 and ds.info.image_shape == (12, 12, 1)


def test_balanced_subset_and_holdout_are_disjoint(tiny_gray):
    sub = data.balanced_subset(tiny_gray.train, 10, 4, seed=1)
    assert np.bincount(sub.y).tolist() == [10, 10, 10, 10]
    fit, held = data.holdout_split(tiny_gray.train, 5, 4, seed=2)
    assert len(fit) + len(held) == len(tiny_gray.train)
    assert np.bincount(held.y).tolist() == [5] * 4
    fit_rows = {r.tobytes() for r in fit.x}
    assert not any(r.tobytes() in fit_rows for r in held.x)


def test_tfds_loader_with_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=12):
        ds = data.load_tfds("mnist")
    assert ds.train.x.dtype == np.uint8 and ds.train.x.shape[1:] == (28, 28, 1)
    assert ds.info.num_classes == 10 and len(ds.train) == 12


def test_source_digest_follows_a_users_files_and_not_a_name(tmp_path, tiny_gray):
    path = str(tmp_path / "mine.npz")
    data.save_npz(path, tiny_gray)
    before = data.source_digest(path)
    assert before and data.source_digest(path) == before
    data.save_npz(path, data.make_synthetic(num_classes=4, per_class=8, image_shape=(12, 12, 1)))
    assert data.source_digest(path) != before
    assert data.source_digest("mnist") == ""
