"""Fig. 10: median filter (evoshift_tf.studies.median).

    nice -n 10 python -m studies.median --train_images 5000 --repeats 2
"""
from absl import app, flags

from studies import _cli

flags.DEFINE_integer("num_pixels", 1, "N_p")


main = _cli.single_attack_main("median")


if __name__ == "__main__":
    app.run(main)
