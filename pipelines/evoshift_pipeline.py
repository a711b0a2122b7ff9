"""The EvoShift pipeline: ingest -> search -> poison -> train-victim -> evaluate -> report, with
the clean-trained and random-placement references beside it. ``create_pipeline`` is the one
DAG that every runner uses."""

from __future__ import annotations

from components import (baseline, evaluate, ingest, poison, report, search,  # noqa: F401
                        train_victim)
from pipelines.dag import Node, Pipeline, Ref


def create_pipeline(dataset: str = "fashion_mnist", data_dir: str = "",
                    search_params: dict | None = None, train_params: dict | None = None,
                    victim_seeds: int = 3, num_pixels: int = 1, max_train: int = 0,
                    max_test: int = 0, poison_params: dict | None = None,
                    evaluate_params: dict | None = None, seed: int = 0) -> Pipeline:
    """Build the DAG.

    Args:
      dataset, data_dir: the data source (see ``components.ingest``).
      search_params: overrides of ``SearchConfig`` (``num_pixels`` and ``seed`` are set here).
      train_params: victim recipe (``components.train_victim`` parameters); seeds are set here.
      victim_seeds: victims per attacked arm (EvoShift, random), seeds 0..n-1; one clean victim.
      num_pixels: N_p for the search and the random baseline (which places the search's
        ``patch_size`` squares too: the same L0 budget).
      max_train, max_test: keep only the first images (0 = all), for quick runs.
    """
    search_params = {**(search_params or {}), "num_pixels": num_pixels, "seed": seed}
    train_params = dict(train_params or {})
    evaluate_params = dict(evaluate_params or {})
    data = Ref("ingest", "dataset")
    nodes = [
        Node("ingest", ingest.SPEC, {}, {"dataset": dataset, "data_dir": data_dir,
                                         "max_train": max_train, "max_test": max_test}),
        Node("search", search.SPEC, {"dataset": data}, search_params),
        Node("random", baseline.SPEC, {"dataset": data},
             {"method": "random", "num_pixels": num_pixels, "seed": seed,
              "patch_size": search_params.get("patch_size", 1)}),
    ]
    metrics = []
    arms = [("clean", None, [0]), ("evoshift", Ref("search", "attack"), range(victim_seeds)),
            ("random", Ref("random", "attack"), range(victim_seeds))]
    for arm, attack_ref, seeds in arms:
        train_data = data
        if attack_ref is not None:
            nodes.append(Node(f"poison_{arm}", poison.SPEC, {"dataset": data, "attack": attack_ref},
                              dict(poison_params or {})))
            train_data = Ref(f"poison_{arm}", "poisoned")
        for s in seeds:
            victim = f"train_{arm}_s{s}"
            nodes.append(Node(victim, train_victim.SPEC, {"dataset": train_data},
                              {**train_params, "seed": s}))
            ev_inputs = {"model": Ref(victim, "model"), "dataset": data,
                         "poisoned": train_data}
            if attack_ref is not None:
                ev_inputs["attack"] = attack_ref
            nodes.append(Node(f"evaluate_{arm}_s{s}", evaluate.SPEC, ev_inputs,
                              {**evaluate_params, "arm": arm, "victim_seed": s}))
            metrics.append(Ref(f"evaluate_{arm}_s{s}", "metrics"))
    nodes.append(Node("report", report.SPEC,
                      {"metrics": metrics, "dataset": data, "attack": Ref("search", "attack"),
                       "history": Ref("search", "history")}, {}))
    return Pipeline("evoshift", tuple(nodes))
