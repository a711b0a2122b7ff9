"""Table 4: CE vs vibCE, alpha_S / alpha_N for Clean, Random, EvoShift (evoshift_tf.studies.table4).

    nice -n 10 python -m studies.table4 --train_images 5000 --epochs 3 --repeats 2
"""
from absl import app, flags

from studies import _cli

FLAGS = flags.FLAGS
_cli.define_study_flags()
flags.DEFINE_list("num_pixels", ["1", "2", "5"], "N_p values")
flags.DEFINE_list("betas", ["0.01"], "vibCE KL weights beta to sweep (paper gives none)")


def main(argv):
    from evoshift_tf.studies import table4
    ds, n = _cli.load_dataset(), [int(v) for v in FLAGS.num_pixels]
    attacks = _cli.attacks(ds, n, FLAGS.attack, FLAGS.out)
    _cli.finish(table4.run(ds, _cli.budget(), attacks, n, [float(b) for b in FLAGS.betas]))


if __name__ == "__main__":
    app.run(main)
