"""The main job's presets: ``auto`` picks the search budget this machine runs in minutes."""

import pytest
from absl import flags

from evoshift_tf import hardware, presets, search


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


@pytest.mark.parametrize("name", presets.NAMES)
def test_every_preset_is_a_main_job_budget(run, name):
    budget = run.budget_of(name)
    assert {"search", "epochs", "seeds", "max_train", "max_test"} <= set(budget)


def test_the_auto_preset_runs_the_light_search_where_bfloat16_is_emulated(monkeypatch, run_flags):
    monkeypatch.setattr(hardware, "native_bfloat16", lambda *a, **k: False)
    light = _search_params(run_flags())
    assert (light["generations"], light["finalists"], light["selection_per_class"]) == (8, 8, 1000)
    full = _search_params(run_flags("--preset=default"))
    assert (full["generations"], full["finalists"], full["selection_per_class"]) == (20, 16, 2000)
    # a flag still overrides the preset
    assert _search_params(run_flags("--generations=3"))["generations"] == 3


def test_the_auto_preset_is_the_full_search_where_bfloat16_is_native(monkeypatch, run_flags):
    monkeypatch.setattr(hardware, "native_bfloat16", lambda *a, **k: True)
    assert _search_params(run_flags())["generations"] == search.SearchConfig().generations


def test_the_search_precision_is_resolved_once_for_a_local_run(monkeypatch, run_flags):
    monkeypatch.setattr(hardware, "native_bfloat16", lambda *a, **k: False)
    assert _search_params(run_flags())["precision"] == "float32"
    assert _search_params(run_flags("--runner=kubeflow"))["precision"] == "auto"
