"""Atomic writes: the file appears whole or not at all, and no temporary file is left."""

import json
import os

import numpy as np
import pytest

from evoshift_tf import atomic


def test_write_json_writes_numpy_values_and_creates_the_folder(tmp_path):
    path = str(tmp_path / "out" / "r.json")
    assert atomic.write_json(path, {"a": np.arange(3), "b": np.float32(0.5), "c": np.int64(2),
                                    "d": np.bool_(True), "e": [1.5, "x", None]}) == path
    assert json.loads(open(path).read()) == {"a": [0, 1, 2], "b": 0.5, "c": 2, "d": True,
                                             "e": [1.5, "x", None]}
    assert os.listdir(tmp_path / "out") == ["r.json"]
    assert open(path).read().startswith('{\n "a"')                       # indent 1
    atomic.write_json(path, [1, 2], indent=None)
    assert open(path).read() == "[1, 2]"


def test_write_json_replaces_an_existing_file(tmp_path):
    path = str(tmp_path / "r.json")
    atomic.write_json(path, {"v": 1})
    atomic.write_json(path, {"v": 2})
    assert json.loads(open(path).read()) == {"v": 2}
    assert os.listdir(tmp_path) == ["r.json"]


def test_an_error_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = str(tmp_path / "r.json")
    atomic.write_json(path, {"v": 1})
    with pytest.raises(TypeError, match="not JSON-able: object"):
        atomic.write_json(path, {"v": 2, "bad": object()})   # fails half-way through the dump
    assert json.loads(open(path).read()) == {"v": 1}
    assert os.listdir(tmp_path) == ["r.json"]
    with pytest.raises(TypeError):
        atomic.write_json(str(tmp_path / "new.json"), {"bad": object()})
    assert os.listdir(tmp_path) == ["r.json"]                 # no half file under the new name


def test_replacing_renames_on_success_and_cleans_up_on_error(tmp_path):
    path = str(tmp_path / "sub" / "fig.png")
    with atomic.replacing(path) as tmp:
        assert os.path.dirname(tmp) == os.path.dirname(path) and not os.path.exists(tmp)
        with open(tmp, "wb") as f:
            f.write(b"one")
    assert open(path, "rb").read() == b"one"
    with pytest.raises(RuntimeError, match="draw failed"):
        with atomic.replacing(path) as tmp:
            with open(tmp, "wb") as f:
                f.write(b"half")
            raise RuntimeError("draw failed")
    assert open(path, "rb").read() == b"one"
    assert os.listdir(tmp_path / "sub") == ["fig.png"]
