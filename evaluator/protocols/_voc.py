"""The PASCAL VOC detection protocol shared by ``voc07`` and ``voc12``: the devkit's ``VOCevaldet.m``.

Per class, as the devkit does it:

- Detections of the class are ranked by descending score. The devkit sorts
  ``-confidence`` with MATLAB's ``sort``, which is stable; here too ties keep the
  input order (line order in a class file, record order in a JSON list). py-faster-rcnn's
  ``voc_eval`` uses numpy's unstable ``argsort`` instead, so its ties may differ.
- Each detection finds the ground-truth box of the class in its image (difficult or
  not, already detected or not) of highest overlap, with the devkit's +1 pixel
  convention: ``iw = min(x2) - max(x1) + 1``, ``ih`` likewise, both > 0, and
  ``ov = iw * ih / ua`` with ``ua = (w_d + 1)(h_d + 1) + (w_g + 1)(h_g + 1) - iw * ih``.
  Equal overlaps go to the first box in the XML's order (``ov > ovmax``).
- ``ovmax >= 0.5`` (the devkit's ``VOCopts.minoverlap`` test, **>=**; py-faster-rcnn
  uses ``> 0.5``, which differs when an overlap is exactly 0.5): a match to a
  difficult box is ignored (neither TP nor FP, but it keeps its place in the ranking),
  a match to a box an earlier detection already took is a false positive
  (duplicate), otherwise a true positive. Below 0.5: false positive.
- ``rec = tp / npos`` with ``npos`` the non-difficult boxes of the class;
  ``prec = tp / (tp + fp)`` on the cumulative counts (NaN while both are 0, as in
  MATLAB; NaN there is read as 0 below, which changes nothing where MATLAB's ``max``
  skips NaN, see below).
- VOC2007 (``voc07``), 11-point AP: the mean over t in ``0:0.1:1`` of the highest
  precision at recall >= t (0 where recall never reaches t), added up ``ap += p/11``.
  The thresholds are MATLAB's colon values (first half ``k * 0.1``, second half
  ``1 - k * 0.1``: 0.3 is 0.30000000000000004 but 0.6 and 0.7 are the doubles nearest
  0.6 and 0.7), so a recall of exactly 3/5 counts at t = 0.6 as in the devkit;
  py-faster-rcnn's ``np.arange(0, 1.1, 0.1)`` gives 0.6000000000000001 there.
- VOC2010+ (``voc12``), all-point AP (``VOCap.m``): ``mrec = [0, rec, 1]``,
  ``mpre = [0, prec, 0]`` made non-increasing from the right, and
  ``sum((mrec[i] - mrec[i-1]) * mpre[i])`` over the points i where recall changes.

Choices where the devkit has no answer or a harmful one:

- A class without non-difficult ground truth (``npos = 0``) has AP NaN (the devkit
  divides by zero) and is left out of ``mAP``, the mean of the other classes' APs.
- When every detection of a class lands on difficult boxes, the devkit's 11-point AP
  is NaN (``max`` of only NaN); here it is 0, as the all-point AP already is. This
  keeps a class from leaving the mean that way.
- Detections on images outside the split are refused by ``load_results`` when it is
  given the ground truth (the devkit stops with "unrecognized image"); ``evaluate``
  leaves any that remain out.
- Class files the upload lacks mean no detections for that class (AP 0).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..formats import voc as voc_format
from ..formats.voc import VocGroundTruth, VocResults, frozen
from ..types import AnalysisInput, BoxSet, ClassResult, Evaluation

RESULT_FORMATS = voc_format.RESULT_FORMATS
MIN_OVERLAP = 0.5
ELEVEN_POINT, ALL_POINT = "11-point", "all-point"
METHODS = (ELEVEN_POINT, ALL_POINT)
ELEVEN_THRESHOLDS = tuple(k * 0.1 for k in range(6)) + tuple(1.0 - k * 0.1 for k in range(4, -1, -1))
RECALL_GRID = np.linspace(0.0, 1.0, 101)
CURVE_POINTS = 200
FALSE_POSITIVE, TRUE_POSITIVE, IGNORED = 0, 1, -1
_PAIR_CHUNK = 1 << 21


def load_ground_truth(path: str | Path) -> VocGroundTruth:
    return voc_format.load_ground_truth(path)


def load_results(path: str | Path, gt: VocGroundTruth | None) -> VocResults:
    return voc_format.load_results(path, gt)


def image_ids(gt: VocGroundTruth) -> tuple[str, ...]:
    return tuple(gt.image_ids)


def restrict(
    gt: VocGroundTruth, results: VocResults, images: frozenset[int | str]
) -> tuple[VocGroundTruth, VocResults]:
    """Ground truth and detections of ``images`` only (ids as in :func:`image_ids`)."""
    wanted = {str(i) for i in images}
    keep_image = np.array([image_id in wanted for image_id in gt.image_ids], dtype=bool)
    new_index = np.cumsum(keep_image) - 1
    keep_box = keep_image[gt.box_image]
    sub_gt = replace(
        gt,
        image_ids=tuple(i for i, keep in zip(gt.image_ids, keep_image, strict=True) if keep),
        width=frozen(gt.width[keep_image]),
        height=frozen(gt.height[keep_image]),
        box_image=frozen(new_index[gt.box_image[keep_box]]),
        box_class=frozen(gt.box_class[keep_box]),
        xyxy=frozen(gt.xyxy[keep_box]),
        difficult=frozen(gt.difficult[keep_box]),
        truncated=frozen(gt.truncated[keep_box]),
    )
    found = gt.positions(results.image_id)
    keep_det = (found >= 0) & keep_image[np.maximum(found, 0)]
    sub_results = replace(
        results,
        image_id=frozen(np.asarray(gt.image_ids, dtype=str)[found[keep_det]]),
        category_index=frozen(results.category_index[keep_det]),
        score=frozen(results.score[keep_det]),
        xyxy=frozen(results.xyxy[keep_det]),
    )
    return sub_gt, sub_results


# ------------------------------------------------------------------------ matching


@dataclass(frozen=True, eq=False)
class Matches:
    """Every detection's fate, in the results' order (length D).

    ``image`` int64 index into ``gt.image_ids`` (-1: not an image of the split);
    ``ovmax`` float64 best overlap (-inf when no box of the class overlaps);
    ``jmax`` int64 index of that box into the ground truth's boxes (-1 if none);
    ``status`` int8 TRUE_POSITIVE, FALSE_POSITIVE or IGNORED (also for unknown images);
    ``rank`` int64 [K] the indices of the scored detections, ordered by class, then
    descending score, then input order.
    """

    image: np.ndarray
    ovmax: np.ndarray
    jmax: np.ndarray
    status: np.ndarray
    rank: np.ndarray


def best_overlaps(gt: VocGroundTruth, results: VocResults, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``ovmax`` and ``jmax`` of every detection (see :class:`Matches`), vectorised in chunks."""
    num = len(results)
    ovmax = np.full(num, -np.inf)
    jmax = np.full(num, -1, dtype=np.int64)
    known = np.flatnonzero(image >= 0)
    if len(known) == 0 or len(gt.box_image) == 0:
        return ovmax, jmax
    num_classes = gt.num_classes
    box_key = gt.box_image * num_classes + gt.box_class
    box_order = np.argsort(box_key, kind="stable")
    bounds = np.searchsorted(box_key[box_order], np.arange(gt.num_images * num_classes + 1))
    det_key = image[known] * num_classes + results.category_index[known]
    first = bounds[det_key]
    count = bounds[det_key + 1] - first
    has = count > 0
    known, first, count = known[has], first[has], count[has]
    ends = np.cumsum(count)
    cut = np.searchsorted(ends, np.arange(_PAIR_CHUNK, int(ends[-1]) if len(ends) else 0, _PAIR_CHUNK))
    for lo, hi in zip(np.r_[0, cut], np.r_[cut, len(known)], strict=True):
        if hi > lo:
            _best_in_chunk(gt, results, box_order, known[lo:hi], first[lo:hi], count[lo:hi], ovmax, jmax)
    return ovmax, jmax


def _best_in_chunk(
    gt: VocGroundTruth,
    results: VocResults,
    box_order: np.ndarray,
    dets: np.ndarray,
    first: np.ndarray,
    count: np.ndarray,
    ovmax: np.ndarray,
    jmax: np.ndarray,
) -> None:
    starts = np.cumsum(count) - count
    pair_det = np.repeat(np.arange(len(dets)), count)
    offset = np.arange(int(count.sum())) - np.repeat(starts, count)
    pair_box = box_order[np.repeat(first, count) + offset]
    d = results.xyxy[dets[pair_det]]
    g = gt.xyxy[pair_box]
    iw = np.minimum(d[:, 2], g[:, 2]) - np.maximum(d[:, 0], g[:, 0]) + 1
    ih = np.minimum(d[:, 3], g[:, 3]) - np.maximum(d[:, 1], g[:, 1]) + 1
    overlapping = (iw > 0) & (ih > 0)
    ua = (d[:, 2] - d[:, 0] + 1) * (d[:, 3] - d[:, 1] + 1) + (g[:, 2] - g[:, 0] + 1) * (g[:, 3] - g[:, 1] + 1) - iw * ih
    ov = np.full(len(pair_det), -np.inf)
    np.divide(iw * ih, ua, out=ov, where=overlapping)
    best = np.maximum.reduceat(ov, starts)
    winners = np.flatnonzero((ov == best[pair_det]) & overlapping)
    _, first_winner = np.unique(pair_det[winners], return_index=True)
    winners = winners[first_winner]
    ovmax[dets] = best
    jmax[dets[pair_det[winners]]] = pair_box[winners]


def match(gt: VocGroundTruth, results: VocResults, min_overlap: float = MIN_OVERLAP) -> Matches:
    """The devkit's assignment of every detection (see the module docstring)."""
    image = gt.positions(results.image_id)
    ovmax, jmax = best_overlaps(gt, results, image)
    known = np.flatnonzero(image >= 0)
    rank = known[np.lexsort((known, -results.score[known], results.category_index[known]))]
    hit = ovmax >= min_overlap
    on_difficult = np.zeros(len(results), dtype=bool)
    on_difficult[hit] = gt.difficult[jmax[hit]]
    status = np.full(len(results), IGNORED, dtype=np.int8)
    status[known] = FALSE_POSITIVE
    status[hit & on_difficult] = IGNORED
    takers = rank[(hit & ~on_difficult)[rank]]
    _, first_taker = np.unique(jmax[takers], return_index=True)
    status[takers[first_taker]] = TRUE_POSITIVE
    return Matches(image=image, ovmax=ovmax, jmax=jmax, status=status, rank=rank)


# --------------------------------------------------------------------- accumulation


@dataclass(frozen=True, eq=False)
class ClassCurve:
    """One class's ranking: ``det_index`` int64 [n] (results rows in rank order),
    ``score`` float64 [n], ``recall`` and ``precision`` float64 [n] as the devkit
    computes them (NaN where undefined), ``num_gt`` (npos), ``ap``."""

    name: str
    det_index: np.ndarray
    score: np.ndarray
    recall: np.ndarray
    precision: np.ndarray
    num_gt: int
    ap: float


def class_curves(gt: VocGroundTruth, results: VocResults, matches: Matches, method: str) -> list[ClassCurve]:
    if method not in METHODS:
        raise ValueError(f"unknown AP method {method!r}; expected one of {METHODS}")
    npos = np.bincount(gt.box_class[~gt.difficult], minlength=gt.num_classes)
    ranked_class = results.category_index[matches.rank]
    bounds = np.searchsorted(ranked_class, np.arange(gt.num_classes + 1))
    curves = []
    for k, name in enumerate(gt.class_names):
        rows = matches.rank[bounds[k] : bounds[k + 1]]
        status = matches.status[rows]
        tp = np.cumsum(status == TRUE_POSITIVE).astype(np.float64)
        fp = np.cumsum(status == FALSE_POSITIVE).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            recall = tp / npos[k]
            precision = tp / (fp + tp)
        ap = float("nan") if npos[k] == 0 else average_precision(recall, precision, method)
        curves.append(ClassCurve(name, rows, results.score[rows], recall, precision, int(npos[k]), ap))
    return curves


def average_precision(recall: np.ndarray, precision: np.ndarray, method: str) -> float:
    """AP from the devkit's ``rec`` and ``prec`` (``prec`` NaN is read as 0)."""
    precision = np.nan_to_num(precision, nan=0.0)
    if method == ELEVEN_POINT:
        return eleven_point_ap(recall, precision)
    return all_point_ap(recall, precision)


def eleven_point_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC2007: mean over t in 0:0.1:1 of max(precision[recall >= t]), 0 if none."""
    best_after = np.maximum.accumulate(precision[::-1])[::-1] if len(precision) else precision
    ap = 0.0
    for t in ELEVEN_THRESHOLDS:
        at = int(np.searchsorted(recall, t, side="left"))
        p = float(best_after[at]) if at < len(recall) else 0.0
        ap = ap + p / 11
    return ap


def all_point_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC2010+ (``VOCap.m``): area under the non-increasing envelope of precision."""
    mrec = np.concatenate(([0.0], recall, [1.0]))
    mpre = np.concatenate(([0.0], precision, [0.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    i = np.flatnonzero(mrec[1:] != mrec[:-1]) + 1
    return float(np.sum((mrec[i] - mrec[i - 1]) * mpre[i]))


# ----------------------------------------------------------------------- evaluation


def evaluate(gt: VocGroundTruth, results: VocResults, *, protocol: str, method: str) -> Evaluation:
    """Score ``results``: ``stats["mAP"]``, per-class ``AP``, curves and arrays.

    ``curves`` (the layout of the COCO protocol's, so the same plot draws it):
    ``kind`` "pr", ``method`` ("11-point" or "all-point"), ``iou_thresholds`` ["0.50"],
    ``recall`` the 101 points 0, 0.01, ..., 1; ``classes`` one entry per class with
    ``name``, ``AP``, ``num_gt``, ``precision["0.50"]`` the interpolated precision (the
    highest precision at recall >= r, 0 where recall never reaches r; None for a
    class without ground truth) and ``score`` the confidence of the detection that
    first reaches recall r (None where none does) at each point, both to 4 decimals,
    and ``points`` {``recall``, ``precision``}: the raw curve at each true positive
    (at most ``CURVE_POINTS``, evenly spaced); ``overall["0.50"]`` the mean of the
    classes' interpolated precision over classes with ground truth.
    ``arrays``: ``AP`` float64 [20] and, per class, ``recall_<class>``,
    ``precision_<class>`` (the devkit's ``rec`` and ``prec``) and ``scores_<class>``
    (confidences in rank order).
    """
    from .. import __version__

    matches = match(gt, results)
    curves = class_curves(gt, results, matches, method)
    aps = np.array([c.ap for c in curves])
    valid = np.isfinite(aps)
    num_det = np.bincount(results.category_index[matches.image >= 0], minlength=gt.num_classes)
    per_class = tuple(
        ClassResult(name=c.name, metrics={"AP": c.ap}, num_gt=c.num_gt, num_det=int(num_det[k]))
        for k, c in enumerate(curves)
    )
    arrays: dict[str, np.ndarray] = {"AP": aps}
    for c in curves:
        arrays[f"recall_{c.name}"] = c.recall
        arrays[f"precision_{c.name}"] = c.precision
        arrays[f"scores_{c.name}"] = c.score
    return Evaluation(
        protocol=protocol,
        stats={
            "mAP": float(np.mean(aps[valid])) if valid.any() else float("nan"),
            **{f"AP/{c.name}": float(c.ap) for c in curves},
        },
        primary="mAP",
        higher_is_better=True,
        per_class=per_class,
        curves=_curves(curves, method),
        arrays=arrays,
        engine_version=__version__,
    )


def _interpolated(curve: ClassCurve) -> tuple[np.ndarray, np.ndarray]:
    """Precision and score float64 [101] at ``RECALL_GRID`` (NaN where unreached)."""
    precision = np.nan_to_num(curve.precision, nan=0.0)
    envelope = np.maximum.accumulate(precision[::-1])[::-1] if len(precision) else precision
    at = np.searchsorted(curve.recall, RECALL_GRID, side="left")
    reached = at < len(curve.recall)
    safe = np.minimum(at, max(len(curve.recall) - 1, 0))
    interpolated = np.where(reached, envelope[safe] if len(envelope) else 0.0, 0.0)
    score = np.where(reached, curve.score[safe] if len(curve.score) else np.nan, np.nan)
    return interpolated, score


def _rounded(values: np.ndarray) -> list[float | None]:
    return [round(float(v), 4) if np.isfinite(v) else None for v in values]


def _curves(curves: list[ClassCurve], method: str) -> dict[str, object]:
    classes = []
    with_gt = []
    for c in curves:
        entry: dict[str, object] = {"name": c.name, "AP": c.ap, "num_gt": c.num_gt}
        if c.num_gt == 0:
            none = [None] * len(RECALL_GRID)
            entry.update(precision={"0.50": none}, score=none, points={"recall": [], "precision": []})
        else:
            precision, score = _interpolated(c)
            with_gt.append(precision)
            steps = np.flatnonzero(np.diff(np.r_[0.0, c.recall]) > 0)
            if len(steps) > CURVE_POINTS:
                steps = steps[np.unique(np.round(np.linspace(0, len(steps) - 1, CURVE_POINTS)).astype(np.int64))]
            entry.update(
                precision={"0.50": _rounded(precision)},
                score=_rounded(score),
                points={"recall": _rounded(c.recall[steps]), "precision": _rounded(c.precision[steps])},
            )
        classes.append(entry)
    overall = np.mean(with_gt, axis=0) if with_gt else np.full(len(RECALL_GRID), np.nan)
    return {
        "kind": "pr",
        "method": method,
        "iou_thresholds": ["0.50"],
        "recall": [round(float(r), 2) for r in RECALL_GRID],
        "overall": {"0.50": _rounded(overall)},
        "classes": classes,
    }


def analysis_input(gt: VocGroundTruth, results: VocResults) -> AnalysisInput:
    """Boxes on a continuous axis: VOC corners (x1, y1, x2, y2) become
    (x1 - 1, y1 - 1, x2, y2), so widths are VOC's +1 widths; difficult boxes ignored."""

    def continuous(xyxy: np.ndarray) -> np.ndarray:
        out = np.array(xyxy, dtype=np.float64).reshape(-1, 4)
        out[:, :2] -= 1
        return out

    image = gt.positions(results.image_id)
    known = image >= 0
    return AnalysisInput(
        image_ids=image_ids(gt),
        category_names=gt.class_names,
        ground_truth=BoxSet(
            image=gt.box_image.copy(),
            category=gt.box_class.copy(),
            xyxy=continuous(gt.xyxy),
            score=None,
            ignore=gt.difficult.copy(),
        ),
        detections=BoxSet(
            image=image[known],
            category=results.category_index[known].copy(),
            xyxy=continuous(results.xyxy[known]),
            score=results.score[known].copy(),
            ignore=np.zeros(int(known.sum()), dtype=bool),
        ),
    )


def bootstrap(
    gt: VocGroundTruth, results: VocResults, *, method: str, resamples: int = 200, seed: int = 0
) -> np.ndarray:
    """mAP on ``resamples`` bootstrap resamples of the images (drawn with replacement, seeded).

    An image drawn n times weighs n in every class's cumulative true and false
    positives and in its number of objects; with every weight 1 this is ``mAP``.
    """
    matches = match(gt, results)
    num_images = gt.num_images
    counted = ~gt.difficult
    objects = np.zeros((gt.num_classes, num_images))
    np.add.at(objects, (gt.box_class[counted], gt.box_image[counted]), 1)
    ranked_class = results.category_index[matches.rank]
    bounds = np.searchsorted(ranked_class, np.arange(gt.num_classes + 1))
    groups = []
    for k in range(gt.num_classes):
        rows = matches.rank[bounds[k] : bounds[k + 1]]
        status = matches.status[rows]
        groups.append((matches.image[rows], status == TRUE_POSITIVE, status == FALSE_POSITIVE))
    rng = np.random.default_rng(seed)
    values = np.empty(resamples)
    for b in range(resamples):
        weights = np.bincount(rng.integers(0, num_images, num_images), minlength=num_images).astype(float)
        values[b] = weighted_map(groups, objects, weights, method)
    return values


def weighted_map(groups: list, objects: np.ndarray, weights: np.ndarray, method: str) -> float:
    aps = []
    for k, (image, is_tp, is_fp) in enumerate(groups):
        npos = float(objects[k] @ weights)
        if npos == 0:
            continue
        w = weights[image]
        tp, fp = np.cumsum(is_tp * w), np.cumsum(is_fp * w)
        with np.errstate(divide="ignore", invalid="ignore"):
            aps.append(average_precision(tp / npos, tp / (fp + tp), method))
    return float(np.mean(aps)) if aps else float("nan")
