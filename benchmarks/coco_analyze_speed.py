"""Time of COCO's analyze() breakdown next to the COCO evaluation it accompanies at scoring time.

    python -m benchmarks.coco_analyze_speed                   # 5000 images, 80 categories, 500k detections
    python -m benchmarks.coco_analyze_speed --detections 100000 --repeat 3

The split and detections come from ``coco_speed.py``'s generators; categories are put in
12 supercategories so that Sim has confusions to remove. Both timings are warm (the
matching kernel compiled on a tiny split first) and the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

from benchmarks.coco_speed import generate_detections, generate_split
from evaluator.protocols import coco, coco_analyze


def best_of(repeat: int, run) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = run()
        times.append(time.perf_counter() - start)
    return min(times), value


def size_arguments(description: str) -> argparse.Namespace:
    """``--images``, ``--categories``, ``--detections`` and ``--repeat`` of a COCO-sized benchmark."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--categories", type=int, default=80)
    parser.add_argument("--detections", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=1)
    return parser.parse_args()


def generated_submission(
    args: argparse.Namespace, *, supercategories: int = 0
) -> tuple[coco.CocoGroundTruth, coco.CocoResults]:
    """A generated split and submission of the sizes of ``args``, read back through the loaders (seed 0).

    With ``supercategories``, the categories are put in that many families (so that Sim has confusions to remove).
    """
    rng = np.random.default_rng(0)
    dataset, columns = generate_split(rng, args.images, args.categories)
    for n, category in enumerate(dataset["categories"] if supercategories else ()):
        category["supercategory"] = f"family {n % supercategories}"
    detections = generate_detections(rng, columns, args.detections, None)
    with tempfile.TemporaryDirectory() as tmp:
        gt_path, results_path = Path(tmp) / "gt.json", Path(tmp) / "results.json"
        gt_path.write_bytes(orjson.dumps(dataset))
        results_path.write_bytes(orjson.dumps(detections))
        gt = coco.load_ground_truth(gt_path)
        return gt, coco.load_results(results_path, gt)


def main() -> None:
    args = size_arguments(__doc__.splitlines()[0])
    gt, results = generated_submission(args, supercategories=12)
    tiny = coco.restrict(gt, results, frozenset(int(i) for i in gt.image_ids[:3]))
    coco_analyze.analyze(*tiny)
    evaluate_s, _ = best_of(args.repeat, lambda: coco.evaluate(gt, results))
    analyze_s, summary = best_of(args.repeat, lambda: coco_analyze.analyze(gt, results))
    report = {
        "images": args.images,
        "categories": args.categories,
        "detections": len(results),
        "evaluate_s": round(evaluate_s, 3),
        "analyze_s": round(analyze_s, 3),
        "analyze_json_bytes": len(json.dumps(summary)),
        "ap_all": dict(zip(coco_analyze.ERROR_TYPES, np.round(summary["ap"]["all"], 4).tolist(), strict=True)),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
