"""Fig. 6: partial-class attack, k = 0..C (evoshift_tf.studies.partial).

    nice -n 10 python -m studies.partial --train_images 5000 --repeats 2
"""
from absl import app, flags

from studies import _cli

flags.DEFINE_list("ks", None, "numbers of attacked classes (default 0..C)")


main = _cli.single_attack_main(
    "partial", ks=lambda: None if flags.FLAGS.ks is None else [int(k) for k in flags.FLAGS.ks])


if __name__ == "__main__":
    app.run(main)
