r"""How close this implementation comes to the paper on Fashion-MNIST, number by number
(evoshift_tf.studies.reproduce): every study at one scale, a verdict per paper number, one
``REPRODUCTION.md`` with the figures.

    nice -n 5 python -m studies.reproduce --scale=standard --out=runs/reproduction
    python -m studies.reproduce --scale=quick --out=/tmp/repro          # a smoke check, minutes
    python -m studies.reproduce --only=fig7,fig8                        # some studies only

A finished study is cached in ``<out>/studies/<id>.json``: rerunning the same command resumes
an interrupted run and skips finished studies. ``--export=docs/reproduction.md`` copies the
report and its figures (to ``docs/reproduction/``) with the links rewritten.
"""

import shlex
import sys

from absl import app, flags, logging

from evoshift_tf.studies import attacks as attacks_lib
from studies import _cli

FLAGS = flags.FLAGS
flags.DEFINE_enum("scale", "standard", ["quick", "standard", "paper"],
                  "quick: a smoke check in minutes; standard: about 90 min on a 2-core AVX2 CPU; "
                  "paper: the paper's budget (30 epochs, full sets, 3-5 seeds)")
flags.DEFINE_string("out", "runs/reproduction", "output folder: REPRODUCTION.md, "
                    "reproduction.json, figures/, studies/ (the cache), attacks/")
flags.DEFINE_list("only", [], "study ids to run (default: all): table4, fig5d, fig6, fig7, fig8, "
                  "fig9, fig10, fig11, fig12_13, tables1_2, jacobsen")
flags.DEFINE_string("dataset", "fashion_mnist", "dataset name or .npz path")
flags.DEFINE_string("attack_dir", attacks_lib.REFERENCE_DIR,
                    "committed EvoShift attacks (evoshift_np{N}_seed0.json), used when found on "
                    "the same dataset; else the cache under --out, else a search")
flags.DEFINE_string("export", None, "also write the report here (e.g. docs/reproduction.md) "
                    "with its figures in the folder of the same name")


def main(argv):
    del argv
    logging.set_verbosity(logging.INFO)
    from evoshift_tf import data
    from evoshift_tf.studies import reproduce
    report = reproduce.run(data.load(FLAGS.dataset), reproduce.SCALES[FLAGS.scale], FLAGS.out,
                           FLAGS.attack_dir, FLAGS.only,
                           command="python -m studies.reproduce " + " ".join(
                               shlex.quote(a) for a in sys.argv[1:]))
    counts = {}
    for n in report["numbers"]:
        counts[n["verdict"]] = counts.get(n["verdict"], 0) + 1
    print(f"{len(report['numbers'])} paper numbers: {counts}; wall time "
          f"{report['wall_seconds']:.0f} s; wrote {FLAGS.out}/REPRODUCTION.md")
    if FLAGS.export:
        folder = reproduce.export(FLAGS.out, FLAGS.export)
        print(f"exported to {FLAGS.export} and {folder}/")


if __name__ == "__main__":
    app.run(main)
