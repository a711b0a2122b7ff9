"""The search (Algorithm 1): ``config`` (what a search is asked and returns), ``strategy``
(ask/tell over ``cma``, the loop), ``checkpoint`` (resume after a crash), ``scorer`` (genomes ->
costs), ``fitness`` (Eq. (6), (7) and Algorithm 1, steps 4-6) and ``population`` (the lambda CNNs
trained together, the hot path).

``from evoshift_tf import search; search.run(dataset, search.SearchConfig())`` is the entry point.
"""

from evoshift_tf.search.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from evoshift_tf.search.config import SearchConfig, SearchResult
from evoshift_tf.search.strategy import (Strategy, generation_equivalents, recombine, run,
                                         search_mean, search_split, seconds_left,
                                         seed_attack_room, starting_attacks)

__all__ = ["CheckpointError", "SearchConfig", "SearchResult", "Strategy",
           "generation_equivalents", "load_checkpoint", "recombine", "run", "save_checkpoint",
           "search_mean", "search_split", "seconds_left", "seed_attack_room", "starting_attacks"]
