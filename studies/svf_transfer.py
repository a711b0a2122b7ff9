r"""Spatial Value Function transfer (Sec. V-E, VIII-K, Eq. (9), Fig. 14).

Source: an EvoShift attack on Fashion-MNIST 28x28 (``--attack`` or a small search); target:
Fashion-MNIST resized to ``--target_size`` (56x56 here, a stand-in for CIFAR-10 -> ImageNet
64x64). Trains ``--model`` on the target clean, SVF-transferred and randomly placed at each N_p
and prints the target's clean test accuracy. Writes ``<workdir>/svf/svf_transfer.json`` and
``fig14_svf.png``.

  nice -n 10 python -m studies.svf_transfer --workdir=runs --model=graynet --num_pixels=1,5

``--model=resnet50|resnet101|densenet161`` are Fig. 14's victims (slow on CPU).
"""

import os

from absl import app, flags, logging

from evoshift_tf.analysis import cross_dataset
from evoshift_tf import atomic, data, figures, summary, svf
from evoshift_tf.victims.recipe import VictimRecipe
from studies import _cli

FLAGS = flags.FLAGS
flags.DEFINE_string("dataset", "fashion_mnist", "source dataset")
flags.DEFINE_string("attack", None, "source EvoShift attack JSON (default: small search)")
flags.DEFINE_integer("source_num_pixels", 1, "N_p of the source attack when searching")
flags.DEFINE_list("num_pixels", ["1", "5"], "target N_p values")
flags.DEFINE_integer("target_size", 56, "target height = width")
flags.DEFINE_string("model", "graynet", "victim on the target (registry name, .keras file "
                    "or module:function; evoshift_tf.victims.recipe)")
flags.DEFINE_float("sigma", 1.0, "PSF width in source pixels")
flags.DEFINE_enum("assignment", "shared", list(svf.ASSIGNMENTS), "class assignment")
flags.DEFINE_string("values", "source", "'source', 'random' or an int 0..255")
flags.DEFINE_integer("train_images", 10000, "class-balanced target training subset (0 = all)")
flags.DEFINE_integer("epochs", 2, "victim epochs")
flags.DEFINE_integer("batch_size", 128, "victim batch")
flags.DEFINE_list("seeds", ["0"], "seeds (attack draw and victim)")
flags.DEFINE_string("workdir", "runs", "output root")


def main(_):
    logging.set_verbosity(logging.INFO)
    src = data.load(FLAGS.dataset)
    source = _cli.attack(src, FLAGS.source_num_pixels, FLAGS.attack, FLAGS.workdir)
    size = (FLAGS.target_size, FLAGS.target_size)
    target = cross_dataset.resized(src, size)
    values = int(FLAGS.values) if FLAGS.values.isdigit() else FLAGS.values
    recipe = VictimRecipe.from_params(model=FLAGS.model, epochs=FLAGS.epochs,
                                      batch_size=FLAGS.batch_size)
    rows = svf.victim_study(source, target, [int(n) for n in FLAGS.num_pixels], recipe,
                            [int(s) for s in FLAGS.seeds], FLAGS.train_images or None,
                            FLAGS.sigma, FLAGS.assignment, values)
    table = summary.aggregate(rows, ("clean_test_accuracy",), by=("arm", "num_pixels"))
    means = {(s["arm"], s["num_pixels"]): s["clean_test_accuracy_mean"] for s in table}
    outdir = os.path.join(FLAGS.workdir, "svf")
    os.makedirs(outdir, exist_ok=True)
    text = _cli.print_table(table, ["arm", "num_pixels", "clean_test_accuracy_mean",
                                      "clean_test_accuracy_std", "n"],
                              f"SVF transfer {src.info.name} 28x28 -> {FLAGS.target_size}x"
                              f"{FLAGS.target_size}, victim {FLAGS.model}")
    atomic.write_json(os.path.join(outdir, "svf_transfer.json"), {
        "table": table, "rows": rows, "text": text, "flags": FLAGS.flag_values_dict(),
        "source_attack": svf.attack_lib.to_json(source)})
    n_show = max(int(n) for n in FLAGS.num_pixels)
    c = target.info.num_classes
    atks = {"svf": svf.transfer_attack(source, target.info.image_shape, c, n_show,
                                            FLAGS.sigma, FLAGS.assignment, values, seed=0),
            "random": svf.random_placement(c, n_show, target.info.image_shape, 0)}
    curves = {a: {0: means[("clean", 0)], **{n: m for (b, n), m in means.items() if b == a}}
              for a in ("svf", "random")}
    figures.svf_panel(os.path.join(outdir, "fig14_svf.png"),
                      svf.spatial_value_function(source, FLAGS.sigma),
                      svf.target_svf(source, size, FLAGS.sigma), atks, target.test.x[0],
                      curves)


if __name__ == "__main__":
    app.run(main)
