"""EvoShift vs random, Jacobsen et al., One-Pixel Shortcut (evoshift_tf.studies.baselines).

    nice -n 10 python -m studies.baselines --train_images 5000 --repeats 2
"""
from absl import app, flags

from studies import _cli

FLAGS = flags.FLAGS
_cli.define_study_flags()
flags.DEFINE_list("num_pixels", ["1", "5"], "N_p values")


def main(argv):
    from evoshift_tf.studies import baselines
    ds, n = _cli.load_dataset(), [int(v) for v in FLAGS.num_pixels]
    _cli.finish(baselines.run(ds, _cli.budget(), _cli.attacks(ds, n, FLAGS.attack, FLAGS.out)))


if __name__ == "__main__":
    app.run(main)
