"""Per image-category matching of COCO's ``evaluateImg``, compiled with numba.

The loop order, tie rules and floating-point operations are those of pycocotools
(``cocoeval.py`` ``computeIoU`` / ``evaluateImg`` and ``maskApi.c`` ``bbIou``), so
that every match, and therefore every statistic, is identical.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _box_iou(d: np.ndarray, g: np.ndarray, crowd: bool) -> float:
    # maskApi.c bbIou: crowd regions divide by the detection's area only.
    w = min(d[2] + d[0], g[2] + g[0]) - max(d[0], g[0])
    if w <= 0:
        return 0.0
    h = min(d[3] + d[1], g[3] + g[1]) - max(d[1], g[1])
    if h <= 0:
        return 0.0
    i = w * h
    da = d[2] * d[3]
    u = da if crowd else da + g[2] * g[3] - i
    return i / u


@numba.njit(cache=True, nogil=True)
def _group_ious(dt_bbox: np.ndarray, gt_bbox: np.ndarray, gt_crowd: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """[nd x ng]: pycocotools' IoU of every detection row against every ground-truth row, in ``scratch``."""
    ious = scratch[: dt_bbox.shape[0], : gt_bbox.shape[0]]
    for j in range(gt_bbox.shape[0]):
        for i in range(dt_bbox.shape[0]):
            ious[i, j] = _box_iou(dt_bbox[i], gt_bbox[j], gt_crowd[j])
    return ious


@numba.njit(cache=True, nogil=True)
def _greedy_group(
    ious: np.ndarray,
    columns: np.ndarray,
    gt_area: np.ndarray,
    gt_crowd: np.ndarray,
    gt_id_nonzero: np.ndarray,
    d0: int,
    dt_area: np.ndarray,
    area_ranges: np.ndarray,
    iou_thresholds: np.ndarray,
    matched: np.ndarray,
    ignored: np.ndarray,
    t0: int,
    order: np.ndarray,
    gt_ignore: np.ndarray,
    taken: np.ndarray,
) -> None:
    """``evaluateImg``'s greedy matching of one group: detection rows ``d0..d0+nd`` against
    the ground truth ``columns`` (file order) of ``ious`` [nd x ng] and of the gt arrays,
    into ``matched``/``ignored`` [A x T x D] at thresholds ``t0..t0+len(iou_thresholds)``.
    ``order``, ``gt_ignore`` and ``taken``: scratch arrays of at least ``len(columns)``
    (allocating them for each of many small groups would cost more than the matching)."""
    nd = ious.shape[0]
    ng = len(columns)
    for a in range(area_ranges.shape[0]):
        lo = area_ranges[a, 0]
        hi = area_ranges[a, 1]
        # Stable sort of the group's gts by their ignore flag: kept ones first.
        k = 0
        for pass_ignored in range(2):
            for j in columns:
                ig = gt_crowd[j] or gt_area[j] < lo or gt_area[j] > hi
                if ig == (pass_ignored == 1):
                    order[k] = j
                    gt_ignore[k] = ig
                    k += 1
        for t in range(len(iou_thresholds)):
            taken[:ng] = False
            thr = min(iou_thresholds[t], 1 - 1e-10)
            for i in range(nd):
                best = thr
                m = -1
                for k in range(ng):
                    j = order[k]
                    if taken[k] and not gt_crowd[j]:
                        continue
                    if m > -1 and not gt_ignore[m] and gt_ignore[k]:
                        break
                    if ious[i, j] < best:
                        continue
                    best = ious[i, j]
                    m = k
                row = d0 + i
                if m == -1:
                    ignored[a, t0 + t, row] = dt_area[row] < lo or dt_area[row] > hi
                    continue
                taken[m] = True
                hit = gt_id_nonzero[order[m]]
                matched[a, t0 + t, row] = hit
                ignored[a, t0 + t, row] = gt_ignore[m] or (not hit and (dt_area[row] < lo or dt_area[row] > hi))


@numba.njit(cache=True, nogil=True)
def _scratch(longest: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every column index of the largest group, and :func:`_greedy_group`'s scratch arrays."""
    return (
        np.arange(longest),
        np.empty(longest, dtype=np.int64),
        np.empty(longest, dtype=np.bool_),
        np.zeros(longest, dtype=np.bool_),
    )


@numba.njit(cache=True, nogil=True)
def match_groups(
    gt_start: np.ndarray,
    gt_bbox: np.ndarray,
    gt_area: np.ndarray,
    gt_crowd: np.ndarray,
    gt_id_nonzero: np.ndarray,
    dt_start: np.ndarray,
    dt_count: np.ndarray,
    dt_bbox: np.ndarray,
    dt_area: np.ndarray,
    area_ranges: np.ndarray,
    iou_thresholds: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy matching of every image-category group, for every area range and IoU threshold.

    Groups are CSR slices: group ``q`` owns gt rows ``gt_start[q]:gt_start[q+1]`` (file
    order) and detection rows ``dt_start[q]:dt_start[q]+dt_count[q]`` (already sorted
    by descending score, stable, and cut to maxDets[-1]).

    Returns two bool arrays [A x T x D] over detection rows: ``matched`` (matched to a
    ground truth whose id is not 0: pycocotools stores the id and tests it for truth)
    and ``ignored`` (``dtIgnore``: matched to an ignored gt, or unmatched and outside
    the area range).
    """
    shape = (area_ranges.shape[0], len(iou_thresholds), dt_bbox.shape[0])
    matched = np.zeros(shape, dtype=np.bool_)
    ignored = np.zeros(shape, dtype=np.bool_)
    longest = np.max(np.diff(gt_start)) if len(gt_start) > 1 else 0
    every, order, gt_ignore, taken = _scratch(longest)
    ious = np.empty((np.max(dt_count) if len(dt_count) else 0, longest))
    for q in range(len(gt_start) - 1):
        g0, g1 = gt_start[q], gt_start[q + 1]
        d0, d1 = dt_start[q], dt_start[q] + dt_count[q]
        if d1 == d0:
            continue
        _greedy_group(
            _group_ious(dt_bbox[d0:d1], gt_bbox[g0:g1], gt_crowd[g0:g1], ious),
            every[: g1 - g0],
            gt_area[g0:g1],
            gt_crowd[g0:g1],
            gt_id_nonzero[g0:g1],
            d0,
            dt_area,
            area_ranges,
            iou_thresholds,
            matched,
            ignored,
            0,
            order,
            gt_ignore,
            taken,
        )
    return matched, ignored


@numba.njit(cache=True, nogil=True)
def match_confusions(
    image_gt_start: np.ndarray,
    gt_bbox: np.ndarray,
    gt_area: np.ndarray,
    gt_crowd: np.ndarray,
    gt_id_nonzero: np.ndarray,
    gt_category: np.ndarray,
    family: np.ndarray,
    group_image: np.ndarray,
    group_category: np.ndarray,
    dt_start: np.ndarray,
    dt_bbox: np.ndarray,
    dt_area: np.ndarray,
    area_ranges: np.ndarray,
    iou_threshold: float,
) -> tuple[np.ndarray, np.ndarray]:
    """analyze()'s Loc, Sim and Oth matchings at one IoU threshold: bool [A x 3 x D].

    Ground truth rows are sorted by image, in file order within an image (image i's
    are ``image_gt_start[i]:image_gt_start[i+1]``). Detection group ``q`` (rows
    ``dt_start[q]:dt_start[q+1]``) is image ``group_image[q]``'s detections of category
    ``group_category[q]``. Loc matches them to the group's own objects; Sim adds the
    image's objects of the other categories of the same ``family`` (supercategory), Oth
    those of every other category, as objects ignored in every area range (area -inf),
    in file order among the group's own. One IoU per (detection, object of the image)
    serves the three.
    """
    shape = (area_ranges.shape[0], 3, dt_bbox.shape[0])
    matched = np.zeros(shape, dtype=np.bool_)
    ignored = np.zeros(shape, dtype=np.bool_)
    thresholds = np.full(1, iou_threshold)
    longest = np.max(np.diff(image_gt_start)) if len(image_gt_start) > 1 else 0
    every, order, gt_ignore, taken = _scratch(longest)
    area = np.empty(longest)
    own = np.empty(longest, dtype=np.int64)
    similar = np.empty(longest, dtype=np.int64)
    scratch = np.empty((np.max(np.diff(dt_start)) if len(dt_start) > 1 else 0, longest))
    for q in range(len(group_image)):
        g0, g1 = image_gt_start[group_image[q]], image_gt_start[group_image[q] + 1]
        d0, d1 = dt_start[q], dt_start[q + 1]
        k = group_category[q]
        num_own = num_similar = 0
        for j in range(g1 - g0):
            category = gt_category[g0 + j]
            area[j] = gt_area[g0 + j] if category == k else -np.inf
            if category == k:
                own[num_own] = j
                num_own += 1
            if family[category] == family[k]:
                similar[num_similar] = j
                num_similar += 1
        ious = _group_ious(dt_bbox[d0:d1], gt_bbox[g0:g1], gt_crowd[g0:g1], scratch)
        for setting, columns in enumerate((own[:num_own], similar[:num_similar], every[: g1 - g0])):
            _greedy_group(
                ious,
                columns,
                area,
                gt_crowd[g0:g1],
                gt_id_nonzero[g0:g1],
                d0,
                dt_area,
                area_ranges,
                thresholds,
                matched,
                ignored,
                setting,
                order,
                gt_ignore,
                taken,
            )
    return matched, ignored
