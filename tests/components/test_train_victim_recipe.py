import os

import keras
import numpy as np

from components import artifacts, base, train_victim
from evoshift_tf.victims import defenses
from evoshift_tf.victims.optimizers import AdaBound  # noqa: F401  (registers the class for loading)


def test_train_victim_takes_recipe_and_defense_params(tmp_path, tiny_gray):
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
    assert any(isinstance(layer, keras.layers.Dropout) for layer in model.layers)
    assert np.isfinite(artifacts.read_json(os.path.join(out, "history.json"))[0]["loss"])
