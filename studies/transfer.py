"""Tables 1-2: transfer to ResNet-20/32 and DenseNet-40 with augmentation (evoshift_tf.studies.architectures).

    nice -n 10 python -m studies.transfer --train_images 5000 --repeats 2
"""
from absl import app, flags

from studies import _cli

FLAGS = flags.FLAGS
_cli.define_study_flags()
flags.DEFINE_list("num_pixels", ["1", "2", "5"], "N_p values")
flags.DEFINE_list("victims", ["resnet20", "resnet32", "densenet40"], "models to transfer to")


def main(argv):
    from evoshift_tf.studies import architectures
    ds, n = _cli.load_dataset(), [int(v) for v in FLAGS.num_pixels]
    attacks = _cli.attacks(ds, n, FLAGS.attack, FLAGS.out)
    _cli.finish(architectures.run(ds, _cli.budget(), attacks, FLAGS.victims))


if __name__ == "__main__":
    app.run(main)
