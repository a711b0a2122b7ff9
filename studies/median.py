"""Fig. 10: median filter (evoshift_tf.studies.median).

    nice -n 10 python -m studies.median --train_images 5000 --repeats 2
"""
from absl import app, flags

from studies import _cli

flags.DEFINE_integer("num_pixels", 1, "N_p")


def main(argv):
    from evoshift_tf.studies import median
    ds = _cli.load_dataset()
    n = flags.FLAGS.num_pixels
    _cli.finish(median.run(ds, _cli.budget(), _cli.attacks(ds, [n])[n]))


if __name__ == "__main__":
    app.run(main)
