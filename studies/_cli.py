"""Flags every study script shares, and the one ``main`` they all call.

    python -m studies.<name> [--preset small|paper] [--repeats 3] [--train_images N]
        [--epochs E] [--attack a1.json,a5.json] [--out runs/studies] [--dataset fashion_mnist]

Prints the study's markdown table and writes ``<out>/<study>.json`` and ``<out>/<study>.png``.
Without ``--attack`` the EvoShift attacks come from ``<out>/attacks/evoshift_np{N}.json`` or a
small search that writes them there (see ``evoshift_tf.studies.attacks``).
"""

from __future__ import annotations

import dataclasses
import os

from absl import flags, logging

FLAGS = flags.FLAGS
flags.DEFINE_string("dataset", "fashion_mnist", "dataset name or .npz path (evoshift_tf.data.load)")
flags.DEFINE_enum("preset", "small", ["small", "paper", "smoke"], "budget preset "
                  "(evoshift_tf.studies.runner.Budget): small = 10k images, 3 epochs; paper = "
                  "full data, 30 epochs")
flags.DEFINE_integer("repeats", None, "seeds per setting (default: the preset's, 3)")
flags.DEFINE_integer("train_images", None, "class-balanced training subset (0 = all)")
flags.DEFINE_integer("test_images", None, "class-balanced test subset (0 = all)")
flags.DEFINE_integer("epochs", None, "training epochs per victim")
flags.DEFINE_integer("seed", None, "first seed")
flags.DEFINE_integer("batch_size", None, "training batch size (default 128)")
flags.DEFINE_list("attack", [], "EvoShift attack JSON files (matched to N_p by their num_pixels)")
flags.DEFINE_string("out", "runs/studies", "output folder for JSON, PNG and cached attacks")


def budget():
    from evoshift_tf.studies import runner
    over = {k: getattr(FLAGS, k) for k in ("repeats", "train_images", "test_images", "epochs",
                                           "seed", "batch_size") if getattr(FLAGS, k) is not None}
    return runner.PRESETS[FLAGS.preset](**over)


def attacks(dataset, num_pixels):
    from evoshift_tf.studies import attacks as attacks_lib
    from studies import common
    return attacks_lib.evoshift_attacks(dataset, num_pixels, FLAGS.attack,
                                        cache_dir=os.path.join(FLAGS.out, "attacks"),
                                        attack_dir=common.BENCHMARK_ATTACKS)


def load_dataset():
    from evoshift_tf import data
    return data.load(FLAGS.dataset)


def finish(result: dict) -> None:
    from evoshift_tf.studies import output
    json_path, png_path = output.save(result, FLAGS.out)
    used = result.get("budget") or dataclasses.asdict(budget())
    print(f"\n## {result['study']} ({FLAGS.dataset}, {used})\n")
    print(result["table"])
    print(f"\nwrote {json_path} and {png_path}")
    logging.info("done: %s", json_path)


def single_attack_main(study: str, **run_kwargs):
    """``main`` for a study whose ``evoshift_tf.studies.<study>.run(dataset, budget, attack,
    **kwargs)`` takes one attack, the EvoShift attack with N_p = ``--num_pixels`` (a flag the
    script defines). ``run_kwargs`` values may be callables, called at run time (after flags
    are parsed)."""
    def main(argv):
        del argv
        import importlib
        module = importlib.import_module(f"evoshift_tf.studies.{study}")
        ds = load_dataset()
        n = FLAGS.num_pixels
        kwargs = {k: v() if callable(v) else v for k, v in run_kwargs.items()}
        finish(module.run(ds, budget(), attacks(ds, [n])[n], **kwargs))
    return main
