"""Victims: the training loop under any ``tf.distribute`` strategy (``training``), optimizers
(AdaBound), input defenses and augmentation (``defenses``), PGD adversarial training
(``adversarial``) and the VAE-GAN loop (``generative``)."""
