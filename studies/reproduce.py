r"""How close this implementation comes to the paper, number by number
(:mod:`evoshift_tf.studies.reproduction`): every study at one preset, a verdict per paper number
of the dataset's column, one ``REPRODUCTION.md`` with the figures.

    nice -n 5 python -m studies.reproduce --preset=default --out=runs/reproduction
    python -m studies.reproduce --preset=smoke --out=/tmp/repro         # a smoke check, minutes
    python -m studies.reproduce --only=table4,jacobsen                  # some studies only

Runtime (``default``): Table 4 and the Jacobsen comparison train on all 60k images for 5 epochs
with 3 seeds (the strength benchmark's victims), the other studies on 10k images for 3 epochs,
3 seeds: 133 min wall (113 CPU-min; Table 4 78 min, Jacobsen 27 min) measured on 2 AVX-512 cores
shared with other jobs (the report's header gives the time of each run). A finished study is cached
in ``<out>/studies/<id>.json`` under its fingerprint: rerunning the same command resumes an
interrupted run and skips finished studies. ``--export=docs/reproduction.md`` copies the report
and its figures (to ``docs/reproduction/``) with the links rewritten.
"""

import os
import shlex
import sys

from absl import app, flags, logging

from evoshift_tf import presets
from evoshift_tf.errors import UserError

FLAGS = flags.FLAGS
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRADCAM_JSON = os.path.join(REPO, "docs", "figures", "generative_and_transfer",
                            "gradcam_mainjob.json")

flags.DEFINE_enum("preset", "default", list(presets.NAMES),
                  "smoke: a check in minutes; default (= light): Table 4 and Jacobsen at the "
                  "strength benchmark's budget, the rest on 10k images; paper: the paper's budget "
                  "(30 epochs, full sets, 3-5 seeds)")
flags.DEFINE_string("out", "runs/reproduction", "output folder: REPRODUCTION.md, "
                    "reproduction.json, figures/, studies/ (the cache), attacks/")
flags.DEFINE_list("only", [], "study ids to run (default: all): table4, fig5d, fig6, fig7, fig8, "
                  "fig9, fig10, fig11, fig12_13, tables1_2, jacobsen")
flags.DEFINE_string("dataset", "fashion_mnist", "dataset name or .npz path")
flags.DEFINE_string("paper_dataset", None, "whose paper numbers to compare with (default: the "
                    "dataset's name; fashion_mnist or mnist)")
flags.DEFINE_string("attack_dir", None, "committed EvoShift attacks (evoshift_np{N}_seed0.json; "
                    "default: evoshift_tf/reference_attacks/<dataset>/), used when found on the "
                    "same dataset; else the cache under --out, else a search")
flags.DEFINE_string("gradcam_json", GRADCAM_JSON, "the committed Grad-CAM measurement that the "
                    "Fig. 5b rows quote (studies/gradcam_background.py)")
flags.DEFINE_string("export", None, "also write the report here (e.g. docs/reproduction.md) "
                    "with its figures in the folder of the same name")


def main(argv):
    del argv
    logging.set_verbosity(logging.INFO)
    try:
        _reproduce()
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


def _reproduce():
    from evoshift_tf import data
    from evoshift_tf.studies import reproduction
    report = reproduction.run(
        data.load(FLAGS.dataset), FLAGS.preset, FLAGS.out, FLAGS.attack_dir, FLAGS.only,
        command="python -m studies.reproduce " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        paper_dataset=FLAGS.paper_dataset, gradcam_json=FLAGS.gradcam_json)
    counts = reproduction.verdicts.counts(report["numbers"])
    print(f"{len(report['numbers'])} paper numbers: {counts}; wall time "
          f"{report['wall_seconds']:.0f} s; wrote {FLAGS.out}/REPRODUCTION.md")
    if FLAGS.export:
        folder = reproduction.export(FLAGS.out, FLAGS.export)
        print(f"exported to {FLAGS.export} and {folder}/")


if __name__ == "__main__":
    app.run(main)
