"""train_victim: the Model artifact holds .keras, SavedModel and history; under multiworker
only the chief writes the real output folder."""

import json
import os

import keras
import numpy as np

from components import artifacts, base, ingest, train_victim
from evoshift_tf.victims import training


def test_model_artifact_has_keras_saved_model_and_history(tmp_path, npz_dataset, tiny_gray):
    ds, out = str(tmp_path / "ds"), str(tmp_path / "model")
    base.run_executor(ingest.SPEC, {}, {"dataset": ds}, {"dataset": npz_dataset})
    base.run_executor(train_victim.SPEC, {"dataset": ds}, {"model": out},
                      {"epochs": 2, "batch_size": 32}, work_dir=str(tmp_path / "work"))
    assert artifacts.is_complete(out)
    history = json.load(open(os.path.join(out, "history.json")))
    assert [h["epoch"] for h in history] == [1, 2]
    model = keras.saving.load_model(os.path.join(out, "model.keras"))
    serve = training.load_saved_model_predictor(os.path.join(out, "saved_model"))
    np.testing.assert_allclose(serve(tiny_gray.test.x), training.predict_logits(
        model, tiny_gray.test.x), rtol=1e-5, atol=1e-5)


def test_only_the_chief_writes_the_real_output(monkeypatch):
    outs = {"model": "/runs/x/train/model"}
    params = {"strategy": "multiworker"}
    cluster = {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster,
                                                "task": {"type": "worker", "index": 0}}))
    assert train_victim.route_outputs(outs, params) == outs
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster,
                                                "task": {"type": "worker", "index": 1}}))
    other = train_victim.route_outputs(outs, params)["model"]
    assert other != outs["model"] and "nonchief" in other
    assert train_victim.route_outputs(outs, {"strategy": "default"}) == outs
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {**cluster, "chief": ["h:3"]},
                                                "task": {"type": "worker", "index": 0}}))
    assert not training.tf_config_is_chief()
