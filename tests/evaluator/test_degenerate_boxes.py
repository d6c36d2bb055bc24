"""Degenerate detections are scored as the official tools score them, and reported as warnings.

VOC against the loop restatement of ``VOCevaldet.m`` in test_voc.py (on the real YOLOv2
file with darknet-style clipped boxes, y2 < y1), COCO against pycocotools itself, KITTI
against the rule of ``evaluate_object.cpp`` (no overlap: the same as a box far away).
"""

from __future__ import annotations

import json
import random
import shutil

import numpy as np
import pytest

import evaluator
from evaluator import kit
from evaluator.__main__ import main as evaluator_main
from evaluator.degenerate import box_warnings
from evaluator.formats.voc import VOC_CLASSES
from evaluator.protocols import coco, kitti
from evaluator.protocols.voc import VOC07 as voc07
from tests.conftest import shared_file
from tests.evaluator.test_coco_parity import GT_FILE, RESULTS_FILE, compare
from tests.evaluator.test_kitti import det_line, gt_line, write_files
from tests.evaluator.test_voc import ANNOTATIONS, MATLAB_THRESHOLDS, YOLOV2, _devkit, _read_devkit_inputs

SEED = 291


@pytest.fixture(scope="module")
def darknet_voc(tmp_path_factory):
    """The real YOLOv2 files with 60 boxes clipped to y2 < y1, some by less than a pixel."""
    source = shared_file(YOLOV2)
    folder = tmp_path_factory.mktemp("darknet") / "dets"
    shutil.copytree(source, folder)
    rng = random.Random(SEED)
    inverted = 0
    for path in sorted(folder.glob("*.txt")):
        lines = path.read_text().splitlines()
        for i in rng.sample(range(len(lines)), 3):
            image_id, score, x1, y1, x2, y2 = lines[i].split()
            drop = rng.choice([0.5, 3.0, float(y2) - float(y1) + 2])
            lines[i] = f"{image_id} {score} {x1} {y1} {x2} {float(y1) - drop:.1f}"
            inverted += 1
        path.write_text("\n".join(lines) + "\n")
    return folder, inverted


def test_voc_inverted_boxes_score_as_vocevaldet_loops(darknet_voc):
    folder, inverted = darknet_voc
    tar_path = shared_file(ANNOTATIONS)
    gt = voc07.load_ground_truth(tar_path)
    results = voc07.load_results(folder, gt)
    evaluation = voc07.evaluate(gt, results)
    records, detections = _read_devkit_inputs(tar_path, folder)
    devkit = _devkit(records, detections, strict=False, thresholds=MATLAB_THRESHOLDS)
    for row in evaluation.per_class:
        assert row.metrics["AP"] == pytest.approx(devkit[row.name][0], abs=1e-12), row.name
    assert evaluation.stats["mAP"] == pytest.approx(sum(a[0] for a in devkit.values()) / 20, abs=1e-12)
    clean = voc07.evaluate(gt, voc07.load_results(shared_file(YOLOV2), gt)).stats["mAP"]
    assert evaluation.stats["mAP"] < clean

    (warning,) = box_warnings(results)
    assert f"{inverted} boxes with x2 < x1 or y2 < y1" in warning
    assert "VOCevaldet" in warning


def test_coco_boxes_of_zero_or_negative_size_score_as_pycocotools(tmp_path):
    dataset = json.loads(shared_file(GT_FILE).read_text())
    detections = json.loads(shared_file(RESULTS_FILE).read_text())
    rng = np.random.default_rng(SEED)
    changed = rng.choice(len(detections), 40, replace=False)
    for n, i in enumerate(changed):
        x, y, w, h = detections[i]["bbox"]
        detections[i]["bbox"] = [
            [x + w, y, -w, h],  # negative width: negative area, outside every area range
            [x, y + h, w, -h],
            [x + w, y + h, -w, -h],  # both negative: a positive area, a false positive
            [x, y, 0.0, h],
        ][n % 4]
    evaluation = compare(tmp_path, dataset, detections)
    results = coco.load_results(tmp_path / "results.json", coco.load_ground_truth(tmp_path / "gt.json"))
    (warning,) = box_warnings(results)
    assert warning.startswith("results.json: 40 boxes with zero or negative width or height")
    assert f"record {min(changed) + 1}: " in warning
    assert evaluation.stats["AP"] > 0


def test_kitti_inverted_box_counts_as_a_box_that_overlaps_nothing(tmp_path):
    car = (300.0, 150.0, 400.0, 230.0)
    gt = kitti.load_ground_truth(write_files(tmp_path / "gt" / "label_2", {"000007": [gt_line("Car", car)]}).parent)
    good = det_line("Car", car, 0.5)

    def score(extra: list[str], name: str):
        return kitti.evaluate(gt, kitti.load_results(write_files(tmp_path / name, {"000007": [good, *extra]}), gt))

    inverted = [det_line("Car", (400.0, 150.0, 300.0, 230.0), 0.9), det_line("Car", (300.0, 230.0, 400.0, 150.0), 0.8)]
    far = [det_line("Car", (-500.0, 150.0, -400.0, 230.0), 0.9), det_line("Car", (-500.0, 150.0, -400.0, 230.0), 0.8)]
    small = [det_line("Car", (300.0, 160.0, 400.0, 150.0), 0.95)]  # |y2 - y1| = 10 px: ignored, as the devkit's fabs
    with_inverted = score(inverted + small, "inverted")
    assert same(with_inverted.stats, score(far + small, "far").stats)
    # One object: the 40-point AP is 0 either way (the devkit's sampling), the 11-point one drops.
    assert with_inverted.stats["Car/moderate/R11"] < score([], "alone").stats["Car/moderate/R11"]
    assert same(score(small, "small").stats, score([], "alone2").stats)
    (warning,) = box_warnings(kitti.load_results(tmp_path / "inverted", gt))
    assert "3 boxes with x2 <= x1 or y2 <= y1" in warning


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(a[k] == b[k] or (np.isnan(a[k]) and np.isnan(b[k])) for k in a)


def test_nan_and_non_numbers_stay_refusals(tmp_path):
    gt = coco.load_ground_truth(shared_file(GT_FILE))
    image = int(gt.image_ids[0])
    for bbox, expected in (
        ([1, 2, float("nan"), 4], "bad.json: is not valid JSON"),
        ([1, 2, "w", 4], "bad.json, record 1: 'bbox' must hold 4 finite numbers"),
        ([1, 2, 3], "bad.json, record 1: 'bbox' must be a list of 4 numbers"),
    ):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps([{"image_id": image, "category_id": 1, "bbox": bbox, "score": 0.5}]))
        with pytest.raises(evaluator.InvalidInput, match=expected):
            coco.load_results(path, gt)


def test_local_check_accepts_degenerate_boxes_with_warnings(tmp_path, capsys):
    gt = coco.load_ground_truth(shared_file(GT_FILE))
    archive = tmp_path / "kit.zip"
    archive.write_bytes(
        kit.write_zip(kit.track_kit("t", [("", kit.split_kit(gt, protocol="coco"), {})], transfer=False))
    )
    image = int(gt.image_ids[0])
    path = tmp_path / "mine.json"
    path.write_text(json.dumps([{"image_id": image, "category_id": 1, "bbox": [50, 60, -10, 20], "score": 0.5}]))
    assert evaluator_main(["check", "--kit", str(archive), "--results", str(path)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("warning: mine.json: 1 box with zero or negative width or height")
    assert f"record 1: image_id {image}, bbox [50.0, 60.0, -10.0, 20.0]" in err


def test_voc_json_box_narrower_than_a_pixel_is_kept(tmp_path):
    gt = voc07.load_ground_truth(shared_file(ANNOTATIONS))
    path = tmp_path / "dets.json"
    image = gt.image_ids[0]
    path.write_text(json.dumps([{"image_id": image, "category_name": "car", "bbox": [10, 10, 0.5, 30], "score": 1}]))
    results = voc07.load_results(path, gt)
    assert results.xyxy.tolist() == [[11.0, 11.0, 10.5, 40.0]]
    assert VOC_CLASSES[int(results.category_index[0])] == "car"
    assert "1 box with x2 < x1" in box_warnings(results)[0]
