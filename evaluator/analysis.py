"""Operating-point analysis of detections, independent of the accuracy protocol.

Works on :class:`~evaluator.types.AnalysisInput` (what every protocol's
``analysis_input(gt, results)`` returns) and gives what DESIGN section 4 lists
beside AP: TP / FP / FN, precision, recall and F1 at one IoU and one confidence
threshold, a class confusion matrix with a background row and column, the same
figures swept over the confidence threshold, and miss rate against false positives
per image with the log-average miss rate.

**Matching rule** (every function here): only detections with ``score >= score``
take part, and detections flagged ``ignore`` never do. Within a group (one image
and one class; one image for the confusion matrix), detections are visited by
descending score, ties in input order (a stable sort). Each detection takes the
still unmatched, not ignored ground-truth box of highest IoU, provided that IoU is
``>= iou``; equal IoUs go to the later box in input order (as pycocotools and the
Caltech toolbox do). That makes it a **true positive**. A detection that takes no
box but overlaps an ignored box (crowd, difficult, DontCare, ignore region) by at
least ``iou`` is **ignored**: neither true nor false positive. Ignored boxes are
only a fallback (a detection prefers a box that counts) and absorb any number of
detections. Any other detection is a **false positive**; every box that counts and
that no detection took is a **false negative**. With ``ignore_overlap="ioa"`` the
overlap with an ignored box is intersection over the detection's area, the rule of
COCO crowd regions, KITTI DontCare and the Caltech / KAIST ignore regions; the
default ``"iou"`` treats ignored boxes like the others (VOC ``difficult``).
``iou`` may also be one threshold per class (KITTI's Car 0.7, Pedestrian and
Cyclist 0.5): each detection is then held to its own class's threshold.

Boxes are continuous xyxy corners: IoU = intersection / (area_d + area_g -
intersection), 0 for boxes without area.

**True negatives do not exist in detection**: there is no countable set of
"background boxes", so there is no specificity, accuracy or ROC. The detection
analogue of ROC is miss rate against FPPI (:func:`miss_rate_fppi`).

The matching is compiled (numba): one pass over the detections in processing
order, each scanning the boxes of its own group. Every function takes an optional
``matches``: :func:`match` of the same data at the same ``iou`` and
``ignore_overlap`` (``by_class=False`` for :func:`confusion_matrix`), so that several
figures and confidence thresholds share one matching.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numba
import numpy as np

from .types import AnalysisInput, BoxSet, json_safe

IgnoreOverlap = Literal["iou", "ioa"]
# One IoU threshold, or one per class in ``category_names`` order (KITTI: Car 0.7, the others 0.5).
Iou = float | tuple[float, ...]
IGNORE_OVERLAPS = ("iou", "ioa")
BACKGROUND = "background"
MAX_THRESHOLDS = 200
CURVE_POINTS = 200
FPPI_REFERENCE = np.logspace(-2.0, 0.0, 9)
MIN_MISS_RATE = 1e-10

FALSE_POSITIVE, TRUE_POSITIVE, IGNORED = 0, 1, -1
_PAIR_CHUNK = 1 << 22


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True, eq=False)
class _Matches:
    """Detections that take part, in processing order (group, descending score, input order).

    ``det`` int64 indices into ``data.detections``; ``status`` int8 (TRUE_POSITIVE,
    FALSE_POSITIVE, IGNORED); ``gt`` int64 the ground-truth index taken, -1 if none.
    """

    det: np.ndarray
    image: np.ndarray
    category: np.ndarray
    score: np.ndarray
    status: np.ndarray
    gt: np.ndarray


def _check(data: AnalysisInput, iou: Iou, ignore_overlap: str) -> None:
    if data.detections.score is None:
        raise ValueError("the detections of an AnalysisInput need scores")
    values = np.atleast_1d(np.asarray(iou, dtype=np.float64))
    if isinstance(iou, (tuple, list, np.ndarray)) and len(values) != len(data.category_names):
        raise ValueError(f"one iou per class expected ({len(data.category_names)}), got {len(values)}")
    if not ((values > 0.0) & (values <= 1.0)).all():
        raise ValueError(f"iou must be in (0, 1], got {iou!r}")
    if ignore_overlap not in IGNORE_OVERLAPS:
        raise ValueError(f"ignore_overlap must be one of {IGNORE_OVERLAPS}, got {ignore_overlap!r}")


def _overlaps(det_xyxy: np.ndarray, gt_xyxy: np.ndarray, ioa: np.ndarray) -> np.ndarray:
    """Row-wise overlap of paired boxes [P x 4]: IoU, or intersection over the detection where ``ioa``."""
    width = np.minimum(det_xyxy[:, 2], gt_xyxy[:, 2]) - np.maximum(det_xyxy[:, 0], gt_xyxy[:, 0])
    height = np.minimum(det_xyxy[:, 3], gt_xyxy[:, 3]) - np.maximum(det_xyxy[:, 1], gt_xyxy[:, 1])
    inter = np.where((width > 0) & (height > 0), width * height, 0.0)
    det_area = (det_xyxy[:, 2] - det_xyxy[:, 0]) * (det_xyxy[:, 3] - det_xyxy[:, 1])
    gt_area = (gt_xyxy[:, 2] - gt_xyxy[:, 0]) * (gt_xyxy[:, 3] - gt_xyxy[:, 1])
    union = np.where(ioa, det_area, det_area + gt_area - inter)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def _candidates(
    det_group: np.ndarray,
    det_xyxy: np.ndarray,
    gt_group: np.ndarray,
    gt_xyxy: np.ndarray,
    gt_ignore: np.ndarray,
    iou: float | np.ndarray,
    ioa: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (detection, counted box, IoU) of the same group with IoU >= ``iou`` (a float,
    or float64 [D]: one per detection), and bool [D]: the detection overlaps an ignored
    box of its group enough."""
    num_det = len(det_group)
    on_ignored = np.zeros(num_det, dtype=bool)
    gt_order = np.argsort(gt_group, kind="stable")
    sorted_groups = gt_group[gt_order]
    lo = np.searchsorted(sorted_groups, det_group, side="left")
    counts = np.searchsorted(sorted_groups, det_group, side="right") - lo
    ends = np.cumsum(counts)
    pair_det, pair_gt, pair_iou = [], [], []
    start = 0
    while start < num_det:
        base = ends[start - 1] if start else 0
        stop = max(int(np.searchsorted(ends, base + _PAIR_CHUNK, side="right")), start + 1)
        c = counts[start:stop]
        total = int(c.sum())
        if total:
            d = np.repeat(np.arange(start, stop), c)
            within = np.arange(total) - np.repeat(np.cumsum(c) - c, c)
            g = gt_order[np.repeat(lo[start:stop], c) + within]
            ignored = gt_ignore[g]
            overlap = _overlaps(np.take(det_xyxy, d, axis=0), np.take(gt_xyxy, g, axis=0), ignored & ioa)
            hit = overlap >= (iou[d] if isinstance(iou, np.ndarray) else iou)
            on_ignored[d[hit & ignored]] = True
            keep = hit & ~ignored
            pair_det.append(d[keep])
            pair_gt.append(g[keep])
            pair_iou.append(overlap[keep])
        start = stop
    if not pair_det:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), on_ignored
    return np.concatenate(pair_det), np.concatenate(pair_gt), np.concatenate(pair_iou), on_ignored


@numba.njit(cache=True, nogil=True)
def _greedy_compiled(
    lo: np.ndarray,
    hi: np.ndarray,
    gt_order: np.ndarray,
    det_xyxy: np.ndarray,
    gt_xyxy: np.ndarray,
    gt_ignore: np.ndarray,
    iou: np.ndarray,
    ioa: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """The matching rule run sequentially over detections in processing order.

    Detection i's group owns ground-truth boxes ``gt_order[lo[i]:hi[i]]`` (ascending
    index); ``iou`` float64 [D] is each detection's threshold. Returns int64 [D], the box
    taken (-1 for none), and bool [D], the detection overlaps an ignored box of its group enough. The overlaps are :func:`_overlaps`'
    floating-point operations. Each detection scans its own group's boxes once, so the
    cost is the number of (detection, box) pairs of the same group.
    """
    num_det = len(lo)
    match = np.full(num_det, -1, dtype=np.int64)
    on_ignored = np.zeros(num_det, dtype=np.bool_)
    taken = np.zeros(len(gt_ignore), dtype=np.bool_)
    for i in range(num_det):
        best = -1
        best_overlap = iou[i]
        d = det_xyxy[i]
        det_area = (d[2] - d[0]) * (d[3] - d[1])
        for e in range(lo[i], hi[i]):
            j = gt_order[e]
            ignored = gt_ignore[j]
            if taken[j]:
                continue
            g = gt_xyxy[j]
            width = min(d[2], g[2]) - max(d[0], g[0])
            height = min(d[3], g[3]) - max(d[1], g[1])
            inter = width * height if (width > 0 and height > 0) else 0.0
            union = det_area if ignored and ioa else det_area + (g[2] - g[0]) * (g[3] - g[1]) - inter
            overlap = inter / union if union > 0 else 0.0
            if overlap < iou[i]:
                continue
            if ignored:
                on_ignored[i] = True
            elif overlap >= best_overlap:
                best_overlap = overlap
                best = j
        if best >= 0:
            match[i] = best
            taken[best] = True
    return match, on_ignored


def _per_detection(iou: Iou, category: np.ndarray) -> float | np.ndarray:
    """A scalar IoU as it is; per-class IoUs as float64 [D], each detection's class's."""
    if isinstance(iou, (tuple, list, np.ndarray)):
        return np.asarray(iou, dtype=np.float64)[category]
    return float(iou)


def _iou_json(iou: Iou) -> float | list[float]:
    return [float(v) for v in iou] if isinstance(iou, (tuple, list, np.ndarray)) else float(iou)


@dataclass(frozen=True, eq=False)
class _Ordered:
    """The detections taking part, in processing order, with each one's group of ground truth:
    everything of a matching but the IoU."""

    chosen: np.ndarray
    image: np.ndarray
    category: np.ndarray
    score: np.ndarray
    xyxy: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    gt_order: np.ndarray
    gt_xyxy: np.ndarray
    gt_ignore: np.ndarray


@numba.njit(cache=True, nogil=True)
def group_order(group: np.ndarray, size: int) -> np.ndarray:
    """``np.argsort(group, kind="stable")`` of integers in ``[0, size)``, by counting."""
    start = np.zeros(size + 1, dtype=np.int64)
    for g in group:
        start[g + 1] += 1
    for g in range(size):
        start[g + 1] += start[g]
    order = np.empty(len(group), dtype=np.int64)
    for i in range(len(group)):
        order[start[group[i]]] = i
        start[group[i]] += 1
    return order


_RADIX_BITS = 11
RADIX_FROM = 256  # fewer scores are sorted by numpy, without the radix passes' fixed cost


@numba.njit(cache=True, nogil=True)
def _radix_descending(scores: np.ndarray) -> tuple[np.ndarray, bool]:
    """``np.argsort(-scores, kind="stable")`` of float64 ``scores`` by a stable LSD radix sort
    of their bits (mapped so that the integer order is the descending float order, -0.0 as
    0.0), and True; or an empty order and False when a score is NaN (numpy's order then)."""
    n = len(scores)
    keys = np.empty(n, dtype=np.uint64)
    sign = np.uint64(1) << np.uint64(63)
    bits = (scores + 0.0).view(np.uint64)  # + 0.0: -0.0 becomes 0.0, equal to it as numpy compares
    for i in range(n):
        if np.isnan(scores[i]):
            return np.zeros(0, dtype=np.int64), False
        b = bits[i]
        ascending = ~b if b & sign else b | sign
        keys[i] = ~ascending
    order = np.arange(n)
    spare = np.empty(n, dtype=np.int64)
    radix = 1 << _RADIX_BITS
    mask = np.uint64(radix - 1)
    count = np.empty(radix + 1, dtype=np.int64)
    for shift in range(0, 64, _RADIX_BITS):
        count[:] = 0
        for i in range(n):
            count[((keys[i] >> np.uint64(shift)) & mask) + 1] += 1
        if count.max() == n:  # one digit throughout: this pass keeps the order
            continue
        for d in range(radix):
            count[d + 1] += count[d]
        for i in range(n):
            row = order[i]
            d = (keys[row] >> np.uint64(shift)) & mask
            spare[count[d]] = row
            count[d] += 1
        order, spare = spare, order
    return order, True


def descending_order(scores: np.ndarray) -> np.ndarray:
    """``np.argsort(-scores, kind="stable")``: by descending score, ties in input order."""
    scores = np.ascontiguousarray(scores, dtype=np.float64)
    if len(scores) < RADIX_FROM:
        return np.argsort(-scores, kind="stable")
    order, done = _radix_descending(scores)
    return order if done else np.argsort(-scores, kind="stable")


def _ordered(data: AnalysisInput, *, score: float, by_class: bool, by_score: np.ndarray | None = None) -> _Ordered:
    """``by_score``: ``descending_order`` of the detections' scores, when already sorted (score -inf only)."""
    dets, gts = data.detections, data.ground_truth
    num_classes = max(len(data.category_names), 1)
    scores = np.asarray(dets.score, dtype=np.float64)
    selected = (scores >= score) & ~np.asarray(dets.ignore, dtype=bool)
    # By group, then descending score, then input order: two stable sorts, the second on
    # integers, are faster than lexsort's three keys.
    if by_score is None:
        chosen = np.flatnonzero(selected)
        chosen = chosen[descending_order(scores[chosen])]
    else:
        chosen = by_score[selected[by_score]]
    det_image = np.asarray(dets.image, dtype=np.int64)[chosen]
    det_category = np.asarray(dets.category, dtype=np.int64)[chosen]
    gt_image = np.asarray(gts.image, dtype=np.int64)
    gt_category = np.asarray(gts.category, dtype=np.int64)
    if by_class:
        det_group, gt_group = det_image * num_classes + det_category, gt_image * num_classes + gt_category
    else:
        det_group, gt_group = det_image, gt_image
    size = int(max(gt_group.max(initial=-1), det_group.max(initial=-1))) + 2
    order = group_order(det_group, size)
    chosen, det_image, det_category, det_group = chosen[order], det_image[order], det_category[order], det_group[order]
    gt_order = group_order(gt_group, size)
    gt_start = np.concatenate(([0], np.cumsum(np.bincount(gt_group, minlength=size))))
    return _Ordered(
        chosen=chosen,
        image=det_image,
        category=det_category,
        score=scores[chosen],
        xyxy=np.take(np.asarray(dets.xyxy, dtype=np.float64).reshape(-1, 4), chosen, axis=0),
        lo=gt_start[det_group],
        hi=gt_start[det_group + 1],
        gt_order=gt_order,
        gt_xyxy=np.ascontiguousarray(np.asarray(gts.xyxy, dtype=np.float64).reshape(-1, 4)),
        gt_ignore=np.ascontiguousarray(np.asarray(gts.ignore, dtype=bool)),
    )


def _run(ordered: _Ordered, iou: Iou, ignore_overlap: str) -> _Matches:
    per_detection = _per_detection(iou, ordered.category)
    taken, on_ignored = _greedy_compiled(
        ordered.lo,
        ordered.hi,
        ordered.gt_order,
        ordered.xyxy,
        ordered.gt_xyxy,
        ordered.gt_ignore,
        np.ascontiguousarray(np.broadcast_to(np.asarray(per_detection, dtype=np.float64), (len(ordered.lo),))),
        ignore_overlap == "ioa",
    )
    status = np.where(taken >= 0, TRUE_POSITIVE, np.where(on_ignored, IGNORED, FALSE_POSITIVE)).astype(np.int8)
    return _Matches(ordered.chosen, ordered.image, ordered.category, ordered.score, status, taken)


def _match(data: AnalysisInput, *, iou: Iou, score: float, ignore_overlap: str, by_class: bool) -> _Matches:
    _check(data, iou, ignore_overlap)
    return _run(_ordered(data, score=score, by_class=by_class), iou, ignore_overlap)


def match(
    data: AnalysisInput, *, iou: Iou = 0.5, ignore_overlap: IgnoreOverlap = "iou", by_class: bool = True
) -> _Matches:
    """Every detection matched at ``iou`` (per image and class, or per image with
    ``by_class=False``), for the ``matches`` argument of the functions below.

    What the rule gives at a confidence threshold t is this matching restricted to
    the detections scoring >= t: the greedy rule visits each group by descending score,
    so a detection's fate depends only on detections scoring at least as high.
    """
    return _match(data, iou=iou, score=-np.inf, ignore_overlap=ignore_overlap, by_class=by_class)


def match_ious(
    data: AnalysisInput, ious: Sequence[Iou], *, ignore_overlap: IgnoreOverlap = "iou"
) -> list[tuple[_Matches, _Matches]]:
    """For each of ``ious``, ``match(by_class=True)`` and ``match(by_class=False)``, sorting
    the detections once for all of them."""
    for iou in ious:
        _check(data, iou, ignore_overlap)
    by_score = descending_order(np.asarray(data.detections.score, dtype=np.float64))
    by_class, agnostic = (
        _ordered(data, score=-np.inf, by_class=grouping, by_score=by_score) for grouping in (True, False)
    )
    return [(_run(by_class, iou, ignore_overlap), _run(agnostic, iou, ignore_overlap)) for iou in ious]


@dataclass(frozen=True, eq=False)
class ImageSubset:
    """``data`` on some of its images only (:func:`restrict`), boxes and images renumbered
    in their order; ``det_index``, ``gt_index`` and ``image_index`` give each row's and
    image's new index in the full data's numbering, -1 when left out."""

    data: AnalysisInput
    det_index: np.ndarray
    gt_index: np.ndarray
    image_index: np.ndarray

    def matches(self, matches: _Matches) -> _Matches:
        """The matching of the subset: matching is per image, so the full matching's rows on
        the subset's images, in the same order, with indices renumbered."""
        keep = self.det_index[matches.det] >= 0
        gt = matches.gt[keep]
        took = gt >= 0
        gt[took] = self.gt_index[gt[took]]
        return _Matches(
            det=self.det_index[matches.det[keep]],
            image=self.image_index[matches.image[keep]],
            category=matches.category[keep],
            score=matches.score[keep],
            status=matches.status[keep],
            gt=gt,
        )


def restrict(data: AnalysisInput, images: Collection[int | str]) -> ImageSubset:
    """The boxes of ``images`` (ids of ``data.image_ids``; others are left out)."""
    wanted = frozenset(images)
    keep_image = np.fromiter((i in wanted for i in data.image_ids), dtype=bool, count=len(data.image_ids))

    def renumber(keep: np.ndarray) -> np.ndarray:
        return np.where(keep, np.cumsum(keep) - 1, -1)

    def boxes(box_set: BoxSet) -> tuple[BoxSet, np.ndarray]:
        image = np.asarray(box_set.image, dtype=np.int64)
        keep = keep_image[image]
        subset = BoxSet(
            image=renumber(keep_image)[image[keep]],
            category=np.asarray(box_set.category)[keep],
            xyxy=np.compress(keep, np.asarray(box_set.xyxy), axis=0),
            score=None if box_set.score is None else np.asarray(box_set.score)[keep],
            ignore=np.asarray(box_set.ignore)[keep],
        )
        return subset, renumber(keep)

    ground_truth, gt_index = boxes(data.ground_truth)
    detections, det_index = boxes(data.detections)
    subset = AnalysisInput(
        image_ids=tuple(i for i, keep in zip(data.image_ids, keep_image, strict=True) if keep),
        category_names=data.category_names,
        ground_truth=ground_truth,
        detections=detections,
    )
    return ImageSubset(subset, det_index, gt_index, renumber(keep_image))


def _matches_at(
    data: AnalysisInput, matches: _Matches | None, *, iou: Iou, score: float, ignore_overlap: str, by_class: bool
) -> _Matches:
    if matches is None:
        return _match(data, iou=iou, score=score, ignore_overlap=ignore_overlap, by_class=by_class)
    if score == -np.inf:
        return matches
    keep = matches.score >= score
    return _Matches(*(getattr(matches, name)[keep] for name in ("det", "image", "category", "score", "status", "gt")))


def _counted_gt(data: AnalysisInput) -> np.ndarray:
    """int64 [K]: ground-truth boxes per class that count (not ignored)."""
    gts = data.ground_truth
    category = np.asarray(gts.category, dtype=np.int64)[~np.asarray(gts.ignore, dtype=bool)]
    return np.bincount(category, minlength=len(data.category_names)).astype(np.int64)


def _ratio(num: np.ndarray | float, den: np.ndarray | float) -> np.ndarray:
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _rates(tp: Any, fp: Any, fn: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall, F1 = 2TP / (2TP + FP + FN); NaN where 0/0."""
    tp, fp, fn = (np.asarray(v, dtype=np.float64) for v in (tp, fp, fn))
    return _ratio(tp, tp + fp), _ratio(tp, tp + fn), _ratio(2 * tp, 2 * tp + fp + fn)


def _nanmean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if len(finite) else float("nan")


# ---------------------------------------------------------------------- operating point


@dataclass(frozen=True, eq=False)
class OperatingPoint:
    """Counts and rates at one IoU and confidence threshold.

    Per class (arrays [K], in ``category_names`` order): ``tp``, ``fp``, ``fn``,
    ``ignored`` (detections on ignored boxes), ``precision``, ``recall``, ``f1``.
    ``overall`` holds the micro figures (counts summed over classes first);
    ``macro`` the unweighted means of the per-class precision, recall and F1 over
    the classes where each is defined (NaN when none is).
    """

    iou: float | list[float]
    score: float
    ignore_overlap: str
    category_names: tuple[str, ...]
    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    ignored: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    overall: Mapping[str, float]
    macro: Mapping[str, float]

    def to_dict(self) -> dict[str, Any]:
        classes = [
            {
                "name": name,
                "tp": self.tp[k],
                "fp": self.fp[k],
                "fn": self.fn[k],
                "ignored": self.ignored[k],
                "precision": self.precision[k],
                "recall": self.recall[k],
                "f1": self.f1[k],
            }
            for k, name in enumerate(self.category_names)
        ]
        return json_safe(
            {
                "iou": self.iou,
                "score": self.score,
                "ignore_overlap": self.ignore_overlap,
                "overall": self.overall,
                "macro": self.macro,
                "classes": classes,
            }
        )


def operating_point(
    data: AnalysisInput,
    *,
    iou: Iou = 0.5,
    score: float = 0.5,
    ignore_overlap: IgnoreOverlap = "iou",
    matches: _Matches | None = None,
) -> OperatingPoint:
    """TP, FP, FN, precision, recall and F1 per class and overall at ``iou`` and ``score``.

    Detections with ``score >= score`` are matched per image and class by the rule
    of the module docstring: by descending score (stable), each takes the unmatched
    counted box of its class with the highest IoU >= ``iou`` (TP); failing that, one
    that overlaps an ignored box of its class enough is ignored (neither TP nor FP);
    the others are FP. Counted boxes left unmatched are FN. Precision = TP / (TP +
    FP), recall = TP / (TP + FN), F1 = 2TP / (2TP + FP + FN): NaN when 0/0 (no
    detection, no ground truth, or neither).
    """
    num_classes = len(data.category_names)
    matches = _matches_at(data, matches, iou=iou, score=score, ignore_overlap=ignore_overlap, by_class=True)

    def count(status: int) -> np.ndarray:
        return np.bincount(matches.category[matches.status == status], minlength=num_classes).astype(np.int64)

    tp, fp, ignored = count(TRUE_POSITIVE), count(FALSE_POSITIVE), count(IGNORED)
    fn = _counted_gt(data) - tp
    precision, recall, f1 = _rates(tp, fp, fn)
    total = (int(tp.sum()), int(fp.sum()), int(fn.sum()))
    micro = _rates(*total)
    overall = {
        "tp": total[0],
        "fp": total[1],
        "fn": total[2],
        "ignored": int(ignored.sum()),
        "precision": float(micro[0]),
        "recall": float(micro[1]),
        "f1": float(micro[2]),
    }
    macro = {"precision": _nanmean(precision), "recall": _nanmean(recall), "f1": _nanmean(f1)}
    return OperatingPoint(
        iou=_iou_json(iou),
        score=float(score),
        ignore_overlap=ignore_overlap,
        category_names=tuple(data.category_names),
        tp=tp,
        fp=fp,
        fn=fn,
        ignored=ignored,
        precision=precision,
        recall=recall,
        f1=f1,
        overall=overall,
        macro=macro,
    )


# ------------------------------------------------------------------------- confusion


@dataclass(frozen=True, eq=False)
class Confusion:
    """Class confusion matrix with a background row and column, int64 [(K+1) x (K+1)].

    Rows are the ground-truth class, columns the predicted class; the last row and
    column are ``background``. ``matrix[g, d]``: detections of class d that took a
    box of class g; ``matrix[K, d]``: detections of class d that took no box (false
    positives on background); ``matrix[g, K]``: boxes of class g that no detection
    took (missed). ``matrix[K, K]`` is always 0 and means nothing: true negatives do
    not exist in detection (``to_dict`` gives None there). ``ignored`` counts the
    detections dropped because they lie on an ignored box.
    """

    iou: float | list[float]
    score: float
    ignore_overlap: str
    labels: tuple[str, ...]
    matrix: np.ndarray
    ignored: int

    def to_dict(self) -> dict[str, Any]:
        matrix: list[list[int | None]] = [[int(v) for v in row] for row in self.matrix]
        matrix[-1][-1] = None
        return json_safe(
            {
                "iou": self.iou,
                "score": self.score,
                "ignore_overlap": self.ignore_overlap,
                "labels": self.labels,
                "rows": "ground truth",
                "columns": "prediction",
                "matrix": matrix,
                "ignored": self.ignored,
            }
        )


def confusion_matrix(
    data: AnalysisInput,
    *,
    iou: Iou = 0.5,
    score: float = 0.5,
    ignore_overlap: IgnoreOverlap = "iou",
    matches: _Matches | None = None,
) -> Confusion:
    """Class confusion at ``iou`` and ``score``, with a background row and column.

    The matching rule of the module docstring, **class-agnostic**: per image, by
    descending score (stable), each detection with ``score >= score`` takes the
    unmatched counted box of any class with the highest IoU >= ``iou``; failing
    that, a detection on an ignored box (of any class) is dropped. So a detection may
    take a box of another class even where a box of its own class overlaps it less,
    and the diagonal can be below :func:`operating_point`'s TP. Every counted box
    lands in exactly one cell of its row, every detection not dropped in exactly one
    cell of its column.
    """
    num_classes = len(data.category_names)
    matches = _matches_at(data, matches, iou=iou, score=score, ignore_overlap=ignore_overlap, by_class=False)
    gt_category = np.asarray(data.ground_truth.category, dtype=np.int64)
    background = num_classes
    row = np.full(len(matches.gt), background, dtype=np.int64)
    row[matches.gt >= 0] = gt_category[matches.gt[matches.gt >= 0]]
    kept = matches.status != IGNORED
    size = num_classes + 1
    matrix = np.bincount(row[kept] * size + matches.category[kept], minlength=size * size).reshape(size, size)
    taken = np.zeros(len(gt_category), dtype=bool)
    taken[matches.gt[matches.gt >= 0]] = True
    missed = ~taken & ~np.asarray(data.ground_truth.ignore, dtype=bool)
    matrix[:num_classes, background] = np.bincount(gt_category[missed], minlength=num_classes)
    return Confusion(
        iou=_iou_json(iou),
        score=float(score),
        ignore_overlap=ignore_overlap,
        labels=(*data.category_names, BACKGROUND),
        matrix=matrix.astype(np.int64),
        ignored=int(np.count_nonzero(~kept)),
    )


@dataclass(frozen=True, eq=False)
class ConfusionSweep:
    """The confusion matrix of :func:`confusion_matrix` at every confidence threshold.

    ``thresholds`` float64 [T] ascending. ``cells`` int64 [C x 2] (row, column) of every
    cell that is not 0 at the lowest threshold, missed objects (background column)
    excepted; ``counts`` int64 [C x T]: that cell's count at each threshold.
    ``counted`` int64 [K]: boxes per class that count; the background column at
    threshold t is ``counted`` less the row's other cells.
    """

    iou: float | list[float]
    ignore_overlap: str
    labels: tuple[str, ...]
    thresholds: np.ndarray
    cells: np.ndarray
    counts: np.ndarray
    counted: np.ndarray

    def matrix(self, t: int) -> np.ndarray:
        """int64 [(K+1) x (K+1)] at ``thresholds[t]``, equal to ``confusion_matrix(...).matrix``."""
        size = len(self.labels)
        matrix = np.zeros((size, size), dtype=np.int64)
        matrix[self.cells[:, 0], self.cells[:, 1]] = self.counts[:, t]
        matrix[: size - 1, size - 1] = self.counted - matrix[: size - 1, : size - 1].sum(axis=1)
        return matrix

    def to_dict(self) -> dict[str, Any]:
        """Cells as [row, column, counts...] with the trailing zeros dropped (counts never rise with t)."""
        cells = []
        for (row, column), counts in zip(self.cells.tolist(), self.counts.tolist(), strict=True):
            while counts and counts[-1] == 0:
                counts.pop()
            cells.append([row, column, *counts])
        # ``cells`` holds Python ints already: json_safe would only copy it
        head = json_safe(
            {
                "iou": self.iou,
                "ignore_overlap": self.ignore_overlap,
                "labels": self.labels,
                "rows": "ground truth",
                "columns": "prediction",
                "thresholds": self.thresholds,
            }
        )
        return {**head, "cells": cells, "counted": json_safe(self.counted)}


def confusion_sweep(
    data: AnalysisInput,
    *,
    iou: Iou = 0.5,
    scores: np.ndarray,
    ignore_overlap: IgnoreOverlap = "iou",
    matches: _Matches | None = None,
) -> ConfusionSweep:
    """:func:`confusion_matrix` at each threshold of ``scores``, from one matching.

    The class-agnostic greedy matching, like the per-class one, decides each
    detection from the detections of higher score only (see :func:`threshold_sweep`),
    so the matrix at threshold t counts the matches of the full matching whose
    detection scores >= t, and a box is missed at t when no such detection took it.
    ``matches``: :func:`match` with ``by_class=False`` at the same IoU, when already made.
    """
    num_classes = len(data.category_names)
    thresholds = np.unique(np.asarray(scores, dtype=np.float64).ravel())
    matches = _matches_at(data, matches, iou=iou, score=-np.inf, ignore_overlap=ignore_overlap, by_class=False)
    gt_category = np.asarray(data.ground_truth.category, dtype=np.int64)
    size = num_classes + 1
    kept = matches.status != IGNORED
    row = np.full(len(matches.gt), num_classes, dtype=np.int64)
    row[matches.gt >= 0] = gt_category[matches.gt[matches.gt >= 0]]
    cell, score = (row * size + matches.category)[kept], matches.score[kept]
    present = np.bincount(cell, minlength=size * size) > 0  # np.unique, without sorting every detection
    codes = np.flatnonzero(present)
    counts = count_at_least((np.cumsum(present) - 1)[cell], len(codes), score, thresholds)
    return ConfusionSweep(
        iou=_iou_json(iou),
        ignore_overlap=ignore_overlap,
        labels=(*data.category_names, BACKGROUND),
        thresholds=thresholds,
        cells=np.stack([codes // size, codes % size], axis=1).reshape(-1, 2).astype(np.int64),
        counts=counts,
        counted=_counted_gt(data),
    )


# ------------------------------------------------------------------------ threshold sweep


@dataclass(frozen=True, eq=False)
class Sweep:
    """Precision, recall and F1 against the confidence threshold.

    ``thresholds`` float64 [T], ascending; a threshold keeps detections with
    ``score >= threshold``. ``overall`` maps ``tp``, ``fp``, ``fn``, ``precision``,
    ``recall``, ``f1`` to arrays [T] (micro: counts summed over classes);
    ``per_class`` maps the same names to arrays [K x T]. ``best`` (overall) and
    ``best_per_class`` (one per class) hold the threshold of highest F1 among all
    distinct detection scores (not only the plotted ``thresholds``; the highest such
    threshold on ties), with its ``f1``, ``precision`` and ``recall``. The threshold
    is NaN where there is no detection or F1 is never defined (no box counts and no
    detection is a true or false positive); F1 is then 0 or NaN.
    """

    iou: float | list[float]
    ignore_overlap: str
    category_names: tuple[str, ...]
    thresholds: np.ndarray
    overall: Mapping[str, np.ndarray]
    per_class: Mapping[str, np.ndarray]
    best: Mapping[str, float]
    best_per_class: tuple[Mapping[str, float], ...]

    def to_dict(self) -> dict[str, Any]:
        classes = [
            {
                "name": name,
                **{key: values[k] for key, values in self.per_class.items()},
                "best": self.best_per_class[k],
            }
            for k, name in enumerate(self.category_names)
        ]
        return json_safe(
            {
                "iou": self.iou,
                "ignore_overlap": self.ignore_overlap,
                "thresholds": self.thresholds,
                "overall": {**self.overall, "best": self.best},
                "classes": classes,
            }
        )


def _sample_thresholds(scores: np.ndarray) -> np.ndarray:
    distinct = np.unique(scores)
    if len(distinct) <= MAX_THRESHOLDS:
        return distinct
    return distinct[np.unique(np.round(np.linspace(0, len(distinct) - 1, MAX_THRESHOLDS)).astype(np.int64))]


@numba.njit(cache=True, nogil=True)
def _count_at_least(key: np.ndarray, num_keys: int, values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """:func:`count_at_least` in one pass over the values (``thresholds`` without NaN): each
    value's step is ``np.searchsorted(thresholds, value, side="right") - 1`` (the thresholds at
    or below it, counted or by bisection), the highest for NaN (numpy sorts NaN above everything)."""
    num_t = len(thresholds)
    counts = np.zeros((num_keys, num_t), dtype=np.int64)
    for i in range(len(values)):
        value = values[i]
        if value != value:
            step = num_t - 1
        elif num_t <= 64:  # few thresholds (the explorer's grid): count those <= the value, without branches
            step = -1
            for t in range(num_t):
                step += thresholds[t] <= value
        else:
            lo, hi = 0, num_t
            while lo < hi:
                mid = (lo + hi) >> 1
                if thresholds[mid] <= value:
                    lo = mid + 1
                else:
                    hi = mid
            step = lo - 1
        if step >= 0:
            counts[key[i], step] += 1
    for k in range(num_keys):
        for t in range(num_t - 2, -1, -1):
            counts[k, t] += counts[k, t + 1]
    return counts


def count_at_least(key: np.ndarray, num_keys: int, values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """int64 [num_keys x T]: for each key in range(num_keys) and each of ``thresholds``
    (ascending, distinct), how many of the ``values`` of that key are >= it."""
    thresholds = np.ascontiguousarray(thresholds, dtype=np.float64)
    if not np.isnan(thresholds).any():
        return _count_at_least(
            np.ascontiguousarray(key, dtype=np.int64),
            num_keys,
            np.ascontiguousarray(values, dtype=np.float64),
            thresholds,
        )
    num_t = len(thresholds)
    step = np.searchsorted(thresholds, values, side="right") - 1  # the highest threshold <= the value
    inside = step >= 0
    flat = np.bincount(np.asarray(key, dtype=np.int64)[inside] * num_t + step[inside], minlength=num_keys * num_t)
    return np.cumsum(flat.reshape(num_keys, num_t)[:, ::-1], axis=1)[:, ::-1].astype(np.int64)


def _best_f1(score: np.ndarray, status: np.ndarray, num_gt: int) -> dict[str, float]:
    """Best F1 over the distinct scores of one pool of matched detections."""
    nan = float("nan")
    if len(score) == 0:
        none_found = 0.0 if num_gt > 0 else nan
        return {"threshold": nan, "f1": none_found, "precision": nan, "recall": none_found}
    order = np.argsort(-score, kind="stable")
    score, status = score[order], status[order]
    tp = np.cumsum(status == TRUE_POSITIVE)
    fp = np.cumsum(status == FALSE_POSITIVE)
    last = np.append(score[1:] != score[:-1], True)
    tp, fp, thresholds = tp[last], fp[last], score[last]
    precision, recall, f1 = _rates(tp, fp, num_gt - tp)
    if np.isnan(f1).all():
        return {"threshold": nan, "f1": nan, "precision": nan, "recall": nan}
    i = int(np.nanargmax(f1))
    return {
        "threshold": float(thresholds[i]),
        "f1": float(f1[i]),
        "precision": float(precision[i]),
        "recall": float(recall[i]),
    }


def threshold_sweep(
    data: AnalysisInput,
    *,
    iou: Iou = 0.5,
    scores: np.ndarray | None = None,
    ignore_overlap: IgnoreOverlap = "iou",
    matches: _Matches | None = None,
    with_best: bool = True,
) -> Sweep:
    """Precision, recall and F1 per class and overall at every confidence threshold.

    ``scores``: the thresholds to report; by default the distinct detection scores,
    at most ``MAX_THRESHOLDS`` of them evenly spread over their sorted list (lowest
    and highest kept).

    One matching of all detections, then cumulative counts. This equals running
    :func:`operating_point` at each threshold: the greedy rule visits each group's
    detections by descending score, so what a detection takes depends only on the
    detections visited before it, all of which score at least as high. Raising the
    threshold to t removes exactly the detections scoring below t, which are visited
    after every detection that remains; the remaining ones see the same boxes taken
    and decide as before. So TP(t) and FP(t) are the TP and FP of the full matching
    with score >= t, and FN(t) = counted boxes - TP(t). ``with_best=False`` skips the
    search for the best F1 over every distinct score (``best`` empty, ``best_per_class`` ()).
    """
    num_classes = len(data.category_names)
    matches = _matches_at(data, matches, iou=iou, score=-np.inf, ignore_overlap=ignore_overlap, by_class=True)
    if scores is None:
        thresholds = _sample_thresholds(matches.score)
    else:
        thresholds = np.unique(np.asarray(scores, dtype=np.float64).ravel())
    num_gt = _counted_gt(data)
    tp, fp = (
        count_at_least(
            matches.category[matches.status == status], num_classes, matches.score[matches.status == status], thresholds
        )
        for status in (TRUE_POSITIVE, FALSE_POSITIVE)
    )
    best_per_class = []
    if with_best:
        # A stable sort by class: each class's slice holds its detections in matching order.
        by_class = np.argsort(matches.category, kind="stable")
        bounds = np.searchsorted(matches.category[by_class], np.arange(num_classes + 1))
        class_score, class_status = matches.score[by_class], matches.status[by_class]
        for k in range(num_classes):
            score_k = class_score[bounds[k] : bounds[k + 1]]
            status_k = class_status[bounds[k] : bounds[k + 1]]
            best_per_class.append(_best_f1(score_k, status_k, int(num_gt[k])))
    fn = num_gt[:, None] - tp
    precision, recall, f1 = _rates(tp, fp, fn)
    total_tp, total_fp, total_fn = tp.sum(axis=0), fp.sum(axis=0), fn.sum(axis=0)
    overall_rates = _rates(total_tp, total_fp, total_fn)
    return Sweep(
        iou=_iou_json(iou),
        ignore_overlap=ignore_overlap,
        category_names=tuple(data.category_names),
        thresholds=thresholds,
        overall={
            "tp": total_tp,
            "fp": total_fp,
            "fn": total_fn,
            "precision": overall_rates[0],
            "recall": overall_rates[1],
            "f1": overall_rates[2],
        },
        per_class={"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1},
        best=_best_f1(matches.score, matches.status, int(num_gt.sum())) if with_best else {},
        best_per_class=tuple(best_per_class),
    )


# ------------------------------------------------------------------- miss rate vs FPPI


@dataclass(frozen=True, eq=False)
class MissRateCurve:
    """Miss rate against FPPI for one class or for all classes pooled.

    ``fppi`` and ``miss_rate`` float64 [N]: one point per counted detection (TP or
    FP) in descending score order (ties: image, then class, then the order of the
    matching). ``reference_miss_rate`` float64 [9] at ``FPPI_REFERENCE``;
    ``log_average_miss_rate``; NaN throughout when no box counts.
    """

    name: str
    fppi: np.ndarray
    miss_rate: np.ndarray
    reference_miss_rate: np.ndarray
    log_average_miss_rate: float
    num_gt: int
    num_det: int

    def to_dict(self) -> dict[str, Any]:
        fppi, miss_rate = _corners(self.fppi, self.miss_rate)
        return json_safe(
            {
                "name": self.name,
                "fppi": fppi,
                "miss_rate": miss_rate,
                "reference_miss_rate": self.reference_miss_rate,
                "log_average_miss_rate": self.log_average_miss_rate,
                "num_gt": self.num_gt,
                "num_det": self.num_det,
            }
        )


@dataclass(frozen=True, eq=False)
class MissRateFppi:
    """Miss rate against false positives per image, overall (classes pooled) and per class."""

    iou: float
    ignore_overlap: str
    num_images: int
    reference_fppi: np.ndarray
    overall: MissRateCurve
    per_class: tuple[MissRateCurve, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "iou": float(self.iou),
            "ignore_overlap": self.ignore_overlap,
            "num_images": int(self.num_images),
            "reference_fppi": json_safe(self.reference_fppi),
            "overall": self.overall.to_dict(),
            "classes": [curve.to_dict() for curve in self.per_class],
        }


def _corners(fppi: np.ndarray, miss_rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The staircase reduced to its corners with FPPI > 0 (for log axes), at most
    ``CURVE_POINTS`` of them spread evenly over log FPPI, the last one always kept."""
    if not len(fppi):
        return fppi, miss_rate
    corner = np.append(fppi[1:] != fppi[:-1], True) & (fppi > 0)
    fppi, miss_rate = fppi[corner], miss_rate[corner]
    if len(fppi) > CURVE_POINTS:
        grid = np.geomspace(fppi[0], fppi[-1], CURVE_POINTS)
        keep = np.unique(np.append(np.searchsorted(fppi, grid, side="right") - 1, len(fppi) - 1))
        fppi, miss_rate = fppi[keep], miss_rate[keep]
    return fppi, miss_rate


def _miss_rate_curve(name: str, status: np.ndarray, num_gt: int, num_images: int) -> MissRateCurve:
    counted = status[status != IGNORED]
    tp = np.cumsum(counted == TRUE_POSITIVE).astype(np.float64)
    fp = np.cumsum(counted == FALSE_POSITIVE).astype(np.float64)
    fppi = fp / num_images if num_images > 0 else np.full(len(fp), np.nan)
    if num_gt == 0 or num_images == 0:
        nan = np.full(len(FPPI_REFERENCE), np.nan)
        return MissRateCurve(name, fppi, np.full(len(tp), np.nan), nan, float("nan"), num_gt, len(counted))
    miss_rate = 1.0 - tp / num_gt
    last = np.searchsorted(fppi, FPPI_REFERENCE, side="right") - 1
    reference = np.where(last >= 0, miss_rate[np.maximum(last, 0)] if len(miss_rate) else 1.0, 1.0)
    log_average = float(np.exp(np.mean(np.log(np.maximum(reference, MIN_MISS_RATE)))))
    return MissRateCurve(name, fppi, miss_rate, reference, log_average, num_gt, len(counted))


def miss_rate_fppi(
    data: AnalysisInput,
    *,
    iou: float = 0.5,
    ignore_overlap: IgnoreOverlap = "iou",
    matches: _Matches | None = None,
    per_class: bool = True,
) -> MissRateFppi:
    """Miss rate against false positives per image, and the log-average miss rate.

    All detections are matched per image and class (module docstring); those on
    ignored boxes are left out. In descending score order, after each remaining
    detection: FPPI = FP so far / number of images (all of ``data.image_ids``), miss
    rate = 1 - TP so far / counted boxes. Overall pools the classes (boxes and
    detections of every class).

    Log-average miss rate (Dollar et al., Caltech pedestrian benchmark, ``bbGt``
    ``compRoc`` and ``dbEval``): at each of the nine reference FPPI 10^-2, 10^-1.75,
    ..., 10^0 take the miss rate at the last point whose FPPI does not exceed it (1,
    nothing detected, where even the first false positive exceeds it); the result is
    exp(mean(log(max(miss rate, 1e-10)))). With ``ignore_overlap="ioa"`` on KAIST's
    analysis input this is the benchmark's MR^-2 (which rounds the reference points
    to four decimals). ``per_class=False`` leaves ``per_class`` empty.
    """
    num_images = len(data.image_ids)
    matches = _matches_at(data, matches, iou=iou, score=-np.inf, ignore_overlap=ignore_overlap, by_class=True)
    order = descending_order(matches.score)
    status, category = matches.status[order], matches.category[order]
    num_gt = _counted_gt(data)
    classes = tuple(
        _miss_rate_curve(name, status[category == k], int(num_gt[k]), num_images)
        for k, name in enumerate(data.category_names if per_class else ())
    )
    return MissRateFppi(
        iou=float(iou),
        ignore_overlap=ignore_overlap,
        num_images=num_images,
        reference_fppi=FPPI_REFERENCE.copy(),
        overall=_miss_rate_curve("all", status, int(num_gt.sum()), num_images),
        per_class=classes,
    )


# --------------------------------------------------------------------------- error breakdown

ERROR_TYPES = ("classification", "localisation", "both", "duplicate", "background", "missed")


@dataclass(frozen=True)
class ErrorBreakdown:
    """Each false positive and missed object given one cause, in the manner of TIDE.

    ``counts`` maps each of ``ERROR_TYPES`` to a count (overall); ``per_class`` the
    same per class (a detection's class for false positives, the object's for
    missed); ``true_positives`` the matched detections. Counts, not TIDE's dAP.
    """

    iou: float | list[float]
    background_iou: float
    score: float
    category_names: tuple[str, ...]
    counts: Mapping[str, int]
    per_class: Mapping[str, np.ndarray]
    true_positives: int

    def to_dict(self) -> dict[str, Any]:
        return json_safe(
            {
                "iou": self.iou,
                "background_iou": self.background_iou,
                "score": self.score,
                "types": ERROR_TYPES,
                "counts": dict(self.counts),
                "true_positives": self.true_positives,
                "classes": [
                    {"name": name, **{t: int(self.per_class[t][k]) for t in ERROR_TYPES}}
                    for k, name in enumerate(self.category_names)
                ],
            }
        )


def error_breakdown(
    data: AnalysisInput,
    *,
    iou: Iou = 0.5,
    background_iou: float = 0.1,
    score: float = 0.0,
    ignore_overlap: IgnoreOverlap = "iou",
    matches: _Matches | None = None,
) -> ErrorBreakdown:
    """Why each detection is a false positive and why each object is missed.

    Detections are matched as in :func:`operating_point` (same class, IoU >= ``iou``).
    Each false positive then takes the first cause that fits, with m the largest IoU
    with a counted object of the same image: a duplicate when it overlaps an object
    of its class by >= ``iou`` (already taken by a higher-scoring detection);
    classification when it overlaps an object of another class by >= ``iou``;
    localisation when ``background_iou`` <= IoU < ``iou`` with an object of its class;
    both when ``background_iou`` <= m with objects of other classes only; background
    when m < ``background_iou``. An object no detection took is missed.
    """
    matches = _matches_at(data, matches, iou=iou, score=score, ignore_overlap=ignore_overlap, by_class=True)
    num_classes = len(data.category_names)
    gts = data.ground_truth
    gt_category = np.asarray(gts.category, dtype=np.int64)
    gt_ignore = np.asarray(gts.ignore, dtype=bool)
    false_positive = np.flatnonzero(matches.status == FALSE_POSITIVE)
    det_xyxy = np.take(
        np.asarray(data.detections.xyxy, dtype=np.float64).reshape(-1, 4), matches.det[false_positive], axis=0
    )
    pair_det, pair_gt, pair_iou, _ = _candidates(
        matches.image[false_positive],
        det_xyxy,
        np.asarray(gts.image, dtype=np.int64),
        np.asarray(gts.xyxy, dtype=np.float64).reshape(-1, 4),
        gt_ignore,
        float(background_iou),
        False,
    )
    same = gt_category[pair_gt] == matches.category[false_positive][pair_det]
    n = len(false_positive)

    def best(mask: np.ndarray) -> np.ndarray:
        out = np.zeros(n)
        np.maximum.at(out, pair_det[mask], pair_iou[mask])
        return out

    same_best, other_best = best(same), best(~same)
    cause = np.full(n, ERROR_TYPES.index("background"))
    cause[other_best >= background_iou] = ERROR_TYPES.index("both")
    cause[same_best >= background_iou] = ERROR_TYPES.index("localisation")
    fp_iou = _per_detection(iou, matches.category[false_positive])
    cause[other_best >= fp_iou] = ERROR_TYPES.index("classification")
    cause[same_best >= fp_iou] = ERROR_TYPES.index("duplicate")
    per_class: dict[str, np.ndarray] = {t: np.zeros(num_classes, dtype=np.int64) for t in ERROR_TYPES}
    fp_category = matches.category[false_positive]
    for index, name in enumerate(ERROR_TYPES[:-1]):
        per_class[name] = np.bincount(fp_category[cause == index], minlength=num_classes).astype(np.int64)
    taken = np.zeros(len(gt_category), dtype=bool)
    taken[matches.gt[matches.gt >= 0]] = True
    missed = ~taken & ~gt_ignore
    per_class["missed"] = np.bincount(gt_category[missed], minlength=num_classes).astype(np.int64)
    return ErrorBreakdown(
        iou=_iou_json(iou),
        background_iou=float(background_iou),
        score=float(score),
        category_names=tuple(data.category_names),
        counts={t: int(per_class[t].sum()) for t in ERROR_TYPES},
        per_class=per_class,
        true_positives=int(np.count_nonzero(matches.status == TRUE_POSITIVE)),
    )
