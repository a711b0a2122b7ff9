"""The pixel-poison detector: a class-wise trigger makes a pixel's value predict the label.

A class-wise few-pixel poison (EvoShift, One-Pixel Shortcut, Jacobsen et al., random placement;
:mod:`evoshift_tf.attack`) writes the same value ``v`` at the same position of every training
image of class ``k``. No model is needed to see it: at that position the value ``v`` occurs in
(nearly) all of class ``k``'s images and in (nearly) none of any other class's. This module
measures that per class, position, channel and value, over the whole labelled training set, and
repairs the flagged pixels from their neighbourhood.

**Score** (specificity). With ``p_j(v) = P(x[r, c, ch] = v | y = j)`` estimated by counting,

    s_k(r, c, ch) = max_v [ p_k(v) - max_{j != k} p_j(v) ]            (in [-1, 1])

the share of class ``k``'s images that show the value minus the largest share of any *one* other
class that shows it. A class-wise trigger scores about 1; a value many classes share (Fashion-
MNIST's black background) about 0. Against the largest other class rather than the pool of all
others, because a natural shape is rarely exclusive to one class: on clean Fashion-MNIST the
pooled form ``p_k(v) - P(x = v | y != k)`` reaches 0.79 (sandals' holes are black where most
other classes are not, but bags and sneakers are black there too), this form 0.51
(``docs/detector.md``). The score map of a class is the maximum over channels.

With ``tolerance = t > 0``, ``p_j(v)`` becomes ``P(|x - v| <= t | y = j)`` (a window of values),
for poisons whose values vary a little per image; it lowers the score of exact poisons and
raises that of natural data (``docs/detector.md``), so the default is exact values (0).

**Threshold** :data:`THRESHOLD` = 0.7, measured (``benchmarks/detector.py``): the largest score of
clean Fashion-MNIST is 0.51 and of clean CIFAR-10 (JPEG-75) 0.05; the lowest score of a committed
poison's pixel is 0.84 (Jacobsen et al., N_p = 10), all others 0.86 or more except one pixel of
random placement that writes black where another class is black too (0.00: not a trigger).

**Repair** (:func:`repair`): every training image's pixel at every flagged position is replaced
by the median of the unflagged pixels of its 3x3 neighbourhood (itself excluded); where every
neighbour is flagged too (EvoShift's N_p > 1 attacks grow blobs), the window widens to 5x5, 7x7,
... Every image, not only the flagged class's: repairing one class alone leaves the repair's
smoothing as a mark of that class, which victims learn (measured: :data:`REPAIR_SCOPES`).
Training set only: the detector needs the labels.

Everything is vectorised over images and pixels (the only Python loops are over chunks of images,
classes and window radii); the counts are accumulated in chunks of images so that the memory is
``C * H * W * ch * 256`` counters plus one chunk, whatever the number of images.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from evoshift_tf.errors import UserError

THRESHOLD = 0.7
"""Score at or above which a position is flagged (and the dataset called poisoned). Measured
margin (``benchmarks/detector.py``): 0.19 above the largest clean Fashion-MNIST score (0.51; 0.54
on class-balanced subsets of 500-10,000 images), 0.65 above clean CIFAR-10's (0.05; 0.16 on 500
images), 0.14 below the weakest committed poison pixel that is a trigger (0.84)."""
TOLERANCE = 0
"""Value window half-width of the score (0 = exact values, what every committed poison writes)."""
LEVELS = 256
"""uint8 pixel values."""
CHUNK_ELEMENTS = 1 << 23
"""Pixel values counted per step (8 M: a 64 MB index array); bounds the detector's memory."""


class DetectionError(UserError):
    """Data the detector cannot judge: not ``uint8 [N, H, W, ch]``, labels out of range, a class
    without images, fewer than two classes, a report for other images."""


@dataclasses.dataclass(frozen=True, eq=False)
class DetectionReport:
    """What :func:`detect` found in a labelled training set.

    Attributes:
      scores: ``float32 [C, H, W]``, the specificity score of every class and position (maximum
        over channels; see the module docstring), in ``[-1, 1]``: about 1 for a class-wise
        trigger, about 0 for a value that other classes share.
      values: ``uint8 [C, H, W, ch]``, per channel the value ``v`` that attains the score (the
        trigger's value at a flagged position).
      flagged: ``bool [C, H, W]``, ``scores >= threshold``.
      threshold: the score at or above which a position is flagged.
      tolerance: value window half-width the scores were computed with (0 = exact values).
      class_counts: ``int64 [C]`` training images per class.
    """

    scores: np.ndarray
    values: np.ndarray
    flagged: np.ndarray
    threshold: float
    tolerance: int
    class_counts: np.ndarray

    @property
    def num_classes(self) -> int:
        return int(self.scores.shape[0])

    @property
    def max_score(self) -> float:
        """The largest score over classes and positions."""
        return float(self.scores.max())

    @property
    def poisoned(self) -> bool:
        """The dataset-level verdict: some position of some class scores ``>= threshold``."""
        return bool(self.flagged.any())

    def positions(self, k: int) -> np.ndarray:
        """``int64 [F, 2]`` ``(row, col)`` of class ``k``'s flagged pixels, row-major."""
        return np.argwhere(self.flagged[k]).astype(np.int64)

    def to_json(self, class_names=None) -> dict:
        """A JSON-able summary: verdict, threshold, largest score, per class its flagged pixels
        (``row``, ``col``, ``values`` per channel, ``score``) and its largest score."""
        names = list(class_names) if class_names is not None else [
            str(k) for k in range(self.num_classes)]
        classes = []
        for k in range(self.num_classes):
            rows, cols = np.nonzero(self.flagged[k])
            classes.append({
                "class": k, "name": names[k], "images": int(self.class_counts[k]),
                "max_score": round(float(self.scores[k].max()), 4),
                "flagged": [{"row": int(r), "col": int(c),
                             "values": self.values[k, r, c].astype(int).tolist(),
                             "score": round(float(self.scores[k, r, c]), 4)}
                            for r, c in zip(rows, cols)]})
        return {"poisoned": self.poisoned, "threshold": self.threshold,
                "max_score": round(self.max_score, 4), "tolerance": self.tolerance,
                "flagged_pixels": int(self.flagged.sum()),
                "score": "max_v [P(x=v | y=k) - max_{j!=k} P(x=v | y=j)], max over channels",
                "classes": classes}


def _check(x: np.ndarray, y: np.ndarray, num_classes: int) -> None:
    if x.dtype != np.uint8 or x.ndim != 4:
        raise DetectionError(f"images must be uint8 [N, H, W, ch], got {x.dtype} {x.shape}")
    if y.shape != (x.shape[0],):
        raise DetectionError(f"labels must be [N] = [{x.shape[0]}], got {y.shape}")
    if num_classes < 2:
        raise DetectionError(f"the detector compares classes: need >= 2, got {num_classes}")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise DetectionError(f"labels must be in [0, {num_classes}), got {y.min()}..{y.max()}")


def value_counts(x: np.ndarray, y: np.ndarray, num_classes: int,
                 chunk_elements: int = CHUNK_ELEMENTS) -> np.ndarray:
    """How often each value occurs at each position in each class: ``int64 [C, H*W*ch, 256]``.

    ``x [N, H, W, ch] uint8``, ``y [N]`` ints in ``[0, C)``. One ``np.bincount`` per chunk of
    ``chunk_elements // (H*W*ch)`` images (at least one image).
    """
    _check(x, y, num_classes)
    n = x.shape[0]
    p = int(np.prod(x.shape[1:]))
    counts = np.zeros(num_classes * p * LEVELS, np.int64)
    offsets = np.arange(p, dtype=np.int64) * LEVELS                      # [P]
    step = max(1, chunk_elements // p)
    for start in range(0, n, step):
        xc = x[start:start + step].reshape(-1, p)
        yc = y[start:start + step].astype(np.int64)
        index = (yc[:, None] * (p * LEVELS) + offsets[None]) + xc       # [n, P] int64
        counts += np.bincount(index.ravel(), minlength=counts.size)
    return counts.reshape(num_classes, p, LEVELS)


def specificity(counts: np.ndarray, tolerance: int = TOLERANCE) -> tuple[np.ndarray, np.ndarray]:
    """The score of the module docstring from :func:`value_counts`.

    Args:
      counts: ``int [C, P, 256]`` per class, position and value.
      tolerance: value window half-width ``t``: ``p_j(v) = P(|x - v| <= t | y = j)``.
    Returns:
      ``scores float32 [C, P]`` and the maximising ``values uint8 [C, P]``.
    """
    c = counts.shape[0]
    if not 0 <= tolerance < LEVELS:
        raise DetectionError(f"tolerance must be in [0, {LEVELS - 1}], got {tolerance}")
    per_class = counts.sum(axis=2)[:, :1].astype(np.float32)            # [C, 1] images per class
    if (per_class == 0).any():
        raise DetectionError(f"every class needs training images; images per class: "
                             f"{per_class[:, 0].astype(int).tolist()}")
    hits = counts.astype(np.float32)
    if tolerance:
        cumulative = np.concatenate([np.zeros(hits.shape[:2] + (1,), np.float32),
                                     np.cumsum(hits, axis=2)], axis=2)
        v = np.arange(LEVELS)
        hits = (cumulative[..., np.minimum(v + tolerance + 1, LEVELS)]
                - cumulative[..., np.maximum(v - tolerance, 0)])
    share = hits / per_class[:, :, None]                                # p_k(v)  [C, P, 256]
    first = share.max(axis=0)                                           # max_j p_j(v)
    second = np.partition(share, c - 2, axis=0)[c - 2]                  # the runner-up
    leader = share.argmax(axis=0)
    others = np.where(np.arange(c)[:, None, None] == leader[None], second[None], first[None])
    margin = share - others                                             # p_k - max_{j!=k} p_j
    return margin.max(axis=2), margin.argmax(axis=2).astype(np.uint8)


def detect(x: np.ndarray, y: np.ndarray, num_classes: int, threshold: float = THRESHOLD,
           tolerance: int = TOLERANCE) -> DetectionReport:
    """Per-class, per-position statistics of a labelled training set (see the module docstring).

    Args:
      x: ``[N, H, W, ch] uint8`` training images (the whole set: the statistic needs every class).
      y: ``[N]`` labels in ``[0, num_classes)``.
      threshold: score at or above which a position is flagged (:data:`THRESHOLD`).
      tolerance: value window half-width (:data:`TOLERANCE`: exact values).
    Returns:
      a :class:`DetectionReport`. CIFAR-10's 50,000 x 32 x 32 x 3 images take about 4 s and
      0.25 GB beside the images on 2 busy CPU cores.
    """
    if not 0.0 < threshold <= 1.0:
        raise DetectionError(f"threshold must be in (0, 1], got {threshold}")
    y = np.asarray(y)
    counts = value_counts(x, y, num_classes)
    scores, values = specificity(counts, tolerance)
    h, w, ch = x.shape[1:]
    scores = scores.reshape(num_classes, h, w, ch)
    best = scores.max(axis=3)
    return DetectionReport(scores=best, values=values.reshape(num_classes, h, w, ch),
                           flagged=best >= threshold, threshold=float(threshold),
                           tolerance=int(tolerance),
                           class_counts=counts[:, 0].sum(axis=1).astype(np.int64))


def _median_of_valid(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Median over axis 2 of ``values [n, F, K, ch]`` where ``valid [F, K]`` (at least one per
    row); the mean of the two middle values for an even count (``np.median``'s convention)."""
    v = np.where(valid[None, :, :, None], values.astype(np.float32), np.nan)
    v = np.sort(v, axis=2)                                              # NaNs last
    m = valid.sum(axis=1)                                               # [F] valid neighbours
    lo = ((m - 1) // 2)[None, :, None, None]
    hi = (m // 2)[None, :, None, None]
    return 0.5 * (np.take_along_axis(v, lo, 2) + np.take_along_axis(v, hi, 2))[:, :, 0]


def _neighbourhoods(flagged: np.ndarray, radius: int):
    """For the flagged pixels of one class (``flagged [H, W]``): per pixel the window radius
    (``radius``, widened where every neighbour is flagged) and its neighbours.

    Yields ``(pixels [F'] indices into the flagged pixels, rows [F', K], cols [F', K],
    valid [F', K])`` per radius used; pixels with no unflagged pixel in the whole image are
    left out (nothing to repair them from)."""
    h, w = flagged.shape
    rows, cols = np.nonzero(flagged)
    todo = np.arange(rows.size)
    r = radius
    while todo.size and r <= max(h, w):
        dr, dc = np.mgrid[-r:r + 1, -r:r + 1]
        ring = (dr != 0) | (dc != 0)                                    # the pixel itself out
        nr = rows[todo, None] + dr[ring][None]                          # [F', K]
        nc = cols[todo, None] + dc[ring][None]
        inside = (nr >= 0) & (nr < h) & (nc >= 0) & (nc < w)
        nr, nc = np.clip(nr, 0, h - 1), np.clip(nc, 0, w - 1)
        valid = inside & ~flagged[nr, nc]
        ok = valid.any(axis=1)
        if ok.any():
            yield todo[ok], nr[ok], nc[ok], valid[ok]
        todo = todo[~ok]
        r += 1


REPAIR_SCOPES = ("all", "class")
"""Which images :func:`repair` changes: ``all`` (the default), every image at every position flagged
for any class; ``class``, each flagged position in its own class's images only. Measured
(``docs/detector.md``, GrayNet, 3 seeds): ``class`` leaves the repair's own smoothing as a mark of
the class, which victims learn where the trigger is a blob (EvoShift N_p = 10 repaired: 0.817
with ``class``, 0.892 with ``all``; clean 0.906); at N_p = 1, 0.886 and 0.905."""


def repair(x: np.ndarray, y: np.ndarray, report: DetectionReport, radius: int = 1,
           scope: str = "all", chunk_elements: int = CHUNK_ELEMENTS) -> np.ndarray:
    """Replace the flagged pixels by their neighbourhood's median.

    Every training image gets, at every position :attr:`DetectionReport.flagged` marks for any
    class, in every channel, the median of the *unflagged* pixels of the ``(2 radius + 1)^2``
    window around it (itself excluded, pixels outside the image left out), rounded to the nearest
    integer; where that window holds no unflagged pixel, the smallest wider window that does.
    Unflagged positions are untouched. All images, not only the flagged class's: a repair of
    class ``k``'s images alone (``scope="class"``) leaves its own smoothing as a mark of class
    ``k`` (see :data:`REPAIR_SCOPES`); with ``scope="all"`` the other classes lose those few pixels
    to the same smoothing.

    Args:
      x: ``[N, H, W, ch] uint8`` training images (not modified).
      y: ``[N]`` labels.
      report: :func:`detect`'s report for these images.
      radius: window radius (1: 3x3).
      scope: one of :data:`REPAIR_SCOPES`.
    Returns:
      ``[N, H, W, ch] uint8``, the repaired copy.
    """
    y = np.asarray(y)
    _check(x, y, report.num_classes)
    if x.shape[1:3] != report.flagged.shape[1:]:
        raise DetectionError(f"the report is for {report.flagged.shape[1:]} images, these are "
                             f"{x.shape[1:3]}")
    if radius < 1:
        raise DetectionError(f"repair radius must be >= 1, got {radius}")
    if scope not in REPAIR_SCOPES:
        raise DetectionError(f"repair scope must be one of {list(REPAIR_SCOPES)}, got {scope!r}")
    if scope == "all":
        groups = [(np.arange(len(y)), report.flagged.any(axis=0))]
    else:
        groups = [(np.flatnonzero(y == k), report.flagged[k])             # flagged classes
                  for k in np.flatnonzero(report.flagged.any(axis=(1, 2)))]
    out = x.copy()
    for images, flagged in groups:
        rows, cols = np.nonzero(flagged)
        for pixels, nr, nc, valid in _neighbourhoods(flagged, radius):
            step = max(1, chunk_elements // max(1, nr.size * x.shape[3]))
            for start in range(0, images.size, step):
                idx = images[start:start + step]
                neighbours = x[idx[:, None, None], nr[None], nc[None]]  # [n, F', K, ch]
                median = _median_of_valid(neighbours, valid)            # [n, F', ch]
                out[idx[:, None], rows[pixels][None], cols[pixels][None]] = np.rint(
                    median).astype(np.uint8)
    return out


def detect_and_repair(x: np.ndarray, y: np.ndarray, num_classes: int,
                      threshold: float = THRESHOLD, tolerance: int = TOLERANCE
                      ) -> tuple[np.ndarray, DetectionReport]:
    """:func:`detect` then :func:`repair`: the repaired training images (``x`` itself, not a
    copy, when nothing is flagged) and the report."""
    report = detect(x, y, num_classes, threshold, tolerance)
    return (repair(x, y, report) if report.poisoned else x), report


def pixel_precision_recall(report: DetectionReport, positions: np.ndarray) -> dict:
    """The detector against the truth: ``positions int [C, N_p, 2]`` the attack's ``(row, col)``
    per class (:attr:`evoshift_tf.attack.PixelAttack.positions`).

    Returns ``precision`` (flagged (class, pixel) pairs that are the attack's; 1.0 when nothing is
    flagged), ``recall`` (the attack's pairs that are flagged), and the counts ``flagged``,
    ``true``, ``hits``.
    """
    positions = np.asarray(positions)
    truth = np.zeros_like(report.flagged)
    k = np.repeat(np.arange(positions.shape[0]), positions.shape[1])
    truth[k, positions[..., 0].ravel(), positions[..., 1].ravel()] = True
    hits = int((truth & report.flagged).sum())
    flagged, true = int(report.flagged.sum()), int(truth.sum())
    return {"precision": hits / flagged if flagged else 1.0, "recall": hits / true,
            "flagged": flagged, "true": true, "hits": hits}
