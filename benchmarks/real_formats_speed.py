"""Load and scoring times of the real VOC 2007 and KITTI files (what the tests used to time).

    python -m benchmarks.real_formats_speed              # best of 3
    python -m benchmarks.real_formats_speed --repeat 5

Data: ``../shared/data`` or ``SHARED_DATA_DIR``: VOC2007 test annotations with the YOLOv2
detections, and the KITTI val labels with the tests' seeded jitter of them as detections.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import zipfile
from pathlib import Path

import evaluator
from benchmarks.coco_analyze_speed import best_of
from evaluator.formats import kitti as kitti_format
from evaluator.protocols.voc import VOC07 as voc07
from tests.evaluator.test_kitti import jittered_detections, write_zip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    data = Path(os.environ.get("SHARED_DATA_DIR", root.parent / "shared" / "data"))

    voc = data / "voc2007-test"
    load_s, gt = best_of(args.repeat, lambda: voc07.load_ground_truth(voc / "VOC2007_test_annotations.tar.gz"))
    results_s, results = best_of(args.repeat, lambda: voc07.load_results(voc / "yolov2_detections", gt))
    for protocol in ("voc07", "voc12"):
        score_s, evaluation = best_of(args.repeat, lambda p=protocol: evaluator.evaluate(gt, results, protocol=p))
        print(f"{protocol}: evaluate {score_s:.3f} s  mAP {evaluation.stats['mAP']:.4f}")
    print(f"VOC 2007 test: ground truth {load_s:.3f} s, {len(results)} detections {results_s:.3f} s")

    kitti = data / "kitti"
    labels_zip, val_list = kitti / "data_object_label_2.zip", kitti / "val.txt"
    load_s, gt = best_of(args.repeat, lambda: kitti_format.load_ground_truth(labels_zip, image_ids=val_list))
    with zipfile.ZipFile(labels_zip) as archive:
        labels = {i: archive.read(f"training/label_2/{i}.txt").decode() for i in val_list.read_text().split()}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_zip(Path(tmp) / "d.zip", jittered_detections(labels, 2024))
        results_s, results = best_of(args.repeat, lambda: kitti_format.load_results(path, gt))
    score_s, evaluation = best_of(args.repeat, lambda: evaluator.evaluate(gt, results, protocol="kitti"))
    print(f"KITTI val: ground truth {load_s:.3f} s, {len(results)} detections {results_s:.3f} s")
    print(f"kitti: evaluate {score_s:.3f} s  mAP/moderate {evaluation.stats['mAP/moderate']:.6f}")


if __name__ == "__main__":
    main()
