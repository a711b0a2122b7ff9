"""Spatial Value Function (SVF) transfer of a pixel attack to a larger dataset (Sec. V-E, Eq. (9)).

An attack found by EvoShift on a small *source* dataset (e.g. CIFAR-10 32x32, or Fashion-MNIST
28x28 here) is moved to a *target* dataset of another size (ImageNet 64x64, Fashion-MNIST resized
to 56x56) without a new search:

1. ``spatial_value_function``: a Gaussian point spread function (PSF) centred on every attack
   pixel of every class, summed (Eq. (9)), on the source grid;
2. ``resize_bilinear``: the SVF resized bilinearly to the target's height and width;
3. ``sample_positions`` / ``transfer_attack``: the target attack's pixel positions drawn by
   importance sampling from the resized SVF (normalised to a probability map).

The paper leaves three choices open; each is a parameter here, with the default documented:

* ``sigma`` (PSF width, in *source* pixels): default 1.0, so the mass stays within about two
  pixels of each source pixel (the paper "samples pixels close to the attack locations").
* ``assignment`` (which target class gets which sampled positions):
  - ``"shared"`` (default): the ``C_t * N_p`` positions are drawn from the one summed SVF without
    replacement (no pixel is shared by two classes) and dealt to the classes in random order;
  - ``"per_class"``: class k samples from the SVF of source class ``k mod C_s`` only, keeping the
    source's class-wise layout (needs no more target than source classes to be meaningful);
  - ``"clusters"``: the paper's sub-sampling for ``C_t > C_s``: the SVF is split into ``C_t``
    disjoint regions by SVF-weighted k-means on pixel coordinates (hard EM of an isotropic
    Gaussian mixture; disjoint regions keep classes apart, the entropy condition of Sec. V-E),
    and class k samples its positions inside region k.
* ``values`` (what the target pixels are set to):
  - ``"source"`` (default): class k's j-th pixel takes the value of source class ``k mod C_s``'s
    pixel ``j mod N_p`` (gray -> colour repeats the value, colour -> gray takes the mean);
  - ``"random"``: seeded uniform values in 0..255;
  - an integer 0..255: that constant in every channel.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from evoshift_tf import attack as attack_lib
from evoshift_tf.errors import UserError

ASSIGNMENTS = ("shared", "per_class", "clusters")
VALUE_MODES = ("source", "random")


class TransferError(UserError):
    """An SVF transfer that cannot be done as asked (the message says why)."""


def spatial_value_function(attack: attack_lib.PixelAttack, sigma: float = 1.0,
                           classes=None, normalize: bool = True) -> np.ndarray:
    """SVF on the source grid: ``float64 [H, W]``. Eq. (9).

    ``SVF(x, y) = sum_j sum_{(x_k, y_k) in delta_j} PSF(x - x_k, y - y_k)`` with the Gaussian
    PSF ``exp(-d^2 / (2 sigma^2))``; ``j`` runs over ``classes`` (default: all), ``k`` over each
    class's ``N_p`` pixels. ``normalize``: divide by the sum (a probability map).
    """
    if not sigma > 0:
        raise TransferError(f"PSF width sigma must be > 0 (source pixels), got {sigma}")
    h, w = attack.image_shape[:2]
    pos = attack.positions if classes is None else attack.positions[np.atleast_1d(classes)]
    pts = pos.reshape(-1, 2).astype(np.float64)                       # [M, 2] (row, col)
    rr, cc = np.mgrid[0:h, 0:w].astype(np.float64)
    d2 = (rr[None] - pts[:, 0, None, None]) ** 2 + (cc[None] - pts[:, 1, None, None]) ** 2
    svf = np.exp(-d2 / (2.0 * sigma ** 2)).sum(axis=0)               # Eq. (9)
    return svf / svf.sum() if normalize else svf


def resize_bilinear(image: np.ndarray, size) -> np.ndarray:
    """Bilinear resize of a ``[H, W]`` map to ``size = (H', W')`` with half-pixel centres (the
    convention of ``tf.image.resize(..., "bilinear")`` without antialiasing). Sec. V-E."""
    image = np.asarray(image, np.float64)
    h, w = image.shape
    th, tw = int(size[0]), int(size[1])
    if th < 1 or tw < 1:
        raise TransferError(f"target size must be positive, got {size}")

    def coords(n_out, n_in):
        src = np.clip((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0, n_in - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, src - lo

    r0, r1, fr = coords(th, h)
    c0, c1, fc = coords(tw, w)
    top = image[r0][:, c0] * (1 - fc) + image[r0][:, c1] * fc
    bottom = image[r1][:, c0] * (1 - fc) + image[r1][:, c1] * fc
    return top * (1 - fr[:, None]) + bottom * fr[:, None]


def target_svf(attack: attack_lib.PixelAttack, target_size, sigma: float = 1.0,
               classes=None) -> np.ndarray:
    """The SVF resized to the target grid and normalised: ``float64 [H', W']``, sums to 1."""
    svf = resize_bilinear(spatial_value_function(attack, sigma, classes, normalize=False),
                          target_size)
    svf = np.maximum(svf, 0.0)
    return svf / svf.sum()


def sample_positions(prob: np.ndarray, n: int, rng: np.random.Generator,
                     replace: bool = False) -> np.ndarray:
    """Importance sampling of ``n`` pixel positions from a ``[H, W]`` probability map:
    ``int64 [n, 2]`` of (row, col). Without replacement the positions are distinct."""
    h, w = prob.shape
    p = prob.ravel() / prob.sum()
    if not replace and n > np.count_nonzero(p):
        raise TransferError(f"cannot draw {n} distinct positions from a map with "
                            f"{np.count_nonzero(p)} non-zero pixels; raise sigma")
    flat = rng.choice(h * w, size=n, replace=replace, p=p)
    return np.stack([flat // w, flat % w], axis=-1).astype(np.int64)


def svf_regions(prob: np.ndarray, num_regions: int, rng: np.random.Generator,
                iterations: int = 50) -> np.ndarray:
    """Split the SVF into ``num_regions`` disjoint regions: ``int [H, W]`` region id per pixel.

    SVF-weighted k-means on pixel coordinates (hard EM of an isotropic Gaussian mixture, the
    Expectation-Maximization sub-sampling of Sec. V-E); centres start at SVF-sampled pixels.
    Every region keeps some SVF mass (a region that empties is re-seeded at the heaviest pixel
    of the largest region).
    """
    h, w = prob.shape
    coords = np.stack(np.mgrid[0:h, 0:w], -1).reshape(-1, 2).astype(np.float64)
    weight = prob.ravel()
    centres = coords[sample_positions(prob, num_regions, rng) @ np.array([w, 1])]
    for _ in range(iterations):
        d2 = ((coords[:, None, :] - centres[None]) ** 2).sum(-1)      # [HW, K]  E-step
        label = d2.argmin(1)
        onehot = np.eye(num_regions)[label] * weight[:, None]         # [HW, K]
        mass = onehot.sum(0)
        empty = mass <= 0
        if empty.any():
            big = np.argmax(mass)
            heavy = np.argmax(np.where(label == big, weight, -1.0))
            centres[empty] = coords[heavy]
            continue
        new = (onehot.T @ coords) / mass[:, None]                     # M-step
        if np.allclose(new, centres):
            break
        centres = new
    return label.reshape(h, w)


def _target_values(source: attack_lib.PixelAttack, num_classes: int, num_pixels: int,
                   channels: int, values, rng: np.random.Generator) -> np.ndarray:
    if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
        if not 0 <= values <= 255:
            raise TransferError(f"constant value must be in 0..255, got {values}")
        return np.full((num_classes, num_pixels, channels), values, np.uint8)
    if values == "random":
        return rng.integers(0, 256, size=(num_classes, num_pixels, channels), dtype=np.uint8)
    if values != "source":
        raise TransferError(f"values must be one of {VALUE_MODES} or an int 0..255, got {values!r}")
    k = np.arange(num_classes) % source.num_classes
    j = np.arange(num_pixels) % source.num_pixels
    v = source.values[k[:, None], j[None, :]].astype(np.float64)      # [C_t, N_p, ch_s]
    if v.shape[-1] != channels:
        v = np.repeat(v.mean(-1, keepdims=True), channels, axis=-1)
    return np.round(v).astype(np.uint8)


def transfer_attack(source: attack_lib.PixelAttack, target_shape, num_classes: int | None = None,
                    num_pixels: int | None = None, sigma: float = 1.0,
                    assignment: str = "shared", values="source", seed: int = 0
                    ) -> attack_lib.PixelAttack:
    """Move ``source`` to images of ``target_shape (H', W', ch')`` with ``num_classes`` classes and
    ``num_pixels`` pixels per class (defaults: the source's). Sec. V-E; see the module docstring
    for ``sigma``, ``assignment`` and ``values``. Seeded: the same arguments give the same attack.
    """
    target_shape = tuple(int(s) for s in target_shape)
    if len(target_shape) != 3:
        raise TransferError(f"target_shape must be (H, W, channels), got {target_shape}")
    c_t = source.num_classes if num_classes is None else int(num_classes)
    n_p = source.num_pixels if num_pixels is None else int(num_pixels)
    if c_t < 1 or n_p < 1:
        raise TransferError(f"need num_classes >= 1 and num_pixels >= 1, got {c_t}, {n_p}")
    if assignment not in ASSIGNMENTS:
        raise TransferError(f"unknown assignment {assignment!r}; known: {list(ASSIGNMENTS)}")
    rng = np.random.default_rng(seed)
    size = target_shape[:2]
    if assignment == "shared":
        pos = sample_positions(target_svf(source, size, sigma), c_t * n_p, rng)
        positions = pos[rng.permutation(c_t * n_p)].reshape(c_t, n_p, 2)
    elif assignment == "per_class":
        positions = np.stack([sample_positions(target_svf(source, size, sigma,
                                                          k % source.num_classes), n_p, rng)
                              for k in range(c_t)])
    else:
        prob = target_svf(source, size, sigma)
        regions = svf_regions(prob, c_t, rng)
        positions = np.stack([sample_positions(np.where(regions == k, prob, 0.0), n_p, rng)
                              for k in range(c_t)])
    vals = _target_values(source, c_t, n_p, target_shape[2], values, rng)
    provenance = {"method": "svf_transfer", "source": dict(source.provenance),
                  "source_shape": list(source.image_shape), "sigma": sigma,
                  "assignment": assignment, "values": values, "seed": seed}
    return attack_lib.PixelAttack(positions, vals, target_shape, provenance)


def random_placement(num_classes: int, num_pixels: int, target_shape, seed: int = 0,
                     values=None, source: attack_lib.PixelAttack | None = None
                     ) -> attack_lib.PixelAttack:
    """The random-placement baseline on the target: uniform positions. ``values=None`` draws
    uniform values (``attack.random_attack``); ``values="source"`` keeps the SVF transfer's value
    rule so that only the placement differs from :func:`transfer_attack`."""
    base = attack_lib.random_attack(num_classes, num_pixels, target_shape, seed)
    if values is None:
        return base
    vals = _target_values(source, num_classes, num_pixels, int(target_shape[2]), values,
                          np.random.default_rng(seed))
    return dataclasses.replace(base, values=vals,
                               provenance={**base.provenance, "values": values})


def victim_study(source: attack_lib.PixelAttack, target, num_pixels=(1, 5), recipe=None,
                 seeds=(0,), train_images: int | None = None, sigma: float = 1.0,
                 assignment: str = "shared", values="source", strategy=None) -> list[dict]:
    """Fig. 14 / Sec. VIII-K: target clean test accuracy of a victim trained on the target
    (:class:`evoshift_tf.data.Dataset`) clean, SVF-transferred and randomly placed at each N_p.

    The random arm uses the same value rule as the SVF arm (``values``), so the two differ only
    in where the pixels are. ``recipe``: the victim, a
    :class:`evoshift_tf.victims.recipe.VictimRecipe` (default ``VictimRecipe()``: GrayNet,
    5 epochs of Adam), trained with each seed. ``train_images``: a class-balanced subset of the
    target's training set (``None`` = all). Returns one row per (arm, N_p, seed) with
    ``clean_test_accuracy``.
    """
    from evoshift_tf import data as data_lib
    from evoshift_tf.victims import recipe as recipe_lib
    from evoshift_tf.victims import training

    recipe = recipe or recipe_lib.VictimRecipe()
    recipe.validate()
    info = target.info
    train = target.train
    if train_images:
        train = data_lib.balanced_subset(train, train_images // info.num_classes,
                                         info.num_classes, seed=0)
    arms = [("clean", 0, None)]
    for n in num_pixels:
        for s in seeds:
            arms.append(("svf", n, transfer_attack(source, info.image_shape, info.num_classes, n,
                                                   sigma, assignment, values, seed=s)))
            arms.append(("random", n, random_placement(info.num_classes, n, info.image_shape,
                                                       seed=s, values=values, source=source)))
    rows = []
    for s in seeds:
        for arm, n, atk in arms:
            if atk is not None and atk.provenance.get("seed") != s:
                continue
            x = train.x if atk is None else attack_lib.apply(atk, train.x, train.y)
            victim = recipe.build(info.image_shape, info.num_classes, seed=s)
            res = victim.train(x, train.y, strategy=strategy)
            acc = float(np.mean(training.predict_labels(res.model, target.test.x)
                                == target.test.y))
            rows.append({"arm": arm, "num_pixels": n, "seed": s, "clean_test_accuracy": acc,
                         "attack": None if atk is None else attack_lib.to_json(atk)})
    return rows
