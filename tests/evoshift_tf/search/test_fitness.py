import numpy as np
import pytest

from evoshift_tf import attack
from evoshift_tf.search import fitness
from evoshift_tf.search.scorer import EvaluatorConfig, PopulationEvaluator
from evoshift_tf.search.population import PopulationStats


def _stats(**kw):
    base = dict(clean_ce=np.array([2.0, 0.5]), poisoned_ce=np.array([0.1, 0.5]),
                clean_accuracy=np.array([0.2, 0.9]), poisoned_accuracy=np.array([1.0, 0.9]),
                clean_true_prob=np.array([0.25, 0.75]))
    base.update(kw)
    return PopulationStats(**base)


def test_formulas_as_documented():
    s = _stats()
    # Eq. (6): C_m = -(clean CE - poisoned CE)
    assert fitness.semantic_cost(s, 10, "mismatch") == pytest.approx([-1.9, 0.0])
    # Algorithm 1 step 4: p_y + sum_{k != y}(1 - p_k) = 2 p_y + C - 2
    assert fitness.semantic_cost(s, 10, "score") == pytest.approx([8.5, 9.5])
    assert fitness.semantic_cost(s, 10, "accuracy") == pytest.approx([0.2, 0.9])
    # Alg. 1 step 5: C_d = -2 (1 - 2 eps)
    assert fitness.domain_cost(np.array([0.5, 0.0])) == pytest.approx([0.0, -2.0])
    total = fitness.total_cost(np.array([1.0, np.nan]), np.array([-2.0, 0.0]), 0.5)
    assert total.tolist() == [0.0, fitness.WORST_COST]
    with pytest.raises(ValueError, match="known"):
        fitness.semantic_cost(s, 10, "nope")


@pytest.mark.parametrize("term", ["mismatch", "score"])
def test_a_strong_shortcut_costs_less_than_an_invisible_one(tiny_gray, term):
    """A bright pixel on the dark corner is a shortcut the CNN learns, which hurts clean
    held-out accuracy; writing the background value there changes nothing. Sign known."""
    info = tiny_gray.info
    c, shape = info.num_classes, info.image_shape
    corners = np.array([[[0, 0]], [[0, 11]], [[11, 0]], [[11, 11]]])
    strong = attack.PixelAttack(corners, np.full((c, 1, 1), 255), shape)
    invisible = attack.PixelAttack(corners, np.zeros((c, 1, 1)), shape)
    fit, held = tiny_gray.train, tiny_gray.test
    ev = PopulationEvaluator(fit, held, info, 2, EvaluatorConfig(
        term=term, epochs=8, batch_size=16, domain_weight=1.0, discriminator_images=128))
    result = ev(np.stack([attack.encode(strong), attack.encode(invisible)]), generation=0)
    assert result.costs[0] < result.costs[1]
    if term == "mismatch":  # the only term that pays for held-out stats on poisoned images
        assert result.stats.poisoned_accuracy[0] > result.stats.clean_accuracy[0]
    else:
        assert np.isnan(result.stats.poisoned_accuracy).all()
    assert result.domain[0] < result.domain[1]  # the discriminator sees the bright pixel
