"""Fig. 8: optimizers over epochs (evoshift_tf.studies.optimizers).

    nice -n 10 python -m studies.optimizers --train_images 5000 --repeats 2
"""
from absl import app

from studies import _cli

main = _cli.single_attack_main("optimizers")


if __name__ == "__main__":
    app.run(main)
