"""The search (Algorithm 1): ``strategy`` (ask/tell over ``cma``, checkpoints, the loop),
``scorer`` (genomes -> costs), ``fitness`` (Eq. (6), (7) and Algorithm 1, steps 4-6) and
``population`` (the lambda CNNs trained together, the hot path).

``from evoshift_tf import search; search.run(dataset, search.SearchConfig())`` is the entry point.
"""

from evoshift_tf.search.strategy import (CheckpointError, SearchConfig, SearchResult,
                                         Strategy, generation_equivalents,
                                         load_checkpoint, recombine, run, save_checkpoint,
                                         search_mean, search_split, seconds_left,
                                         seed_attack_room, starting_attacks)

__all__ = ["CheckpointError", "SearchConfig", "SearchResult", "Strategy",
           "generation_equivalents", "load_checkpoint", "recombine",
           "run", "save_checkpoint", "search_mean", "search_split", "seconds_left",
           "seed_attack_room", "starting_attacks"]
