"""Bad input gives one clear error that names the value and what was expected, before any long
work starts: bad parameters, a missing / wrong-type / wrong-shaped / modified input artifact, a
truncated attack JSON, an unknown model or optimizer (also when it is the last step of a
pipeline: nothing runs)."""

import os

import pytest

from components import artifacts as artifact_files
from components import base, baseline, ingest, poison, search, train_victim
from evoshift_tf import attack as attack_lib
from evoshift_tf.attack import AttackError
from pipelines import evoshift_pipeline, local_runner


@pytest.fixture
def artifacts(tmp_path, npz_dataset, tiny_gray):
    """A Dataset and a PixelAttack artifact for the tiny data."""
    ds, at = str(tmp_path / "dataset"), str(tmp_path / "attack")
    base.run_executor(ingest.SPEC, {}, {"dataset": ds}, {"dataset": npz_dataset})
    base.run_executor(baseline.SPEC, {"dataset": ds}, {"attack": at}, {"num_pixels": 1})
    return ds, at


def _train(ds, tmp_path, **params):
    return base.run_executor(train_victim.SPEC, {"dataset": ds},
                             {"model": str(tmp_path / "model")}, {"epochs": 1, **params})


def test_unknown_model_or_optimizer_or_strategy(artifacts, tmp_path):
    ds, _ = artifacts
    with pytest.raises(ValueError, match=r"unknown model 'resnet9000'; known models: \[.*graynet"):
        _train(ds, tmp_path, model="resnet9000")
    with pytest.raises(ValueError, match=r"unknown optimizer 'adamw'; known: \['adam'"):
        _train(ds, tmp_path, optimizer="adamw")
    with pytest.raises(ValueError, match=r"unknown strategy 'tpu'"):
        _train(ds, tmp_path, strategy="tpu")
    assert not os.path.exists(tmp_path / "model")          # nothing was written


def test_bad_parameter_values_and_names(artifacts, tmp_path):
    ds, _ = artifacts
    with pytest.raises(ValueError, match=r"epochs >= 1.*got 0"):
        _train(ds, tmp_path, epochs=0)
    with pytest.raises(ValueError, match=r"parameter batch_size='many' is not a int"):
        _train(ds, tmp_path, batch_size="many")
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['lr'\]; known: "):
        _train(ds, tmp_path, lr=0.1)
    with pytest.raises(ValueError, match=r"search: invalid search config: population=1"):
        base.run_executor(search.SPEC, {"dataset": ds}, {"attack": str(tmp_path / "a"),
                                                         "history": str(tmp_path / "h")},
                          {"population": 1})


def test_bad_step_anywhere_in_a_pipeline_fails_before_any_step_runs(npz_dataset, tmp_path):
    root = str(tmp_path / "run")
    p = evoshift_pipeline.create_pipeline(dataset=npz_dataset, train_params={"optimizer": "adamw"})
    with pytest.raises(ValueError, match=r"train_victim: unknown optimizer 'adamw'"):
        local_runner.run(p, root)
    assert not os.path.exists(os.path.join(root, "ingest"))
    p = evoshift_pipeline.create_pipeline(dataset=npz_dataset,
                                          search_params={"generations": 0})
    with pytest.raises(ValueError, match=r"generations=0"):
        local_runner.run(p, root)


def test_missing_or_wrong_type_input_artifact(artifacts, tmp_path):
    ds, at = artifacts
    with pytest.raises(FileNotFoundError, match=r"input 'dataset': no artifact at .*nowhere"):
        _train(str(tmp_path / "nowhere"), tmp_path)
    with pytest.raises(ValueError, match=r"input 'dataset': .* is a PixelAttack, expected Dataset"):
        _train(at, tmp_path)
    with pytest.raises(ValueError, match=r"missing input\(s\) \['attack'\]"):
        base.run_executor(poison.SPEC, {"dataset": ds}, {"poisoned": str(tmp_path / "p")}, {})


def test_modified_input_artifact_is_refused(artifacts, tmp_path):
    ds, _ = artifacts
    path = os.path.join(ds, "dataset.npz")
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)
    with pytest.raises(ValueError, match=r"input 'dataset': the files in .* do not match the "
                                         r"content hash.*rerun the step.*ingest"):
        _train(ds, tmp_path)


def test_truncated_attack_json(artifacts, tmp_path):
    ds, at = artifacts
    path = os.path.join(at, "attack.json")
    text = open(path).read()
    with open(path, "w") as f:
        f.write(text[: len(text) // 2])
    with pytest.raises(AttackError, match=r"attack file .*attack.json is not valid JSON "
                                          r"\(truncated\?\)"):
        attack_lib.load(path)
    # through the component the content hash catches it first, naming the artifact
    with pytest.raises(ValueError, match=r"input 'attack': the files in .* do not match"):
        base.run_executor(poison.SPEC, {"dataset": ds, "attack": at},
                          {"poisoned": str(tmp_path / "p")}, {})


def test_attack_for_other_images_is_refused(artifacts, tmp_path):
    ds, _ = artifacts
    other = str(tmp_path / "other")
    a = attack_lib.random_attack(4, 1, (28, 28, 1), seed=0)
    with artifact_files.atomic_folder(other) as tmp:
        attack_lib.save(a, os.path.join(tmp, "attack.json"))
        artifact_files.write_json(os.path.join(tmp, artifact_files.METADATA),
                                  {"type": artifact_files.ATTACK,
                                   "content_hash": artifact_files.content_hash(tmp)})
    with pytest.raises(AttackError, match=r"attack is for images \(28, 28, 1\), data has "
                                          r"\(12, 12, 1\)"):
        base.run_executor(poison.SPEC, {"dataset": ds, "attack": other},
                          {"poisoned": str(tmp_path / "p")}, {})
