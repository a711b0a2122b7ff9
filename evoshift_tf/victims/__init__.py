"""Victims: the training loop under any ``tf.distribute`` strategy (``training``), optimizers
(AdaBound), input defenses and augmentation (``defenses``), defenses of the whole training set
(``dataset_defenses``: the pixel-poison detector and repair), PGD adversarial training
(``adversarial``) and the VAE-GAN loop (``generative``)."""
