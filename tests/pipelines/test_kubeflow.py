"""The Kubeflow path: the one DAG compiles to a pipeline YAML that kfp loads back, naming every
component, parameter and artifact and the sweep's fan-out; the compiled sweep runs end to end
with kfp.local.SubprocessRunner (slow)."""

import json
import os

import pytest
import yaml
from kfp import components as kfp_components

from components import artifacts, base, compare, evaluate, ingest, poison, train_victim
from evoshift_tf import data
from pipelines import evoshift_pipeline, kubeflow, sweep_pipeline
from pipelines.dag import Item, Loop, Node, Pipeline, Ref

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY_SEARCH = dict(population=2, generations=1, per_class=10, holdout_per_class=5,
                   discriminator_images=20, discriminator_epochs=1, batch_size=16, epochs=1,
                   monitor_per_class=0)
RECIPES = [{"name": "adam", "optimizer": "adam"},
           {"name": "sgd", "optimizer": "sgd", "learning_rate": 0.05}]


def _compile(pipeline, tmp_path, name="p.yaml", **kw):
    path = str(tmp_path / name)
    kubeflow.compile_pipeline(pipeline, path, image="registry.example/evoshift-tf:test", **kw)
    return path, yaml.safe_load(open(path))


def _all_tasks(doc):
    """taskInfo names of every task, loops included."""
    names = []
    for comp in [doc["root"]] + list(doc["components"].values()):
        for t in comp.get("dag", {}).get("tasks", {}).values():
            names.append(t["taskInfo"]["name"])
    return names


def test_main_pipeline_compiles_and_names_every_step_parameter_and_artifact(tmp_path):
    p = evoshift_pipeline.create_pipeline(victim_seeds=2, search_params={"generations": 3})
    path, doc = _compile(p, tmp_path)
    loaded = kfp_components.load_component_from_file(path)       # kfp reads it back
    assert loaded.pipeline_spec.pipeline_info.name == "evoshift"
    # one task per node, named after it
    assert sorted(n.id for n in p.nodes) == sorted(_all_tasks(doc))
    comps = doc["components"]
    by_id = {t["taskInfo"]["name"]: t for t in doc["root"]["dag"]["tasks"].values()}
    for node in p.nodes:
        spec = node.component
        comp = comps[by_id[node.id]["componentRef"]["name"]]
        params = comp["inputDefinitions"]["parameters"]
        assert len(params) == len(spec.parameters) + 1          # + work_dir
        for name in spec.parameters:
            assert name in params or name + "_param" in params, (node.id, name)
        outs = comp["outputDefinitions"]["artifacts"]
        assert sorted(outs) == sorted(kubeflow.output_arg(spec, o) for o in spec.outputs)
        ins = comp["inputDefinitions"].get("artifacts", {})
        wired = {k for k, v in node.inputs.items() if not isinstance(v, list)}
        assert wired <= set(ins), (node.id, wired, set(ins))
    # constants set by create_pipeline are in the task spec
    search_task = doc["root"]["dag"]["tasks"]["search"]
    assert search_task["inputs"]["parameters"]["generations"]["runtimeValue"]["constant"] == 3
    # the report gets all 5 victims' metrics (1 clean + 2 evoshift + 2 random)
    report = next(t for t in doc["root"]["dag"]["tasks"].values()
                  if t["taskInfo"]["name"] == "report")
    assert len([k for k in report["inputs"]["artifacts"] if k.startswith("metrics_")]) == 5
    # every executor runs in the project image and calls the component's executor
    for name, ex in doc["deploymentSpec"]["executors"].items():
        c = ex["container"]
        assert c["image"] == "registry.example/evoshift-tf:test"
        body = "\n".join(c["command"])
        assert "base.run_executor(stage.SPEC" in body and "pip install" not in body
    assert any("from components import train_victim as stage" in "\n".join(
        e["container"]["command"]) for e in doc["deploymentSpec"]["executors"].values())
    print(f"compiled main pipeline: {os.path.getsize(path)} bytes, components "
          f"{sorted(comps)}")


def test_sweep_compiles_to_a_parallel_for_and_a_collected_list(tmp_path):
    p = sweep_pipeline.create_sweep_pipeline(recipes=RECIPES + [
        {"name": "adam-5ep", "optimizer": "adam", "epochs": 5}])
    path, doc = _compile(p, tmp_path, work_root="/mnt/work")
    kfp_components.load_component_from_file(path)
    loops = {k: c for k, c in doc["root"]["dag"]["tasks"].items() if "parameterIterator" in c}
    assert len(loops) == 1
    items = json.loads(next(iter(loops.values()))["parameterIterator"]["items"]["raw"])
    assert [i["item_name"] for i in items] == ["adam", "sgd", "adam-5ep"]
    # every item has every key (kfp needs that), the train_victim default filled in (0: the
    # optimizer's usual rate, resolved by TrainConfig.step_size)
    assert [i["item_learning_rate"] for i in items] == ["0.0", "0.05", "0.0"]
    loop_comp = doc["components"]["comp-" + next(iter(loops))]
    assert sorted(t["taskInfo"]["name"] for t in loop_comp["dag"]["tasks"].values()) == \
        ["evaluate", "train_victim"]
    compare_in = doc["components"]["comp-compare"]["inputDefinitions"]["artifacts"]["metrics"]
    assert compare_in["isArtifactList"] is True
    tv = loop_comp["dag"]["tasks"]["train-victim"]["inputs"]["parameters"]
    assert tv["work_dir"]["runtimeValue"]["constant"] == "/mnt/work/train_victim"
    assert "parameterExpressionSelector" in json.dumps(tv["optimizer"])


def test_component_source_renames_clashing_names():
    src = kubeflow.component_source(ingest.SPEC, {})
    assert "dataset_param: str = 'fashion_mnist'" in src and "dataset: Output[Dataset]" in src
    src = kubeflow.component_source(poison.SPEC, {"dataset": None, "attack": None})
    assert "poisoned: Output[Dataset]" in src and "'poisoned': poisoned.path" in src
    clash = base.ComponentSpec("clash", {"data": artifacts.DATASET}, {"data": artifacts.DATASET},
                               {}, poison.execute)
    src = kubeflow.component_source(clash, {"data": None})
    assert "data_out: Output[Dataset]" in src and "'data': data_out.path" in src
    src = kubeflow.component_source(compare.SPEC, {"metrics": kubeflow.COLLECTED})
    assert "metrics: Input[List[Artifact]]" in src
    with pytest.raises(ValueError, match="required input 'dataset'"):
        kubeflow.component_source(evaluate.SPEC, {"model": None})


def test_loop_expands_locally_in_item_order():
    loop = Loop("l", ({"opt": "adam"}, {"opt": "sgd"}), (
        Node("train", train_victim.SPEC, {"dataset": Ref("ingest", "dataset")},
             {"optimizer": Item("opt")}),))
    p = Pipeline("x", (Node("ingest", ingest.SPEC, {}, {}),
                       Node("compare", compare.SPEC, {"metrics": Ref("train", "model")}, {})),
                 (loop,))
    flat = p.flat()
    assert [n.id for n in flat.nodes] == ["ingest", "compare", "train-0", "train-1"]
    assert [flat.node(f"train-{i}").params["optimizer"] for i in (0, 1)] == ["adam", "sgd"]
    assert flat.node("compare").inputs["metrics"] == [Ref("train-0", "model"),
                                                      Ref("train-1", "model")]
    with pytest.raises(ValueError, match="item key 'lr'"):
        Loop("l", ({"opt": "adam"},), (Node("t", train_victim.SPEC, {}, {"seed": Item("lr")}),))
    with pytest.raises(ValueError, match="same keys"):
        Loop("l", ({"opt": "adam"}, {"lr": 1}), ())


def test_sweep_rejects_a_bad_recipe_before_anything_runs():
    with pytest.raises(ValueError, match="unknown model 'resnet9000'.*known models"):
        sweep_pipeline.create_sweep_pipeline(recipes=[{"name": "x", "model": "resnet9000"}])
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'"):
        sweep_pipeline.create_sweep_pipeline(recipes=[{"optimizer": "adamw"}])
    with pytest.raises(ValueError, match="unknown parameter.*'lr'"):
        sweep_pipeline.create_sweep_pipeline(recipes=[{"lr": 0.1}])


def test_run_cli_compiles_with_runner_kubeflow(tmp_path, capsys):
    from absl import flags
    from pipelines import run
    out = tmp_path / "pipeline.yaml"
    flags.FLAGS(["run", "--runner=kubeflow", f"--output={out}", "--pipeline=sweep",
                 "--preset=smoke", "--image=img:1"])
    try:
        run.main([])
    finally:
        flags.FLAGS.unparse_flags()
    assert "compiled evoshift-sweep (8 steps)" in capsys.readouterr().out
    doc = kfp_components.load_component_from_file(str(out))
    assert doc.pipeline_spec.deployment_spec["executors"]["exec-search"]["container"][
        "image"] == "img:1"


@pytest.mark.slow
def test_compiled_sweep_runs_end_to_end_with_kfp_local(tmp_path):
    npz = str(tmp_path / "tiny.npz")
    data.save_npz(npz, data.make_synthetic(num_classes=4, per_class=40, image_shape=(12, 12, 1),
                                           seed=0))
    p = sweep_pipeline.create_sweep_pipeline(dataset=npz, recipes=RECIPES,
                                             search_params=TINY_SEARCH,
                                             train_params={"epochs": 1, "batch_size": 16})
    path, _ = _compile(p, tmp_path)
    root = tmp_path / "root"
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = REPO + (os.pathsep + env_path if env_path else "")
    try:
        kubeflow.run_compiled_locally(path, str(root))
    finally:
        os.environ["PYTHONPATH"] = env_path
    (run_dir,) = list(root.iterdir())
    table = json.load(open(run_dir / "compare" / "report" / "comparison.json"))
    assert [r["arm"] for r in table["recipes"]] == ["adam", "sgd"]
    assert all(0.0 <= r["clean_test_accuracy_mean"] <= 1.0 for r in table["recipes"])
    assert (run_dir / "compare" / "report" / "comparison.png").stat().st_size > 1000
    # every artifact the steps wrote is whole: metadata with a matching content hash
    metas = [d for d, _, files in os.walk(run_dir) if artifacts.METADATA in files]
    assert len(metas) >= 9
    assert all(artifacts.is_complete(d) for d in metas)
    model_dir = run_dir / "for-loop-2-iteration-0" / "train-victim" / "model"
    assert (model_dir / "model.keras").exists() and (model_dir / "saved_model").is_dir()
