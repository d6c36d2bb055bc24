"""Time and size of the analyses the explorer stores for a COCO-sized submission: the
image-level ROC and the confusion matrix at every threshold, beside the sweep it already had.

    python -m benchmarks.analyses_speed                         # 5000 images, 80 categories, 500k detections
    python -m benchmarks.analyses_speed --detections 100000 --repeat 3

The split and detections come from ``coco_speed.py``'s generators. Times are the best of
``--repeat`` runs; sizes are the JSON the explorer stores (before any compression).
"""

from __future__ import annotations

import json

from benchmarks.coco_analyze_speed import best_of, generated_submission, size_arguments
from evaluator import analysis, roc
from evaluator.protocols import coco
from leaderboard import explorer


def main() -> None:
    args = size_arguments(__doc__.splitlines()[0])
    gt, results = generated_submission(args)
    data = coco.analysis_input(gt, results)
    grid = explorer._grid(data.detections.score)
    sweep_s, _ = best_of(
        args.repeat, lambda: analysis.threshold_sweep(data, iou=0.5, scores=grid, ignore_overlap="ioa")
    )
    confusion_s, confusion = best_of(
        args.repeat, lambda: analysis.confusion_sweep(data, iou=0.5, scores=grid, ignore_overlap="ioa")
    )
    roc_s, image_roc = best_of(args.repeat, lambda: roc.image_roc(data))
    stored_roc = image_roc.to_dict(min_step=explorer.MIN_DETECTIONS_PER_STEP)
    report = {
        "images": args.images,
        "categories": args.categories,
        "detections": len(results),
        "thresholds": len(grid),
        "sweep_s": round(sweep_s, 3),
        "confusion_sweep_s": round(confusion_s, 3),
        "image_roc_s": round(roc_s, 3),
        "confusion_json_bytes": len(json.dumps(confusion.to_dict())),
        "roc_json_bytes": len(json.dumps(stored_roc)),
        "auc": round(image_roc.overall.auc, 6),
        "auc_macro": round(image_roc.macro_auc, 6),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
