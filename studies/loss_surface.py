r"""Loss surface between SGD and Adam on poisoned data (Sec. VIII-G-1, Eq. (14), Fig. 9).

Trains ``--model`` with SGD and with Adam from the same initialisation on EvoShift-poisoned
data, then evaluates ``w_alpha = alpha w_Adam + (1 - alpha) w_SGD`` for alpha in [-0.5, 1.5] on
the poisoned training set and the clean test set. Writes ``<workdir>/loss_surface/
loss_surface.json`` and ``fig9_loss_surface.png``.

  nice -n 10 python -m studies.loss_surface --workdir=runs [--attack=np1.json]
"""

import os

import numpy as np
from absl import app, flags, logging

from evoshift_tf import atomic
from evoshift_tf import attack as attack_lib
from evoshift_tf import data, figures
from evoshift_tf.analysis import loss_surface
from evoshift_tf.victims.recipe import VictimRecipe
from studies import _cli

FLAGS = flags.FLAGS
_cli.define_single_victim_flags()
flags.DEFINE_integer("eval_images", 5000, "train / test images evaluated per alpha")
flags.DEFINE_integer("epochs", 3, "epochs of each optimizer")
flags.DEFINE_float("sgd_learning_rate", 0.05, "SGD step size")
flags.DEFINE_float("adam_learning_rate", 1e-3, "Adam step size")
flags.DEFINE_integer("num_alphas", 21, "points in [-0.5, 1.5]")
flags.DEFINE_integer("seed", 0, "seed (shared init)")
flags.DEFINE_string("workdir", "runs", "output root")


def main(_):
    logging.set_verbosity(logging.INFO)
    d = data.load(FLAGS.dataset)
    atk = _cli.attack(d, FLAGS.num_pixels, FLAGS.attack, FLAGS.workdir)
    train = d.train
    if FLAGS.train_images:
        train = data.balanced_subset(train, FLAGS.train_images // d.info.num_classes,
                                     d.info.num_classes, FLAGS.seed)
    x = attack_lib.apply(atk, train.x, train.y)
    k = FLAGS.eval_images
    # one recipe, one seed (the shared initialisation); sgd_vs_adam swaps in each optimizer
    victim = VictimRecipe.from_params(model=FLAGS.model, epochs=FLAGS.epochs).build(
        d.info.image_shape, d.info.num_classes, seed=FLAGS.seed)
    out = loss_surface.sgd_vs_adam(
        victim.make_model, x, train.y,
        {"train": (x[:k], train.y[:k]), "test": (d.test.x[:k], d.test.y[:k])},
        victim.config, FLAGS.sgd_learning_rate, FLAGS.adam_learning_rate,
        np.linspace(-0.5, 1.5, FLAGS.num_alphas))
    outdir = os.path.join(FLAGS.workdir, "loss_surface")
    os.makedirs(outdir, exist_ok=True)
    text = _cli.print_table(out["rows"], list(out["rows"][0]),
                              f"Eq. (14) on {d.info.name}, N_p={atk.num_pixels} (alpha 0 = SGD, "
                              "1 = Adam; train = poisoned, test = clean)")
    atomic.write_json(os.path.join(outdir, "loss_surface.json"),
                      {**out, "text": text, "flags": FLAGS.flag_values_dict(),
                       "attack": attack_lib.to_json(atk)})
    figures.loss_surface(os.path.join(outdir, "fig9_loss_surface.png"), out["rows"],
                         f"{d.info.name}, EvoShift N_p={atk.num_pixels}: "
                         "w = a w_Adam + (1-a) w_SGD")


if __name__ == "__main__":
    app.run(main)
