"""Operating-point data for the threshold explorer, computed once at scoring time.

Counts only (TP, FP, FN per class and threshold), so the page derives precision,
recall and F1 itself and the stored data stays small: a COCO submission's explorer
data is a few hundred kilobytes at most.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np

import evaluator
from evaluator import analysis
from evaluator.protocols import coco_analyze

IOUS = (0.5, 0.75)
THRESHOLDS = 60
CONFUSION_SCORES = (0.1, 0.3, 0.5, 0.7, 0.9)
# Crowd regions, KAIST ignore regions and KITTI DontCare absorb detections by the share
# of the detection they cover; VOC's difficult objects by plain IoU.
IGNORE_OVERLAP = {"coco": "ioa", "kaist": "ioa", "kitti": "ioa", "voc07": "iou", "voc12": "iou"}


def _grid(scores: np.ndarray) -> np.ndarray:
    if len(scores) == 0:
        return np.zeros(1)
    quantiles = np.quantile(scores, np.linspace(0.0, 1.0, THRESHOLDS))
    return np.unique(np.round(quantiles, 4))


def explorer_data(protocol: str, gt: Any, results: Any, images: Collection[int | str] | None) -> dict[str, Any]:
    """Sweeps at IoU 0.5 and 0.75, confusion matrices at a few confidence thresholds, the
    error breakdown at the F1-optimal threshold (IoU 0.5) and, for COCO, COCO's analyze()
    breakdown (``coco_analyze``)."""
    module = evaluator.get_protocol(protocol)
    if not hasattr(module, "analysis_input"):
        return {}
    if images is not None:
        gt, results = module.restrict(gt, results, frozenset(images))
    data = module.analysis_input(gt, results)
    overlap = IGNORE_OVERLAP.get(protocol, "iou")
    grid = _grid(data.detections.score if data.detections.score is not None else np.zeros(0))
    sweeps = {}
    for iou in IOUS:
        sweep = analysis.threshold_sweep(data, iou=iou, scores=grid, ignore_overlap=overlap)
        sweeps[f"{iou:.2f}"] = {
            "overall": {key: sweep.overall[key].astype(int).tolist() for key in ("tp", "fp", "fn")},
            "classes": {key: sweep.per_class[key].astype(int).tolist() for key in ("tp", "fp", "fn")},
            "best": evaluator.types.json_safe(sweep.best),
        }
    best = sweeps[f"{IOUS[0]:.2f}"]["best"].get("threshold")
    errors_at = float(best) if best is not None and np.isfinite(best) else 0.0
    errors = analysis.error_breakdown(data, iou=IOUS[0], score=errors_at, ignore_overlap=overlap).to_dict()
    confusion = {
        f"{score:.1f}": analysis.confusion_matrix(data, iou=0.5, score=score, ignore_overlap=overlap).to_dict()[
            "matrix"
        ]
        for score in CONFUSION_SCORES
    }
    extra = {"coco_analyze": coco_analyze.analyze(gt, results)} if protocol == "coco" else {}
    return {
        "thresholds": grid.tolist(),
        "classes": list(data.category_names),
        "sweeps": sweeps,
        "confusion": {"iou": 0.5, "labels": [*data.category_names, analysis.BACKGROUND], "by_score": confusion},
        "errors": errors,
        "miss_rate": analysis.miss_rate_fppi(data, iou=IOUS[0], ignore_overlap=overlap).to_dict()["overall"],
        "ignore_overlap": overlap,
        **extra,
    }
