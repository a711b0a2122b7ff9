"""export_poison and import_poison end to end on the tiny data: a poisoned Dataset artifact
exported in each format and imported back is the same artifact payload, bit for bit, with the
pixel-difference report beside it; bad parameters and foreign folders are refused clearly."""

import os
import subprocess
import sys

import numpy as np
import pytest

from components import artifacts, base, export_poison, import_poison, poison
from evoshift_tf import attack, interchange


def _artifact(folder, dataset):
    os.makedirs(folder)
    artifacts.save_dataset(folder, dataset)
    artifacts.write_json(os.path.join(folder, artifacts.METADATA),
                    {"type": artifacts.DATASET, "content_hash": artifacts.content_hash(folder)})
    return folder


@pytest.fixture
def clean_and_poisoned(tmp_path, tiny_gray, tiny_attack):
    clean = _artifact(str(tmp_path / "clean"), tiny_gray)
    attack_dir = str(tmp_path / "attack")
    os.makedirs(attack_dir)
    attack.save(tiny_attack, os.path.join(attack_dir, "attack.json"))
    artifacts.write_json(os.path.join(attack_dir, artifacts.METADATA),
                    {"type": artifacts.ATTACK, "content_hash": artifacts.content_hash(attack_dir)})
    poisoned = str(tmp_path / "poisoned")
    base.run_executor(poison.SPEC, {"dataset": clean, "attack": attack_dir},
                      {"poisoned": poisoned}, {})
    return clean, poisoned


@pytest.mark.parametrize("fmt,payload", [("png", ""), ("npz", "dataset.npz"),
                                         ("tfrecord", "train.tfrecord")])
def test_export_then_import_gives_back_the_poisoned_artifact(tmp_path, clean_and_poisoned,
                                                             tiny_gray, fmt, payload):
    clean, poisoned = clean_and_poisoned
    exported = str(tmp_path / "exported")
    base.run_executor(export_poison.SPEC, {"dataset": poisoned}, {"exported": exported},
                      {"format": fmt})
    meta = artifacts.read_metadata(exported)
    assert meta["type"] == export_poison.EXPORT and meta["parameters"]["format"] == fmt
    back = str(tmp_path / "back")
    base.run_executor(import_poison.SPEC, {"dataset": clean}, {"poisoned": back},
                      {"path": os.path.join(exported, payload)})
    assert artifacts.read_metadata(back)["type"] == artifacts.DATASET
    want, got = artifacts.load_dataset(poisoned), artifacts.load_dataset(back)
    np.testing.assert_array_equal(got.train.x, want.train.x)
    np.testing.assert_array_equal(got.train.y, want.train.y)
    np.testing.assert_array_equal(got.test.x, tiny_gray.test.x)
    report = artifacts.read_json(os.path.join(back, import_poison.REPORT_FILE))
    per_image, _ = interchange.changed_pixels(tiny_gray.train.x, want.train.x)
    assert report["changed_pixels_mean"] == pytest.approx(per_image.mean())
    assert report["changed_pixels_max"] <= 2                      # the tiny attack's N_p


def test_import_refuses_a_folder_with_a_wrong_label(tmp_path, clean_and_poisoned, tiny_gray):
    clean, poisoned = clean_and_poisoned
    exported = str(tmp_path / "exported")
    base.run_executor(export_poison.SPEC, {"dataset": poisoned}, {"exported": exported},
                      {"splits": "train"})
    y = tiny_gray.train.y
    train = os.path.join(exported, "train")
    os.rename(os.path.join(train, f"0_{y[0]}.png"), os.path.join(train, f"0_{(y[0] + 1) % 4}.png"))
    with pytest.raises(ValueError, match=rf"0_{(y[0] + 1) % 4}\.png: label"):
        base.run_executor(import_poison.SPEC, {"dataset": clean},
                          {"poisoned": str(tmp_path / "back")}, {"path": exported})
    assert not os.path.exists(tmp_path / "back")


@pytest.mark.parametrize("spec,params,match", [
    (export_poison.SPEC, {"format": "jpeg"}, "unknown format 'jpeg'"),
    (export_poison.SPEC, {"splits": "train,val"}, "splits='train,val'"),
    (export_poison.SPEC, {"png_names": "label_index"}, "unknown png_names"),
    (import_poison.SPEC, {}, "path is required"),
])
def test_bad_parameters_are_named_before_anything_runs(spec, params, match):
    with pytest.raises(ValueError, match=match):
        spec.resolve_params(params)


def test_command_lines(tmp_path, clean_and_poisoned):
    clean, poisoned = clean_and_poisoned
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": root}
    out = str(tmp_path / "npz")
    subprocess.run([sys.executable, "-m", "components.export_poison", f"--dataset={poisoned}",
                    f"--exported={out}", "--format=npz"], check=True, cwd=root, env=env,
                   capture_output=True)
    back = str(tmp_path / "back")
    subprocess.run([sys.executable, "-m", "components.import_poison", f"--dataset={clean}",
                    f"--poisoned={back}", f"--path={out}/dataset.npz"], check=True, cwd=root,
                   env=env, capture_output=True)
    assert artifacts.is_complete(back)
    assert os.path.exists(os.path.join(back, import_poison.REPORT_FILE))
