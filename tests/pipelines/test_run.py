"""The main job's presets: ``auto`` picks the search budget this machine runs in minutes."""

import pytest
from absl import flags

from evoshift_tf import search


@pytest.fixture
def run():
    """``pipelines.run``, imported inside the tests: at collection its absl flags would be
    defined in every test process, also where a study script defines the same names."""
    from pipelines import run as module
    return module


@pytest.fixture
def run_flags(run):
    def parse(*args):
        flags.FLAGS(["run", *args])
        return run.build_from_flags()
    yield parse
    flags.FLAGS.unparse_flags()


def _search_params(pipeline):
    """The search step's parameters with the component's defaults filled in."""
    (node,) = [n for n in pipeline.flat().nodes if n.id == "search"]
    return {**{k: p.default for k, p in node.component.parameters.items()}, **node.params}


@pytest.mark.parametrize("machine_budget", search.BUDGETS)
def test_auto_is_this_machines_budget_and_default_for_kubeflow(monkeypatch, machine_budget, run):
    assert machine_budget in run._presets()          # every budget auto can pick is a preset
    monkeypatch.setattr(search, "budget_for_this_machine", lambda: machine_budget)
    assert run.resolve_preset("auto") == machine_budget
    assert run.resolve_preset("auto", "kubeflow") == "default"
    assert run.resolve_preset("smoke") == "smoke"


def test_the_auto_preset_runs_the_light_search_where_the_budget_is_light(monkeypatch, run_flags):
    monkeypatch.setattr(search, "budget_for_this_machine", lambda: "light")
    light = _search_params(run_flags())
    assert (light["generations"], light["finalists"], light["selection_per_class"]) == (8, 8, 1000)
    full = _search_params(run_flags("--preset=default"))
    assert (full["generations"], full["finalists"], full["selection_per_class"]) == (20, 16, 2000)
    # a flag still overrides the preset
    assert _search_params(run_flags("--generations=3"))["generations"] == 3


def test_the_auto_preset_is_the_full_search_where_it_trains_in_bfloat16(monkeypatch, run_flags):
    monkeypatch.setattr(search, "budget_for_this_machine", lambda: "default")
    assert _search_params(run_flags())["generations"] == search.SearchConfig().generations
