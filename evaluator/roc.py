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
from dataclasses import dataclass, replace
from typing import Any

import numba
import numpy as np

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
    order = np.argsort(-scores, kind="stable")
    scores, labels = scores[order], labels[order]
    last_of_value = np.append(np.flatnonzero(np.diff(scores)), len(scores) - 1) if len(scores) else np.zeros(0, int)
    tps = np.cumsum(labels)[last_of_value].astype(np.float64)
    fps = (last_of_value + 1) - tps
    positives, negatives = int(labels.sum()), int(len(labels) - labels.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        tpr = np.append(0.0, tps) / positives if positives else np.full(len(tps) + 1, np.nan)
        fpr = np.append(0.0, fps) / negatives if negatives else np.full(len(fps) + 1, np.nan)
    thresholds = np.append(np.inf, scores[last_of_value])
    auc = float(np.trapezoid(tpr, fpr)) if positives and negatives else float("nan")
    scored = np.append(0, last_of_value + 1).astype(np.int64)
    return RocCurve(name, fpr, tpr, thresholds, auc, positives, negatives, scored)


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


def image_roc(data: AnalysisInput) -> ImageRoc:
    """Image-level ROC per class and pooled, with exact AUCs (module docstring)."""
    labels, scores, part = image_scores(data)
    per_class = tuple(
        roc_curve(name, labels[k][part[k]], scores[k][part[k]]) for k, name in enumerate(data.category_names)
    )
    overall = roc_curve("all classes pooled", labels[part], scores[part])
    defined = [curve.auc for curve in per_class if np.isfinite(curve.auc)]
    macro = float(np.mean(defined)) if defined else float("nan")
    return ImageRoc(overall=overall, per_class=per_class, macro_auc=macro)
