"""Image-level ROC curves of a detector, per class and with the classes pooled.

Detection has no true negatives at the box level, but it does at the image level:
for class k, an image is **positive** when it holds an object of class k that
counts (not ignored) and **negative** when it holds no object of class k at all.
An image whose only objects of class k are ignored (crowd, difficult, DontCare,
KAIST ignore regions) is left out of class k's curve, as such objects are neither
found nor missed by the protocols. The image's **score** for class k is the highest
confidence of a detection of class k on it (detections flagged ``ignore`` do not
take part); an image without such a detection scores below every detection
(``image_scores`` gives it ``min(0, lowest detection score) - 1``).

The curve is the one scikit-learn's ``roc_curve`` draws: thresholds are the
distinct scores in descending order (tied scores form one step), plus a first point
(0, 0) at threshold +inf; at threshold t, TPR = positives scoring >= t / positives
and FPR = negatives scoring >= t / negatives. The AUC is the exact trapezoid over
every such point, so it equals ``roc_auc_score`` on the same labels and scores.
The pooled curve ranks every (image, class) pair of every class together (micro
average); the macro AUC is the mean of the per-class AUCs that are defined (a class
needs a positive and a negative image).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numba
import numpy as np

from .analysis import descending_order, group_order
from .types import AnalysisInput, json_safe

CURVE_POINTS = 120


@numba.njit(cache=True, nogil=True)
def _coarse_points(scored: np.ndarray, min_step: int) -> np.ndarray:
    """bool [P]: the points :meth:`RocCurve.coarse` keeps, the first and the last always."""
    n = len(scored)
    keep = np.zeros(n, dtype=np.bool_)
    keep[0] = keep[n - 1] = True
    # ``scored`` never falls: the next point kept is the first at least ``min_step`` above
    # the last one kept, unless it is within ``min_step`` of the end (then so are all after it).
    i, last = 1, 0
    while True:
        while i < n and scored[i] < last + min_step:
            i += 1
        if i >= n - 1 or scored[n - 1] - scored[i] < min_step:
            return keep
        keep[i], last = True, scored[i]
        i += 1


@dataclass(frozen=True, eq=False)
class RocCurve:
    """One ROC curve: ``fpr``, ``tpr`` and ``thresholds`` float64 [P], P = distinct scores + 1.

    ``thresholds[0]`` is +inf (nothing kept); the point at the lowest threshold keeps
    every image. ``scored`` int64 [P]: the (image, class) pairs scoring at least each
    threshold. ``auc`` is NaN when there is no positive or no negative image.
    """

    name: str
    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray
    auc: float
    positives: int
    negatives: int
    scored: np.ndarray

    def coarse(self, min_step: int) -> RocCurve:
        """The curve through fewer points, each (but the last, every image) at least
        ``min_step`` pairs below the previous one, so that no step resolves a single
        detection; the AUC stays the exact one."""
        keep = _coarse_points(self.scored, min_step)
        return replace(
            self, fpr=self.fpr[keep], tpr=self.tpr[keep], thresholds=self.thresholds[keep], scored=self.scored[keep]
        )

    def at(self, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """FPR and TPR float64 [T] when the images scoring >= each of ``thresholds`` are called positive."""
        index = np.searchsorted(-self.thresholds, -np.asarray(thresholds, dtype=np.float64), side="right") - 1
        return self.fpr[index], self.tpr[index]

    def to_dict(self, points: int = CURVE_POINTS) -> dict[str, Any]:
        """At most ``points`` points for plotting (evenly spread, first and last kept; rates and thresholds
        rounded to 6 decimals); the AUC is the exact one."""
        keep: np.ndarray = np.arange(len(self.fpr))
        if len(keep) > points:
            keep = np.unique(np.round(np.linspace(0, len(keep) - 1, points)).astype(np.int64))
        thresholds = [round(t, 6) if math.isfinite(t) else None for t in self.thresholds[keep].tolist()]
        return json_safe(
            {
                "name": self.name,
                "fpr": np.round(self.fpr[keep], 6),
                "tpr": np.round(self.tpr[keep], 6),
                "thresholds": thresholds,
                "auc": self.auc,
                "positives": self.positives,
                "negatives": self.negatives,
            }
        )


@dataclass(frozen=True, eq=False)
class ImageRoc:
    """Image-level ROC: ``overall`` (classes pooled), ``per_class`` (``category_names`` order), ``macro_auc``."""

    overall: RocCurve
    per_class: tuple[RocCurve, ...]
    macro_auc: float

    def stats(self) -> dict[str, float]:
        return {"AUC": self.overall.auc, "AUC_macro": self.macro_auc}

    def to_dict(self, min_step: int = 1) -> dict[str, Any]:
        """The curves through points at least ``min_step`` pairs apart (:meth:`RocCurve.coarse`)."""
        return {
            "overall": self.overall.coarse(min_step).to_dict(),
            "classes": [curve.coarse(min_step).to_dict(points=CURVE_POINTS // 2) for curve in self.per_class],
            "auc": json_safe(self.overall.auc),
            "macro_auc": json_safe(self.macro_auc),
        }


def roc_curve(name: str, labels: np.ndarray, scores: np.ndarray) -> RocCurve:
    """The ROC curve of binary ``labels`` (bool [N]) ranked by ``scores`` (float64 [N])."""
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    order = descending_order(scores)
    return _ranked_curves((name,), labels[order], scores[order], np.array([0, len(scores)]))[0]


def _ranked_curves(names: Sequence[str], labels: np.ndarray, scores: np.ndarray, bounds: np.ndarray) -> list[RocCurve]:
    """One curve per segment ``bounds[k]:bounds[k+1]`` of ``labels`` and ``scores``, each segment
    already in descending score order (ties in input order). Every figure is the one a curve of
    the segment alone gives: integer counts, then one division each, so the segments share
    each numpy pass instead of taking one per curve."""
    num = len(names)
    size = len(scores)
    segment_of = np.repeat(np.arange(num), np.diff(bounds))
    # the last row of each run of equal scores within a segment (np.diff, as a curve of its own takes it)
    last = np.ones(size, dtype=bool)
    if size:
        last[:-1] = np.diff(scores) != 0
    last[bounds[1:][np.diff(bounds) > 0] - 1] = True  # each (non-empty) segment's end
    rows = np.flatnonzero(last)
    steps = np.bincount(segment_of[rows], minlength=num)  # points per curve, without the first (0, 0)
    labels_before = np.concatenate(([0], np.cumsum(labels)))
    tps = (labels_before[rows + 1] - labels_before[bounds[segment_of[rows]]]).astype(np.float64)
    fps = (rows - bounds[segment_of[rows]] + 1) - tps
    # each curve's points: its first (0, 0) at +inf, then its steps
    first = np.concatenate(([0], np.cumsum(steps + 1)))[:-1]
    length = len(rows) + num
    at = np.ones(length, dtype=bool)
    at[first] = False
    positives = labels_before[bounds[1:]] - labels_before[bounds[:-1]]
    negatives = np.diff(bounds) - positives
    tp_all, fp_all = np.zeros(length), np.zeros(length)
    tp_all[at], fp_all[at] = tps, fps
    per_point = np.repeat(np.arange(num), steps + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        tpr = tp_all / positives[per_point]
        fpr = fp_all / negatives[per_point]
    tpr[(positives == 0)[per_point]] = np.nan
    fpr[(negatives == 0)[per_point]] = np.nan
    thresholds = np.full(length, np.inf)
    thresholds[at] = scores[rows]
    scored = np.zeros(length, dtype=np.int64)
    scored[at] = rows - bounds[segment_of[rows]] + 1
    # np.trapezoid's terms for every curve at once (and between curves, left out): each curve's
    # AUC is then the sum of its slice, the values and the order of np.trapezoid's own sum
    area = (fpr[1:] - fpr[:-1]) * (tpr[1:] + tpr[:-1]) / 2.0
    curves = []
    for k, name in enumerate(names):
        part = slice(first[k], first[k] + steps[k] + 1)
        pos, neg = int(positives[k]), int(negatives[k])
        auc = float(area[first[k] : first[k] + steps[k]].sum()) if pos and neg else float("nan")
        curves.append(RocCurve(name, fpr[part], tpr[part], thresholds[part], auc, pos, neg, scored[part]))
    return curves


def image_scores(data: AnalysisInput) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per (class, image): label bool [K x I], score float64 [K x I], taking part bool [K x I]."""
    num_classes, num_images = len(data.category_names), len(data.image_ids)
    gts, dets = data.ground_truth, data.detections
    gt_key = np.asarray(gts.category, dtype=np.int64) * num_images + np.asarray(gts.image, dtype=np.int64)
    gt_ignore = np.asarray(gts.ignore, dtype=bool)
    size = num_classes * num_images
    counted = np.bincount(gt_key[~gt_ignore], minlength=size) > 0
    ignored_only = (np.bincount(gt_key[gt_ignore], minlength=size) > 0) & ~counted
    det_scores = np.asarray(dets.score, dtype=np.float64)
    kept = ~np.asarray(dets.ignore, dtype=bool)
    floor = min(0.0, float(det_scores[kept].min())) - 1.0 if kept.any() else -1.0
    best = np.full(size, floor)
    det_key = np.asarray(dets.category, dtype=np.int64) * num_images + np.asarray(dets.image, dtype=np.int64)
    np.maximum.at(best, det_key[kept], det_scores[kept])
    shape = (num_classes, num_images)
    return counted.reshape(shape), best.reshape(shape), ~ignored_only.reshape(shape)


def _descending(scores: np.ndarray) -> np.ndarray:
    """``np.argsort(-scores, kind="stable")``, sorting only the scores above the lowest: the
    images without a detection of a class all score the lowest, and tie there in input order."""
    if not len(scores):
        return np.zeros(0, dtype=np.int64)
    low = scores.min()
    if np.isnan(low):
        return descending_order(scores)
    above = scores > low
    rows = np.flatnonzero(above)
    return np.concatenate((rows[descending_order(scores[rows])], np.flatnonzero(~above)))


def image_roc(data: AnalysisInput) -> ImageRoc:
    """Image-level ROC per class and pooled, with exact AUCs (module docstring)."""
    labels, scores, part = image_scores(data)
    num_classes, num_images = labels.shape
    pairs = np.flatnonzero(part.ravel())  # the (class, image) pairs taking part, by class then image
    pair_labels, pair_scores = labels.ravel()[pairs], scores.ravel()[pairs]
    pooled = _descending(pair_scores)
    overall = _ranked_curves(
        ("all classes pooled",), pair_labels[pooled], pair_scores[pooled], np.array([0, len(pairs)])
    )[0]
    # The pooled order sorted stably by class: each class's pairs by descending score, ties by
    # image, as a sort of the class's own pairs gives them.
    pair_class = pairs // max(num_images, 1)
    by_class = pooled[group_order(pair_class[pooled], max(num_classes, 1))]
    bounds = np.concatenate(([0], np.cumsum(np.bincount(pair_class, minlength=num_classes))))
    per_class = tuple(_ranked_curves(tuple(data.category_names), pair_labels[by_class], pair_scores[by_class], bounds))
    defined = [curve.auc for curve in per_class if np.isfinite(curve.auc)]
    macro = float(np.mean(defined)) if defined else float("nan")
    return ImageRoc(overall=overall, per_class=per_class, macro_auc=macro)
