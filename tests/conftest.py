"""Shared fixtures: a tiny generated dataset, a tiny attack, temporary run folders. Seeded."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

from evoshift_tf import attack, data  # noqa: E402


@pytest.fixture(scope="session")
def tiny_gray():
    """4 classes of 12x12x1 blobs, 64 train / 16 test images per class."""
    return data.make_synthetic(num_classes=4, per_class=64, image_shape=(12, 12, 1), seed=0)


@pytest.fixture(scope="session")
def tiny_color():
    """3 classes of 10x10x3 blobs."""
    return data.make_synthetic(num_classes=3, per_class=32, image_shape=(10, 10, 3), seed=1)


@pytest.fixture
def tiny_attack(tiny_gray):
    return attack.random_attack(tiny_gray.info.num_classes, 2, tiny_gray.info.image_shape, seed=3)


@pytest.fixture
def npz_dataset(tmp_path, tiny_gray):
    """The tiny dataset written as a user's .npz file."""
    path = str(tmp_path / "tiny.npz")
    data.save_npz(path, tiny_gray)
    return path
