"""VictimRecipe: clear errors for a bad recipe, the training config it implies, and one model
for both of its callers (the train_victim component and the studies' runner)."""

import keras
import numpy as np
import pytest

from components import train_victim
from evoshift_tf.models.victim import ModelError
from evoshift_tf.studies import runner
from evoshift_tf.errors import UserError
from evoshift_tf.victims import defenses, training
from evoshift_tf.victims.recipe import VictimRecipe


@pytest.mark.parametrize("params, message", [
    (dict(optimizer="adamw"),
     r"unknown optimizer 'adamw'; known: \['adam', 'sgd', 'rmsprop', 'adabound'\]"),
    (dict(model="resnet9000"), r"unknown model 'resnet9000'; known models: \[.*graynet"),
    (dict(preprocessing=("median7",)), r"preprocessing: unknown defense 'median7'"),
    (dict(preprocessing=("mixup",)), r"'mixup' is not an input layer: use "
                                     r"TrainConfig\(mixing='mixup'\)"),
    (dict(dropout=1.0), r"dropout=1.0 out of range: expected 0 <= dropout < 1"),
    (dict(weight_decay=-0.1), r"weight_decay=-0.1 out of range: expected >= 0"),
    (dict(model_kwargs={"dropout": 0.4}), r"model_kwargs \['dropout'\]: set them as "
                                          r"the recipe's fields"),
    (dict(epochs=0), r"epochs >= 1.*got 0"),
    (dict(mixing="blend"), r"unknown mixing 'blend'"),
    (dict(optimiser="sgd"), r"unknown victim parameter\(s\) \['optimiser'\]; known: .*'optimizer'"),
    (dict(preprocessing=("cropflip", "median3", "cropflip")),
     r"preprocessing names \['cropflip'\] more than once"),
])
def test_a_bad_recipe_is_one_user_error_naming_the_value(params, message):
    with pytest.raises(UserError, match=message):
        VictimRecipe.from_params(**params).validate()


def test_a_tuple_is_expected_for_preprocessing():
    with pytest.raises(UserError, match=r"expected a tuple of defense names, e.g. "
                                        r"\('median3',\)"):
        VictimRecipe(preprocessing="median3").validate()


def test_validate_refuses_regularizers_on_a_users_model(tmp_path):
    path = str(tmp_path / "mine.keras")
    keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Flatten(),
                      keras.layers.Dense(4)]).save(path)
    VictimRecipe(model=path).validate()
    with pytest.raises(ModelError, match=r"dropout=0.4 and weight_decay=0.0 apply to registry "
                                         "models only"):
        VictimRecipe(model=path, dropout=0.4).validate()


def test_train_config_takes_the_optimizers_usual_rate_and_the_seed():
    cfg = VictimRecipe.from_params(optimizer="sgd", momentum=0.9, epochs=3,
                                   mixing="cutmix").train_config(7)
    assert (cfg.optimizer, cfg.step_size, cfg.momentum, cfg.seed) == ("sgd", 1e-2, 0.9, 7)
    assert (cfg.epochs, cfg.batch_size, cfg.mixing) == (3, 128, "cutmix")
    assert VictimRecipe.from_params(learning_rate=0.05).train_config().step_size == 0.05
    assert VictimRecipe.smoke().train_config().batch_size == 32


def test_the_recipe_holds_the_training_config_it_does_not_copy_it():
    """A recipe composes a TrainConfig: its defaults are TrainConfig's, whatever is added there
    reaches every victim."""
    import dataclasses
    recipe_fields = {f.name for f in dataclasses.fields(VictimRecipe)}
    assert not recipe_fields & ({f.name for f in dataclasses.fields(training.TrainConfig)}
                                - {"training"})
    assert VictimRecipe().training == training.TrainConfig()


def test_evoshift_train_and_a_studys_sgd_victim_train_at_the_same_rate():
    """``evoshift train --optimizer=sgd`` (the component's parameter defaults) and a study's SGD
    arm used to train at 1e-3 and 1e-2: both now take the optimizer's usual rate."""
    params = train_victim.SPEC.resolve_params({"optimizer": "sgd"})
    from_cli, _, _ = train_victim.check(params)
    from_study = runner.Setting("sgd", optimizer="sgd").recipe(runner.Budget())
    assert from_cli.train_config().step_size == from_study.train_config().step_size == 1e-2
    adam = train_victim.check(train_victim.SPEC.resolve_params({}))[0]
    assert adam.train_config().step_size == 1e-3


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


def test_augment_before_cropflip_builds_both_augmentations():
    """The defense benchmark's ``augment`` column on a CIFAR-10 victim that already trains with
    crop and flip: both recipes' layers in one model, the column's first."""
    recipe = VictimRecipe(model="colornet", preprocessing=("augment", "cropflip"))
    model = recipe.build((32, 32, 3), 10, seed=0).make_model()
    names = [layer.name for layer in model.layers]
    wanted = ["augment_crop", "augment_flip", "augment_zoom", "random_crop", "random_flip"]
    assert [n for n in names if n in wanted] == wanted
    x = np.random.default_rng(0).uniform(size=(2, 32, 32, 3)).astype(np.float32)
    assert model(x, training=True).shape == (2, 10)


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
