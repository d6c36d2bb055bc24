"""Precision-recall curves of COCO's ``accumulate``, compiled with numba.

One curve is the detections of one category, in pycocotools' global order
(descending score, stable over images in id order), each a true positive, a false
positive or ignored at one IoU threshold. The floating-point operations are those
of ``accumulate``: cumulative sums, ``tp / (fp + tp + eps)``, the precision envelope
(the running maximum from the end) and, per recall threshold r, the first point
whose recall reaches r (``searchsorted(..., side="left")``). The bootstrap uses the
same curve with each detection and object weighted by its image's draw count.
"""

from __future__ import annotations

import numba
import numpy as np

_EPS = np.spacing(1)


@numba.njit(cache=True, nogil=True)
def _curve(
    tp: np.ndarray,
    fp: np.ndarray,
    npig: float,
    recall_thresholds: np.ndarray,
    precision_out: np.ndarray,
    row_out: np.ndarray,
    rc: np.ndarray,
    pr: np.ndarray,
    point_row: np.ndarray,
) -> float:
    """Fill ``precision_out`` [R] and ``row_out`` [R] (the point read, -1 past the last
    recall) for one curve of ``len(tp)`` points; returns the last recall.

    Recall and precision are computed at true positives only: recall rises only there,
    and precision only falls between them, so the first point reaching a recall
    threshold above 0 and every maximum of the envelope are true positives. A recall
    threshold of 0 reads the first point, whose envelope is the maximum of all.
    """
    tp_sum = 0.0
    fp_sum = 0.0
    n = 0
    for i in range(len(tp)):
        if tp[i]:
            tp_sum += 1.0
            rc[n] = tp_sum / npig
            pr[n] = tp_sum / (fp_sum + tp_sum + _EPS)
            point_row[n] = i
            n += 1
        elif fp[i]:
            fp_sum += 1.0
    last = tp_sum / npig
    r = len(recall_thresholds) - 1
    while r >= 0 and recall_thresholds[r] > last:
        precision_out[r] = 0.0
        row_out[r] = -1
        r -= 1
    running = 0.0
    for p in range(n - 1, -1, -1):
        if pr[p] > running:
            running = pr[p]
        below = rc[p - 1] if p > 0 else 0.0
        while r >= 0 and recall_thresholds[r] > below:
            precision_out[r] = running
            row_out[r] = point_row[p]
            r -= 1
    while r >= 0:
        precision_out[r] = running
        row_out[r] = 0
        r -= 1
    return last


@numba.njit(cache=True, nogil=True)
def flags_in_order(matched: np.ndarray, ignored: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True and false positives [T x P] of rows ``order`` of ``matched``/``ignored`` [T x D]:
    matched and not ignored, neither matched nor ignored."""
    tp = np.empty((matched.shape[0], len(order)), dtype=np.bool_)
    fp = np.empty((matched.shape[0], len(order)), dtype=np.bool_)
    for t in range(matched.shape[0]):
        for p in range(len(order)):
            hit = matched[t, order[p]]
            skip = ignored[t, order[p]]
            tp[t, p] = hit and not skip
            fp[t, p] = not (hit or skip)
    return tp, fp


@numba.njit(cache=True, nogil=True)
def accumulate_curves(
    category_start: np.ndarray,
    rank: np.ndarray,
    score: np.ndarray,
    tp: np.ndarray,
    fp: np.ndarray,
    npig: np.ndarray,
    a: int,
    max_dets: np.ndarray,
    recall_thresholds: np.ndarray,
    precision: np.ndarray,
    recall: np.ndarray,
    scores: np.ndarray,
) -> None:
    """pycocotools' accumulate() for area range ``a`` into ``precision`` [T x R x K x A x M],
    ``recall`` [T x K x A x M] and ``scores`` (filled with -1 by the caller).

    Detections are in accumulate's order (category k's are positions
    ``category_start[k]:category_start[k+1]``), with their ``rank`` in their image and
    ``score``; ``tp``/``fp`` [T x D] flag true and false positives at each IoU
    threshold for this area range; ``npig`` [K] counts the objects that are not ignored.
    """
    num_t = tp.shape[0]
    num_r = len(recall_thresholds)
    prec = np.empty(num_r)
    at = np.empty(num_r, dtype=np.int64)
    for k in range(len(category_start) - 1):
        if npig[k] == 0:
            continue
        positions = np.arange(category_start[k], category_start[k + 1])
        for m in range(len(max_dets)):
            sel = positions[rank[positions] < max_dets[m]]
            nd = len(sel)
            if nd == 0:
                for t in range(num_t):
                    recall[t, k, a, m] = 0.0
                    for r in range(num_r):
                        precision[t, r, k, a, m] = 0.0
                        scores[t, r, k, a, m] = 0.0
                continue
            point_row = np.empty(nd, dtype=np.int64)
            tp_k = np.empty(nd, dtype=np.bool_)
            fp_k = np.empty(nd, dtype=np.bool_)
            rc = np.empty(nd)
            pr = np.empty(nd)
            for t in range(num_t):
                for i in range(nd):
                    tp_k[i] = tp[t, sel[i]]
                    fp_k[i] = fp[t, sel[i]]
                recall[t, k, a, m] = _curve(tp_k, fp_k, float(npig[k]), recall_thresholds, prec, at, rc, pr, point_row)
                for r in range(num_r):
                    precision[t, r, k, a, m] = prec[r]
                    scores[t, r, k, a, m] = score[sel[at[r]]] if at[r] >= 0 else 0.0


@numba.njit(cache=True, nogil=True)
def _weighted_category(
    d0: int,
    d1: int,
    t: int,
    k: int,
    image: np.ndarray,
    marked_start: np.ndarray,
    marked_row: np.ndarray,
    marked_tp: np.ndarray,
    image_weight: np.ndarray,
    npig: float,
    total: np.ndarray,
    rc: np.ndarray,
    pr: np.ndarray,
) -> int:
    """The curve's points (true positives) of category k at threshold t into ``rc``/``pr``; returns their number."""
    tp_sum = 0.0
    listed = 0.0
    n = 0
    for e in range(marked_start[t, k], marked_start[t, k + 1]):
        row = marked_row[e]
        w = image_weight[image[row]]
        listed += w
        if marked_tp[e]:
            tp_sum += w
            fp_sum = total[row - d0] - listed
            rc[n] = tp_sum / npig
            pr[n] = tp_sum / (fp_sum + tp_sum + _EPS)
            n += 1
    return n


@numba.njit(cache=True, nogil=True)
def _read_envelope(n: int, rc: np.ndarray, pr: np.ndarray, recall_thresholds: np.ndarray, out: np.ndarray) -> None:
    """Precision envelope at each recall threshold (0 past the last recall) into ``out`` [R]."""
    r = len(recall_thresholds) - 1
    last = rc[n - 1] if n > 0 else 0.0
    while r >= 0 and recall_thresholds[r] > last:
        out[r] = 0.0
        r -= 1
    running = 0.0
    for p in range(n - 1, -1, -1):
        if pr[p] > running:
            running = pr[p]
        below = rc[p - 1] if p > 0 else -1.0
        while r >= 0 and recall_thresholds[r] > below:
            out[r] = running
            r -= 1
    while r >= 0:
        out[r] = running
        r -= 1


@numba.njit(cache=True, nogil=True, inline="always")
def _category_buffers(category_start: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three scratch arrays as long as the longest category's rows: running weight, recall, precision."""
    longest = 0
    for k in range(len(category_start) - 1):
        longest = max(longest, category_start[k + 1] - category_start[k])
    return np.empty(longest), np.empty(longest), np.empty(longest)


@numba.njit(cache=True, nogil=True, inline="always")
def _running_weight(d0: int, d1: int, image: np.ndarray, image_weight: np.ndarray, total: np.ndarray) -> None:
    """``total[i]``: the weight of rows ``d0..d0+i`` (each row weighs its image's weight)."""
    running_total = 0.0
    for i in range(d1 - d0):
        running_total += image_weight[image[d0 + i]]
        total[i] = running_total


@numba.njit(cache=True, nogil=True)
def weighted_curves(
    category_start: np.ndarray,
    image: np.ndarray,
    marked_start: np.ndarray,
    marked_row: np.ndarray,
    marked_tp: np.ndarray,
    image_weight: np.ndarray,
    npig: np.ndarray,
    recall_thresholds: np.ndarray,
    precision: np.ndarray,
) -> None:
    """Precision [T x R x K] (maxDets 100, area all) with each detection and object
    weighted by its image's ``image_weight``; categories with ``npig[k] == 0`` are left
    untouched.

    Detections are in accumulate's order, category k's being rows
    ``category_start[k]:category_start[k+1]`` of ``image``. Only the rows that are not
    false positives are listed, per IoU threshold t and category k: entries
    ``marked_start[t, k]:marked_start[t, k+1]`` of ``marked_row`` (ascending) and
    ``marked_tp`` (true positive, else ignored). False positives only lower the
    precision and never the recall, so the envelope's maximum and every recall
    threshold's first point fall on true positives, and the false positives before
    a point are the weight of all rows up to it less the listed ones: one pass over
    the rows, then one over the listed rows per threshold.
    """
    num_t = marked_start.shape[0]
    total, rc, pr = _category_buffers(category_start)
    for k in range(len(category_start) - 1):
        if npig[k] == 0:
            continue
        d0 = category_start[k]
        d1 = category_start[k + 1]
        _running_weight(d0, d1, image, image_weight, total)
        for t in range(num_t):
            n = _weighted_category(
                d0, d1, t, k, image, marked_start, marked_row, marked_tp, image_weight, npig[k], total, rc, pr
            )
            _read_envelope(n, rc, pr, recall_thresholds, precision[t, :, k])


LANES = 8  # resamples computed side by side: each detection's row is read once for all of them


@numba.njit(cache=True, nogil=True)
def _running_weights(d0: int, rows: np.ndarray, image: np.ndarray, weight: np.ndarray, total: np.ndarray) -> None:
    """``total[j, l]``: lane l's weight of rows ``d0..rows[j]`` (ascending), each row weighing
    its image's ``weight[image, l]`` ([I x LANES])."""
    running = np.zeros(LANES)
    row = d0
    for j in range(len(rows)):
        stop = rows[j]
        while row <= stop:
            w = weight[image[row]]
            for lane in range(LANES):
                running[lane] += w[lane]
            row += 1
        for lane in range(LANES):
            total[j, lane] = running[lane]


@numba.njit(cache=True, nogil=True)
def _recall_buckets(npig: np.ndarray, recall_thresholds: np.ndarray, bucket: np.ndarray) -> None:
    """``bucket[j, l]``: how many recall thresholds recall ``j / npig[l]`` reaches, for j up to
    ``npig[l]``. Weights are whole counts, so a lane's true positives so far are a whole j
    and its recall is exactly ``j / npig[l]``: a point's bucket is read, not searched."""
    num_r = len(recall_thresholds)
    for lane in range(LANES):
        r = 0
        for j in range(int(npig[lane]) + 1):
            recall = j / npig[lane]
            while r < num_r and recall_thresholds[r] <= recall:
                r += 1
            bucket[j, lane] = r


@numba.njit(cache=True, nogil=True)
def _envelope_sums(
    e0: int,
    e1: int,
    image: np.ndarray,
    marked_row: np.ndarray,
    marked_slot: np.ndarray,
    u0: int,
    marked_tp: np.ndarray,
    weight: np.ndarray,
    total: np.ndarray,
    bucket: np.ndarray,
    precision: np.ndarray,
    reached: np.ndarray,
    sums: np.ndarray,
) -> None:
    """Add to ``sums[l]`` lane l's precision envelope summed over the recall thresholds, for
    the curve of entries ``e0:e1`` (:func:`_weighted_category`'s points in every lane).

    ``total`` [U x LANES] is :func:`_running_weights` of the category's listed rows, entry
    e's being ``total[marked_slot[e] - u0]``; ``bucket`` is :func:`_recall_buckets`;
    ``precision`` and ``reached`` are scratch [P x LANES], P at least the curve's points.

    The envelope at recall threshold r is the largest precision of the points whose
    recall reaches r. Recall never falls along the curve, so the thresholds a point
    reaches first (``reached``) all read the largest precision from that point on: the
    sum over thresholds is the sum over points of that running maximum (from the end)
    times the thresholds first reached there. Thresholds no point reaches read 0.

    Weights are whole numbers, so the false and true positives up to a point, summed, are
    exactly all rows' weight less the ignored ones': :func:`_weighted_category`'s
    ``fp_sum + tp_sum`` to the last bit.
    """
    tp_sum = np.zeros(LANES)
    skipped = np.zeros(LANES)  # the ignored rows' weight so far
    n = 0
    for e in range(e0, e1):
        img = image[marked_row[e]]
        if marked_tp[e]:
            j = marked_slot[e] - u0
            for lane in range(LANES):
                tp_sum[lane] += weight[img, lane]
                precision[n, lane] = tp_sum[lane] / (total[j, lane] - skipped[lane] + _EPS)
                reached[n, lane] = tp_sum[lane]
            n += 1
        else:
            for lane in range(LANES):
                skipped[lane] += weight[img, lane]
    before = np.zeros(LANES)
    for i in range(n):
        for lane in range(LANES):
            now = bucket[int(reached[i, lane]), lane]
            reached[i, lane] = now - before[lane]
            before[lane] = now
    running = np.zeros(LANES)
    for i in range(n - 1, -1, -1):
        for lane in range(LANES):
            running[lane] = max(running[lane], precision[i, lane])
            sums[lane] += running[lane] * reached[i, lane]


@numba.njit(cache=True, nogil=True)
def weighted_ap_many(
    category_start: np.ndarray,
    image: np.ndarray,
    marked_start: np.ndarray,
    marked_row: np.ndarray,
    marked_tp: np.ndarray,
    union_start: np.ndarray,
    union_row: np.ndarray,
    marked_slot: np.ndarray,
    image_weights: np.ndarray,
    npig: np.ndarray,
    recall_thresholds: np.ndarray,
) -> np.ndarray:
    """AP for each row of ``image_weights`` [B x I] (``npig`` [B x K]): the mean precision
    over thresholds, recall points and the categories with objects; NaN where none has.

    The arguments of :func:`weighted_curves`, and ``union_row``: the rows listed at any
    threshold, ascending (category k's are ``union_start[k]:union_start[k+1]``), entry e
    of ``marked_row`` being ``union_row[marked_slot[e]]``. Each lane's floating-point
    operations are those of one resample alone; the mean is summed per category, so it
    equals :func:`weighted_curves`' within rounding.
    """
    num_b = image_weights.shape[0]
    num_k = len(category_start) - 1
    num_t = marked_start.shape[0]
    num_r = len(recall_thresholds)
    out = np.empty(num_b)
    if num_b == 0:
        return out
    longest = 0
    for k in range(num_k):
        longest = max(longest, category_start[k + 1] - category_start[k])
    points = 0
    for t in range(num_t):
        for k in range(num_k):
            points = max(points, marked_start[t, k + 1] - marked_start[t, k])
    total = np.empty((longest, LANES))
    weight = np.zeros((image_weights.shape[1], LANES))
    npig_k = np.ones(LANES)  # 1 in the lanes without objects, whose sums are not kept
    bucket = np.empty((int(max(npig.max(), 1.0)) + 1, LANES), dtype=np.int64)
    precision = np.empty((points, LANES))
    reached = np.empty((points, LANES))
    category_sums = np.empty(LANES)
    for b0 in range(0, num_b, LANES):
        lanes = min(LANES, num_b - b0)
        weight[:, :lanes] = image_weights[b0 : b0 + lanes].T
        weight[:, lanes:] = 0.0
        npig_k[lanes:] = 1.0
        acc = np.zeros(LANES)
        present = np.zeros(lanes, dtype=np.int64)
        for k in range(num_k):
            any_present = False
            for lane in range(lanes):
                present[lane] += npig[b0 + lane, k] != 0
                any_present = any_present or npig[b0 + lane, k] != 0
                npig_k[lane] = npig[b0 + lane, k] if npig[b0 + lane, k] != 0 else 1.0
            if not any_present:
                continue
            u0, u1 = union_start[k], union_start[k + 1]
            _running_weights(category_start[k], union_row[u0:u1], image, weight, total)
            _recall_buckets(npig_k, recall_thresholds, bucket)
            category_sums[:] = 0.0
            for t in range(num_t):
                _envelope_sums(
                    marked_start[t, k],
                    marked_start[t, k + 1],
                    image,
                    marked_row,
                    marked_slot,
                    u0,
                    marked_tp,
                    weight,
                    total,
                    bucket,
                    precision,
                    reached,
                    category_sums,
                )
            for lane in range(lanes):
                if npig[b0 + lane, k] != 0:
                    acc[lane] += category_sums[lane]
        for lane in range(lanes):
            b = b0 + lane
            out[b] = acc[lane] / (present[lane] * num_t * num_r) if present[lane] else np.nan
    return out
