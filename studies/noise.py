"""Fig. 11: Gaussian-noise severities (evoshift_tf.studies.noise).

    nice -n 10 python -m studies.noise --train_images 5000 --repeats 2
"""
from absl import app, flags

from studies import _cli

FLAGS = flags.FLAGS
_cli.define_study_flags()
flags.DEFINE_list("num_pixels", ["1", "5"], "N_p values")
flags.DEFINE_list("severities", ["0", "1", "2", "3", "4", "5"], "Hendrycks severities (0 = none)")


def main(argv):
    from evoshift_tf.studies import noise
    ds, n = _cli.load_dataset(), [int(v) for v in FLAGS.num_pixels]
    attacks = _cli.attacks(ds, n, FLAGS.attack, FLAGS.out)
    _cli.finish(noise.run(ds, _cli.budget(), attacks, [int(v) for v in FLAGS.severities]))


if __name__ == "__main__":
    app.run(main)
