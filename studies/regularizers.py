"""Fig. 7: regularizers over epochs (evoshift_tf.studies.regularizers).

    nice -n 10 python -m studies.regularizers --train_images 5000 --repeats 2
"""
from absl import app

from studies import _cli

main = _cli.single_attack_main("regularizers")


if __name__ == "__main__":
    app.run(main)
