"""KAIST multispectral pedestrian benchmark: log-average miss rate, "Reasonable" setting.

The rules are those of the benchmark's own evaluation script (MLPD repository,
``evaluation_script/evaluation_script.py``, a modified pycocotools ``COCOeval``):

- Only person boxes and person detections take part. Per image, detections are
  sorted by descending score (stable: upload order breaks ties) and the first 1000
  kept.
- A ground-truth box is an *ignore region* when the file flags it ``ignore``, when
  its ``height`` field is below 55 px (or above 1e10), when its occlusion is heavy
  (2), or when it crosses the border [5, 5, 635, 507] (x < 5, y < 5, x + w > 635 or
  y + h > 507). The other boxes are the *reasonable* pedestrians that count.
- Overlap with a reasonable box is IoU (no +1 pixel); overlap with an ignore region
  is intersection over the detection's area. Both must be at least 0.5.
- Matching, per image in score order: a detection takes the unmatched reasonable box
  of highest IoU (equal IoU: the later box of the file); failing that, it lies on an
  ignore region when any overlaps it enough (ignore regions absorb any number of
  detections). A detection on an ignore region is neither a true nor a false
  positive; any other unmatched detection is a false positive.
- Over the images of a subset (all, day, night), the remaining detections are sorted
  by descending score (ties: image id order, then rank within the image); miss rate
  = 1 - TP / (reasonable boxes) and FPPI = FP / (images of the subset).
- MR^-2: at each of the nine FPPI reference points 10^-2 .. 10^0 (evenly spaced in
  log space, **rounded to four decimals as the script does**: 0.0100, 0.0178, ...,
  0.5623, 1.0000) take the miss rate at the last detection whose FPPI does not
  exceed the point; MR^-2 = exp(mean(log(miss rates))). A miss rate of 0 makes it 0.
- Day and night are the images of each domain (see :mod:`evaluator.formats.kaist`).

Where the script's behaviour is an accident of its code, this module takes the rule
the script means (the original Caltech toolbox's), which gives the same figures on
every submission that does not trigger the accident (checked on MBNet, see tests):

- the script leaves images without any detection out of the sum, so their
  pedestrians are not counted as missed; here every reasonable box counts;
- the script reads the miss rate at a reference point that no operating point
  reaches (the first false positive already exceeds it) from the *end* of the curve
  (a Python ``[-1]`` index); here it is 1 (nothing detected yet);
- the script indexes its IoU matrix with the score order twice, so its matching
  depends on the order of detections in the file unless each image's detections are
  already sorted by score (they are in every published result file); here it does not;
- the script counts a match to the ground-truth box with annotation id 0 as a false
  positive (a zero match id means "unmatched" to it); here ids carry no meaning;
- the script gives -1 where a subset has no reasonable box; here the stats are NaN.

``AP50_*`` is COCO-style average precision (101 recall points, pycocotools'
interpolation) on the same matches, for those who report AP.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..formats import kaist as kaist_format
from ..formats.kaist import KaistGroundTruth, KaistResults
from ..types import AnalysisInput, BoxSet, ClassResult, Evaluation

NAME = "kaist"
SUBSETS = ("all", "day", "night")
STAT_NAMES = ("MR_all", "MR_day", "MR_night", "AP50_all", "AP50_day", "AP50_night")
PRIMARY = "MR_all"
HIGHER_IS_BETTER = False
RESULT_FORMATS = kaist_format.RESULT_FORMATS

IOU_THRESHOLD = 0.5
HEIGHT_RANGE = (55.0, 1e10)
VISIBLE_OCCLUSION = (0, 1)
BORDER = (5.0, 5.0, 635.0, 507.0)
MAX_DETECTIONS_PER_IMAGE = 1000
FPPI_REFERENCE = np.array([0.0100, 0.0178, 0.0316, 0.0562, 0.1000, 0.1778, 0.3162, 0.5623, 1.0000])
RECALL_THRESHOLDS = np.linspace(0.0, 1.0, 101)
CURVE_POINTS = 200

FALSE_POSITIVE, TRUE_POSITIVE, ON_IGNORE_REGION = 0, 1, -1


def load_ground_truth(path: str | Path) -> KaistGroundTruth:
    return kaist_format.load_ground_truth(path)


def load_results(path: str | Path, gt: KaistGroundTruth | None) -> KaistResults:
    return kaist_format.load_results(path, gt)


# ------------------------------------------------------------------------ matching


def ignore_regions(gt: KaistGroundTruth) -> np.ndarray:
    """bool [N]: True for the boxes of ``gt`` that the Reasonable setting ignores."""
    x, y, w, h = gt.xywh.T
    low, high = HEIGHT_RANGE
    return (
        gt.ignore
        | (gt.height < low)
        | (gt.height > high)
        | ~np.isin(gt.occlusion, VISIBLE_OCCLUSION)
        | (x < BORDER[0])
        | (y < BORDER[1])
        | (x + w > BORDER[2])
        | (y + h > BORDER[3])
    )


def _intersections(dets: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection areas float64 [D x G] of xywh boxes, 0 where they do not overlap."""
    dx1, dy1 = dets[:, 0:1], dets[:, 1:2]
    dx2, dy2 = dx1 + dets[:, 2:3], dy1 + dets[:, 3:4]
    gx1, gy1 = boxes[:, 0], boxes[:, 1]
    gx2, gy2 = gx1 + boxes[:, 2], gy1 + boxes[:, 3]
    width = np.minimum(dx2, gx2) - np.maximum(dx1, gx1)
    height = np.minimum(dy2, gy2) - np.maximum(dy1, gy1)
    return np.where((width > 0) & (height > 0), width * height, 0.0)


def match_image(dets: np.ndarray, boxes: np.ndarray, ignored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Match one image's detections, given in descending score order.

    ``dets`` float64 [D x 4] and ``boxes`` float64 [G x 4] are xywh pixels,
    ``ignored`` bool [G] marks ignore regions. Returns ``status`` int8 [D]
    (TRUE_POSITIVE, FALSE_POSITIVE or ON_IGNORE_REGION) and ``matched`` bool [G]
    (reasonable boxes taken by a detection; never an ignore region).
    """
    status = np.full(len(dets), FALSE_POSITIVE, dtype=np.int8)
    matched = np.zeros(len(boxes), dtype=bool)
    if len(dets) == 0 or len(boxes) == 0:
        return status, matched
    inter = _intersections(dets, boxes)
    det_area = dets[:, 2] * dets[:, 3]
    on_region = np.zeros(len(dets), dtype=bool)
    if ignored.any():
        on_region = (inter[:, ignored] / det_area[:, None] >= IOU_THRESHOLD).any(axis=1)
    counted = np.flatnonzero(~ignored)
    if len(counted):
        inter_in = inter[:, counted]
        box_area = boxes[counted, 2] * boxes[counted, 3]
        iou = inter_in / (det_area[:, None] + box_area[None, :] - inter_in)
        taken = np.zeros(len(counted), dtype=bool)
        last = len(counted) - 1
        for d in np.flatnonzero((iou >= IOU_THRESHOLD).any(axis=1)):
            row = np.where(taken, -1.0, iou[d])
            best = row.max()
            if best >= IOU_THRESHOLD:
                taken[last - int(np.argmax(row[::-1] == best))] = True
                status[d] = TRUE_POSITIVE
        matched[counted] = taken
    status[(status == FALSE_POSITIVE) & on_region] = ON_IGNORE_REGION
    return status, matched


@dataclass(frozen=True, eq=False)
class Matches:
    """Kept detections after per-image matching (length K, per-image score order).

    ``det_index`` int64 index into the results; ``image`` int64 index into
    ``gt.image_ids``; ``rank`` int64 rank within its image; ``score`` float64;
    ``status`` int8 (TRUE_POSITIVE, FALSE_POSITIVE, ON_IGNORE_REGION).
    ``gt_ignored`` bool [N] the ignore regions; ``gt_matched`` bool [N].
    """

    det_index: np.ndarray
    image: np.ndarray
    rank: np.ndarray
    score: np.ndarray
    status: np.ndarray
    gt_ignored: np.ndarray
    gt_matched: np.ndarray


def match(gt: KaistGroundTruth, results: KaistResults) -> Matches:
    """Match every image's person detections to its person boxes.

    Detections of other categories, and on images that ``gt`` does not hold (which
    :func:`load_results` refuses), take no part.
    """
    ignored = ignore_regions(gt)
    positions = gt.positions(results.image_id)
    person = np.flatnonzero((results.category_id == gt.person_category_id) & (positions >= 0))
    image = positions[person]
    order = np.lexsort((person, -results.score[person], image))
    det_index, image = person[order], image[order]
    starts = np.searchsorted(image, image, side="left")
    rank = np.arange(len(image)) - starts
    kept = rank < MAX_DETECTIONS_PER_IMAGE
    det_index, image, rank = det_index[kept], image[kept], rank[kept]

    box_order = np.argsort(gt.box_image, kind="stable")
    box_bounds = np.searchsorted(gt.box_image[box_order], np.arange(gt.num_images + 1))
    det_bounds = np.searchsorted(image, np.arange(gt.num_images + 1))
    status = np.full(len(det_index), FALSE_POSITIVE, dtype=np.int8)
    matched = np.zeros(len(ignored), dtype=bool)
    for i in np.unique(image):
        boxes = box_order[box_bounds[i] : box_bounds[i + 1]]
        if len(boxes) == 0:
            continue
        dets = slice(det_bounds[i], det_bounds[i + 1])
        status[dets], matched[boxes] = match_image(results.xywh[det_index[dets]], gt.xywh[boxes], ignored[boxes])
    return Matches(det_index, image, rank, results.score[det_index], status, ignored, matched)


# --------------------------------------------------------------------- accumulation


@dataclass(frozen=True, eq=False)
class SubsetCurve:
    """Miss rate against FPPI over one subset of images.

    ``fppi`` and ``miss_rate`` float64 [K]: one point per counted detection (true or
    false positive) in global score order. ``reference_miss_rate`` float64 [9] at
    ``FPPI_REFERENCE``; ``log_average_miss_rate`` MR^-2; ``ap50`` COCO-style AP.
    ``num_images``, ``num_gt`` (reasonable boxes), ``num_det`` (detections on the
    subset's images, before matching).
    """

    fppi: np.ndarray
    miss_rate: np.ndarray
    reference_miss_rate: np.ndarray
    log_average_miss_rate: float
    ap50: float
    num_images: int
    num_gt: int
    num_det: int


def subset_curve(matches: Matches, gt: KaistGroundTruth, images: np.ndarray) -> SubsetCurve:
    """Accumulate ``matches`` over the images selected by ``images`` (bool [I])."""
    num_images = int(images.sum())
    num_gt = int(np.count_nonzero(images[gt.box_image] & ~matches.gt_ignored))
    in_subset = images[matches.image]
    counted = in_subset & (matches.status != ON_IGNORE_REGION)
    order = np.lexsort((matches.rank[counted], matches.image[counted], -matches.score[counted]))
    status = matches.status[counted][order]
    tp = np.cumsum(status == TRUE_POSITIVE).astype(np.float64)
    fp = np.cumsum(status == FALSE_POSITIVE).astype(np.float64)
    num_det = int(in_subset.sum())
    fppi = fp / max(num_images, 1)
    if num_gt == 0:
        nan = float("nan")
        missing = np.full(len(FPPI_REFERENCE), nan)
        return SubsetCurve(fppi, np.full(len(tp), nan), missing, nan, nan, num_images, 0, num_det)
    recall = tp / num_gt
    reference_miss_rate = 1 - reference_recall(fppi, recall)
    with np.errstate(divide="ignore"):
        log_average = float(np.exp(np.mean(np.log(reference_miss_rate))))
    return SubsetCurve(
        fppi=fppi,
        miss_rate=1 - recall,
        reference_miss_rate=reference_miss_rate,
        log_average_miss_rate=log_average,
        ap50=average_precision(tp, fp, num_gt),
        num_images=num_images,
        num_gt=num_gt,
        num_det=num_det,
    )


def reference_recall(fppi: np.ndarray, recall: np.ndarray) -> np.ndarray:
    """Recall float64 [9] at each FPPI reference point: at the last detection whose
    FPPI does not exceed it; 0 where even the first false positive exceeds it."""
    last = np.searchsorted(fppi, FPPI_REFERENCE, side="right") - 1
    return np.where(last >= 0, recall[np.maximum(last, 0)] if len(recall) else 0.0, 0.0)


def average_precision(tp: np.ndarray, fp: np.ndarray, num_gt: int) -> float:
    """COCO-style AP (101 recall points) from cumulative TP and FP counts float64 [K]."""
    if len(tp) == 0:
        return 0.0
    recall = tp / num_gt
    precision = tp / (tp + fp + np.spacing(1))
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    at = np.searchsorted(recall, RECALL_THRESHOLDS, side="left")
    sampled = np.where(at < len(recall), envelope[np.minimum(at, len(recall) - 1)], 0.0)
    return float(np.mean(sampled))


# ----------------------------------------------------------------------- evaluation


def subset_masks(gt: KaistGroundTruth) -> dict[str, np.ndarray]:
    """bool [I] image selections of ``SUBSETS``."""
    return {"all": np.ones(gt.num_images, dtype=bool), "day": ~gt.is_night, "night": gt.is_night.copy()}


def evaluate(gt: KaistGroundTruth, results: KaistResults) -> Evaluation:
    """Score ``results`` on ``gt``: MR^-2 and AP50 for all, day and night images.

    ``curves["subsets"][subset]`` (subset in all/day/night) holds ``fppi`` and ``miss_rate``
    (the corners of the staircase, at most ``CURVE_POINTS`` spread evenly over log
    FPPI, all FPPI > 0 for log axes; a miss rate reaches 0 only when every pedestrian
    is found), ``reference_fppi`` and ``reference_miss_rate`` (the nine points of
    MR^-2), ``log_average_miss_rate``, ``num_images`` and ``num_gt``. ``arrays`` holds
    the full-precision ``fppi_<subset>``, ``miss_rate_<subset>`` and
    ``reference_miss_rate_<subset>``.
    """
    from .. import __version__

    matches = match(gt, results)
    curves = {name: subset_curve(matches, gt, mask) for name, mask in subset_masks(gt).items()}
    stats: dict[str, float] = {}
    for name, curve in curves.items():
        stats[f"MR_{name}"] = curve.log_average_miss_rate
    for name, curve in curves.items():
        stats[f"AP50_{name}"] = curve.ap50
    person = ClassResult(
        name=kaist_format.PERSON,
        metrics=dict(stats),
        num_gt=curves["all"].num_gt,
        num_det=curves["all"].num_det,
    )
    arrays: dict[str, np.ndarray] = {}
    for name, curve in curves.items():
        arrays[f"fppi_{name}"] = curve.fppi
        arrays[f"miss_rate_{name}"] = curve.miss_rate
        arrays[f"reference_miss_rate_{name}"] = curve.reference_miss_rate
    return Evaluation(
        protocol=NAME,
        stats=stats,
        primary=PRIMARY,
        higher_is_better=HIGHER_IS_BETTER,
        per_class=(person,),
        curves={"kind": "miss_rate", "subsets": {name: _curve_for_plot(curve) for name, curve in curves.items()}},
        arrays=arrays,
        engine_version=__version__,
    )


def _curve_for_plot(curve: SubsetCurve) -> dict[str, object]:
    """The staircase reduced to its corners, FPPI > 0, at most ``CURVE_POINTS`` points
    spread evenly over log FPPI."""
    fppi, miss_rate = curve.fppi, curve.miss_rate
    corner = np.append(fppi[1:] != fppi[:-1], True) & (fppi > 0) if len(fppi) else np.zeros(0, dtype=bool)
    fppi, miss_rate = fppi[corner], miss_rate[corner]
    if len(fppi) > CURVE_POINTS:
        grid = np.geomspace(fppi[0], fppi[-1], CURVE_POINTS)
        keep = np.unique(np.append(np.searchsorted(fppi, grid, side="right") - 1, len(fppi) - 1))
        fppi, miss_rate = fppi[keep], miss_rate[keep]
    return {
        "fppi": fppi.tolist(),
        "miss_rate": miss_rate.tolist(),
        "reference_fppi": FPPI_REFERENCE.tolist(),
        "reference_miss_rate": curve.reference_miss_rate.tolist(),
        "log_average_miss_rate": curve.log_average_miss_rate,
        "num_images": curve.num_images,
        "num_gt": curve.num_gt,
    }


def analysis_input(gt: KaistGroundTruth, results: KaistResults) -> AnalysisInput:
    """Person boxes (ignore regions flagged) and person detections, corners xyxy."""
    positions = gt.positions(results.image_id)
    person = (results.category_id == gt.person_category_id) & (positions >= 0)
    dets = results.xywh[person]
    return AnalysisInput(
        image_ids=tuple(int(i) for i in gt.image_ids),
        category_names=(kaist_format.PERSON,),
        ground_truth=BoxSet(
            image=gt.box_image.copy(),
            category=np.zeros(len(gt.box_image), dtype=np.int64),
            xyxy=_xyxy(gt.xywh),
            score=None,
            ignore=ignore_regions(gt),
        ),
        detections=BoxSet(
            image=positions[person].astype(np.int64),
            category=np.zeros(len(dets), dtype=np.int64),
            xyxy=_xyxy(dets),
            score=results.score[person].copy(),
            ignore=np.zeros(len(dets), dtype=bool),
        ),
    )


def _xyxy(xywh: np.ndarray) -> np.ndarray:
    out = np.array(xywh, dtype=np.float64).reshape(-1, 4)
    out[:, 2:] += out[:, :2]
    return out


def image_ids(gt: KaistGroundTruth) -> tuple[int, ...]:
    return tuple(int(i) for i in gt.image_ids)


def restrict(
    gt: KaistGroundTruth, results: KaistResults, images: frozenset[int | str]
) -> tuple[KaistGroundTruth, KaistResults]:
    """The ground truth and detections of ``images`` only (ids as in :func:`image_ids`)."""
    wanted = np.array(sorted(int(i) for i in images), dtype=np.int64)
    keep_image = np.isin(gt.image_ids, wanted)
    new_index = np.cumsum(keep_image) - 1
    keep_box = keep_image[gt.box_image]
    sub_gt = replace(
        gt,
        image_ids=kaist_format.frozen(gt.image_ids[keep_image]),
        image_names=tuple(name for name, keep in zip(gt.image_names, keep_image, strict=True) if keep),
        is_night=kaist_format.frozen(gt.is_night[keep_image]),
        box_image=kaist_format.frozen(new_index[gt.box_image[keep_box]]),
        box_id=kaist_format.frozen(gt.box_id[keep_box]),
        xywh=kaist_format.frozen(gt.xywh[keep_box]),
        height=kaist_format.frozen(gt.height[keep_box]),
        occlusion=kaist_format.frozen(gt.occlusion[keep_box]),
        ignore=kaist_format.frozen(gt.ignore[keep_box]),
    )
    keep_det = np.isin(results.image_id, sub_gt.image_ids)
    sub_results = replace(
        results,
        image_id=kaist_format.frozen(results.image_id[keep_det]),
        category_id=kaist_format.frozen(results.category_id[keep_det]),
        xywh=kaist_format.frozen(results.xywh[keep_det]),
        score=kaist_format.frozen(results.score[keep_det]),
    )
    return sub_gt, sub_results


def weighted_log_average_miss_rate(matches: Matches, gt: KaistGroundTruth, weights: np.ndarray) -> float:
    """MR^-2 over all images with image i counted ``weights[i]`` times; all ones gives ``MR_all``."""
    counted = matches.status != ON_IGNORE_REGION
    order = np.lexsort((matches.rank[counted], matches.image[counted], -matches.score[counted]))
    status = matches.status[counted][order]
    w = weights[matches.image[counted][order]]
    num_gt = float(weights[gt.box_image[~matches.gt_ignored]].sum())
    if num_gt == 0:
        return float("nan")
    tp = np.cumsum((status == TRUE_POSITIVE) * w)
    fp = np.cumsum((status == FALSE_POSITIVE) * w)
    miss_rate = 1 - reference_recall(fp / max(float(weights.sum()), 1.0), tp / num_gt)
    with np.errstate(divide="ignore"):
        return float(np.exp(np.mean(np.log(miss_rate))))


def bootstrap(gt: KaistGroundTruth, results: KaistResults, *, resamples: int = 200, seed: int = 0) -> np.ndarray:
    """MR_all on ``resamples`` bootstrap resamples of the images (with replacement, seeded).

    An image drawn n times counts n times in the images, the false positives and the
    pedestrians; the detections of an image's copies enter the curve together.
    """
    matches = match(gt, results)
    rng = np.random.default_rng(seed)
    n = gt.num_images
    return np.array(
        [
            weighted_log_average_miss_rate(matches, gt, np.bincount(rng.integers(0, n, n), minlength=n).astype(float))
            for _ in range(resamples)
        ]
    )
