r"""The paper's CIFAR-10 numbers beside the committed CIFAR-10 strength benchmark
(:mod:`evoshift_tf.studies.reproduction.cifar10`): a verdict per number, written to
``docs/reproduction_cifar10.md``, Fig. 10 from the CIFAR-10 defense benchmark's ResNet-20 cells.
It only reads the benchmarks' JSON (seconds, no training)::

    python -m studies.reproduce_cifar10      # 10,000 images: ResNet-20 and ResNet-32 files
    python -m studies.reproduce_cifar10 \
        --strength_json=benchmarks/results/cifar10_jpeg75_50000_images/attack_strength_cifar10_jpeg75.json \
        --out=docs/reproduction_cifar10_50000_images.md        # the run on all 50,000 images
    python -m studies.reproduce_cifar10 --strength_json=runs/attack_strength_cifar10_jpeg75.json \
        --out=/tmp/reproduction_cifar10.md

Each JSON is what ``python -m benchmarks.attack_strength --dataset=<cifar10_jpeg75 folder>``
writes for one ``--victim`` (docs/cifar10.md gives the commands of the committed runs); a page
takes one file per victim model, all at one budget.
"""

import os
import shlex
import sys

from absl import app, flags

from evoshift_tf.errors import UserError

FLAGS = flags.FLAGS
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STRENGTH_JSONS = [os.path.join("benchmarks", "results", "attack_strength_cifar10_jpeg75.json"),
                  os.path.join("benchmarks", "results", "cifar10_jpeg75_resnet32",
                               "attack_strength_cifar10_jpeg75.json")]
"""The 10,000-image measurements: ResNet-20 victims, and ResNet-32 judging the same attacks."""
DEFENSE_JSON = os.path.join("benchmarks", "results", "defense_aware_cifar10_jpeg75_resnet20.json")

flags.DEFINE_list("strength_json", STRENGTH_JSONS, "the CIFAR-10 attack-strength benchmark "
                  "files, one per victim model, at one image budget (relative paths: to the "
                  "repository root)")
flags.DEFINE_string("defense_json", DEFENSE_JSON, "the CIFAR-10 defense benchmark file that "
                    "Fig. 10 reads (its clean and evoshift rows, undefended and under median3); "
                    "empty: Fig. 10 is not measured")
flags.DEFINE_string("out", os.path.join("docs", "reproduction_cifar10.md"), "the page to write "
                    "(relative paths: to the repository root)")
flags.DEFINE_integer("epochs", None, "use the rows at this many victim epochs (default: the "
                     "most in the file)")


def main(argv):
    del argv
    from evoshift_tf.studies.reproduction import cifar10_report, verdicts
    out = os.path.join(REPO, FLAGS.out)
    command = " ".join(["python -m studies.reproduce_cifar10",
                        *(shlex.quote(a) for a in sys.argv[1:])])
    try:
        defenses = (cifar10_report.read(os.path.join(REPO, FLAGS.defense_json),
                                        FLAGS.defense_json) if FLAGS.defense_json else None)
        strengths = [cifar10_report.read(os.path.join(REPO, p), p) for p in FLAGS.strength_json]
        nums = cifar10_report.write(strengths, out, FLAGS.epochs, command, defenses)
    except (UserError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    print(f"{len(nums)} paper numbers: {verdicts.counts(nums)}; wrote {out}")


if __name__ == "__main__":
    app.run(main)
