"""Cross-dataset transfer of an attack's damage (Sec. VIII-F, Table 3).

A model trained on a source dataset (clean or poisoned) is tested on a target dataset restricted
to the labels the two share, e.g. CIFAR-10 -> STL-10 on {airplane, cat, deer, dog, ship, truck}
with STL-10's 96x96 images resized to CIFAR-10's 32x32. The label mapping is data
(:class:`LabelMapping`, JSON round trip), not code.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from evoshift_tf import data as data_lib


@dataclasses.dataclass(frozen=True)
class LabelMapping:
    """Which target labels stand for which source labels.

    Attributes:
      source: source dataset name.
      target: target dataset name.
      classes: shared class name -> ``[source_label, target_label]``.
    """

    source: str
    target: str
    classes: dict

    def __post_init__(self):
        if not self.classes:
            raise ValueError("a label mapping needs at least one shared class")
        pairs = np.array(list(self.classes.values()))
        if pairs.ndim != 2 or pairs.shape[1] != 2 or pairs.min() < 0:
            raise ValueError(f"classes must map names to [source_label, target_label] >= 0, "
                             f"got {self.classes}")
        for col, side in ((0, "source"), (1, "target")):
            if len(set(pairs[:, col])) != len(pairs):
                raise ValueError(f"two shared classes use the same {side} label: {self.classes}")

    @property
    def names(self) -> list[str]:
        return list(self.classes)

    @property
    def source_labels(self) -> np.ndarray:
        return np.array([v[0] for v in self.classes.values()], np.int64)

    @property
    def target_labels(self) -> np.ndarray:
        return np.array([v[1] for v in self.classes.values()], np.int64)

    def to_json(self) -> dict:
        return {"source": self.source, "target": self.target,
                "classes": {k: [int(a), int(b)] for k, (a, b) in self.classes.items()}}

    @classmethod
    def from_json(cls, d: dict) -> "LabelMapping":
        try:
            return cls(d["source"], d["target"],
                       {str(k): [int(v[0]), int(v[1])] for k, v in d["classes"].items()})
        except (KeyError, TypeError, IndexError) as e:
            raise ValueError(f"not a label mapping ({type(e).__name__}: {e}); expected "
                             "{'source', 'target', 'classes': {name: [src, tgt]}}") from e

    @classmethod
    def load(cls, path: str) -> "LabelMapping":
        with open(path) as f:
            return cls.from_json(json.load(f))

    def check(self, source: data_lib.DatasetInfo, target: data_lib.DatasetInfo) -> None:
        """Raise ``ValueError`` if a label is out of range, or if both datasets carry real
        class names and a shared name is not the name of its label on either side."""
        for info, labels, side in ((source, self.source_labels, "source"),
                                   (target, self.target_labels, "target")):
            if labels.max() >= info.num_classes:
                raise ValueError(f"{side} label {labels.max()} out of range for {info.name} "
                                 f"({info.num_classes} classes)")
            named = not all(n.isdigit() for n in info.class_names)
            if named:
                bad = [(n, info.class_names[l]) for n, l in zip(self.names, labels)
                       if _norm(n) not in _norm(info.class_names[l])]
                if bad:
                    raise ValueError(f"{side} {info.name}: shared name vs label name mismatch "
                                     f"{bad}")


def _norm(name: str) -> str:
    return name.lower().replace("_", " ")


CIFAR10_TO_STL10 = LabelMapping("cifar10", "stl10", {
    "airplane": [0, 0], "cat": [3, 3], "deer": [4, 4],
    "dog": [5, 5], "ship": [8, 8], "truck": [9, 9]})
"""Table 3's six shared classes (CIFAR-10 and STL-10 happen to use the same indices for them)."""


def resize_images(images: np.ndarray, size, antialias: bool = True) -> np.ndarray:
    """``[N, H, W, C] uint8`` -> ``[N, H', W', C] uint8`` by bilinear resize (batched through
    ``tf.image.resize``; antialiased when shrinking, e.g. STL-10 96 -> 32)."""
    import tensorflow as tf

    out = [tf.image.resize(tf.cast(images[i:i + 2048], tf.float32), tuple(size), "bilinear",
                           antialias=antialias) for i in range(0, len(images), 2048)]
    return np.concatenate([np.clip(np.round(o.numpy()), 0, 255).astype(np.uint8) for o in out])


def restrict(split: data_lib.Split, labels: np.ndarray, relabel_to: np.ndarray | None = None
             ) -> data_lib.Split:
    """Keep the images whose label is in ``labels``; optionally relabel ``labels[i] ->
    relabel_to[i]`` (target label -> source label)."""
    keep = np.isin(split.y, labels)
    y = split.y[keep]
    if relabel_to is not None:
        lut = np.full(max(int(split.y.max()), int(np.max(labels))) + 1, -1, np.int64)
        lut[labels] = relabel_to
        y = lut[y]
    return data_lib.Split(split.x[keep], y)


def target_test_set(target: data_lib.Dataset, mapping: LabelMapping, image_size
                    ) -> data_lib.Split:
    """The target's test split on the shared classes, resized to ``image_size (H, W)`` and
    labelled in the *source* label space."""
    split = restrict(target.test, mapping.target_labels, mapping.source_labels)
    if split.x.shape[1:3] != tuple(image_size):
        split = data_lib.Split(resize_images(split.x, image_size), split.y)
    return split


def shared_class_accuracy(predictions: np.ndarray, labels: np.ndarray, mapping: LabelMapping
                          ) -> dict[str, float]:
    """Per shared class: accuracy over the C-way prediction (a prediction of a non-shared class
    counts as wrong), keyed by shared name; NaN for a class with no image. Table 3's cells."""
    return {n: float(np.mean(predictions[labels == s] == s)) if np.any(labels == s)
            else float("nan") for n, s in zip(mapping.names, mapping.source_labels)}


def evaluate(predict, source: data_lib.Dataset, target: data_lib.Dataset,
             mapping: LabelMapping) -> dict[str, dict[str, float]]:
    """Table 3 for one model: ``{"source": {class: acc}, "target": {class: acc}}`` plus the
    ``"mean"`` over shared classes of each. ``predict``: ``images uint8 -> labels``."""
    mapping.check(source.info, target.info)
    src = restrict(source.test, mapping.source_labels)
    tgt = target_test_set(target, mapping, source.info.image_shape[:2])
    if tgt.x.shape[-1] != source.info.channels:
        raise ValueError(f"target has {tgt.x.shape[-1]} channels, source {source.info.channels}")
    out = {"source": shared_class_accuracy(predict(src.x), src.y, mapping),
           "target": shared_class_accuracy(predict(tgt.x), tgt.y, mapping)}
    for side in ("source", "target"):
        out[side]["mean"] = float(np.nanmean(list(out[side].values())))
    return out


def table3(source: data_lib.Dataset, target: data_lib.Dataset, mapping: LabelMapping,
           arms: dict, recipe=None, seed: int = 0, strategy=None) -> list[dict]:
    """Train one victim per arm on the source (``arms``: name -> ``PixelAttack`` or ``None``
    for clean) and report Table 3 for each: rows ``{"arm", "source": {...}, "target": {...}}``.
    ``recipe``: the victim, a :class:`evoshift_tf.victims.recipe.VictimRecipe` (default
    ``VictimRecipe("colornet")``), trained with ``seed`` in every arm."""
    from evoshift_tf import attack as attack_lib
    from evoshift_tf.victims import recipe as recipe_lib
    from evoshift_tf.victims import training

    recipe = recipe or recipe_lib.VictimRecipe("colornet")
    mapping.check(source.info, target.info)
    victim = recipe.build(source.info.image_shape, source.info.num_classes, seed=seed)
    rows = []
    for name, atk in arms.items():
        x = source.train.x if atk is None else attack_lib.apply(atk, source.train.x,
                                                                source.train.y)
        result = victim.train(x, source.train.y, strategy=strategy)
        table = evaluate(lambda im: training.predict_labels(result.model, im), source, target,
                         mapping)
        rows.append({"arm": name, **table})
    return rows


def resized(dataset: data_lib.Dataset, size, name: str | None = None) -> data_lib.Dataset:
    """``dataset`` with every image resized bilinearly to ``size (H, W)`` (e.g. Fashion-MNIST
    28 -> 56, the stand-in target of the SVF study)."""
    size = tuple(int(s) for s in size)
    info = dataclasses.replace(dataset.info, name=name or f"{dataset.info.name}_{size[0]}x{size[1]}",
                               image_shape=(*size, dataset.info.channels))
    return data_lib.Dataset(info, data_lib.Split(resize_images(dataset.train.x, size),
                                                 dataset.train.y),
                            data_lib.Split(resize_images(dataset.test.x, size), dataset.test.y))
