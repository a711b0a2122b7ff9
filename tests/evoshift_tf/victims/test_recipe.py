"""VictimRecipe: clear errors for a bad recipe, the training config it implies, and one model
for both of its callers (the train_victim component and the studies' runner)."""

import keras
import numpy as np
import pytest

from components import train_victim
from evoshift_tf.models.victim import ModelError
from evoshift_tf.studies import runner
from evoshift_tf.victims import defenses
from evoshift_tf.victims.recipe import VictimRecipe


@pytest.mark.parametrize("recipe, message", [
    (VictimRecipe(optimizer="adamw"),
     r"unknown optimizer 'adamw'; known: \['adam', 'sgd', 'rmsprop', 'adabound'\]"),
    (VictimRecipe(model="resnet9000"), r"unknown model 'resnet9000'; known models: \[.*graynet"),
    (VictimRecipe(preprocessing=("median7",)), r"preprocessing: unknown defense 'median7'"),
    (VictimRecipe(preprocessing="median3"), r"expected a tuple of defense names, e.g. "
                                            r"\('median3',\)"),
    (VictimRecipe(preprocessing=("mixup",)), r"'mixup' is not an input layer: use "
                                             r"TrainConfig\(mixing='mixup'\)"),
    (VictimRecipe(dropout=1.0), r"dropout=1.0 out of range: expected 0 <= dropout < 1"),
    (VictimRecipe(weight_decay=-0.1), r"weight_decay=-0.1 out of range: expected >= 0"),
    (VictimRecipe(model_kwargs={"dropout": 0.4}), r"model_kwargs \['dropout'\]: set them as "
                                                  r"the recipe's fields"),
    (VictimRecipe(epochs=0), r"epochs >= 1.*got 0"),
    (VictimRecipe(mixing="blend"), r"unknown mixing 'blend'"),
])
def test_validate_names_the_bad_value(recipe, message):
    with pytest.raises(ValueError, match=message):
        recipe.validate()


def test_validate_refuses_regularizers_on_a_users_model(tmp_path):
    path = str(tmp_path / "mine.keras")
    keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Flatten(),
                      keras.layers.Dense(4)]).save(path)
    VictimRecipe(model=path).validate()
    with pytest.raises(ModelError, match=r"dropout=0.4 and weight_decay=0.0 apply to registry "
                                         "models only"):
        VictimRecipe(model=path, dropout=0.4).validate()


def test_train_config_takes_the_optimizers_usual_rate_and_the_seed():
    cfg = VictimRecipe(optimizer="sgd", momentum=0.9, epochs=3, mixing="cutmix").train_config(7)
    assert (cfg.optimizer, cfg.learning_rate, cfg.momentum, cfg.seed) == ("sgd", 1e-2, 0.9, 7)
    assert (cfg.epochs, cfg.batch_size, cfg.mixing) == (3, 128, "cutmix")
    assert VictimRecipe(learning_rate=0.05).train_config().learning_rate == 0.05
    assert VictimRecipe.smoke().train_config().batch_size == 32


def test_every_training_setting_is_a_recipe_field_with_the_same_default():
    """The recipe is flat (its fields are the train_victim component's parameters) and fills
    TrainConfig by field name: a training setting added there without a recipe field would be
    silently stuck at its default."""
    import dataclasses
    from evoshift_tf.victims import training
    recipe = {f.name: f.default for f in dataclasses.fields(VictimRecipe)}
    for f in dataclasses.fields(training.TrainConfig):
        if f.name in ("seed", "learning_rate"):          # build()'s argument; per optimizer
            continue
        assert f.name in recipe, f"TrainConfig.{f.name} has no VictimRecipe field"
        if f.name not in ("epochs", "batch_size"):       # the recipe's paper-style budget
            assert recipe[f.name] == f.default, f.name


def test_build_makes_the_model_of_the_recipe(tiny_gray):
    info = tiny_gray.info
    recipe = VictimRecipe(model="vib", model_kwargs={"beta": 0.02}, weight_decay=0.01,
                          preprocessing=("median3", "gauss2"))
    victim = recipe.build(info.image_shape, info.num_classes, seed=5)
    assert victim.config.seed == 5
    model = victim.make_model()
    assert model.name == "vib" and model.output.shape[1:] == (info.num_classes,)
    assert model.get_layer("bottleneck").beta == 0.02
    kinds = {type(layer) for layer in model.layers}
    assert {defenses.MedianFilter, defenses.GaussianNoise} <= kinds


def test_component_and_studies_build_the_same_victim_from_one_recipe(tiny_gray):
    info = tiny_gray.info
    params = train_victim.SPEC.resolve_params(
        {"model": "graynet", "dropout": 0.4, "preprocessing": "median3,bits4",
         "optimizer": "sgd", "learning_rate": 0.01, "momentum": 0.9, "epochs": 2,
         "batch_size": 32, "mixing": "mixup", "seed": 3})
    from_component, strategy, seed = train_victim.check(params)
    setting = runner.Setting("sgd", model="graynet", model_kwargs={"dropout": 0.4},
                             preprocessing=("median3", "bits4"), optimizer="sgd",
                             learning_rate=0.01, momentum=0.9, train_options={"mixing": "mixup"})
    from_study = setting.recipe(runner.Budget(epochs=2, batch_size=32))
    assert from_component == from_study and (strategy, seed) == ("default", 3)
    a = from_component.build(info.image_shape, info.num_classes, seed, seed_defenses=False)
    b = from_study.build(info.image_shape, info.num_classes, seed)
    assert a.config == b.config
    keras.utils.set_random_seed(seed)
    ma = a.make_model()
    keras.utils.set_random_seed(seed)
    mb = b.make_model()
    assert [type(x) for x in ma.layers] == [type(x) for x in mb.layers]
    for wa, wb in zip(ma.get_weights(), mb.get_weights()):
        np.testing.assert_array_equal(wa, wb)
