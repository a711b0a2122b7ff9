"""The one helper of the study scripts: their shared flags, where their EvoShift attacks come
from, and how they write results.

Budget studies (``table4``, ``partial``, ``regularizers``, ``optimizers``, ``transfer``,
``median``, ``noise``, ``baselines``, ``defenses``) call :func:`define_study_flags`::

    python -m studies.<name> [--preset smoke|default|paper] [--repeats 3] [--train_images N]
        [--epochs E] [--attack a1.json,a5.json] [--out runs/studies] [--dataset fashion_mnist]

(:func:`single_attack_main` defines them for a one-attack study), and print the study's markdown
table and write ``<out>/<study>.json`` and ``<out>/<study>.png`` (:func:`finish`). Single-victim
studies (``gradcam_background``, ``loss_surface``) call :func:`define_single_victim_flags`,
studies over several N_p with their own output root (``vaegan_attack``, ``cross_dataset``)
:func:`define_attacks_flags`; ``svf_transfer`` defines its own.

Every EvoShift attack comes from one source (:func:`attacks`, over
:func:`evoshift_tf.studies.attacks.evoshift_attacks`): the ``--attack`` files, else the strength
committed reference attack for the dataset, N_p and seed (``evoshift_tf/reference_attacks/``),
else the default search, run once and cached under ``<out or workdir>/attacks/`` (keyed by
dataset, shape, N_p, seed and search config).
"""

from __future__ import annotations

import dataclasses
import os

from absl import flags, logging

from evoshift_tf import presets

FLAGS = flags.FLAGS

BUDGET_FLAGS = ("repeats", "train_images", "test_images", "epochs", "seed", "batch_size")
"""Flags that override a :class:`evoshift_tf.studies.runner.Budget` field of the same name."""


def define_study_flags(flag_values: flags.FlagValues = FLAGS) -> None:
    """The flags every budget study shares (``docs/studies.md``, "Common flags")."""
    fv = {"flag_values": flag_values}
    flags.DEFINE_string("dataset", "fashion_mnist", "dataset name or .npz path "
                        "(evoshift_tf.data.load)", **fv)
    flags.DEFINE_enum("preset", "default", list(presets.NAMES), "budget preset "
                      "(evoshift_tf.presets, evoshift_tf.studies.runner.Budget): default = 10k "
                      "images, 3 epochs; light = default; smoke = seconds; "
                      "paper = full data, 30 epochs", **fv)
    flags.DEFINE_integer("repeats", None, "seeds per setting (default: the preset's, 3)", **fv)
    flags.DEFINE_integer("train_images", None, "class-balanced training subset (0 = all)", **fv)
    flags.DEFINE_integer("test_images", None, "class-balanced test subset (0 = all)", **fv)
    flags.DEFINE_integer("epochs", None, "training epochs per victim", **fv)
    flags.DEFINE_integer("seed", None, "first seed", **fv)
    flags.DEFINE_integer("batch_size", None, "training batch size (default 128)", **fv)
    flags.DEFINE_list("attack", [], "EvoShift attack JSON files (matched to N_p by their "
                      "num_pixels)", **fv)
    flags.DEFINE_string("out", "runs/studies", "output folder for JSON, PNG and cached attacks",
                        **fv)


def define_single_victim_flags(train_images: int = 20000) -> None:
    """The flags of a study that trains one victim on one EvoShift attack: ``--dataset``,
    ``--attack``, ``--num_pixels``, ``--model``, ``--train_images``."""
    flags.DEFINE_string("dataset", "fashion_mnist", "dataset")
    flags.DEFINE_string("attack", None, "EvoShift attack JSON (default: the one attack source)")
    flags.DEFINE_integer("num_pixels", 1, "N_p of the attack")
    flags.DEFINE_string("model", "graynet", "victim")
    flags.DEFINE_integer("train_images", train_images, "class-balanced training subset (0 = all)")


def define_attacks_flags(num_pixels: list[str]) -> None:
    """The flags of a study over several N_p with its own output root: ``--attack`` (one JSON
    per N_p, repeatable), ``--num_pixels`` (default ``num_pixels``), ``--workdir``."""
    flags.DEFINE_multi_string("attack", [], "EvoShift attack JSON, one per N_p (repeatable); a "
                              "missing N_p comes from the one attack source")
    flags.DEFINE_list("num_pixels", num_pixels, "N_p values")
    flags.DEFINE_string("workdir", "runs", "output root")


def budget(default=None):
    """The ``--preset`` budget with the flags' overrides; ``default`` (a Budget factory taking
    the overrides) replaces the preset when ``--preset`` is not on the command line."""
    from evoshift_tf.studies import runner
    over = {k: getattr(FLAGS, k) for k in BUDGET_FLAGS if getattr(FLAGS, k) is not None}
    if default is None or FLAGS["preset"].present:
        return runner.Budget.preset(FLAGS.preset, **over)
    return default(**over)


def attacks(dataset, num_pixels, paths=(), root: str = "runs", seed: int = 0) -> dict:
    """``{N_p: PixelAttack}`` for every N_p in ``num_pixels`` from the one attack source:
    ``paths`` (matched to N_p by their ``num_pixels``), the committed reference attacks, the
    cache under ``<root>/attacks``, else a search cached there."""
    from evoshift_tf.studies import attacks as attacks_lib
    return attacks_lib.evoshift_attacks(dataset, num_pixels, paths,
                                        cache_dir=os.path.join(root, "attacks"),
                                        attack_dir=attacks_lib.REFERENCE_DIR, seed=seed)


def attack(dataset, num_pixels: int, path: str | None = None, root: str = "runs",
           seed: int = 0):
    """The one attack with ``num_pixels``: the file ``path`` if given, else :func:`attacks`'."""
    return attacks(dataset, [num_pixels], [path] if path else (), root, seed)[num_pixels]


def load_dataset():
    from evoshift_tf import data
    return data.load(FLAGS.dataset)


def finish(result: dict) -> None:
    """Write a budget study's JSON and PNG into ``--out`` and print its table."""
    from evoshift_tf.studies import output
    json_path, png_path = output.save(result, FLAGS.out)
    used = result.get("budget") or dataclasses.asdict(budget())
    print(f"\n## {result['study']} ({FLAGS.dataset}, {used})\n")
    print(result["table"])
    print(f"\nwrote {json_path} and {png_path}")
    logging.info("done: %s", json_path)


def single_attack_main(study: str, **run_kwargs):
    """Define the study flags and ``--num_pixels`` (default 1), and return the ``main`` of a
    study whose ``evoshift_tf.studies.<study>.run(dataset, budget, attack, **kwargs)`` takes one
    attack, the EvoShift attack with N_p = ``--num_pixels``. ``run_kwargs`` values may be
    callables, called at run time (after flags are parsed)."""
    define_study_flags()
    flags.DEFINE_integer("num_pixels", 1, "N_p")

    def main(argv):
        del argv
        import importlib
        module = importlib.import_module(f"evoshift_tf.studies.{study}")
        ds = load_dataset()
        n = FLAGS.num_pixels
        kwargs = {k: v() if callable(v) else v for k, v in run_kwargs.items()}
        finish(module.run(ds, budget(), attacks(ds, [n], FLAGS.attack, FLAGS.out)[n], **kwargs))
    return main


def print_table(rows: list[dict], columns: list[str], title: str = "") -> str:
    """:func:`evoshift_tf.summary.text_table` of ``rows``, printed and returned."""
    from evoshift_tf import summary
    text = summary.text_table(rows, columns, title)
    print(text)
    return text
