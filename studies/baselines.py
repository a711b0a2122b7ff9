"""EvoShift vs random, Jacobsen et al., One-Pixel Shortcut (evoshift_tf.studies.baselines).

    nice -n 10 python -m studies.baselines --train_images 5000 --repeats 2
"""
from absl import app, flags

from studies import _cli

flags.DEFINE_list("num_pixels", ["1", "5"], "N_p values")


def main(argv):
    from evoshift_tf.studies import baselines
    ds = _cli.load_dataset()
    n = [int(v) for v in flags.FLAGS.num_pixels]
    _cli.finish(baselines.run(ds, _cli.budget(), _cli.attacks(ds, n)))


if __name__ == "__main__":
    app.run(main)
