"""The main job: the EvoShift pipeline, run locally into a run folder.

    python -m pipelines.run                       # Fashion-MNIST, the budget for this machine
    python -m pipelines.run --preset=default      # the full search budget on any machine
    python -m pipelines.run --preset=smoke        # a minute: tiny subsets, for trying the tools
    python -m pipelines.run --preset=paper        # larger search budget and 30 victim epochs
    python -m pipelines.run --pipeline=sweep --preset=smoke        # one search, victims per recipe
    python -m pipelines.run --runner=kubeflow --output=pipeline.yaml   # compile for Kubeflow

Rerunning the same command reuses finished steps and resumes an interrupted search or training.
"""

from __future__ import annotations

import os

from absl import app, flags, logging

import evoshift_tf
from evoshift_tf import hardware, presets

from pipelines import evoshift_pipeline, local_runner, sweep_pipeline

FLAGS = flags.FLAGS
flags.DEFINE_string("run_root", "runs/fashion_mnist", "run folder: one subfolder per step output")
flags.DEFINE_enum("preset", "auto", [presets.AUTO, *presets.NAMES],
                  "budget: auto (default where the search trains in bfloat16, on a GPU or a CPU "
                  "with native bfloat16; light where it trains in float32 on a CPU, e.g. "
                  "AVX2-only; default for --runner=kubeflow), default (the full search), light "
                  "(8 generations, 8 finalists: about a third of the search), smoke "
                  "(seconds-minutes), paper (hours)")
flags.DEFINE_string("dataset", "fashion_mnist", "dataset name, .npz path, image folder "
                    "(train/<class>/<image>, test/<class>/<image>) or IDX folder")
flags.DEFINE_string("data_dir", "", "IDX folder for fashion_mnist, or tfds data_dir")
flags.DEFINE_integer("num_pixels", 1, "N_p, attack pixels per class (paper: 1, 2, 5, 10)")
flags.DEFINE_integer("victim_seeds", None, "victims per attacked arm (default: preset's)")
flags.DEFINE_integer("victim_epochs", None, "victim training epochs (default: preset's)")
flags.DEFINE_string("victim_model", "graynet", "victim: a model registry name, a .keras file "
                    "(re-initialised and trained from scratch) or module:function returning a "
                    "Keras model (evoshift_tf.models.victim)")
flags.DEFINE_integer("generations", None, "CMA-ES generations (default: preset's)")
flags.DEFINE_integer("population", None, "CMA-ES population lambda (default: preset's)")
flags.DEFINE_integer("per_class", None, "search fit images per class (default: preset's)")
flags.DEFINE_integer("seed", 0, "seed of the search and the random baseline")
flags.DEFINE_string("search_defenses", "", "defenses every search candidate trains through, "
                    "comma-separated victim defense names (median3, jpeg10, augment, cropflip, "
                    "bits4, gray, gauss1-5, ...), mixup, cutmix or none; empty: undefended "
                    "(the paper)")
flags.DEFINE_integer("patch_size", 1, "k: each attack pixel becomes a k x k patch of one value "
                     "(k^2 N_p changed pixels per image); 1: the paper's pixels")
flags.DEFINE_enum("runner", "local", ["local", "kubeflow"],
                  "local: run here into --run_root; kubeflow: compile a pipeline YAML to --output")
flags.DEFINE_enum("pipeline", "main", ["main", "sweep"],
                  "main: EvoShift vs clean vs random; sweep: one search, one victim per recipe")
flags.DEFINE_string("output", "pipeline.yaml", "--runner=kubeflow: the pipeline YAML to write")
flags.DEFINE_string("image", f"evoshift-tf:{evoshift_tf.__version__}", "--runner=kubeflow: the project image "
                    "(built from the Dockerfile) every step runs in")
flags.DEFINE_string("work_root", "", "--runner=kubeflow: a mounted folder for step checkpoints "
                    "(<work_root>/<step>) so a restarted step resumes; empty = pod-local temp")
flags.DEFINE_string("recipes", "", "--pipeline=sweep: JSON list of train_victim parameter dicts "
                    "with a 'name' each (default: GrayNet with Adam and with SGD)")
flags.DEFINE_bool("deterministic", False, "enable TensorFlow op determinism, so that a run "
                  "resumed after a crash ends bit-identical to an uninterrupted one (slower)")
flags.DEFINE_enum("strategy", "default", ["default", "mirrored", "multiworker"],
                  "tf.distribute strategy of victim training")

def _search_overrides(config) -> dict:
    """The fields of a ``SearchConfig`` preset that differ from the defaults (component params)."""
    import dataclasses

    from evoshift_tf.search import SearchConfig
    default = SearchConfig()
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)
            if getattr(config, f.name) != getattr(default, f.name)}


VICTIM_BUDGETS = {"default": dict(epochs=3, seeds=1, max_train=0, max_test=0),
                  "smoke": dict(epochs=1, seeds=1, max_train=3000, max_test=1000),
                  "paper": dict(epochs=30, seeds=3, max_train=0, max_test=0)}
"""The main job's victims and data per preset (``light`` is ``default``'s)."""


def budget_of(name: str) -> dict:
    """The main job's budget of preset ``name`` (:mod:`evoshift_tf.presets`): ``search``, the
    ``SearchConfig.preset`` as overrides of the defaults; victim ``epochs``/``seeds``; data
    ``max_train``/``max_test``."""
    from evoshift_tf.search import SearchConfig
    return {"search": _search_overrides(SearchConfig.preset(name)),
            **presets.pick(name, VICTIM_BUDGETS)}


def _preset_from_flags() -> str:
    """``--preset`` resolved (:func:`evoshift_tf.presets.resolve`), logging why when it was
    ``auto``."""
    preset_name = presets.resolve(FLAGS.preset, compiled=FLAGS.runner == "kubeflow")
    if FLAGS.preset == "auto":
        why = ("compiled for Kubeflow" if FLAGS.runner == "kubeflow" else
               "the search trains in bfloat16 here" if preset_name == "default" else
               "the search trains in float32 on this CPU, about 3x slower")
        logging.info("preset auto -> %s (%s); --preset=default runs the full search anywhere",
                     preset_name, why)
    return preset_name


def build_from_flags(preset_name: str | None = None):
    """The pipeline the flags describe; ``preset_name``: the resolved preset (None: resolve
    ``--preset`` here)."""
    preset = budget_of(preset_name or _preset_from_flags())
    search_params = dict(preset["search"])
    if FLAGS.runner == "local":      # resolved once, here; a compiled pipeline's nodes decide
        search_params["precision"] = hardware.resolve_precision(search_params.get("precision",
                                                                                  "auto"))
    for name in ("generations", "population", "per_class"):
        if getattr(FLAGS, name) is not None:
            search_params[name] = getattr(FLAGS, name)
    if FLAGS.search_defenses:
        search_params["defenses"] = FLAGS.search_defenses
    if FLAGS.patch_size != 1:
        search_params["patch_size"] = FLAGS.patch_size
    epochs = FLAGS.victim_epochs or preset["epochs"]
    train_params = {"epochs": epochs, "model": FLAGS.victim_model, "strategy": FLAGS.strategy}
    if FLAGS.pipeline == "sweep":
        import json
        try:
            recipes = (json.loads(FLAGS.recipes) if FLAGS.recipes
                       else sweep_pipeline.DEFAULT_RECIPES)
        except json.JSONDecodeError as e:
            raise flags.IllegalFlagValueError(
                f"--recipes={FLAGS.recipes!r} is not valid JSON ({e}); expected a list of "
                "train_victim parameter dicts, e.g. '[{\"name\": \"a\", \"model\": "
                "\"graynet\"}]'") from None
        return sweep_pipeline.create_sweep_pipeline(
            dataset=FLAGS.dataset, data_dir=FLAGS.data_dir, recipes=recipes,
            search_params=search_params, train_params=train_params,
            num_pixels=FLAGS.num_pixels, max_train=preset["max_train"],
            max_test=preset["max_test"], seed=FLAGS.seed)
    return evoshift_pipeline.create_pipeline(
        dataset=FLAGS.dataset, data_dir=FLAGS.data_dir, search_params=search_params,
        train_params=train_params,
        victim_seeds=FLAGS.victim_seeds or preset["seeds"], num_pixels=FLAGS.num_pixels,
        max_train=preset["max_train"], max_test=preset["max_test"], seed=FLAGS.seed)


def pipeline_precision(pipeline) -> str | None:
    """The search step's compute precision (resolved once by :func:`build_from_flags`)."""
    nodes = [n for n in pipeline.flat().nodes if n.id == "search"]
    return nodes[0].params.get("precision") if nodes else None


def main(argv):
    del argv
    logging.set_verbosity(logging.INFO)
    if FLAGS.deterministic:
        import tensorflow as tf
        tf.config.experimental.enable_op_determinism()
    preset_name = _preset_from_flags()
    pipeline = build_from_flags(preset_name)
    if FLAGS.runner == "kubeflow":
        from pipelines import kubeflow
        kubeflow.compile_pipeline(pipeline, FLAGS.output, FLAGS.image, FLAGS.work_root)
        print(f"compiled {pipeline.name} ({len(pipeline.flat().nodes)} steps) to "
              f"{os.path.abspath(FLAGS.output)} ({os.path.getsize(FLAGS.output)} bytes), image "
              f"{FLAGS.image}")
        return
    timings = local_runner.run(pipeline, FLAGS.run_root, record={
        "preset": preset_name, "preset_flag": FLAGS.preset, "dataset": FLAGS.dataset,
        "precision": pipeline_precision(pipeline), "machine": hardware.machine(),
        "num_pixels": FLAGS.num_pixels, "seed": FLAGS.seed})
    if FLAGS.pipeline == "sweep":
        out = local_runner.output_dir(FLAGS.run_root, "compare", "report")
        with open(os.path.join(out, "comparison.md")) as f:
            print(f"\nSweep on {FLAGS.dataset}\n{f.read()}\nrun folder:",
                  os.path.abspath(FLAGS.run_root))
        return
    report_dir = local_runner.output_dir(FLAGS.run_root, "report", "report")
    with open(os.path.join(report_dir, "summary.md")) as f:
        table = f.read()
    by_stage = {}
    for t in timings.values():
        by_stage[t["component"]] = by_stage.get(t["component"], 0.0) + t["seconds"]
    print("\nEvoShift on", FLAGS.dataset, f"(N_p = {FLAGS.num_pixels}, preset {preset_name})")
    print(table)
    print("wall time by stage (s):", ", ".join(f"{k} {v:.0f}" for k, v in by_stage.items()),
          f"| total {sum(by_stage.values()):.0f}")
    print("run folder:", os.path.abspath(FLAGS.run_root))
    print("figures:", ", ".join(sorted(f for f in os.listdir(report_dir) if f.endswith(".png"))))


if __name__ == "__main__":
    app.run(main)
