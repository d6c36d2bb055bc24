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
    num_groups = len(gt_start) - 1
    num_area = area_ranges.shape[0]
    num_thr = len(iou_thresholds)
    num_dt = dt_bbox.shape[0]
    matched = np.zeros((num_area, num_thr, num_dt), dtype=np.bool_)
    ignored = np.zeros((num_area, num_thr, num_dt), dtype=np.bool_)
    for q in range(num_groups):
        g0 = gt_start[q]
        ng = gt_start[q + 1] - g0
        d0 = dt_start[q]
        nd = dt_count[q]
        if nd == 0:
            continue
        ious = np.zeros((nd, ng))
        for j in range(ng):
            for i in range(nd):
                ious[i, j] = _box_iou(dt_bbox[d0 + i], gt_bbox[g0 + j], gt_crowd[g0 + j])
        order = np.empty(ng, dtype=np.int64)
        gt_ignore = np.empty(ng, dtype=np.bool_)
        taken = np.zeros(ng, dtype=np.bool_)
        for a in range(num_area):
            lo = area_ranges[a, 0]
            hi = area_ranges[a, 1]
            # Stable sort of the group's gts by their ignore flag: kept ones first.
            k = 0
            for pass_ignored in range(2):
                for j in range(ng):
                    ig = gt_crowd[g0 + j] or gt_area[g0 + j] < lo or gt_area[g0 + j] > hi
                    if ig == (pass_ignored == 1):
                        order[k] = j
                        gt_ignore[k] = ig
                        k += 1
            for t in range(num_thr):
                taken[:] = False
                thr = min(iou_thresholds[t], 1 - 1e-10)
                for i in range(nd):
                    best = thr
                    m = -1
                    for k in range(ng):
                        j = order[k]
                        if taken[k] and not gt_crowd[g0 + j]:
                            continue
                        if m > -1 and not gt_ignore[m] and gt_ignore[k]:
                            break
                        if ious[i, j] < best:
                            continue
                        best = ious[i, j]
                        m = k
                    row = d0 + i
                    if m == -1:
                        ignored[a, t, row] = dt_area[row] < lo or dt_area[row] > hi
                        continue
                    taken[m] = True
                    hit = gt_id_nonzero[g0 + order[m]]
                    matched[a, t, row] = hit
                    ignored[a, t, row] = gt_ignore[m] or (not hit and (dt_area[row] < lo or dt_area[row] > hi))
    return matched, ignored
