"""The upload check against a starter kit, beside loading the same file against the ground truth.

    .venv/bin/python -m benchmarks.kit_check [--repeat 3]

On the real VOC2007 test set with the YOLOv2 detections (101,139 boxes) and KAIST with the
MBNet detections (from ``SHARED_DATA_DIR``, default ``../shared/data``): the best of ``--repeat``
runs of ``load_results`` without ground truth (structure only), with it, and ``evaluator.kit.check``
with the kit built from that ground truth; the ratio kit / ground truth is from the same run.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import evaluator
from evaluator import kit

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("SHARED_DATA_DIR", ROOT.parent / "shared" / "data"))
CASES = (
    ("voc07", "voc2007-test/VOC2007_test_annotations.tar.gz", "voc2007-test/yolov2_detections"),
    ("kaist", "kaist-daynight/KAIST_annotation.json", "kaist-daynight/detections/MBNet_result.txt"),
)


def best(call: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'protocol':<8} {'structure s':>12} {'vs gt s':>9} {'kit check s':>12} {'kit / gt':>9}")
    for protocol, truth, results in CASES:
        gt = evaluator.load_ground_truth(DATA / truth, protocol=protocol)
        track = kit.track_kit("bench", [("", kit.split_kit(gt, protocol=protocol), {})], transfer=False)
        path = DATA / results
        alone = best(lambda: evaluator.load_results(path, protocol=protocol, ground_truth=None), args.repeat)  # noqa: B023
        with_gt = best(lambda: evaluator.load_results(path, protocol=protocol, ground_truth=gt), args.repeat)  # noqa: B023
        checked = best(lambda: kit.check(track, path), args.repeat)  # noqa: B023
        print(f"{protocol:<8} {alone:>12.3f} {with_gt:>9.3f} {checked:>12.3f} {checked / with_gt:>9.2f}")


if __name__ == "__main__":
    main()
