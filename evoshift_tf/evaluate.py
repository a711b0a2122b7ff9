"""Evaluate a trained victim: the numbers a researcher reports for one model (Sec. VII-B)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from evoshift_tf import attack as attack_lib
from evoshift_tf import data as data_lib
from evoshift_tf import metrics
from evoshift_tf.search import population
from evoshift_tf.victims import training


def attack_a_distance(attack: attack_lib.PixelAttack, split: data_lib.Split, images: int = 4000,
                      epochs: int = 3, seed: int = 0) -> float:
    """Proxy A-distance (Eq. (7)) between clean and attacked images of ``split``: a small
    discriminator trained on half of ``images`` (half shown poisoned) and tested on the rest."""
    n = min(images, len(split)) // 2 * 2
    sub = split.take(np.random.default_rng(seed).permutation(len(split))[:n])
    flags = np.zeros(n, np.int32)
    flags[np.random.default_rng(seed + 1).permutation(n)[: n // 2]] = 1
    mask, pattern = attack.masks_and_patterns()
    half = n // 2
    tensors = [tf.constant(a) for a in (sub.x, sub.y, flags)]
    train = tuple(t[:half] for t in tensors)
    test = tuple(t[half:] for t in tensors)
    disc = population.PopulationDiscriminator(1, attack.image_shape, batch_size=64)
    err = disc.fit_error(train, test, tf.constant(mask[None]), tf.constant(pattern[None]),
                         epochs=epochs, seed=seed)
    return metrics.proxy_a_distance(float(err[0]))


def evaluate(model, clean: data_lib.Dataset, poisoned_train: data_lib.Split | None = None,
             attack: attack_lib.PixelAttack | None = None, max_train: int = 10000,
             seed: int = 0, overlay_images: int = 2000, a_distance: bool = True) -> dict:
    """Metrics of ``model`` (logits out, uint8 images in).

    Returns a JSON-able dict: ``clean_test_accuracy``, ``alpha_S`` (Eq. (12)),
    ``per_class_accuracy [C]``, ``confusion_matrix [C, C]``; with ``poisoned_train``:
    ``poisoned_train_accuracy`` (on at most ``max_train`` images, 0 = all); with ``attack``:
    ``overlay_accuracy``, ``alpha_N`` (Eq. (13)) on ``overlay_images`` clean test images (a seeded
    draw, 0 = all; each is overlaid with all C patterns) and, if ``a_distance``, the proxy
    A-distance of the attack (Eq. (7)). The main job and every study measure with this function.
    """
    info = clean.info
    predict = lambda x: training.predict_labels(model, x)
    pred = predict(clean.test.x)
    acc = metrics.accuracy(pred, clean.test.y)
    out = {
        "num_classes": info.num_classes,
        "clean_test_accuracy": acc,
        "alpha_S": metrics.semantic_sensitivity(acc, info.num_classes),
        "per_class_accuracy": metrics.per_class_accuracy(pred, clean.test.y, info.num_classes),
        "confusion_matrix": metrics.confusion_matrix(pred, clean.test.y, info.num_classes).tolist(),
    }
    if poisoned_train is not None:
        sub = poisoned_train
        if max_train and len(sub) > max_train:
            sub = sub.take(np.random.default_rng(seed).permutation(len(sub))[:max_train])
        out["poisoned_train_accuracy"] = metrics.accuracy(predict(sub.x), sub.y)
    if attack is not None:
        attack_lib.check_compatible(attack, info.image_shape, info.num_classes)
        test_x = clean.test.x
        if overlay_images and len(test_x) > overlay_images:
            test_x = test_x[np.random.default_rng(seed).permutation(len(test_x))[:overlay_images]]
        overlay = metrics.overlay_accuracy(predict, attack, test_x)
        out["overlay_accuracy"] = overlay
        out["alpha_N"] = metrics.nuisance_sensitivity(overlay, info.num_classes)
        if a_distance:
            out["a_distance"] = attack_a_distance(attack, clean.train, seed=seed)
    return out
