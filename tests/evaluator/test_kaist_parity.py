"""KAIST on the real test set: parity with the benchmark's own evaluation script.

The MR^-2 figures below are what the MLPD repository's ``evaluation_script.py``
prints at full precision for MBNet's shared detections (run as published; the
authors report 8.13 / 8.28 / 7.86 %). AP50 is checked against pycocotools' COCOeval
with the Reasonable ignore regions given as crowd boxes, which pycocotools matches by
the same intersection-over-detection rule.
"""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest

from evaluator import evaluate_files
from evaluator.protocols import kaist
from tests.conftest import shared_file

ANNOTATIONS = "kaist-daynight/KAIST_annotation.json"
MBNET = "kaist-daynight/detections/MBNet_result.txt"
SCRIPT_MR = {"all": 0.08129524623975791, "day": 0.0828188744306325, "night": 0.0785771217854902}


@pytest.fixture(scope="module")
def real():
    gt = kaist.load_ground_truth(shared_file(ANNOTATIONS))
    results = kaist.load_results(shared_file(MBNET), gt)
    return gt, results, kaist.evaluate(gt, results)


def test_ground_truth_totals(real):
    gt, _, _ = real
    assert gt.num_images == 2252
    assert len(gt.box_id) == 4254
    assert int((~gt.is_night).sum()) == 1455
    assert int(gt.is_night.sum()) == 797
    # derived from the set names, the domains are the script's positional split
    np.testing.assert_array_equal(gt.image_ids[~gt.is_night], np.arange(1455))
    np.testing.assert_array_equal(gt.image_ids[gt.is_night], np.arange(1455, 2252))
    assert int(np.isin(gt.box_image, np.flatnonzero(~gt.is_night)).sum()) == 2909


def test_mbnet_miss_rates_equal_the_benchmark_script(real):
    _, results, evaluation = real
    assert len(results) == 12937
    for subset, expected in SCRIPT_MR.items():
        assert abs(evaluation.stats[f"MR_{subset}"] - expected) <= 1e-9, subset
    assert evaluation.primary == "MR_all" and evaluation.higher_is_better is False
    assert evaluation.per_class[0].name == "person"
    assert evaluation.per_class[0].num_gt == 1455  # reasonable pedestrians
    assert evaluation.per_class[0].num_det == 12937


def test_ap50_equals_pycocotools_with_ignore_regions_as_crowd(real):
    coco_module = pytest.importorskip("pycocotools.coco")
    cocoeval_module = pytest.importorskip("pycocotools.cocoeval")
    gt, results, evaluation = real
    ignored = kaist.ignore_regions(gt)
    dataset = {
        "info": {},
        "images": [{"id": int(i)} for i in gt.image_ids],
        "categories": [{"id": 1, "name": "person"}],
        "annotations": [
            {
                "id": k + 1,  # pycocotools reads a match to id 0 as no match
                "image_id": int(gt.image_ids[gt.box_image[k]]),
                "category_id": 1,
                "bbox": gt.xywh[k].tolist(),
                "area": float(gt.xywh[k, 2] * gt.xywh[k, 3]),
                "iscrowd": int(ignored[k]),
            }
            for k in range(len(ignored))
        ],
    }
    detections = [
        {"image_id": int(i), "category_id": 1, "bbox": box.tolist(), "score": float(s)}
        for i, box, s in zip(results.image_id, results.xywh, results.score, strict=True)
    ]
    subsets = {"all": gt.image_ids, "day": gt.image_ids[~gt.is_night], "night": gt.image_ids[gt.is_night]}
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = coco_module.COCO()
        coco_gt.dataset = dataset
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(detections)
        for name, image_ids in subsets.items():
            coco_eval = cocoeval_module.COCOeval(coco_gt, coco_dt, "bbox")
            coco_eval.params.iouThrs = np.array([0.5])
            coco_eval.params.maxDets = [1000]
            coco_eval.params.areaRng = [[0, 1e10]]
            coco_eval.params.areaRngLbl = ["all"]
            coco_eval.params.imgIds = [int(i) for i in image_ids]
            coco_eval.evaluate()
            coco_eval.accumulate()
            expected = float(np.mean(coco_eval.eval["precision"][0, :, 0, 0, 0]))
            assert abs(evaluation.stats[f"AP50_{name}"] - expected) <= 1e-12, name
    assert 0.9 < evaluation.stats["AP50_all"] < 1.0


def test_coco_json_results_score_the_same(real, tmp_path):
    gt, results, evaluation = real
    path = tmp_path / "MBNet_result.json"
    path.write_text(
        json.dumps(
            [
                {"image_id": int(i), "category_id": 1, "bbox": box.tolist(), "score": float(s)}
                for i, box, s in zip(results.image_id, results.xywh, results.score, strict=True)
            ]
        )
    )
    from_json = kaist.load_results(path, gt)
    assert from_json.format == "coco-json"
    np.testing.assert_array_equal(from_json.image_id, results.image_id)
    assert kaist.evaluate(gt, from_json).stats == evaluation.stats


def test_upload_order_does_not_change_the_scores(real, tmp_path):
    gt, _, evaluation = real
    lines = shared_file(MBNET).read_text().splitlines()
    rng = np.random.default_rng(7)
    shuffled = tmp_path / "shuffled.txt"
    # keep each image's detections in their file order (ties within an image are
    # broken by upload order); shuffle everything else
    by_image: dict[str, list[str]] = {}
    for line in lines:
        by_image.setdefault(line.split(",")[0], []).append(line)
    groups = list(by_image.values())
    rng.shuffle(groups)
    interleaved = []
    for group in groups:
        interleaved.extend(group[::-1] if rng.random() < 0.5 and _distinct_scores(group) else group)
    shuffled.write_text("\n".join(interleaved) + "\n")
    assert evaluate_files(shared_file(ANNOTATIONS), shuffled, protocol="kaist").stats == evaluation.stats


def _distinct_scores(group: list[str]) -> bool:
    scores = [line.split(",")[5] for line in group]
    return len(set(scores)) == len(scores)


def test_curves_are_ready_for_log_axes(real):
    _, _, evaluation = real
    assert evaluation.curves["kind"] == "miss_rate"
    assert set(evaluation.curves["subsets"]) == {"all", "day", "night"}
    for name, curve in evaluation.curves["subsets"].items():
        fppi, miss_rate = np.array(curve["fppi"]), np.array(curve["miss_rate"])
        assert 10 < len(fppi) <= kaist.CURVE_POINTS
        assert (fppi > 0).all() and (np.diff(fppi) > 0).all()
        assert (miss_rate > 0).all() and (np.diff(miss_rate) <= 0).all()
        assert curve["reference_fppi"] == kaist.FPPI_REFERENCE.tolist()
        assert curve["log_average_miss_rate"] == evaluation.stats[f"MR_{name}"]
        # the plotted corners lie on the full-precision curve
        full_fppi, full_mr = evaluation.arrays[f"fppi_{name}"], evaluation.arrays[f"miss_rate_{name}"]
        last = np.searchsorted(full_fppi, fppi, side="right") - 1
        np.testing.assert_array_equal(full_mr[last], miss_rate)
    json.dumps(evaluation.to_dict())


def test_analysis_input(real):
    gt, results, _ = real
    analysis = kaist.analysis_input(gt, results)
    assert analysis.category_names == ("person",)
    assert len(analysis.ground_truth) == 4254 and len(analysis.detections) == 12937
    np.testing.assert_array_equal(analysis.ground_truth.ignore, kaist.ignore_regions(gt))
    assert int((~analysis.ground_truth.ignore).sum()) == 1455
    np.testing.assert_array_equal(analysis.ground_truth.xyxy[:, 2:], gt.xywh[:, :2] + gt.xywh[:, 2:])
    first = analysis.detections
    assert analysis.image_ids[first.image[0]] == 0  # line 1 of the file is image 1 (1-based)
    np.testing.assert_allclose(first.xyxy[0], [502.33, 212.455, 502.33 + 19.922, 212.455 + 41.648])
    assert first.score[0] == 0.03658492


def test_bootstrap_with_every_image_once_is_mr_all_and_intervals_cover_it(real):
    import evaluator

    gt, results, evaluation = real
    matches = kaist.match(gt, results)
    assert kaist.weighted_log_average_miss_rate(matches, gt, np.ones(gt.num_images)) == evaluation.stats["MR_all"]
    low, high = evaluator.bootstrap_interval(gt, results, protocol="kaist", resamples=50)
    assert low < evaluation.stats["MR_all"] < high
