r"""Grad-CAM of a clean and a poisoned model (Sec. VIII-A, Fig. 5b): where does it look?

Trains ``--model`` clean and on EvoShift-poisoned data (and random placement), then averages the
Grad-CAM map of the last convolution over ``--per_class`` clean test images per class (true
class) and reports the share of CAM mass on background pixels (value 0). Writes
``<workdir>/gradcam/gradcam.json`` and ``fig5b_gradcam.png``.

  nice -n 10 python -m studies.gradcam_background --workdir=runs [--attack=np1.json]
"""

import os

from absl import app, flags, logging

from evoshift_tf import attack as attack_lib
from evoshift_tf import data, figures, models, training
from evoshift_tf.analysis import gradcam
from studies import common

FLAGS = flags.FLAGS
flags.DEFINE_string("dataset", "fashion_mnist", "dataset")
flags.DEFINE_string("attack", None, "EvoShift attack JSON (default: small search)")
flags.DEFINE_integer("num_pixels", 1, "N_p when searching")
flags.DEFINE_string("model", "graynet", "victim")
flags.DEFINE_integer("train_images", 20000, "class-balanced training subset (0 = all)")
flags.DEFINE_integer("epochs", 3, "victim epochs")
flags.DEFINE_integer("per_class", 100, "test images per class (paper: 100)")
flags.DEFINE_integer("background_value", 0, "pixel value that marks background")
flags.DEFINE_integer("seed", 0, "seed")
flags.DEFINE_string("workdir", "runs", "output root")


def main(_):
    logging.set_verbosity(logging.INFO)
    d = data.load(FLAGS.dataset)
    atk = common.evoshift_attack(d, FLAGS.num_pixels, FLAGS.attack, FLAGS.workdir)
    rand = attack_lib.random_attack(d.info.num_classes, atk.num_pixels, d.info.image_shape,
                                    FLAGS.seed)
    train = d.train
    if FLAGS.train_images:
        train = data.balanced_subset(train, FLAGS.train_images // d.info.num_classes,
                                     d.info.num_classes, FLAGS.seed)
    cfg = training.TrainConfig(epochs=FLAGS.epochs, seed=FLAGS.seed)
    trained, accs = {}, {}
    for name, a in (("clean", None), (f"evoshift_np{atk.num_pixels}", atk),
                    (f"random_np{atk.num_pixels}", rand)):
        x = train.x if a is None else attack_lib.apply(a, train.x, train.y)
        res = training.train(lambda: models.get(FLAGS.model, d.info.image_shape,
                                                d.info.num_classes), x, train.y, cfg)
        trained[name] = res.model
        accs[name] = float((training.predict_labels(res.model, d.test.x) == d.test.y).mean())
    result = gradcam.compare(trained, d.test.x, d.test.y, d.info.num_classes, FLAGS.per_class,
                             FLAGS.background_value, FLAGS.seed)
    rows = [{"model": k, "clean_test_accuracy": accs[k],
             "background_cam_share": v["background_share"],
             "background_pixel_fraction": result["background_pixel_fraction"]}
            for k, v in result["models"].items()]
    outdir = os.path.join(FLAGS.workdir, "gradcam")
    os.makedirs(outdir, exist_ok=True)
    text = common.print_table(rows, list(rows[0]), "Grad-CAM mass on background pixels")
    common.write_json(os.path.join(outdir, "gradcam.json"), {
        "rows": rows, "text": text, "flags": FLAGS.flag_values_dict(),
        "per_class_background_share": {k: v["background_share_per_class"]
                                       for k, v in result["models"].items()},
        "attack": attack_lib.to_json(atk)})
    figures.gradcam_maps(os.path.join(outdir, "fig5b_gradcam.png"), result, d.info.class_names)


if __name__ == "__main__":
    app.run(main)
