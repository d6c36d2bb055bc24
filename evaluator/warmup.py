"""Load (or compile, on a fresh install) every numba kernel before the first real submission.

Numba compiles a kernel on its first call and caches the machine code on disk; a
worker process that has not called a kernel yet pays for loading it (and, with an
empty cache, for compiling it) on the first submission it scores. Scoring a tiny
generated split here, with the same argument types as real data, moves that cost to
worker start.
"""

from __future__ import annotations

import time

import numpy as np

from .analysis import RADIX_FROM
from .formats._common import frozen
from .formats.coco import CocoGroundTruth, CocoResults


def _tiny_split() -> tuple[CocoGroundTruth, CocoResults]:
    rng = np.random.default_rng(0)
    images, objects = 4, 12
    box = np.column_stack([rng.uniform(0, 100, (objects, 2)), rng.uniform(5, 60, (objects, 2))])
    gt = CocoGroundTruth(
        source="warm-up",
        image_ids=np.arange(1, images + 1, dtype=np.int64),
        image_meta=({},) * images,
        category_ids=np.array([1, 2], dtype=np.int64),
        category_names=("a", "b"),
        ann_image=rng.integers(0, images, objects).astype(np.int64),
        ann_category=rng.integers(0, 2, objects).astype(np.int64),
        ann_id=np.arange(1, objects + 1, dtype=np.int64),
        bbox=box,
        area=box[:, 2] * box[:, 3],
        iscrowd=np.arange(objects) == 0,
    )
    # each object found, then boxes of the other class; copies enough for the compiled sort
    copies = RADIX_FROM // (2 * objects) + 1
    detections = np.concatenate([box + rng.normal(0, 2, box.shape), box[::-1]] * copies)
    results = CocoResults(
        source="warm-up",
        image_id=gt.image_ids[np.tile(np.concatenate([gt.ann_image, gt.ann_image]), copies)],
        category_id=gt.category_ids[np.tile(np.concatenate([gt.ann_category, gt.ann_category[::-1]]), copies)],
        xywh=np.abs(detections),
        score=rng.random(2 * objects * copies),
    )
    # read-only, as the loaders give them: numba compiles read-only arrays apart
    for array in (*vars(gt).values(), *vars(results).values()):
        if isinstance(array, np.ndarray):
            frozen(array)
    return gt, results


def warm_up() -> float:
    """Run every compiled kernel once on a tiny split; returns the seconds it took."""
    from . import analysis, evaluate_subsets, roc
    from .protocols import coco, coco_analyze

    start = time.perf_counter()
    gt, results = _tiny_split()
    evaluate_subsets(gt, results, protocol="coco", subsets={"full": None, "public": [1, 2]}, resamples=2)
    coco_analyze.analyze(gt, results)
    data = coco.analysis_input(gt, results)
    # the explorer's analyses (leaderboard.explorer)
    matches = analysis.match(data)
    scores = np.linspace(0.0, 1.0, 11)
    analysis.threshold_sweep(data, scores=scores, matches=matches)
    analysis.confusion_sweep(data, scores=scores, matches=analysis.match(data, by_class=False))
    analysis.error_breakdown(data, matches=matches)
    analysis.miss_rate_fppi(data, matches=matches)
    roc.image_roc(data).overall.coarse(1)
    return time.perf_counter() - start
