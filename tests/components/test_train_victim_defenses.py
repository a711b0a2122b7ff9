"""train_victim with today's defenses: JPEG / bit depth layers, MixUp, PGD adversarial training
as parameters; TensorBoard scalars under ``<run_root>/tensorboard/<step>``; the sweep passes the
same parameters through."""

import os

import keras
import pytest
import tensorflow as tf

from components import artifacts, base, train_victim
from evoshift_tf.victims import defenses
from pipelines import sweep_pipeline


def _dataset(tmp_path, tiny_gray):
    ds = str(tmp_path / "ds")
    os.makedirs(ds)
    artifacts.save_dataset(ds, tiny_gray)
    artifacts.write_json(os.path.join(ds, artifacts.METADATA),
                    {"type": artifacts.DATASET, "content_hash": artifacts.content_hash(ds)})
    return ds


def test_defense_params_and_tensorboard_event_files(tmp_path, tiny_gray):
    run_root = tmp_path / "run"
    out = str(run_root / "train_victim" / "model")            # the local runner's layout
    base.run_executor(train_victim.SPEC, {"dataset": _dataset(tmp_path, tiny_gray)},
                      {"model": out},
                      {"epochs": 2, "batch_size": 64, "preprocessing": "jpeg10,bits4",
                       "mixing": "mixup", "adversarial_steps": 1},
                      work_dir=str(tmp_path / "work"))
    model = keras.saving.load_model(os.path.join(out, "model.keras"))
    kinds = {type(layer) for layer in model.layers}
    assert {defenses.JPEGCompression, defenses.BitDepthReduction} <= kinds
    meta = artifacts.read_metadata(out)
    assert meta["parameters"]["mixing"] == "mixup" and meta["parameters"]["adversarial_steps"] == 1
    board = run_root / "tensorboard" / "train_victim"
    events = [f for f in os.listdir(board) if f.startswith("events.out.tfevents")]
    assert events
    tags = {(e.step, v.tag) for f in events
            for e in tf.compat.v1.train.summary_iterator(str(board / f)) for v in e.summary.value}
    assert {(1, "victim/loss"), (2, "victim/loss"), (2, "victim/train_accuracy")} <= tags


def test_bad_defense_params_are_refused_before_training():
    for bad, match in (({"preprocessing": "jpeg0"}, "jpeg0"),
                       ({"preprocessing": "mixup"}, "mixing"),
                       ({"mixing": "mosaic"}, "mosaic"),
                       ({"adversarial_eps": 8.0}, "adversarial")):
        with pytest.raises(ValueError, match=match):
            train_victim.SPEC.resolve_params(bad)


def test_sweep_recipes_carry_the_defense_params():
    recipes = [{"name": "jpeg", "preprocessing": "jpeg10"},
               {"name": "cutmix", "mixing": "cutmix"},
               {"name": "pgd", "adversarial_steps": 3, "adversarial_eps": 0.1},
               {"name": "vib", "model": "vib"}]
    p = sweep_pipeline.create_sweep_pipeline(recipes=recipes).flat()
    p.validate()
    params = {n.id: n.params for n in p.nodes if n.component.name == "train_victim"}
    assert [params[f"train_victim-{i}"]["preprocessing"] for i in range(4)] == [
        "jpeg10", "", "", ""]
    assert params["train_victim-1"]["mixing"] == "cutmix"
    assert params["train_victim-2"]["adversarial_steps"] == 3
    assert params["train_victim-2"]["adversarial_eps"] == 0.1
