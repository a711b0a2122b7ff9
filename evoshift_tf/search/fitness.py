"""The EvoShift cost that CMA-ES minimises (Sec. V-B, Algorithm 1, steps 4-6).

For candidate j, with a model trained from scratch on the poisoned fit split and measured on the
held-out split of the *training* set (never the test set, Sec. V-C)::

    C_j = C_m + w_d * C_d                                   # Algorithm 1, step 6

    C_m = -S_m,  S_m = mean_heldout CE(x, y) - mean_heldout CE(x + delta_y, y)
                                                             # term="mismatch", Eq. (6)
    C_m = mean_heldout [F(x)_y + sum_{k != y} (1 - F(x)_k)]  # term="score", Algorithm 1, step 4
        = mean_heldout [2 p_y + C - 2]                       #   (softmax sums to 1)
    C_m = clean held-out accuracy                            # term="accuracy"

    C_d = -2 (1 - 2 eps)                                     # Algorithm 1, step 5, Eq. (7)

where eps is the error, on images it was not trained on, of a small discriminator between clean
and poisoned images; ``w_d = 0`` switches the term off. A NaN or failed training gets
``WORST_COST``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from evoshift_tf.errors import UnknownNameError
from evoshift_tf import metrics

if TYPE_CHECKING:  # a type only: the formulas need no trainer (and no TensorFlow)
    from evoshift_tf.search.population import PopulationStats

TERMS = ("score", "mismatch", "accuracy")
POISONED_TERMS = ("mismatch",)  # terms that need held-out stats on poisoned images
WORST_COST = 1.0e3


def semantic_cost(stats: PopulationStats, num_classes: int, term: str = "score") -> np.ndarray:
    """C_m ``[P]`` from held-out stats (see module docstring for each ``term``)."""
    if term == "mismatch":                                   # Eq. (6): C_m = -S_m
        return -(stats.clean_ce - stats.poisoned_ce)
    if term == "score":                                      # Algorithm 1, step 4
        return 2.0 * stats.clean_true_prob + num_classes - 2.0
    if term == "accuracy":
        return np.asarray(stats.clean_accuracy, np.float64)
    raise UnknownNameError(f"unknown fitness term {term!r}; known: {TERMS}")


def domain_cost(discriminator_error: np.ndarray) -> np.ndarray:
    """C_d = -2 (1 - 2 eps) = -d_A in ``[-2, 0]``, ``[P]`` (Algorithm 1, step 5; Eq. (7)).

    eps is capped at 0.5 (chance): a discriminator worse than chance measures nothing, and an
    uncapped eps would make d_A negative and let this stability term outweigh C_m."""
    eps = np.minimum(np.asarray(discriminator_error, np.float64), 0.5)
    return -metrics.proxy_a_distance(eps)


def total_cost(semantic: np.ndarray, domain: np.ndarray | None, domain_weight: float = 1.0
               ) -> np.ndarray:
    """C = C_m + w_d C_d (Algorithm 1, step 6); non-finite costs become ``WORST_COST``."""
    cost = np.asarray(semantic, np.float64).copy()
    if domain is not None and domain_weight:
        cost = cost + domain_weight * np.asarray(domain, np.float64)
    cost[~np.isfinite(cost)] = WORST_COST
    return cost
