"""Time of the KITTI bootstrap interval next to the evaluation it accompanies at scoring time.

    python -m benchmarks.kitti_bootstrap_speed                  # 200 resamples, the val split
    python -m benchmarks.kitti_bootstrap_speed --resamples 40

Ground truth: the real KITTI val labels (``../shared/data/kitti`` or ``SHARED_DATA_DIR``);
detections: the tests' seeded jitter of those labels. Best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import zipfile
from pathlib import Path

from benchmarks.coco_analyze_speed import best_of
from evaluator.formats import kitti as kitti_format
from evaluator.protocols import kitti
from tests.evaluator.test_kitti import jittered_detections, write_zip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    data = Path(os.environ.get("SHARED_DATA_DIR", root.parent / "shared" / "data")) / "kitti"
    labels_zip, val_list = data / "data_object_label_2.zip", data / "val.txt"
    gt = kitti_format.load_ground_truth(labels_zip, image_ids=val_list)
    with zipfile.ZipFile(labels_zip) as archive:
        labels = {i: archive.read(f"training/label_2/{i}.txt").decode() for i in val_list.read_text().split()}
    with tempfile.TemporaryDirectory() as tmp:
        results = kitti_format.load_results(write_zip(Path(tmp) / "d.zip", jittered_detections(labels, 2024)), gt)
    evaluate_s, evaluation = best_of(args.repeat, lambda: kitti.evaluate(gt, results))
    bootstrap_s, values = best_of(args.repeat, lambda: kitti.bootstrap(gt, results, resamples=args.resamples))
    print(f"{gt.num_images} images, {len(gt)} objects, {len(results)} detections")
    print(f"evaluate:  {evaluate_s:.3f} s  mAP/moderate {evaluation.stats['mAP/moderate']:.6f}")
    print(
        f"bootstrap: {bootstrap_s:.3f} s  {args.resamples} resamples, mean {values.mean():.6f}, sd {values.std():.6f}"
    )


if __name__ == "__main__":
    main()
