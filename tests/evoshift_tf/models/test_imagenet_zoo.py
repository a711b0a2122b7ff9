"""Fig. 14 victims: ResNet-50/101 (keras.applications) and DenseNet-161 (built here)."""

import numpy as np
import pytest

from evoshift_tf import models
from evoshift_tf.models import imagenet_zoo


def test_small_densenet_builds_and_predicts_gray():
    m = imagenet_zoo.densenet((32, 32, 1), 5, blocks=(2, 2), growth=4)
    out = m(np.zeros((2, 32, 32, 1), np.float32))
    assert out.shape == (2, 5)
    # stem 2k filters, then 2 layers of growth k, transition halves: 8 + 8 = 16 -> 8, + 8 = 16
    assert m.get_layer("final_bn").input.shape[-1] == 16


@pytest.mark.slow
def test_densenet161_has_the_published_size():
    m = models.get("densenet161", (224, 224, 3), 1000)
    # torchvision densenet161: 28,681,000 parameters (growth 48, blocks 6-12-36-24); Keras also
    # counts BatchNorm moving statistics, which torch keeps as buffers: compare trainables
    trainable = sum(int(np.prod(w.shape)) for w in m.trainable_weights)
    assert trainable == 28_681_000


@pytest.mark.slow
@pytest.mark.parametrize("name,params", [("resnet50", 23_587_712), ("resnet101", 42_658_176)])
def test_resnets_from_keras_applications(name, params):
    m = models.get(name, (64, 64, 3), 10)
    backbone = params                 # keras.applications backbone without top (3 channels)
    assert m.count_params() == backbone + 2048 * 10 + 10
    assert m(np.zeros((1, 64, 64, 3), np.float32)).shape == (1, 10)


def test_registry_lists_the_new_models():
    for name in ("vaegan", "resnet50", "resnet101", "densenet161"):
        assert name in models.names()


def test_small_densenet_takes_head_dropout_and_preprocessing():
    from evoshift_tf.victims import defenses
    m = imagenet_zoo.densenet((32, 32, 1), 5, blocks=(2, 2), growth=4, dropout=0.5,
                              preprocessing=defenses.get("median3", (32, 32, 1)))
    assert m.get_layer("dropout").rate == 0.5
    assert any(isinstance(layer, defenses.MedianFilter) for layer in m.layers)
    with pytest.raises(ValueError, match="densenet161.*takes no weight decay"):
        models.get("densenet161", (32, 32, 3), 5, weight_decay=0.01)


@pytest.mark.slow
def test_recipe_builds_the_keras_applications_victims():
    from evoshift_tf.victims import defenses
    from evoshift_tf.victims.recipe import VictimRecipe
    plain = VictimRecipe("resnet50").build((32, 32, 3), 5).make_model()
    assert plain.count_params() == models.get("resnet50", (32, 32, 3), 5).count_params()
    m = VictimRecipe("resnet50", dropout=0.3, preprocessing=("median3",)).build(
        (32, 32, 3), 5).make_model()
    assert m.get_layer("dropout").rate == 0.3 and m.output.shape[1:] == (5,)
    assert any(isinstance(layer, defenses.MedianFilter) for layer in m.layers)
    with pytest.raises(ValueError, match="resnet101.*takes no weight decay"):
        VictimRecipe("resnet101", weight_decay=0.01).build((32, 32, 3), 5).make_model()
