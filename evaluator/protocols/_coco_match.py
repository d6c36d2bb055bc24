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
def _sparse_confusions(
    g0: int,
    g1: int,
    gt_bbox: np.ndarray,
    gt_area: np.ndarray,
    gt_crowd: np.ndarray,
    gt_id_nonzero: np.ndarray,
    gt_category: np.ndarray,
    family: np.ndarray,
    category: int,
    d0: int,
    d1: int,
    dt_bbox: np.ndarray,
    dt_area: np.ndarray,
    area_ranges: np.ndarray,
    threshold: float,
    matched: np.ndarray,
    ignored: np.ndarray,
    scratch: tuple[
        np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray
    ],
) -> bool:
    """:func:`match_confusions` of one group, each detection visiting only the ground truth
    of IoU at least the threshold (its candidates), in the order of the scan; False, with
    nothing written, when an IoU is NaN (then the full scan decides).

    The same matching as :func:`_greedy_group`'s full scan: a ground truth of IoU below the
    threshold never becomes the match (``best`` starts at the threshold and only rises), and
    once a kept match is held the scan stops at the first ignored ground truth, where it
    also meets the first ignored candidate, the ignored ones coming last."""
    start, column, value, level, area, crowd, ranked, taken, took_column = scratch
    thr = min(threshold, 1 - 1e-10)
    n = 0
    for i in range(d1 - d0):
        start[i] = n
        for j in range(g1 - g0):
            g = g0 + j
            v = _box_iou(dt_bbox[d0 + i], gt_bbox[g], gt_crowd[g])
            if v != v:
                return False
            if v >= thr:
                own = gt_category[g] == category
                column[n] = j
                value[n] = v
                # Loc: the group's own objects; Sim: and those of its family; Oth: every one
                level[n] = 0 if own else (1 if family[gt_category[g]] == family[category] else 2)
                area[n] = gt_area[g] if own else -np.inf  # others: ignored in every area range
                crowd[n] = gt_crowd[g]
                n += 1
    start[d1 - d0] = n
    for setting in range(3):
        for a in range(area_ranges.shape[0]):
            lo = area_ranges[a, 0]
            hi = area_ranges[a, 1]
            took = 0
            for i in range(d1 - d0):
                # the candidates in the scan's order: the kept ground truth first, each part in file order
                count = kept = 0
                for pass_ignored in range(2):
                    for e in range(start[i], start[i + 1]):
                        ig = crowd[e] or area[e] < lo or area[e] > hi
                        if level[e] <= setting and ig == (pass_ignored == 1):
                            ranked[count] = e
                            count += 1
                    if pass_ignored == 0:
                        kept = count
                best = thr
                m = -1
                for c in range(count):
                    e = ranked[c]
                    if taken[column[e]] and not crowd[e]:
                        continue
                    if m > -1 and m < kept and c >= kept:
                        break
                    if value[e] < best:
                        continue
                    best = value[e]
                    m = c
                row = d0 + i
                if m == -1:
                    ignored[a, setting, row] = dt_area[row] < lo or dt_area[row] > hi
                    continue
                e = ranked[m]
                taken[column[e]] = True
                took_column[took] = column[e]
                took += 1
                hit = gt_id_nonzero[g0 + column[e]]
                matched[a, setting, row] = hit
                ignored[a, setting, row] = m >= kept or (not hit and (dt_area[row] < lo or dt_area[row] > hi))
            for t in range(took):
                taken[took_column[t]] = False
    return True


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
    full_scan: bool = False,
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

    Each group runs :func:`_sparse_confusions` (only the objects a detection overlaps enough),
    unless an IoU is NaN or ``full_scan`` (the tests' reference): then every detection scans
    all of the setting's objects (:func:`_greedy_group`), with the same result.
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
    most = np.max(np.diff(dt_start)) if len(dt_start) > 1 else 0
    scratch = np.empty((most, longest))
    pairs = most * longest
    sparse = (
        np.empty(most + 1, dtype=np.int64),
        np.empty(pairs, dtype=np.int64),
        np.empty(pairs),
        np.empty(pairs, dtype=np.int64),
        np.empty(pairs),
        np.empty(pairs, dtype=np.bool_),
        np.empty(longest, dtype=np.int64),
        np.zeros(longest, dtype=np.bool_),
        np.empty(most, dtype=np.int64),
    )
    for q in range(len(group_image)):
        g0, g1 = image_gt_start[group_image[q]], image_gt_start[group_image[q] + 1]
        d0, d1 = dt_start[q], dt_start[q + 1]
        k = group_category[q]
        if not full_scan and _sparse_confusions(
            g0,
            g1,
            gt_bbox,
            gt_area,
            gt_crowd,
            gt_id_nonzero,
            gt_category,
            family,
            k,
            d0,
            d1,
            dt_bbox,
            dt_area,
            area_ranges,
            iou_threshold,
            matched,
            ignored,
            sparse,
        ):
            continue
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
