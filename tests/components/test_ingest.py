"""ingest of an image folder: decoded once into a Dataset artifact that later steps and reruns
reuse; ``evoshift ingest --dataset=FOLDER --dataset_dir=OUT`` from the command line."""

import os
import subprocess
import sys

import numpy as np
import pytest

from components import artifacts, base, ingest
from evoshift_tf import data, image_folder
from pipelines import cli, dag, local_runner
from tests.image_folders import make_folder

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def folder(tmp_path):
    root = str(tmp_path / "shapes")
    make_folder(root, ["square", "circle"], {"train": {"square": 3, "circle": 3},
                                             "test": {"square": 2, "circle": 1}}, shape=(8, 8, 3))
    return root


def test_ingest_decodes_an_image_folder_into_a_dataset_artifact(folder, tmp_path):
    out = str(tmp_path / "dataset")
    base.run_executor(ingest.SPEC, {}, {"dataset": out}, {"dataset": folder})
    ds = artifacts.load_dataset(out)
    direct = data.load(folder)
    assert ds.info == direct.info == data.DatasetInfo("shapes", 2, (8, 8, 3),
                                                      ("circle", "square"))
    assert np.array_equal(ds.train.x, direct.train.x) and ds.train.x.dtype == np.uint8
    assert np.array_equal(ds.test.y, direct.test.y)
    assert artifacts.is_complete(out)
    # max_train keeps the first images, which an image folder interleaves class by class
    base.run_executor(ingest.SPEC, {}, {"dataset": out}, {"dataset": folder, "max_train": 4})
    assert artifacts.load_dataset(out).train.y.tolist() == [0, 1, 0, 1]


def test_a_rerun_reuses_the_decoded_folder(folder, tmp_path, monkeypatch):
    node = dag.Node("ingest", ingest.SPEC, {}, {"dataset": folder})
    pipeline = dag.Pipeline("ingest_only", (node,))
    root = str(tmp_path / "run")
    assert local_runner.run(pipeline, root)["ingest"]["status"] == "ran"

    def no_decoding(*args, **kwargs):
        raise AssertionError("the folder was decoded again")
    monkeypatch.setattr(image_folder, "decode_images", no_decoding)
    assert local_runner.run(pipeline, root)["ingest"]["status"] == "reused"
    ds = artifacts.load_dataset(local_runner.output_dir(root, "ingest", "dataset"))
    assert len(ds.train) == 6 and len(ds.test) == 3


def test_a_rerun_after_the_folder_changed_decodes_it_again(folder, tmp_path):
    """An image added to the folder: the rerun ingests it (and what follows, anew)."""
    pipeline = dag.Pipeline("ingest_only", (dag.Node("ingest", ingest.SPEC, {},
                                                     {"dataset": folder}),))
    root = str(tmp_path / "run")
    local_runner.run(pipeline, root)
    make_folder(folder, ["square"], {"train": {"square": 4}}, shape=(8, 8, 3), seed=7)
    assert local_runner.run(pipeline, root)["ingest"]["status"] == "ran"
    ds = artifacts.load_dataset(local_runner.output_dir(root, "ingest", "dataset"))
    assert len(ds.train) == 7


def test_a_bad_folder_is_a_one_line_user_error(folder, tmp_path):
    os.remove(os.path.join(folder, "test", "circle", "00.png"))
    with pytest.raises(image_folder.ImageFolderError) as e:
        base.run_executor(ingest.SPEC, {}, {"dataset": str(tmp_path / "d")}, {"dataset": folder})
    assert cli.user_error_message(e.value) == (
        f"{folder}/test/circle: no image files; expected at least one image per class "
        f"(extensions {', '.join(image_folder.IMAGE_EXTENSIONS)})")
    assert not os.path.exists(tmp_path / "d")


def test_evoshift_ingest_command(folder, tmp_path):
    out = str(tmp_path / "ds")
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "ingest", f"--dataset={folder}",
         f"--dataset_dir={out}"], cwd=REPO, capture_output=True, text=True, timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"ingest: wrote dataset to {out}" in result.stdout
    ds = artifacts.load_dataset(out)
    assert ds.info.name == "shapes" and ds.train.x.shape == (6, 8, 8, 3)
