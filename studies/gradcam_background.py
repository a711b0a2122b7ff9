r"""Grad-CAM of a clean and a poisoned model (Sec. VIII-A, Fig. 5b): where does it look?

Trains ``--model`` clean, on EvoShift-poisoned data and on random placement (or loads the
victims of a main-job run with ``--run_root``), then averages the CAM of the last convolution
over ``--per_class`` clean test images per class (true class) and reports, for Grad-CAM and for
HiResCAM (exact for GrayNet's flatten head, see ``evoshift_tf.analysis.gradcam``): the share of
CAM mass on background pixels (value 0), the share of all-zero maps, and for the attacked models
the same share on their own poisoned test images and the mass within one pixel of the attack
pixels. Writes ``<workdir>/gradcam/gradcam.json`` and ``fig5b_<method>.png``.

  python -m studies.gradcam_background --workdir=runs --attack=np1.json     # trains 3 victims
  python -m studies.gradcam_background --run_root=runs/fashion_mnist         # main job's victims
"""

import os

import keras
from absl import app, flags, logging

from evoshift_tf import atomic
from evoshift_tf import attack as attack_lib
from evoshift_tf import data, figures
from evoshift_tf.victims import training
from evoshift_tf.victims.recipe import VictimRecipe
from evoshift_tf.analysis import gradcam
from studies import _cli

FLAGS = flags.FLAGS
_cli.define_single_victim_flags()
flags.DEFINE_integer("epochs", 3, "victim epochs")
flags.DEFINE_integer("per_class", 100, "test images per class (paper: 100)")
flags.DEFINE_integer("background_value", 0, "pixel value that marks background")
flags.DEFINE_integer("seed", 0, "seed")
flags.DEFINE_string("workdir", "runs", "output root")
flags.DEFINE_string("run_root", "", "a main-job run folder: use its seed-0 victims and attacks "
                    "(train_{clean,evoshift,random}_s0, search, random) instead of training")
flags.DEFINE_list("methods", list(gradcam.METHODS), "CAM methods to report")


def _train_victims(d):
    """Three victims trained here: ``({name: model}, {name: attack})``."""
    atk = _cli.attack(d, FLAGS.num_pixels, FLAGS.attack, FLAGS.workdir)
    rand = attack_lib.random_attack(d.info.num_classes, atk.num_pixels, d.info.image_shape,
                                    FLAGS.seed)
    train = d.train
    if FLAGS.train_images:
        train = data.balanced_subset(train, FLAGS.train_images // d.info.num_classes,
                                     d.info.num_classes, FLAGS.seed)
    victim = VictimRecipe.from_params(model=FLAGS.model, epochs=FLAGS.epochs).build(
        d.info.image_shape, d.info.num_classes, seed=FLAGS.seed)
    attacks = {f"evoshift_np{atk.num_pixels}": atk, f"random_np{atk.num_pixels}": rand}
    trained = {}
    for name, a in (("clean", None),) + tuple(attacks.items()):
        x = train.x if a is None else attack_lib.apply(a, train.x, train.y)
        trained[name] = victim.train(x, train.y).model
    return trained, attacks


def _run_victims(d, root):
    """The seed-0 victims and the attacks of a main-job run folder."""
    trained, attacks = {}, {}
    for arm in ("clean", "evoshift", "random"):
        path = os.path.join(root, f"train_{arm}_s0", "model", "model.keras")
        if not os.path.exists(path):
            raise FileNotFoundError(f"--run_root={root}: no victim {path}; run the main job first")
        trained[arm] = keras.saving.load_model(path)
    for arm, step in (("evoshift", "search"), ("random", "random")):
        attacks[arm] = attack_lib.load(os.path.join(root, step, "attack", "attack.json"),
                                       d.info.image_shape, d.info.num_classes)
    return trained, attacks


def _rows(result, accs, method):
    rows = []
    for name, v in result["models"].items():
        pois = v.get("poisoned", {})
        rows.append({"model": name, "method": method, "clean_test_accuracy": accs[name],
                     "bg_share_clean_images": v["background_share"],
                     "zero_maps": v["zero_maps"],
                     "bg_share_poisoned_images": pois.get("background_share"),
                     "attack_location_share_poisoned": pois.get("attack_location_share"),
                     "attack_location_fraction": v.get("location_fraction")})
    return rows


def main(_):
    logging.set_verbosity(logging.INFO)
    d = data.load(FLAGS.dataset)
    trained, attacks = _run_victims(d, FLAGS.run_root) if FLAGS.run_root else _train_victims(d)
    accs = {k: float((training.predict_labels(m, d.test.x) == d.test.y).mean())
            for k, m in trained.items()}
    outdir = os.path.join(FLAGS.workdir, "gradcam")
    os.makedirs(outdir, exist_ok=True)
    rows, per_class = [], {}
    for method in FLAGS.methods:
        result = gradcam.compare(trained, d.test.x, d.test.y, d.info.num_classes,
                                 FLAGS.per_class, FLAGS.background_value, FLAGS.seed,
                                 method=method, attacks=attacks)
        rows += _rows(result, accs, method)
        per_class[method] = {k: v["background_share_per_class"]
                             for k, v in result["models"].items()}
        figures.gradcam_maps(os.path.join(outdir, f"fig5b_{method}.png"), result,
                             d.info.class_names)
    bg = float(gradcam.background_mask(d.test.x).mean())
    text = _cli.print_table(rows, list(rows[0]),
                              f"CAM mass on background pixels (test-set pixel fraction {bg:.3f})")
    atomic.write_json(os.path.join(outdir, "gradcam.json"), {
        "rows": rows, "text": text, "flags": FLAGS.flag_values_dict(),
        "per_class_background_share": per_class,
        "attacks": {k: attack_lib.to_json(a) for k, a in attacks.items()}})


if __name__ == "__main__":
    app.run(main)
