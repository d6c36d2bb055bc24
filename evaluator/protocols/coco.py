"""The COCO detection protocol (bounding boxes), identical to pycocotools' ``COCOeval``.

Parameters are pycocotools' defaults for ``iouType="bbox"``: IoU thresholds
.50:.05:.95 (T=10), recall thresholds 0:.01:1 (R=101), area ranges all / small /
medium / large (A=4) on the ground truth's ``area`` field and the detections'
``w*h``, maxDets 1 / 10 / 100 (M=3). Crowd regions are matched by intersection
over the detection's area, any number of times, and matches to them are ignored.
Per image and category, detections are sorted by descending score with a stable
sort and cut to 100. Images are visited in ascending id order, so equal scores
across images rank by image id, as in ``accumulate``.

``Evaluation.arrays`` holds pycocotools' ``precision`` [T x R x K x A x M],
``recall`` [T x K x A x M] and ``scores`` [T x R x K x A x M], with -1 where a
category has no ground truth in that area range.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..formats import coco as coco_format
from ..formats.coco import CocoGroundTruth, CocoResults, frozen
from ..types import AnalysisInput, BoxSet, ClassResult, Evaluation
from ._coco_accumulate import accumulate_curves, flags_in_order, weighted_ap_many, weighted_curves
from ._coco_match import match_groups

NAME = "coco"
STAT_NAMES = ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl")
PRIMARY = "AP"
HIGHER_IS_BETTER = True
RESULT_FORMATS = coco_format.RESULT_FORMATS

# The same expressions as pycocotools' Params, so that the floats are the same.
IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
RECALL_THRESHOLDS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
MAX_DETS = (1, 10, 100)
AREA_RANGES = np.array([[0**2, 1e5**2], [0**2, 32**2], [32**2, 96**2], [96**2, 1e5**2]], dtype=np.float64)
AREA_LABELS = ("all", "small", "medium", "large")

# (stat, is AP, IoU threshold or None, area label, maxDets): pycocotools' summarize().
SUMMARY = (
    ("AP", True, None, "all", 100),
    ("AP50", True, 0.5, "all", 100),
    ("AP75", True, 0.75, "all", 100),
    ("APs", True, None, "small", 100),
    ("APm", True, None, "medium", 100),
    ("APl", True, None, "large", 100),
    ("AR1", False, None, "all", 1),
    ("AR10", False, None, "all", 10),
    ("AR100", False, None, "all", 100),
    ("ARs", False, None, "small", 100),
    ("ARm", False, None, "medium", 100),
    ("ARl", False, None, "large", 100),
)
PER_CLASS = ("AP", "AP50", "AP75", "APs", "APm", "APl")


def load_ground_truth(path: str | Path) -> CocoGroundTruth:
    return coco_format.load_ground_truth(path)


def load_results(path: str | Path, gt: CocoGroundTruth | None) -> CocoResults:
    return coco_format.load_results(path, gt)


def image_ids(gt: CocoGroundTruth) -> tuple[int, ...]:
    return tuple(int(i) for i in gt.image_ids)


def _restrict_ground_truth(gt: CocoGroundTruth, keep_image: np.ndarray) -> CocoGroundTruth:
    new_index = np.cumsum(keep_image) - 1
    keep_ann = keep_image[gt.ann_image]
    return replace(
        gt,
        image_ids=frozen(gt.image_ids[keep_image]),
        image_meta=tuple(m for m, keep in zip(gt.image_meta, keep_image, strict=True) if keep),
        ann_image=frozen(new_index[gt.ann_image[keep_ann]]),
        ann_category=frozen(gt.ann_category[keep_ann]),
        ann_id=frozen(gt.ann_id[keep_ann]),
        bbox=frozen(gt.bbox[keep_ann]),
        area=frozen(gt.area[keep_ann]),
        iscrowd=frozen(gt.iscrowd[keep_ann]),
    )


def _image_mask(gt: CocoGroundTruth, images: frozenset[int | str]) -> np.ndarray:
    return np.isin(gt.image_ids, np.array(sorted(int(i) for i in images), dtype=np.int64))


def restrict(
    gt: CocoGroundTruth, results: CocoResults, images: frozenset[int | str]
) -> tuple[CocoGroundTruth, CocoResults]:
    """Ground truth and detections of ``images`` only."""
    sub_gt = _restrict_ground_truth(gt, _image_mask(gt, images))
    keep_det = np.isin(results.image_id, sub_gt.image_ids)
    sub_results = replace(
        results,
        image_id=frozen(results.image_id[keep_det]),
        category_id=frozen(results.category_id[keep_det]),
        xywh=frozen(results.xywh[keep_det]),
        score=frozen(results.score[keep_det]),
    )
    return sub_gt, sub_results


class _Detections:
    """Detections kept for scoring, sorted by (image, category, -score, upload order).

    ``image``/``category`` are indices into the ground truth's arrays; ``rank`` is
    the position within the image-category group (pycocotools keeps rank < 100).
    ``by_category`` lists the rows in accumulate's order (category, then descending
    score, then image, then rank), category k's rows being
    ``by_category[category_start[k]:category_start[k+1]]``.
    """

    def __init__(self, gt: CocoGroundTruth, results: CocoResults | None) -> None:
        if results is None:
            return
        image = np.searchsorted(gt.image_ids, results.image_id)
        category = np.searchsorted(gt.category_ids, results.category_id)
        image = np.minimum(image, max(len(gt.image_ids) - 1, 0))
        category = np.minimum(category, max(len(gt.category_ids) - 1, 0))
        known = np.zeros(len(results), dtype=bool)
        if len(gt.image_ids) and len(gt.category_ids):
            known = (gt.image_ids[image] == results.image_id) & (gt.category_ids[category] == results.category_id)
        num_categories = len(gt.category_ids)
        key = image * num_categories + category
        order = np.lexsort((np.arange(len(results)), -results.score, key))
        order = order[known[order]]
        key = key[order]
        starts = np.searchsorted(key, key, side="left")
        rank = np.arange(len(key)) - starts
        keep = rank < MAX_DETS[-1]
        order, key, rank = order[keep], key[keep], rank[keep]
        self.key = key
        self.image = image[order]
        self.category = category[order]
        self.rank = rank
        self.bbox = np.ascontiguousarray(results.xywh[order])
        self.score = results.score[order]
        self.area = self.bbox[:, 2] * self.bbox[:, 3]
        self._sort_by_category(num_categories)

    def _sort_by_category(self, num_categories: int) -> None:
        # Global order of pycocotools: mergesort on -score of the image-ordered concatenation.
        # Rows are already in (image, rank) order within a category, and lexsort is stable.
        self.by_category = np.lexsort((-self.score, self.category))
        self.category_start = np.searchsorted(self.category[self.by_category], np.arange(num_categories + 1))

    def subset(self, keep: np.ndarray, new_image: np.ndarray, num_categories: int) -> _Detections:
        """The rows where ``keep``, images renumbered by ``new_image``."""
        sub = _Detections.__new__(_Detections)
        sub.image = new_image[self.image[keep]]
        sub.category = self.category[keep]
        sub.key = sub.image * num_categories + sub.category
        sub.rank = self.rank[keep]
        sub.bbox = self.bbox[keep]
        sub.score = self.score[keep]
        sub.area = self.area[keep]
        # the rows kept keep their order, so the sort by (category, -score) is this one's restricted
        rows = self.by_category[keep[self.by_category]]
        sub.by_category = (np.cumsum(keep) - 1)[rows]
        sub.category_start = np.searchsorted(sub.category[sub.by_category], np.arange(num_categories + 1))
        return sub


def _match(
    gt: CocoGroundTruth, dets: _Detections, iou_thresholds: np.ndarray = IOU_THRESHOLDS
) -> tuple[np.ndarray, np.ndarray]:
    num_groups = len(gt.image_ids) * len(gt.category_ids)
    gt_key = gt.ann_image * len(gt.category_ids) + gt.ann_category
    gt_order = np.argsort(gt_key, kind="stable")
    groups = np.arange(num_groups + 1)
    gt_start = np.searchsorted(gt_key[gt_order], groups, side="left")
    dt_start = np.searchsorted(dets.key, groups, side="left")
    return match_groups(
        gt_start,
        np.ascontiguousarray(gt.bbox[gt_order]),
        gt.area[gt_order],
        gt.iscrowd[gt_order],
        gt.ann_id[gt_order] != 0,
        dt_start[:-1],
        np.diff(dt_start),
        dets.bbox,
        dets.area,
        AREA_RANGES,
        iou_thresholds,
    )


class Matches:
    """The matching of one submission, from which every figure of a subset of its images follows.

    Matching is per image, so the matches of a subset of images are the full
    matches restricted to it (:meth:`restrict`): the public split needs no second
    matching. ``matched``/``ignored`` are bool [A x T x D] over ``dets``' rows.
    """

    def __init__(self, gt: CocoGroundTruth, dets: _Detections, matched: np.ndarray, ignored: np.ndarray) -> None:
        self.gt = gt
        self.dets = dets
        self.matched = matched
        self.ignored = ignored
        self._area_all: tuple[np.ndarray, np.ndarray] | None = None

    def area_all_flags(self) -> tuple[np.ndarray, np.ndarray]:
        """True and false positives bool [T x D] of area all, in accumulate's order
        (``dets.by_category``): the evaluation and the bootstrap both read them."""
        if self._area_all is None:
            self._area_all = flags_in_order(self.matched[0], self.ignored[0], self.dets.by_category)
        return self._area_all

    @classmethod
    def of(cls, gt: CocoGroundTruth, results: CocoResults) -> Matches:
        dets = _Detections(gt, results)
        return cls(gt, dets, *_match(gt, dets))

    def restrict(self, images: frozenset[int | str]) -> Matches:
        """The matches of ``images`` only (ids outside the split are left out)."""
        keep_image = _image_mask(self.gt, images)
        new_index = np.cumsum(keep_image) - 1
        keep = keep_image[self.dets.image]
        dets = self.dets.subset(keep, new_index, len(self.gt.category_ids))
        # np.compress: the same as indexing with ``keep``, a few times faster on the last axis
        matched = np.ascontiguousarray(np.compress(keep, self.matched, axis=2))
        ignored = np.ascontiguousarray(np.compress(keep, self.ignored, axis=2))
        return Matches(_restrict_ground_truth(self.gt, keep_image), dets, matched, ignored)


def _kept_objects(gt: CocoGroundTruth) -> np.ndarray:
    """int64 [K x A]: objects that are not ignored (``gtIgnore == 0``) per category and area range."""
    num_k = len(gt.category_ids)
    counts = np.zeros((num_k, len(AREA_RANGES)), dtype=np.int64)
    for a, (lo, hi) in enumerate(AREA_RANGES):
        kept = ~(gt.iscrowd | (gt.area < lo) | (gt.area > hi))
        counts[:, a] = np.bincount(gt.ann_category[kept], minlength=num_k)
    return counts


def _accumulate(
    gt: CocoGroundTruth,
    dets: _Detections,
    matched: np.ndarray,
    ignored: np.ndarray,
    max_dets: tuple[int, ...] = MAX_DETS,
    area_all: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """pycocotools' accumulate(): precision, recall and scores arrays (T from ``matched``).

    ``area_all``: :meth:`Matches.area_all_flags`, if at hand."""
    num_t, num_r, num_k, num_a, num_m = matched.shape[1], len(RECALL_THRESHOLDS), len(gt.category_ids), 4, len(max_dets)
    precision = -np.ones((num_t, num_r, num_k, num_a, num_m))
    recall = -np.ones((num_t, num_k, num_a, num_m))
    scores = -np.ones((num_t, num_r, num_k, num_a, num_m))
    order = dets.by_category
    rank, score, npig = dets.rank[order], dets.score[order], _kept_objects(gt)
    max_dets_array = np.array(max_dets, dtype=np.int64)
    for a in range(num_a):
        # One gather per area range, so that the kernel reads each category's flags in order.
        tp, fp = area_all if a == 0 and area_all is not None else flags_in_order(matched[a], ignored[a], order)
        accumulate_curves(
            dets.category_start,
            rank,
            score,
            tp,
            fp,
            np.ascontiguousarray(npig[:, a]),
            a,
            max_dets_array,
            RECALL_THRESHOLDS,
            precision,
            recall,
            scores,
        )
    return precision, recall, scores


def _mean_valid(values: np.ndarray) -> float:
    valid = values[values > -1]
    return float(np.mean(valid)) if len(valid) else -1.0


def _summarize(precision: np.ndarray, recall: np.ndarray) -> dict[str, float]:
    stats = {}
    for name, is_ap, iou, area, max_dets in SUMMARY:
        a = AREA_LABELS.index(area)
        m = MAX_DETS.index(max_dets)
        s = precision if is_ap else recall
        if iou is not None:
            s = s[np.where(iou == IOU_THRESHOLDS)[0]]
        s = s[:, :, :, a, m] if is_ap else s[:, :, a, m]
        stats[name] = _mean_valid(s)
    return stats


def _per_class(gt: CocoGroundTruth, dets: _Detections, precision: np.ndarray) -> tuple[ClassResult, ...]:
    rows = []
    num_gt = np.bincount(gt.ann_category[~gt.iscrowd], minlength=len(gt.category_ids))
    num_det = np.bincount(dets.category, minlength=len(gt.category_ids))
    t50 = np.where(IOU_THRESHOLDS == 0.5)[0]
    t75 = np.where(IOU_THRESHOLDS == 0.75)[0]
    for k, name in enumerate(gt.category_names):
        metrics = {}
        for label, t, a in (
            ("AP", slice(None), 0),
            ("AP50", t50, 0),
            ("AP75", t75, 0),
            ("APs", slice(None), 1),
            ("APm", slice(None), 2),
            ("APl", slice(None), 3),
        ):
            value = _mean_valid(precision[t, :, k, a, 2])
            metrics[label] = value if value > -1 else float("nan")
        rows.append(ClassResult(name=name, metrics=metrics, num_gt=int(num_gt[k]), num_det=int(num_det[k])))
    return tuple(rows)


def _curves(gt: CocoGroundTruth, precision: np.ndarray, scores: np.ndarray) -> dict[str, object]:
    """PR curves at maxDets 100, area all: per class and the mean over classes.

    ``recall`` is the 101 recall thresholds; each series lists precision there
    (None where the class has no ground truth), rounded to 4 decimals, and
    ``score`` the confidence threshold reaching that recall at IoU 0.5.
    """
    t50 = int(np.where(IOU_THRESHOLDS == 0.5)[0][0])
    t75 = int(np.where(IOU_THRESHOLDS == 0.75)[0][0])
    p = precision[:, :, :, 0, 2]  # [T x R x K]
    settings = {"0.50": p[t50], "0.75": p[t75], "0.50:0.95": np.where((p > -1).all(axis=0), p.mean(axis=0), -1)}

    def series(values: np.ndarray) -> list[float | None]:
        return [round(v, 4) if v > -1 else None for v in values.tolist()]

    classes = []
    for k, name in enumerate(gt.category_names):
        classes.append(
            {
                "name": name,
                "precision": {label: series(values[:, k]) for label, values in settings.items()},
                "score": series(scores[t50, :, k, 0, 2]),
            }
        )
    overall = {}
    for label, values in settings.items():
        valid = values > -1
        counts = valid.sum(axis=1)
        sums = np.where(valid, values, 0).sum(axis=1)
        overall[label] = series(np.where(counts > 0, sums / np.maximum(counts, 1), -1))
    return {
        "kind": "pr",
        "recall": [round(float(r), 2) for r in RECALL_THRESHOLDS],
        "iou_thresholds": list(settings),
        "overall": overall,
        "classes": classes,
    }


def evaluate(gt: CocoGroundTruth, results: CocoResults) -> Evaluation:
    return evaluate_matches(Matches.of(gt, results))


def evaluate_matches(matches: Matches) -> Evaluation:
    from .. import __version__

    gt, dets = matches.gt, matches.dets
    precision, recall, scores = _accumulate(
        gt, dets, matches.matched, matches.ignored, area_all=matches.area_all_flags()
    )
    return Evaluation(
        protocol=NAME,
        stats=_summarize(precision, recall),
        primary=PRIMARY,
        higher_is_better=HIGHER_IS_BETTER,
        per_class=_per_class(gt, dets, precision),
        curves=_curves(gt, precision, scores),
        arrays={"precision": precision, "recall": recall, "scores": scores},
        engine_version=__version__,
    )


def _index_in(ids: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each of ``values``' position in the sorted ``ids``, and whether it is there (``np.isin``)."""
    index = np.searchsorted(ids, values)
    found = np.zeros(len(values), dtype=bool)
    if len(ids):
        found = ids[np.minimum(index, len(ids) - 1)] == values
    return index, found


def analysis_input(gt: CocoGroundTruth, results: CocoResults) -> AnalysisInput:
    def xyxy(bbox: np.ndarray) -> np.ndarray:
        return np.column_stack([bbox[:, 0], bbox[:, 1], bbox[:, 0] + bbox[:, 2], bbox[:, 1] + bbox[:, 3]])

    image, image_known = _index_in(gt.image_ids, results.image_id)
    category, category_known = _index_in(gt.category_ids, results.category_id)
    known = image_known & category_known
    return AnalysisInput(
        image_ids=image_ids(gt),
        category_names=gt.category_names,
        ground_truth=BoxSet(
            image=gt.ann_image,
            category=gt.ann_category,
            xyxy=xyxy(gt.bbox),
            score=None,
            ignore=gt.iscrowd.copy(),
        ),
        detections=BoxSet(
            image=image[known],
            category=category[known],
            xyxy=xyxy(results.xywh[known]),
            score=results.score[known],
            ignore=np.zeros(int(known.sum()), dtype=bool),
        ),
    )


class BootstrapCurves:
    """What the bootstrap of AP needs from the matches (maxDets 100, area all): each
    detection's image in accumulate's order, the rows that are not false positives per
    IoU threshold and category (see ``weighted_curves``), and the objects that count per
    category and image (``objects`` [K x I])."""

    def __init__(self, matches: Matches) -> None:
        gt, dets = matches.gt, matches.dets
        rows = dets.by_category
        self.category_start = dets.category_start
        self.image = dets.image[rows]
        tp, fp = matches.area_all_flags()
        listed = [np.flatnonzero(~fp[t]) for t in range(len(fp))]
        offsets = np.cumsum([0] + [len(rows_t) for rows_t in listed])
        self.marked_start = np.stack(
            [offsets[t] + np.searchsorted(rows_t, dets.category_start) for t, rows_t in enumerate(listed)]
        )
        self.marked_row = np.concatenate(listed) if listed else np.zeros(0, dtype=np.int64)
        self.marked_tp = np.concatenate([tp[t][rows_t] for t, rows_t in enumerate(listed)])
        self.union_row = np.unique(self.marked_row)
        self.union_start = np.searchsorted(self.union_row, dets.category_start)
        self.marked_slot = np.searchsorted(self.union_row, self.marked_row)
        lo, hi = AREA_RANGES[0]
        kept = ~gt.iscrowd & (gt.area >= lo) & (gt.area <= hi)
        self.objects = np.zeros((len(gt.category_ids), len(gt.image_ids)))
        np.add.at(self.objects, (gt.ann_category[kept], gt.ann_image[kept]), 1)

    @property
    def num_images(self) -> int:
        return self.objects.shape[1]

    def weighted_ap(self, weights: np.ndarray) -> float:
        """AP with image i counted ``weights[i]`` times; all ones gives the stat ``AP`` exactly."""
        npig = self.objects @ weights
        present = npig > 0
        if not present.any():
            return float("nan")
        precision = np.zeros((len(IOU_THRESHOLDS), len(RECALL_THRESHOLDS), len(npig)))
        weighted_curves(
            self.category_start,
            self.image,
            self.marked_start,
            self.marked_row,
            self.marked_tp,
            weights,
            npig,
            RECALL_THRESHOLDS,
            precision,
        )
        return float(np.mean(precision[:, :, present].ravel()))

    def weighted_ap_many(self, weights: np.ndarray) -> np.ndarray:
        """:meth:`weighted_ap` of each row of ``weights`` [B x I], in one compiled pass (the
        mean summed in another order: equal to it within rounding)."""
        return weighted_ap_many(
            self.category_start,
            self.image,
            self.marked_start,
            self.marked_row,
            self.marked_tp,
            self.union_start,
            self.union_row,
            self.marked_slot,
            np.ascontiguousarray(weights, dtype=np.float64),
            np.ascontiguousarray(weights @ self.objects.T),
            RECALL_THRESHOLDS,
        )


def bootstrap_matches(matches: Matches, *, resamples: int = 200, seed: int = 0) -> np.ndarray:
    """AP (IoU .50:.95, all areas, 100 detections) on ``resamples`` bootstrap resamples of the images.

    Each resample draws the split's images with replacement (seeded); an image drawn
    n times counts n times: its detections and objects weigh n in the cumulative
    true and false positives and in the number of objects, exactly as if the copies
    were scored as separate images (copies of a detection tie and rank side by side,
    which moves no point of the precision envelope). A category none of whose
    objects was drawn drops out of that resample's mean, as it would from COCO's.
    """
    curves = BootstrapCurves(matches)
    num_images = curves.num_images
    draws = np.random.default_rng(seed).integers(0, num_images, (resamples, num_images))
    offsets = np.arange(resamples)[:, None] * num_images
    weights = np.bincount((draws + offsets).ravel(), minlength=resamples * num_images).astype(float)
    return curves.weighted_ap_many(weights.reshape(resamples, num_images))


def bootstrap(gt: CocoGroundTruth, results: CocoResults, *, resamples: int = 200, seed: int = 0) -> np.ndarray:
    """:func:`bootstrap_matches` of the matches of ``results``."""
    return bootstrap_matches(Matches.of(gt, results), resamples=resamples, seed=seed)


def evaluate_subsets(
    gt: CocoGroundTruth,
    results: CocoResults,
    subsets: Mapping[str, Collection[int | str] | None],
    *,
    resamples: int = 200,
    seed: int = 0,
    level: float = 0.95,
    matches: Matches | None = None,
) -> dict[str, tuple[Evaluation, tuple[float, float] | None]]:
    """Each subset's evaluation and basic bootstrap interval of AP, from one matching
    (``matches``, that of ``results``, if at hand)."""
    from .. import basic_interval

    if matches is None:
        matches = Matches.of(gt, results)
    out = {}
    for name, images in subsets.items():
        subset = matches if images is None else matches.restrict(frozenset(images))
        evaluation = evaluate_matches(subset)
        values = bootstrap_matches(subset, resamples=resamples, seed=seed)
        out[name] = (evaluation, basic_interval(values, evaluation.stats[PRIMARY], level=level))
    return out
