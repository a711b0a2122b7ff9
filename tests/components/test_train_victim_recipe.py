import os

import keras
import numpy as np

from components import artifacts, base, train_victim
from evoshift_tf.victims import defenses, optimizers
from evoshift_tf.victims.optimizers import AdaBound  # also registers the class for loading


def test_train_victim_takes_recipe_and_defense_params(tmp_path, tiny_gray, monkeypatch):
    built, make = [], optimizers.get
    monkeypatch.setattr(optimizers, "get", lambda *a: built.append(make(*a)) or built[-1])
    ds = str(tmp_path / "ds")
    os.makedirs(ds)
    artifacts.save_dataset(ds, tiny_gray)
    artifacts.write_json(os.path.join(ds, artifacts.METADATA),
                    {"type": artifacts.DATASET, "content_hash": artifacts.content_hash(ds)})
    out = str(tmp_path / "model")
    base.run_executor(train_victim.SPEC, {"dataset": ds}, {"model": out},
                      {"epochs": 1, "batch_size": 32, "optimizer": "adabound", "dropout": 0.4,
                       "weight_decay": 0.01, "preprocessing": "median3,gauss2"},
                      work_dir=str(tmp_path / "work"))
    model = keras.saving.load_model(os.path.join(out, "model.keras"))
    kinds = [type(layer) for layer in model.layers]
    assert defenses.MedianFilter in kinds and defenses.GaussianNoise in kinds
    rates = [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert rates == [0.4]
    decays = [layer.kernel_regularizer.get_config()["l2"] for layer in model.layers
              if getattr(layer, "kernel_regularizer", None) is not None]
    assert decays and np.allclose(decays, 0.01)
    assert [type(o) for o in built] == [AdaBound]
    assert np.isfinite(artifacts.read_json(os.path.join(out, "history.json"))[0]["loss"])
