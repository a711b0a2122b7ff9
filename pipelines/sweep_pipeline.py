"""The sweep: one EvoShift search, then a fan-out of victim trainings over a list of recipes
(model x optimizer x ... ; ``dsl.ParallelFor`` on Kubeflow, in order locally), each evaluated,
then one comparison step (table as JSON and Markdown, and a bar chart).

    ingest -> search -> poison -> [train_victim -> evaluate] x recipes -> compare
"""

from __future__ import annotations

from components import compare, evaluate, ingest, poison, search, train_victim
from pipelines.dag import Item, Loop, Node, Pipeline, Ref

DEFAULT_RECIPES = (
    {"name": "graynet-adam", "model": "graynet", "optimizer": "adam", "learning_rate": 1e-3},
    {"name": "graynet-sgd", "model": "graynet", "optimizer": "sgd", "learning_rate": 0.05},
)


def normalize_recipes(recipes) -> tuple[dict, ...]:
    """Every recipe gets a ``name`` and the same keys (defaults of ``train_victim`` filled in,
    as ``dsl.ParallelFor`` needs); unknown keys or bad values fail here, before any work."""
    recipes = [dict(r) for r in recipes]
    if not recipes:
        raise ValueError("a sweep needs at least one recipe")
    keys = sorted({k for r in recipes for k in r} - {"name"})
    for i, r in enumerate(recipes):
        r.setdefault("name", f"recipe{i}")
        spec_params = train_victim.SPEC.resolve_params({k: v for k, v in r.items() if k != "name"})
        for k in keys:
            r.setdefault(k, spec_params[k])
    names = [r["name"] for r in recipes]
    if len(set(names)) != len(names):
        raise ValueError(f"recipe names must be unique, got {names}")
    return tuple(recipes)


def create_sweep_pipeline(dataset: str = "fashion_mnist", data_dir: str = "",
                          recipes=DEFAULT_RECIPES, search_params: dict | None = None,
                          train_params: dict | None = None, num_pixels: int = 1,
                          max_train: int = 0, max_test: int = 0, seed: int = 0) -> Pipeline:
    """Build the sweep DAG.

    Args:
      recipes: dicts of ``train_victim`` parameters plus a ``name`` (the row label).
      train_params: parameters common to every recipe (a recipe's own value wins).
    """
    recipes = normalize_recipes([{**(train_params or {}), **r} for r in recipes])
    data = Ref("ingest", "dataset")
    nodes = (
        Node("ingest", ingest.SPEC, {}, {"dataset": dataset, "data_dir": data_dir,
                                         "max_train": max_train, "max_test": max_test}),
        Node("search", search.SPEC, {"dataset": data},
             {**(search_params or {}), "num_pixels": num_pixels, "seed": seed}),
        Node("poison", poison.SPEC, {"dataset": data, "attack": Ref("search", "attack")}, {}),
        Node("compare", compare.SPEC, {"metrics": Ref("evaluate", "metrics")}, {}),
    )
    keys = [k for k in recipes[0] if k != "name"]
    loop = Loop("recipes", recipes, (
        Node("train_victim", train_victim.SPEC, {"dataset": Ref("poison", "poisoned")},
             {k: Item(k) for k in keys}),
        Node("evaluate", evaluate.SPEC,
             {"model": Ref("train_victim", "model"), "dataset": data,
              "poisoned": Ref("poison", "poisoned"), "attack": Ref("search", "attack")},
             {"arm": Item("name"), "victim_seed": Item("seed") if "seed" in keys else 0}),
    ))
    return Pipeline("evoshift-sweep", nodes, (loop,))
