"""COCO's ``analyze()``: the precision-recall breakdown C75, C50, Loc, Sim, Oth, BG, FN.

The reference is ``CocoEval.analyze`` of the COCO API's MATLAB toolbox (after Hoiem et
al., "Diagnosing error in object detectors") and its Python port in mmdetection's
``tools/analysis_tools/coco_error_analysis.py``. With maxDets 100 and the four area
ranges, each setting is a PR curve at least as high as the one before:

- C75, C50, Loc: ordinary COCO precision at IoU .75, .50 and .10;
- Sim: at IoU .10, with the objects of the other categories of the same supercategory
  added to each category's ground truth as ignored objects, so that a detection on one
  of them is neither a true nor a false positive (supercategory confusion removed);
- Oth: the same with the objects of every other category (all class confusion removed);
- BG: precision 1 wherever Oth's precision is nonzero, else 0 (background errors removed);
- FN: precision 1 everywhere (the remaining gap is objects never detected).

How an added object is ignored. MATLAB sets the annotation's ``ignore`` flag and keeps
its ``iscrowd``; its ``evaluateImg`` ignores ``iscrowd | ignore | area outside the range``,
so such an object is matched by plain IoU and absorbs one detection per IoU threshold,
like any ignored object. pycocotools' ``_prepare`` overwrites ``ignore`` with
``iscrowd``, so the Python port sets ``iscrowd = 1`` instead, which also makes the object
a crowd region: matched by intersection over the detection's area and absorbing any
number of detections. That is a workaround for pycocotools, not a choice of measure: it
forgives every duplicate on a confused object and a small box anywhere inside a large
object of another class. We follow the MATLAB original. (Some revisions of the port also
lost the supercategory relabelling, making Sim equal to Loc; we relabel, as both intend.)

The added objects get area -inf: outside every area range, which is exactly how
``evaluateImg`` ignores an object without making it a crowd region, so the engine's
greedy matching runs unchanged. One pass covers every category and Loc, Sim and Oth
at once: each (image, category) group that has detections meets the image's objects in
file order, which is the order the reference sees them in (Loc keeping the group's
own, Sim adding those of the same supercategory, Oth all), and each IoU is computed once.

Averages follow COCO (``summarize``): a category without ground truth in an area range
(precision -1) is left out of the means and its per-class AP is NaN. The reference
zero-fills such categories before averaging, which counts them as total misses in C75
to BG but as perfect in FN; with ground truth in every category the two agree, and this
way C75 and C50 equal the ``AP75`` and ``AP50`` statistics. A category without a
``supercategory`` has no similar categories (Sim equals Loc for it).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np

from ..formats.coco import CocoGroundTruth, CocoResults
from ..types import json_safe
from . import coco
from ._coco_match import match_confusions

ERROR_TYPES = ("C75", "C50", "Loc", "Sim", "Oth", "BG", "FN")
IOU_THRESHOLDS = np.array([0.75, 0.5, 0.1])
MAX_DETS = (100,)
CURVE_STEP = 4  # every 4th of the 101 recall points: 0, .04, ..., 1
# Where C75 and C50 stand among the COCO evaluation's IoU thresholds.
C75_C50 = [int(np.flatnonzero(iou == coco.IOU_THRESHOLDS)[0]) for iou in IOU_THRESHOLDS[:2]]


def _match_confusions(
    gt: CocoGroundTruth, dets: coco._Detections, *, iou: float = float(IOU_THRESHOLDS[-1]), full_scan: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Loc, Sim and Oth: ``matched``/``ignored`` bool [A x 3 x D] at IoU ``iou`` (.10), with, in Sim,
    each (image, category) group's ground truth extended with the image's objects of the other
    categories of the same supercategory and, in Oth, of every other category, as ignored objects.
    ``full_scan``: every detection scans all of its setting's objects (the tests' reference)."""
    by_image = np.argsort(gt.ann_image, kind="stable")
    image_start = np.searchsorted(gt.ann_image[by_image], np.arange(len(gt.image_ids) + 1))
    group_start = np.flatnonzero(np.diff(dets.key, prepend=-1, append=-1))
    first = group_start[:-1]
    return match_confusions(
        image_start,
        np.ascontiguousarray(gt.bbox[by_image]),
        gt.area[by_image],
        gt.iscrowd[by_image],
        gt.ann_id[by_image] != 0,
        gt.ann_category[by_image],
        _families(gt),
        dets.image[first],
        dets.category[first],
        group_start,
        dets.bbox,
        dets.area,
        coco.AREA_RANGES,
        iou,
        full_scan,
    )


def _families(gt: CocoGroundTruth) -> np.ndarray:
    """An integer per category, equal for categories of the same named supercategory."""
    names = gt.category_supercategories or ("",) * len(gt.category_ids)
    labels = [name if name else f"\0{k}" for k, name in enumerate(names)]
    return np.unique(labels, return_inverse=True)[1]


def precision_arrays(gt: CocoGroundTruth, results: CocoResults, matches: coco.Matches | None = None) -> np.ndarray:
    """The seven PR settings: float64 [7 x R x K x A] (R=101 recall points, A=all/small/medium/large),
    in the order of ``ERROR_TYPES``; -1 where a category has no ground truth in the area range.

    ``matches``: the COCO matching of the same images (``coco.Matches``), whose IoU .75 and
    .50 thresholds are C75 and C50 as they are (:func:`breakdown_matches`).
    """
    if matches is None:
        dets = coco._Detections(gt, results)
        return _breakdown_precision(_breakdown(gt, dets, *coco._match(gt, dets, IOU_THRESHOLDS[:2])))
    return _breakdown_precision(breakdown_matches(matches))


def breakdown_matches(matches: coco.Matches, *, confusions_only: bool = False) -> coco.Matches:
    """The five matched settings C75, C50, Loc, Sim and Oth of ``matches``' images: a
    ``coco.Matches`` with ``matched``/``ignored`` bool [A x 5 x D]. Every setting matches
    per image, so its ``restrict(images)`` is the breakdown's matching of those images.

    ``confusions_only``: Loc, Sim and Oth alone [A x 3 x D], for :func:`breakdown` given the
    COCO evaluation's precision (C75 and C50 taken from it)."""
    if confusions_only:
        return coco.Matches(matches.gt, matches.dets, *_match_confusions(matches.gt, matches.dets))
    return _breakdown(matches.gt, matches.dets, matches.matched[:, C75_C50], matches.ignored[:, C75_C50])


def _breakdown(gt: CocoGroundTruth, dets: coco._Detections, matched: np.ndarray, ignored: np.ndarray) -> coco.Matches:
    """C75 and C50 (``matched``/``ignored`` [A x 2 x D]) followed by Loc, Sim and Oth."""
    confused = _match_confusions(gt, dets)
    return coco.Matches(
        gt,
        dets,
        np.ascontiguousarray(np.concatenate([matched, confused[0]], axis=1)),
        np.ascontiguousarray(np.concatenate([ignored, confused[1]], axis=1)),
    )


def breakdown(matched: coco.Matches, coco_precision: np.ndarray | None = None) -> dict[str, Any]:
    """:func:`analyze` of the images of ``matched``, a :func:`breakdown_matches` (or its ``restrict``).

    ``coco_precision``: the COCO evaluation's precision array [T x R x K x A x M] of the
    same images, if at hand: its IoU .75 and .50 at maxDets 100 are C75 and C50 as they are,
    and ``matched`` may be Loc, Sim and Oth alone (``confusions_only``).
    """
    return _summary(matched.gt, _breakdown_precision(matched, coco_precision))


def _breakdown_precision(matched: coco.Matches, coco_precision: np.ndarray | None = None) -> np.ndarray:
    gt = matched.gt
    precision = np.empty((len(ERROR_TYPES), len(coco.RECALL_THRESHOLDS), len(gt.category_ids), len(coco.AREA_RANGES)))
    if coco_precision is None:
        precision[:5] = coco._accumulate(gt, matched.dets, matched.matched, matched.ignored, MAX_DETS)[0][..., 0]
    else:
        precision[:2] = coco_precision[C75_C50, ..., coco.MAX_DETS.index(MAX_DETS[0])]
        # the last three settings, Loc, Sim and Oth, of all five or of those three alone
        confused, ignored = (np.ascontiguousarray(flags[:, -3:]) for flags in (matched.matched, matched.ignored))
        precision[2:5] = coco._accumulate(gt, matched.dets, confused, ignored, MAX_DETS)[0][..., 0]
    return _complete(precision)


def _complete(precision: np.ndarray) -> np.ndarray:
    """BG and FN from Oth, and -1 throughout where a category has no ground truth in the area range."""
    precision[5] = precision[4] > 0
    precision[6] = 1.0
    precision[:, :, precision[0, 0] == -1] = -1
    return precision


def analyze(
    gt: CocoGroundTruth,
    results: CocoResults,
    images: Collection[int] | None = None,
    *,
    matches: coco.Matches | None = None,
) -> dict[str, Any]:
    """The breakdown as JSON-ready data, for ``images`` of the split only if given.

    ``ap[area]``: the seven APs (mean precision over recall points and categories with
    ground truth), None where no category has any. ``class_ap``: per category, the seven
    APs for all areas (None without ground truth). ``precision``: the seven curves of all
    areas averaged over categories at the ``recall`` points (every 4th of 101).
    ``matches``: the COCO matching of the same images, if at hand (``precision_arrays``).
    """
    if images is not None:
        gt, results = coco.restrict(gt, results, frozenset(images))
    return _summary(gt, precision_arrays(gt, results, matches))


def _summary(gt: CocoGroundTruth, precision: np.ndarray) -> dict[str, Any]:
    num_t = len(precision)

    def ap(values: np.ndarray) -> float:
        return coco._mean_valid(values) if (values > -1).any() else float("nan")

    curves = precision[:, ::CURVE_STEP, :, 0]
    valid = curves[0, 0] > -1
    # a category's curves are -1 throughout or nowhere (_complete); each row's mean is np.mean's of it alone
    by_class = np.ascontiguousarray(np.moveaxis(precision[..., 0], 2, 0))  # [K x 7 x R]
    class_ap = np.where(valid[:, None], by_class.mean(axis=2), np.nan)
    return json_safe(
        {
            "types": ERROR_TYPES,
            "iou_thresholds": IOU_THRESHOLDS,
            "max_dets": MAX_DETS[0],
            "area_ranges": coco.AREA_LABELS,
            "ap": {
                label: [ap(precision[t, :, :, a]) for t in range(num_t)] for a, label in enumerate(coco.AREA_LABELS)
            },
            "classes": gt.category_names,
            "class_ap": class_ap,
            "recall": coco.RECALL_THRESHOLDS[::CURVE_STEP].round(2),
            "precision": curves[:, :, valid].mean(axis=2) if valid.any() else np.full(curves.shape[:2], np.nan),
        }
    )
