r"""VAE-GAN under EvoShift (Sec. VIII-I, Figs. 12-13): PSNR of clean test reconstructions.

Arms: clean, EvoShift at each N_p, random placement at the same N_p. Prints a table, writes
``<workdir>/vaegan/vaegan_psnr.json``, ``fig12_reconstructions.png``, ``fig13_samples.png``.

  nice -n 10 python -m studies.vaegan_attack --workdir=runs [--attack=np1.json --attack=np10.json]

Paper (VAE-GAN of ref. [14], full data): CIFAR-10 14.42 dB (N_p=1), 11.06 dB (N_p=10); SVHN
16.20 / 13.49 dB.
"""

import os

from absl import app, flags, logging

from evoshift_tf import atomic
from evoshift_tf import attack as attack_lib
from evoshift_tf import data, figures
from evoshift_tf.victims import generative
from studies import _cli

FLAGS = flags.FLAGS
flags.DEFINE_string("dataset", "fashion_mnist", "dataset name or .npz path")
_cli.define_attacks_flags(["1", "10"])
flags.DEFINE_integer("train_images", 10000, "class-balanced training subset (0 = all)")
flags.DEFINE_integer("test_images", 2000, "clean test images for PSNR")
flags.DEFINE_integer("epochs", 5, "VAE-GAN epochs")
flags.DEFINE_integer("latent_dim", 32, "z size")
flags.DEFINE_integer("filters", 32, "first conv width")
flags.DEFINE_integer("batch_size", 64, "global batch")
flags.DEFINE_integer("seed", 0, "seed")


def main(_):
    logging.set_verbosity(logging.INFO)
    d = data.load(FLAGS.dataset)
    train = d.train
    if FLAGS.train_images:
        train = data.balanced_subset(train, FLAGS.train_images // d.info.num_classes,
                                     d.info.num_classes, FLAGS.seed)
    test_x = d.test.x[:FLAGS.test_images]
    arms = {"clean": None}
    for n in map(int, FLAGS.num_pixels):
        arms[f"evoshift_np{n}"] = _cli.attacks(d, [n], FLAGS.attack, FLAGS.workdir)[n]
        arms[f"random_np{n}"] = attack_lib.random_attack(d.info.num_classes, n,
                                                         d.info.image_shape, FLAGS.seed)
    cfg = generative.VAEGANConfig(epochs=FLAGS.epochs, latent_dim=FLAGS.latent_dim,
                                  filters=FLAGS.filters, batch_size=FLAGS.batch_size,
                                  seed=FLAGS.seed)
    out = generative.attack_study(train.x, train.y, test_x, arms, cfg)
    rows = [{"arm": k, "psnr_db": v["psnr_db"], "final_pixel_mse": v["history"][-1]["pixel_mse"],
             "seconds": sum(h["seconds"] for h in v["history"])} for k, v in out.items()]
    outdir = os.path.join(FLAGS.workdir, "vaegan")
    os.makedirs(outdir, exist_ok=True)
    text = _cli.print_table(rows, ["arm", "psnr_db", "final_pixel_mse", "seconds"],
                              f"VAE-GAN on {d.info.name}: PSNR of clean test reconstructions")
    atomic.write_json(os.path.join(outdir, "vaegan_psnr.json"), {
        "rows": rows, "config": cfg.__dict__, "train_images": len(train),
        "test_images": len(test_x), "table": text,
        "history": {k: v["history"] for k, v in out.items()},
        "attacks": {k: None if a is None else attack_lib.to_json(a) for k, a in arms.items()}})
    figures.reconstruction_grid(os.path.join(outdir, "fig12_reconstructions.png"), test_x[:10],
                                {k: v["reconstructions"][:10] for k, v in out.items()},
                                {k: v["psnr_db"] for k, v in out.items()})
    figures.samples_over_training(os.path.join(outdir, "fig13_samples.png"),
                                  {k: v["samples"] for k, v in out.items()})


if __name__ == "__main__":
    app.run(main)
