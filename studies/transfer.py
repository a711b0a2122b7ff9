"""Tables 1-2: transfer to ResNet-20/32 and DenseNet-40 with augmentation (evoshift_tf.studies.architectures).

    nice -n 10 python -m studies.transfer --train_images 5000 --repeats 2
"""
from absl import app, flags

from studies import _cli

flags.DEFINE_list("num_pixels", ["1", "2", "5"], "N_p values")
flags.DEFINE_list("victims", ["resnet20", "resnet32", "densenet40"], "models to transfer to")


def main(argv):
    from evoshift_tf.studies import architectures
    ds = _cli.load_dataset()
    n = [int(v) for v in flags.FLAGS.num_pixels]
    _cli.finish(architectures.run(ds, _cli.budget(), _cli.attacks(ds, n), flags.FLAGS.victims))


if __name__ == "__main__":
    app.run(main)
