"""The defense table: every attack x every defense, clean test accuracy final and peak
(evoshift_tf.studies.defenses).

    nice -n 10 python -m studies.defenses --out runs/studies

Default budget (without ``--preset``): GrayNet, Fashion-MNIST class-balanced 10,000 training /
2,000 test images, 6 epochs, 1 seed, PGD-5 adversarial training: 5 attack rows x 12 defenses
(the last, ``detect_repair``, the pixel-poison detector + repair) = 60 cells, about an hour on a
2-core AVX2 CPU. Finished cells are cached in ``--cache_dir``
(default ``<out>/defense_cells``): rerun the same command to resume. Writes
``<out>/defenses.{json,png,md}``. The EvoShift attack comes from the one source every study
uses (``--attack``, else the strength benchmark's ``evoshift_np1_seed0.json`` for this dataset,
else the studies' cache, else a search); a missing One-Pixel Shortcut / Jacobsen / random file
(or one made for another dataset) is built on the training subset.
Smoke run (seconds): ``--train_images=300 --test_images=100 --epochs=1 --defenses=none,jpeg10
--rows=clean,jacobsen``.
"""
import os

from absl import app, flags

from evoshift_tf.studies import attacks as attacks_lib
from studies import _cli

FLAGS = flags.FLAGS
_cli.define_study_flags()
ATTACK_DIR = os.path.join(attacks_lib.REFERENCE_DIR, "fashion_mnist")
flags.DEFINE_string("ops", f"{ATTACK_DIR}/ops_np1.json", "One-Pixel Shortcut attack JSON "
                    "(built on the training subset if missing)")
flags.DEFINE_string("jacobsen", f"{ATTACK_DIR}/jacobsen_np1.json", "Jacobsen et al. attack JSON "
                    "(built if missing)")
flags.DEFINE_string("random", f"{ATTACK_DIR}/random_np1_seed0.json", "random-placement attack "
                    "JSON (built if missing)")
flags.DEFINE_list("rows", ["clean", "evoshift", "ops", "jacobsen", "random"],
                  "attack rows (clean = no poison)")
flags.DEFINE_list("defenses", None, "defense columns (default: all of "
                  "evoshift_tf.studies.defenses.DEFENSES)")
flags.DEFINE_integer("num_pixels", 1, "N_p of the EvoShift attack and of baselines built here")
flags.DEFINE_integer("adversarial_steps", None, "PGD steps of adversarial training (default 5)")
flags.DEFINE_string("cache_dir", None, "finished cells (default <out>/defense_cells)")


def main(argv):
    del argv
    from evoshift_tf.studies import defenses, runner
    ds = _cli.load_dataset()
    budget = _cli.budget(default=defenses.default_budget)     # its own unless --preset
    data = runner.prepare(ds, budget)
    n = FLAGS.num_pixels
    evoshift = (_cli.attacks(ds, [n], FLAGS.attack, FLAGS.out)[n] if "evoshift" in FLAGS.rows
                else None)
    attacks = defenses.resolve_attacks(
        data.train, ds.info, FLAGS.rows,
        {"ops": FLAGS.ops, "jacobsen": FLAGS.jacobsen, "random": FLAGS.random}, evoshift, n,
        seed=budget.seed)
    steps = FLAGS.adversarial_steps or defenses.ADVERSARIAL_STEPS
    result = defenses.run(ds, budget, attacks, FLAGS.defenses or defenses.DEFENSES,
                          FLAGS.cache_dir or os.path.join(FLAGS.out, "defense_cells"), steps)
    _cli.finish(result)
    md = os.path.join(FLAGS.out, "defenses.md")
    with open(md, "w") as f:
        f.write(f"{result['table']}\n")
    print(f"wrote {md}")


if __name__ == "__main__":
    app.run(main)
