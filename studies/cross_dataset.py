r"""Cross-dataset transfer (Sec. VIII-F, Table 3): train on the source (clean / poisoned), test
on the target restricted to the shared labels.

For users with the datasets prepared for tensorflow-datasets (never downloaded here):

  python -m studies.cross_dataset --source=cifar10 --target=stl10 --attack=cifar_np1.json

``--mapping`` is a JSON ``{"source", "target", "classes": {name: [src, tgt]}}`` (default:
CIFAR-10 -> STL-10 on airplane, cat, deer, dog, ship, truck). ``--mock_examples=N`` runs the
whole study on ``tfds.testing.mock_data`` (random images: a plumbing check, not a result).
Writes ``<workdir>/cross_dataset/table3.json`` and ``table3.png``.
"""

import contextlib
import os

from absl import app, flags, logging

from evoshift_tf import atomic
from evoshift_tf import attack as attack_lib
from evoshift_tf.analysis import cross_dataset
from evoshift_tf import data, figures
from evoshift_tf.victims.recipe import VictimRecipe
from studies import _cli

FLAGS = flags.FLAGS
flags.DEFINE_string("source", "cifar10", "source tfds name")
flags.DEFINE_string("target", "stl10", "target tfds name")
flags.DEFINE_string("data_dir", None, "tfds data directory")
flags.DEFINE_string("mapping", None, "label mapping JSON (default: CIFAR-10 -> STL-10)")
_cli.define_attacks_flags(["1", "5"])
flags.DEFINE_string("model", "colornet", "victim")
flags.DEFINE_integer("epochs", 10, "victim epochs")
flags.DEFINE_integer("batch_size", 128, "victim batch")
flags.DEFINE_integer("mock_examples", 0, "use tfds mock data with this many examples per split")


def main(_):
    logging.set_verbosity(logging.INFO)
    mapping = (cross_dataset.LabelMapping.load(FLAGS.mapping) if FLAGS.mapping
               else cross_dataset.CIFAR10_TO_STL10)
    ctx = contextlib.nullcontext()
    if FLAGS.mock_examples:
        import tensorflow_datasets as tfds
        ctx = tfds.testing.mock_data(num_examples=FLAGS.mock_examples)
    with ctx:
        source = data.load_tfds(FLAGS.source, FLAGS.data_dir)
        target = data.load_tfds(FLAGS.target, FLAGS.data_dir)
    arms = {"clean": None}
    for n in map(int, FLAGS.num_pixels):
        if FLAGS.mock_examples:   # no search on random images: a seeded random attack
            arms[f"random_np{n}"] = attack_lib.random_attack(
                source.info.num_classes, n, source.info.image_shape, 0)
        else:
            arms[f"evoshift_np{n}"] = _cli.attacks(source, [n], FLAGS.attack, FLAGS.workdir)[n]
    rows = cross_dataset.table3(source, target, mapping, arms,
                                VictimRecipe.from_params(model=FLAGS.model,
                                                         epochs=FLAGS.epochs,
                                                         batch_size=FLAGS.batch_size))
    flat = [{"arm": r["arm"], "class": c, "source_accuracy": r["source"][c],
             "target_accuracy": r["target"][c]} for r in rows for c in r["target"]]
    outdir = os.path.join(FLAGS.workdir, "cross_dataset")
    os.makedirs(outdir, exist_ok=True)
    text = _cli.print_table(flat, ["arm", "class", "source_accuracy", "target_accuracy"],
                              f"Table 3: {FLAGS.source} -> {FLAGS.target}"
                              + (" (MOCK DATA)" if FLAGS.mock_examples else ""))
    atomic.write_json(os.path.join(outdir, "table3.json"), {
        "rows": rows, "text": text, "mapping": mapping.to_json(),
        "mock": bool(FLAGS.mock_examples), "flags": FLAGS.flag_values_dict()})
    figures.table3_bars(os.path.join(outdir, "table3.png"), rows)


if __name__ == "__main__":
    app.run(main)
