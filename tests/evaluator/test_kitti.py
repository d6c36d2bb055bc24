"""KITTI 2D protocol: hand-made cases, format errors, and parity with the devkit on the real labels.

Parity is checked two ways: against ``_devkit_precision`` below, a loop-by-loop
restatement of ``eval_class`` / ``cleanData`` / ``computeStatistics`` /
``getThresholds`` of the devkit's ``cpp/evaluate_object.cpp``, on a part of the val
split; and against the figures that the compiled devkit printed for the whole val
split with the seeded detections of ``jittered_detections`` (``DEVKIT_*`` below).
"""

from __future__ import annotations

import json
import math
import random
import zipfile
from pathlib import Path

import numpy as np
import pytest

import evaluator
from evaluator.errors import InvalidInput
from evaluator.formats import kitti as kitti_format
from evaluator.protocols import kitti
from tests.conftest import shared_file

CAR, PEDESTRIAN, CYCLIST = 0, 1, 2
EASY, MODERATE, HARD = 0, 1, 2


def gt_line(kind: str, box: tuple[float, float, float, float], truncated: float = 0.0, occluded: int = 0) -> str:
    x1, y1, x2, y2 = box
    return f"{kind} {truncated:.2f} {occluded} 0.00 {x1:.2f} {y1:.2f} {x2:.2f} {y2:.2f} 1.50 1.60 3.90 0.00 1.60 20.00 0.00"


def det_line(kind: str, box: tuple[float, float, float, float], score: float) -> str:
    x1, y1, x2, y2 = box
    return f"{kind} -1 -1 -10 {x1:.2f} {y1:.2f} {x2:.2f} {y2:.2f} -1 -1 -1 -1000 -1000 -1000 -10 {score}"


def write_files(folder: Path, files: dict[str, list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for image_id, lines in files.items():
        (folder / f"{image_id}.txt").write_text("".join(line + "\n" for line in lines))
    return folder


def write_zip(path: Path, files: dict[str, list[str]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for image_id, lines in files.items():
            zf.writestr(f"data/{image_id}.txt", "".join(line + "\n" for line in lines))
    return path


def score_case(tmp_path: Path, gt: dict[str, list[str]], dets: dict[str, list[str]]) -> evaluator.Evaluation:
    write_files(tmp_path / "gt" / "label_2", gt)
    ground_truth = kitti_format.load_ground_truth(tmp_path / "gt")
    results = kitti_format.load_results(write_files(tmp_path / "dets", dets), ground_truth)
    return kitti.evaluate(ground_truth, results)


def first_precision(evaluation: evaluator.Evaluation, cls: int, difficulty: int) -> float:
    """Precision at the first (lowest-recall) score threshold: the detections all take part."""
    return float(evaluation.arrays["precision"][cls, difficulty, 0])


# --------------------------------------------------------------------------- hand-made cases

A = (300.0, 100.0, 400.0, 200.0)
B = (100.0, 100.0, 200.0, 200.0)


@pytest.mark.parametrize(("kind", "expected"), [("Van", 1.0), ("Truck", 0.5)])
def test_car_detection_on_a_van_is_ignored_not_a_false_positive(tmp_path, kind, expected):
    gt = {"000000": [gt_line(kind, B), gt_line("Car", A)]}
    dets = {"000000": [det_line("Car", B, 0.95), det_line("Car", A, 0.9)]}
    assert first_precision(score_case(tmp_path, gt, dets), CAR, MODERATE) == expected


@pytest.mark.parametrize(("kind", "expected"), [("Person_sitting", 1.0), ("Cyclist", 0.5)])
def test_pedestrian_detection_on_a_person_sitting_is_ignored(tmp_path, kind, expected):
    gt = {"000000": [gt_line(kind, (100, 100, 150, 200)), gt_line("Pedestrian", (300, 100, 350, 200))]}
    dets = {
        "000000": [
            det_line("Pedestrian", (100, 100, 150, 200), 0.95),
            det_line("Pedestrian", (300, 100, 350, 200), 0.9),
        ]
    }
    assert first_precision(score_case(tmp_path, gt, dets), PEDESTRIAN, MODERATE) == expected


@pytest.mark.parametrize(
    ("box", "car", "pedestrian"),
    [
        ((550, 120, 650, 180), 1.0, 1.0),  # inside the DontCare region
        ((640, 120, 740, 180), 0.5, 1.0),  # 60 % of its area inside: > 0.5 (Pedestrian) but not > 0.7 (Car)
        ((650, 120, 750, 180), 0.5, 0.5),  # exactly half inside: not > 0.5
    ],
)
def test_detections_covered_by_dont_care_are_ignored(tmp_path, box, car, pedestrian):
    dont_care = "DontCare -1 -1 -10 500.00 100.00 700.00 200.00 -1 -1 -1 -1000 -1000 -1000 -10"
    gt = {"000000": [gt_line("Car", A), gt_line("Pedestrian", (800, 100, 850, 200)), dont_care]}
    dets = {
        "000000": [
            det_line("Car", A, 0.9),
            det_line("Car", box, 0.95),
            det_line("Pedestrian", (800, 100, 850, 200), 0.9),
            det_line("Pedestrian", box, 0.95),
        ]
    }
    evaluation = score_case(tmp_path, gt, dets)
    assert first_precision(evaluation, CAR, MODERATE) == car
    assert first_precision(evaluation, PEDESTRIAN, MODERATE) == pedestrian


def test_detections_below_the_minimum_height_are_ignored(tmp_path):
    gt = {"000000": [gt_line("Car", A)]}
    small = (600, 100, 700, 124)  # 24 px: below 25 and 40
    mid = (600, 100, 700, 130)  # 30 px: below 40 only
    evaluation = score_case(tmp_path, gt, {"000000": [det_line("Car", A, 0.9), det_line("Car", small, 0.95)]})
    assert [first_precision(evaluation, CAR, d) for d in (EASY, MODERATE, HARD)] == [1.0, 1.0, 1.0]
    evaluation = score_case(tmp_path / "2", gt, {"000000": [det_line("Car", A, 0.9), det_line("Car", mid, 0.95)]})
    assert [first_precision(evaluation, CAR, d) for d in (EASY, MODERATE, HARD)] == [1.0, 0.5, 0.5]


def test_occlusion_truncation_and_height_decide_the_difficulty(tmp_path):
    def car(y2: float, truncated: float = 0.0, occluded: int = 0) -> str:
        return gt_line("Car", (10.0, 100.0, 60.0, y2), truncated, occluded)

    boxes = [
        car(150),  # easy, moderate, hard
        car(150, occluded=1),  # moderate, hard
        car(150, occluded=2),  # hard
        car(150, occluded=3),  # none
        car(150, truncated=0.2),  # moderate, hard
        car(150, truncated=0.4),  # hard
        car(150, truncated=0.6),  # none
        car(140),  # 40 px: not above 40, so moderate and hard
        car(130),  # moderate, hard
        car(125),  # 25 px: none
        gt_line("Van", (10.0, 100.0, 60.0, 150.0)),
    ]
    gt = {f"{i:06d}": [line] for i, line in enumerate(boxes)}
    evaluation = score_case(tmp_path, gt, {"000000": [det_line("Car", (10, 100, 60, 150), 0.5)]})
    assert evaluation.arrays["num_gt"][CAR].tolist() == [1, 5, 7]
    assert evaluation.per_class[CAR].num_gt == 5
    assert evaluation.per_class[CAR].num_det == 1


def test_a_detection_of_a_box_too_occluded_for_the_level_is_ignored(tmp_path):
    gt = {"000000": [gt_line("Car", B, occluded=2), gt_line("Car", A)]}
    dets = {"000000": [det_line("Car", B, 0.95), det_line("Car", A, 0.9)]}
    evaluation = score_case(tmp_path, gt, dets)
    assert first_precision(evaluation, CAR, EASY) == 1.0
    assert evaluation.arrays["num_gt"][CAR].tolist() == [1, 1, 2]


def test_forty_recall_positions_and_eleven_points(tmp_path):
    """Perfect detections of 40 cars give 40 score thresholds, not 41: the devkit's
    precision is 1 at points 0..39 and 0 at point 40, so AP_R40 = 39/40, AP_R11 = 10/11.
    With 80 cars all 41 points are reached."""
    for count, r40, r11 in ((40, 39 / 40, 10 / 11), (80, 1.0, 1.0)):
        gt = {f"{i:06d}": [gt_line("Car", A)] for i in range(count)}
        dets = {f"{i:06d}": [det_line("Car", A, round(0.001 * (i + 1), 3))] for i in range(count)}
        evaluation = score_case(tmp_path / str(count), gt, dets)
        assert evaluation.stats["Car/moderate"] == pytest.approx(r40, abs=1e-12)
        assert evaluation.stats["Car/moderate/R11"] == pytest.approx(r11, abs=1e-12)
        assert math.isnan(evaluation.stats["Pedestrian/moderate"])
        assert evaluation.stats["mAP/moderate"] == evaluation.stats["Car/moderate"]


def test_half_the_cars_found(tmp_path):
    """80 cars, the even ones detected with descending scores, then 40 false positives
    scoring below them: precision 1 up to recall 0.5, 0 after."""
    gt = {f"{i:06d}": [gt_line("Car", A)] for i in range(80)}
    dets = {f"{i:06d}": [det_line("Car", A, 0.9 - 0.001 * i)] for i in range(0, 80, 2)}
    for i in range(1, 80, 2):
        dets[f"{i:06d}"] = [det_line("Car", B, 0.1)]
    evaluation = score_case(tmp_path, gt, dets)
    precision = evaluation.arrays["precision"][CAR, MODERATE]
    assert precision.tolist() == [1.0] * 21 + [0.0] * 20
    assert evaluation.stats["Car/moderate"] == pytest.approx(20 / 40, abs=1e-12)
    assert evaluation.stats["Car/moderate/R11"] == pytest.approx(6 / 11, abs=1e-12)


def test_a_small_detection_of_any_type_takes_part_as_an_ignored_detection(tmp_path):
    """The devkit marks every detection below the minimum height as ignored, whatever
    its type, before looking at the type: this 24 px Pedestrian box covers the 30 px
    car with IoU 0.8 and, scoring higher, takes it in the first pass, so the Car
    detection is no true positive there and no score threshold is left (precision 0)."""
    car = (300.0, 100.0, 400.0, 130.0)
    gt = {"000000": [gt_line("Car", car)]}
    dets = [det_line("Car", car, 0.5), det_line("Pedestrian", (300, 106, 400, 130), 0.9)]
    evaluation = score_case(tmp_path, gt, {"000000": dets})
    assert evaluation.arrays["precision"][CAR, MODERATE].tolist() == [0.0] * 41
    assert evaluation.stats["Car/moderate/R11"] == 0.0
    assert evaluation.stats["Car/hard/R11"] == 0.0
    evaluation = score_case(tmp_path / "2", gt, {"000000": dets[:1]})
    assert evaluation.stats["Car/moderate/R11"] == pytest.approx(1 / 11, abs=1e-15)


def test_class_without_detections_scores_zero_and_without_ground_truth_nan(tmp_path):
    """One car found: a single score threshold, so precision is 1 at point 0 only
    (AP_R40 0, AP_R11 1/11, the devkit's figures for so few objects)."""
    gt = {"000000": [gt_line("Car", A), gt_line("Cyclist", B)]}
    evaluation = score_case(tmp_path, gt, {"000000": [det_line("Car", A, 0.9)]})
    assert evaluation.stats["Car/moderate"] == 0.0
    assert evaluation.stats["Car/moderate/R11"] == pytest.approx(1 / 11, abs=1e-15)
    assert evaluation.stats["Cyclist/moderate"] == 0.0
    assert math.isnan(evaluation.stats["Pedestrian/moderate"])
    assert evaluation.stats["mAP/moderate/R11"] == pytest.approx(1 / 22, abs=1e-15)
    data = json.dumps(evaluation.to_dict(), allow_nan=False)
    assert '"Pedestrian/moderate": null' in data


def test_type_names_ignore_case_and_other_types_are_accepted(tmp_path):
    gt = {"000000": [gt_line("Car", A)]}
    dets = {"000000": [det_line("car", A, 0.9), det_line("Tram", B, 0.95), det_line("DontCare", B, 0.99)]}
    evaluation = score_case(tmp_path, gt, dets)
    assert first_precision(evaluation, CAR, MODERATE) == 1.0
    assert evaluation.per_class[CAR].num_det == 1


def test_restrict_equals_loading_the_subset(tmp_path):
    gt_files = {
        "000000": [gt_line("Car", A)],
        "000001": [gt_line("Car", B), gt_line("Pedestrian", (500, 100, 550, 200))],
        "000002": [gt_line("Car", A, occluded=1)],
    }
    det_files = {
        "000000": [det_line("Car", A, 0.3)],
        "000001": [det_line("Car", B, 0.8), det_line("Car", A, 0.9)],
        "000002": [det_line("Car", A, 0.7)],
    }
    write_files(tmp_path / "gt" / "label_2", gt_files)
    write_files(tmp_path / "dets", det_files)
    full = evaluator.load_ground_truth(tmp_path / "gt", protocol="kitti")
    assert evaluator.image_ids(full, protocol="kitti") == ("000000", "000001", "000002")
    results = evaluator.load_results(tmp_path / "dets", protocol="kitti", ground_truth=full)
    part = evaluator.evaluate(full, results, protocol="kitti", images=["000001", 2])
    sub = kitti_format.load_ground_truth(tmp_path / "gt", image_ids=["000001", "000002"])
    direct = kitti.evaluate(sub, kitti_format.load_results(tmp_path / "dets", None))
    assert part.stats == pytest.approx(direct.stats, nan_ok=True)
    np.testing.assert_array_equal(part.arrays["precision"], direct.arrays["precision"])


def test_analysis_input(tmp_path):
    dont_care = "DontCare -1 -1 -10 500.00 100.00 700.00 200.00 -1 -1 -1 -1000 -1000 -1000 -10"
    gt = {"000000": [gt_line("Car", A), gt_line("Van", B), gt_line("Car", (0, 0, 50, 20)), dont_care]}
    dets = {"000000": [det_line("Car", A, 0.9), det_line("Truck", B, 0.8), det_line("Cyclist", (0, 0, 50, 20), 0.7)]}
    write_files(tmp_path / "gt" / "label_2", gt)
    ground_truth = kitti_format.load_ground_truth(tmp_path / "gt")
    data = kitti.analysis_input(ground_truth, kitti_format.load_results(write_files(tmp_path / "d", dets), None))
    boxes = data.ground_truth
    assert data.category_names == ("Car", "Pedestrian", "Cyclist")
    assert sorted(zip(boxes.category.tolist(), boxes.ignore.tolist(), strict=True)) == [
        (0, False),
        (0, True),
        (0, True),
        (0, True),
        (1, True),
        (2, True),
    ]
    assert data.detections.category.tolist() == [CAR, CYCLIST]
    assert data.detections.ignore.tolist() == [False, True]
    np.testing.assert_array_equal(data.detections.xyxy[0], A)


# --------------------------------------------------------------------------- formats


def problems_of(call) -> str:
    with pytest.raises(InvalidInput) as info:
        call()
    return info.value.message


def test_result_format_errors_name_file_and_line(tmp_path):
    gt = kitti_format.load_ground_truth(
        write_files(tmp_path / "gt" / "label_2", {"000007": [gt_line("Car", A)]}).parent
    )
    good = det_line("Car", A, 0.5)
    cases = {
        "missing score": (good.rsplit(" ", 1)[0], "no score"),
        "fields": (good + " 1", "17 fields; expected 16"),
        "number": (good.replace("300.00", "abc"), "field 5 (x1) is 'abc'; expected a number"),
        "nan": (good.replace("0.5", "nan"), "field 16 (score) is nan; expected a finite number"),
        "inf": (good.replace("300.00", "inf"), "field 5 (x1) is inf; expected a finite number"),
    }
    for name, (line, expected) in cases.items():
        folder = write_files(tmp_path / name, {"000007": [good, "", line]})
        message = problems_of(lambda folder=folder: kitti_format.load_results(folder, gt))
        assert f"{name}:000007.txt, line 3: " in message
        assert expected in message


def test_result_files_must_belong_to_the_split(tmp_path):
    gt = kitti_format.load_ground_truth(
        write_files(tmp_path / "gt" / "label_2", {"000007": [gt_line("Car", A)]}).parent
    )
    archive = tmp_path / "dets.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("data/000007.txt", det_line("Car", A, 0.5) + "\n")
        zf.writestr("data/000008.txt", det_line("Car", A, 0.5) + "\n")
        zf.writestr("README.md", "not a result file")
    message = problems_of(lambda: kitti_format.load_results(archive, gt))
    assert "dets.zip:data/000008.txt: 000008 is not an image of this split" in message
    results = kitti_format.load_results(archive, None)
    assert results.files == ("000007", "000008")
    assert len(results) == 2


def test_empty_or_foreign_uploads_are_refused(tmp_path):
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w"):
        pass
    assert "holds no .txt files" in problems_of(lambda: kitti_format.load_results(empty, None))
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("results.json", "[]")
    assert "holds no .txt files" in problems_of(lambda: kitti_format.load_results(other, None))


def test_images_without_a_file_have_no_detections(tmp_path):
    gt = {"000000": [gt_line("Car", A)], "000001": [gt_line("Car", B)]}
    evaluation = score_case(tmp_path, gt, {"000000": [det_line("Car", A, 0.9)]})
    assert evaluation.arrays["num_gt"][CAR, MODERATE] == 2
    assert first_precision(evaluation, CAR, MODERATE) == 1.0


def test_ground_truth_format_errors(tmp_path):
    label_2 = write_files(
        tmp_path / "a" / "training" / "label_2",
        {"000001": [gt_line("Car", A), gt_line("Car", A) + " 0.9", gt_line("Car", A).replace(" 0 0.00", " 1.5 0.00")]},
    )
    message = problems_of(lambda: kitti_format.load_ground_truth(label_2.parent.parent))
    assert "training/label_2/000001.txt, line 2: has 16 fields; expected 15" in message
    assert "line 3: field 3 (occluded) is 1.5; expected an integer" in message
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "notes.md").write_text("no labels here")
    assert "holds no label files" in problems_of(lambda: kitti_format.load_ground_truth(tmp_path / "b"))


def test_ground_truth_image_lists(tmp_path):
    root = tmp_path / "gt"
    write_files(root / "label_2", {"000001": [gt_line("Car", A)], "000002": [], "000003": [gt_line("Car", B)]})
    assert kitti_format.load_ground_truth(root).image_ids.tolist() == ["000001", "000002", "000003"]
    (root / "val.txt").write_text("000003\n000002\n")
    gt = kitti_format.load_ground_truth(root)
    assert gt.image_ids.tolist() == ["000002", "000003"]
    assert gt.xyxy.tolist() == [list(B)]
    assert kitti_format.load_ground_truth(root, image_ids=["000001"]).image_ids.tolist() == ["000001"]
    assert kitti_format.load_ground_truth(root / "label_2").num_images == 3
    (root / "train.txt").write_text("000001\n")
    assert "several image lists" in problems_of(lambda: kitti_format.load_ground_truth(root))
    listed = tmp_path / "list.txt"
    listed.write_text("000001\n000009\n")
    message = problems_of(lambda: kitti_format.load_ground_truth(root, image_ids=listed))
    assert "image 000009 of the image list has no label_2/000009.txt" in message


# --------------------------------------------------------------------------- the devkit, restated


def _read_objects(text: str, detections: bool) -> list[tuple]:
    objects = []
    for line in text.splitlines():
        f = line.split()
        if not f:
            continue
        box = (float(f[4]), float(f[5]), float(f[6]), float(f[7]))
        if detections:
            objects.append((f[0], box, float(f[15])))
        else:
            objects.append((f[0], box, float(f[1]), int(f[2])))
    return objects


def _box_overlap(a: tuple, b: tuple, criterion: int = -1) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    w, h = x2 - x1, y2 - y1
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    a_area = (a[2] - a[0]) * (a[3] - a[1])
    b_area = (b[2] - b[0]) * (b[3] - b[1])
    if criterion == -1:
        return inter / (a_area + b_area - inter)
    return inter / a_area


NO_DETECTION = -10000000.0


def _clean_data(cls: int, gt: list[tuple], det: list[tuple], difficulty: int):
    name = ("car", "pedestrian", "cyclist")[cls]
    ignored_gt, n_gt = [], 0
    for kind, box, truncation, occlusion in gt:
        height = box[3] - box[1]
        if kind.lower() == name:
            valid_class = 1
        elif (name == "pedestrian" and kind.lower() == "person_sitting") or (name == "car" and kind.lower() == "van"):
            valid_class = 0
        else:
            valid_class = -1
        ignore = (
            occlusion > (0, 1, 2)[difficulty]
            or truncation > (0.15, 0.3, 0.5)[difficulty]
            or height <= (40, 25, 25)[difficulty]
        )
        if valid_class == 1 and not ignore:
            ignored_gt.append(0)
            n_gt += 1
        elif valid_class == 0 or (ignore and valid_class == 1):
            ignored_gt.append(1)
        else:
            ignored_gt.append(-1)
    dont_care = [g for g in gt if g[0].lower() == "dontcare"]
    ignored_det = []
    for kind, box, _ in det:
        valid_class = 1 if kind.lower() == name else -1
        height = int(abs(box[1] - box[3]))
        if height < (40, 25, 25)[difficulty]:
            ignored_det.append(1)
        elif valid_class == 1:
            ignored_det.append(0)
        else:
            ignored_det.append(-1)
    return ignored_gt, dont_care, ignored_det, n_gt


def _compute_statistics(cls, gt, det, dont_care, ignored_gt, ignored_det, compute_fp, thresh=0.0):
    min_overlap = (0.7, 0.5, 0.5)[cls]
    tp = fp = 0
    v = []
    assigned = [False] * len(det)
    ignored_threshold = [compute_fp and d[2] < thresh for d in det]
    for i, g in enumerate(gt):
        if ignored_gt[i] == -1:
            continue
        det_idx, valid_detection, max_overlap, assigned_ignored_det = -1, NO_DETECTION, 0.0, False
        for j, d in enumerate(det):
            if ignored_det[j] == -1 or assigned[j] or ignored_threshold[j]:
                continue
            overlap = _box_overlap(d[1], g[1])
            if not compute_fp and overlap > min_overlap and d[2] > valid_detection:
                det_idx, valid_detection = j, d[2]
            elif (
                compute_fp
                and overlap > min_overlap
                and (overlap > max_overlap or assigned_ignored_det)
                and ignored_det[j] == 0
            ):
                max_overlap, det_idx, valid_detection, assigned_ignored_det = overlap, j, 1, False
            elif compute_fp and overlap > min_overlap and valid_detection == NO_DETECTION and ignored_det[j] == 1:
                det_idx, valid_detection, assigned_ignored_det = j, 1, True
        if valid_detection == NO_DETECTION and ignored_gt[i] == 0:
            pass
        elif valid_detection != NO_DETECTION and (ignored_gt[i] == 1 or ignored_det[det_idx] == 1):
            assigned[det_idx] = True
        elif valid_detection != NO_DETECTION:
            tp += 1
            v.append(det[det_idx][2])
            assigned[det_idx] = True
    if compute_fp:
        for i in range(len(det)):
            if not (assigned[i] or ignored_det[i] == -1 or ignored_det[i] == 1 or ignored_threshold[i]):
                fp += 1
        stuff = 0
        for c in dont_care:
            for j, d in enumerate(det):
                if assigned[j] or ignored_det[j] in (-1, 1) or ignored_threshold[j]:
                    continue
                if _box_overlap(d[1], c[1], 0) > min_overlap:
                    assigned[j] = True
                    stuff += 1
        fp -= stuff
    return tp, fp, v


def _get_thresholds(v: list[float], n_gt: int) -> list[float]:
    v = sorted(v, reverse=True)
    t, current_recall = [], 0.0
    for i in range(len(v)):
        l_recall = (i + 1) / n_gt
        r_recall = (i + 2) / n_gt if i < len(v) - 1 else l_recall
        if (r_recall - current_recall) < (current_recall - l_recall) and i < len(v) - 1:
            continue
        t.append(v[i])
        current_recall += 1.0 / (41 - 1.0)
    return t


def _devkit_precision(cls: int, gts: list[list[tuple]], dets: list[list[tuple]], difficulty: int) -> list[float]:
    n_gt, v, cleaned = 0, [], []
    for gt, det in zip(gts, dets, strict=True):
        ignored_gt, dont_care, ignored_det, n = _clean_data(cls, gt, det, difficulty)
        n_gt += n
        cleaned.append((ignored_gt, dont_care, ignored_det))
        v += _compute_statistics(cls, gt, det, dont_care, ignored_gt, ignored_det, False)[2]
    thresholds = _get_thresholds(v, n_gt)
    tp, fp = [0] * len(thresholds), [0] * len(thresholds)
    for (gt, det), (ignored_gt, dont_care, ignored_det) in zip(zip(gts, dets, strict=True), cleaned, strict=True):
        for t, thresh in enumerate(thresholds):
            a, b, _ = _compute_statistics(cls, gt, det, dont_care, ignored_gt, ignored_det, True, thresh)
            tp[t] += a
            fp[t] += b
    precision = [0.0] * 41
    for i in range(len(thresholds)):
        precision[i] = tp[i] / (tp[i] + fp[i]) if tp[i] + fp[i] else math.nan
    for i in range(len(thresholds)):
        largest = precision[i]
        for value in precision[i + 1 :]:
            if largest < value:
                largest = value
        precision[i] = largest
    return precision


# --------------------------------------------------------------------------- real labels


def jittered_detections(labels: dict[str, str], seed: int) -> dict[str, list[str]]:
    """Seeded detections from ground truth: moved and resized boxes, dropped objects,
    duplicates, swapped and lower-case types, small boxes (some of any type on an
    object, which the devkit lets take part), DontCare-typed and random false positives, scores with ties. ``random.Random.random`` keeps the stream stable."""
    rng = random.Random(seed)
    kinds = ["Car", "Pedestrian", "Cyclist", "Van", "Truck", "car", "Person_sitting", "DontCare"]
    out = {}
    for image_id in sorted(labels):
        lines = []
        for kind, box, *_ in _read_objects(labels[image_id], detections=False):
            if rng.random() < (0.8 if kind == "DontCare" else 0.12):
                continue
            if kind in ("Van", "Person_sitting") and rng.random() < 0.5:
                kind = "Car" if kind == "Van" else "Pedestrian"
            if rng.random() < 0.05:
                kind = kinds[int(rng.random() * len(kinds))]
            w, h = box[2] - box[0], box[3] - box[1]
            x1 = box[0] + (rng.random() - 0.5) * 0.3 * w
            x2 = box[2] + (rng.random() - 0.5) * 0.3 * w
            y1 = box[1] + (rng.random() - 0.5) * 0.3 * h
            y2 = box[3] + (rng.random() - 0.5) * 0.3 * h
            if rng.random() < 0.05:
                y2 = y1 + 15 + 30 * rng.random()
            moved = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
            score = round(rng.random(), 1 + int(rng.random() * 3))
            lines.append(det_line(kind, moved, score))
            if rng.random() < 0.15:
                lines.append(det_line(kind, (moved[0] + 2, moved[1], moved[2] + 2, moved[3]), round(score * 0.9, 3)))
            if rng.random() < 0.08:
                low = (box[0], box[3] - 20 - 20 * rng.random(), box[2], box[3])
                lines.append(det_line(kinds[int(rng.random() * len(kinds))], low, round(rng.random(), 2)))
        for _ in range(int(rng.random() * 5)):
            x1, y1 = 1200 * rng.random(), 100 + 250 * rng.random()
            box = (x1, y1, x1 + 5 + 200 * rng.random(), y1 + 10 + 140 * rng.random())
            lines.append(det_line(kinds[int(rng.random() * len(kinds))], box, round(rng.random(), 2)))
        if lines or rng.random() < 0.5:
            out[image_id] = lines
    return out


# Printed by the compiled devkit (cpp/evaluate_object.cpp, 2D part, on the val list)
# for jittered_detections(val labels, seed=2024): mean of precision points 1..40 and
# of points 0, 4, ..., 40, per class (rows) and Easy / Moderate / Hard.
DEVKIT_R40 = (
    (0.18442981702323066, 0.27833394581630017, 0.33053196288770736),
    (0.39772729140396745, 0.4431581533698445, 0.4804344325658196),
    (0.17038522370544018, 0.2361268865766611, 0.2497579746217354),
)
DEVKIT_R11 = (
    (0.20393429333486515, 0.29770931959712793, 0.3513050304171594),
    (0.4353117016732558, 0.46712284615345434, 0.5044833706072777),
    (0.21983971999038768, 0.2738627127797058, 0.2879944344866081),
)


@pytest.fixture(scope="module")
def val_labels() -> dict[str, str]:
    ids = shared_file("kitti/val.txt").read_text().split()
    with zipfile.ZipFile(shared_file("kitti/data_object_label_2.zip")) as zf:
        return {i: zf.read(f"training/label_2/{i}.txt").decode() for i in ids}


@pytest.fixture(scope="module")
def val_gt() -> kitti_format.KittiGroundTruth:
    return kitti_format.load_ground_truth(
        shared_file("kitti/data_object_label_2.zip"), image_ids=shared_file("kitti/val.txt")
    )


def test_val_split_loads_with_the_published_counts(val_gt):
    assert val_gt.num_images == 3769
    assert len(val_gt) == 26766
    kinds, counts = np.unique(val_gt.type_name, return_counts=True)
    totals = dict(zip(kinds.tolist(), counts.tolist(), strict=True))
    assert (totals["Car"], totals["Pedestrian"], totals["Cyclist"]) == (14385, 2280, 893)


def test_perfect_detections_score_one(tmp_path, val_gt, val_labels):
    dets = {
        i: [line + " 1" for line in text.splitlines() if line.split()[0] in ("Car", "Pedestrian", "Cyclist")]
        for i, text in val_labels.items()
    }
    evaluation = kitti.evaluate(val_gt, kitti_format.load_results(write_zip(tmp_path / "d.zip", dets), val_gt))
    assert all(value == 1.0 for value in evaluation.stats.values()), evaluation.stats
    assert evaluation.primary_value == 1.0


def test_jittered_detections_match_the_devkit_figures(tmp_path, val_gt, val_labels):
    results = kitti_format.load_results(write_zip(tmp_path / "d.zip", jittered_detections(val_labels, 2024)), val_gt)
    evaluation = kitti.evaluate(val_gt, results)
    for c, name in enumerate(kitti_format.CLASSES):
        for d, difficulty in enumerate(kitti.DIFFICULTIES):
            assert evaluation.stats[f"{name}/{difficulty}"] == pytest.approx(DEVKIT_R40[c][d], abs=1e-12)
            assert evaluation.stats[f"{name}/{difficulty}/R11"] == pytest.approx(DEVKIT_R11[c][d], abs=1e-12)
    expected = sum(DEVKIT_R40[c][MODERATE] for c in range(3)) / 3
    assert evaluation.stats["mAP/moderate"] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("seed", "count"), [(1, 300), (2, 200)])
def test_jittered_detections_match_the_restated_devkit(tmp_path, val_gt, val_labels, seed, count):
    rng = random.Random(seed)
    ids = sorted(rng.sample(sorted(val_labels), count))
    labels = {i: val_labels[i] for i in ids}
    dets = jittered_detections(labels, seed)
    gt, results = kitti.restrict(
        val_gt, kitti_format.load_results(write_files(tmp_path / "d", dets), val_gt), frozenset(ids)
    )
    evaluation = kitti.evaluate(gt, results)
    gts = [_read_objects(labels[i], detections=False) for i in ids]
    det_objects = [_read_objects("\n".join(dets.get(i, [])), detections=True) for i in ids]
    for c in range(3):
        for d in range(3):
            expected = _devkit_precision(c, gts, det_objects, d)
            np.testing.assert_allclose(evaluation.arrays["precision"][c, d], expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_thresholds_equal_the_devkit_loop(seed):
    rng = np.random.default_rng(seed)
    count = int(rng.integers(1, 400))
    scores = np.round(rng.random(count), int(rng.integers(1, 4)))
    num_gt = int(rng.integers(count, 3 * count + 2))
    assert kitti.get_thresholds(scores, num_gt) == _get_thresholds(scores.tolist(), num_gt)


def test_bootstrap_counts_an_image_drawn_n_times_as_n_copies(tmp_path, val_labels):
    """Each resample's value is the devkit's mAP/moderate on the split with the drawn images copied."""
    rng = random.Random(7)
    ids = sorted(rng.sample(sorted(val_labels), 120))
    dets = jittered_detections({i: val_labels[i] for i in ids}, 7)
    gt = kitti_format.load_ground_truth(
        write_files(tmp_path / "gt" / "label_2", {i: val_labels[i].splitlines() for i in ids})
    )
    results = kitti_format.load_results(write_files(tmp_path / "d", dets), gt)
    values = kitti.bootstrap(gt, results, resamples=3, seed=5)

    draws = np.random.default_rng(5)
    for value in values:
        weights = np.bincount(draws.integers(0, len(ids), len(ids)), minlength=len(ids))
        copies_gt, copies_dets = {}, {}
        for image_id, weight in zip(ids, weights, strict=True):
            for _ in range(weight):
                name = f"{len(copies_gt):06d}"
                copies_gt[name] = val_labels[image_id].splitlines()
                copies_dets[name] = dets.get(image_id, [])
        folder = tmp_path / f"copies{len(copies_gt)}"
        copied = kitti_format.load_ground_truth(write_files(folder / "gt" / "label_2", copies_gt))
        expected = kitti.evaluate(copied, kitti_format.load_results(write_files(folder / "d", copies_dets), copied))
        assert value == expected.stats["mAP/moderate"]


def test_bootstrap_with_every_image_once_is_the_score(tmp_path, val_gt, val_labels):
    results = kitti_format.load_results(write_zip(tmp_path / "d.zip", jittered_detections(val_labels, 2024)), val_gt)
    settings = kitti.moderate_settings(val_gt, results)
    once = kitti.weighted_map(settings, np.ones(val_gt.num_images, dtype=np.int64))
    assert once == kitti.evaluate(val_gt, results).stats["mAP/moderate"]
    low, high = evaluator.bootstrap_interval(val_gt, results, protocol="kitti", resamples=50)
    assert low < once < high
