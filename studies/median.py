"""Fig. 10: median filter (evoshift_tf.studies.median).

    nice -n 10 python -m studies.median --train_images 5000 --repeats 2
"""
from absl import app

from studies import _cli

main = _cli.single_attack_main("median")


if __name__ == "__main__":
    app.run(main)
