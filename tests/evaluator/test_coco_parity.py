"""COCO protocol against pycocotools' COCOeval (bbox): the cocoapi demo pair, then generated edge cases.

The demo pair's figures are the official ones of the cocoapi demo (``val2014_fake_eval_res.txt``).
Generated splits are seeded; each is scored by our engine (through its file loaders) and by
pycocotools (in memory), and the 12 stats and the ``precision`` / ``recall`` / ``scores``
arrays must agree exactly.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from evaluator import evaluate
from evaluator.protocols import coco
from tests.conftest import shared_file

GT_FILE = "coco-val2014-100/instances_val2014_100.json"
RESULTS_FILE = "coco-val2014-100/instances_val2014_fakebbox100_results.json"
OFFICIAL = (
    0.5045806987249628,
    0.6969727247299577,
    0.5729816669904824,
    0.5856257209410443,
    0.5193996948036719,
    0.5013978986347466,
    0.38681277964578054,
    0.5936795762842003,
    0.595352982877607,
    0.6398109626113442,
    0.5664205978994309,
    0.5642905982905982,
)


# --------------------------------------------------------------------------- helpers


def reference(dataset: dict[str, Any], detections: list[dict[str, Any]], image_ids=None) -> COCOeval:
    """pycocotools' COCOeval (bbox) on in-memory inputs, silenced."""
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = {"info": {}, **copy.deepcopy(dataset)}
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(copy.deepcopy(detections))
        cocoeval = COCOeval(coco_gt, coco_dt, "bbox")
        if image_ids is not None:
            cocoeval.params.imgIds = sorted(image_ids)
        cocoeval.evaluate()
        cocoeval.accumulate()
        cocoeval.summarize()
    return cocoeval


def ours(tmp_path: Path, dataset: dict[str, Any], detections: list[dict[str, Any]], image_ids=None):
    """Our engine through its file loaders."""
    gt_path = tmp_path / "gt.json"
    results_path = tmp_path / "results.json"
    gt_path.write_text(json.dumps(dataset))
    results_path.write_text(json.dumps(detections))
    gt = coco.load_ground_truth(gt_path)
    results = coco.load_results(results_path, gt)
    return evaluate(gt, results, protocol="coco", images=image_ids)


def assert_same(evaluation, cocoeval: COCOeval) -> None:
    assert tuple(evaluation.stats) == coco.STAT_NAMES
    for name, expected in zip(coco.STAT_NAMES, cocoeval.stats, strict=True):
        assert abs(evaluation.stats[name] - expected) <= 1e-12, (name, evaluation.stats[name], expected)
    for key in ("precision", "recall", "scores"):
        mine, theirs = evaluation.arrays[key], cocoeval.eval[key]
        assert mine.shape == theirs.shape, key
        if not np.array_equal(mine, theirs):
            where = np.argwhere(mine != theirs)[:5].tolist()
            pytest.fail(f"{key} differs from pycocotools at {where}")


def compare(tmp_path: Path, dataset, detections, image_ids=None):
    evaluation = ours(tmp_path, dataset, detections, image_ids)
    assert_same(evaluation, reference(dataset, detections, image_ids))
    return evaluation


# --------------------------------------------------------------------------- the cocoapi demo


@pytest.fixture(scope="module")
def demo():
    gt_path, results_path = shared_file(GT_FILE), shared_file(RESULTS_FILE)
    gt = coco.load_ground_truth(gt_path)
    results = coco.load_results(results_path, gt)
    dataset = json.loads(gt_path.read_text())
    detections = json.loads(results_path.read_text())
    return gt, results, dataset, detections, coco.evaluate(gt, results)


def test_demo_pair_gives_the_official_figures(demo):
    gt, results, _, _, evaluation = demo
    assert gt.num_images == 100 and len(gt.ann_id) == 839 and len(gt.category_ids) == 80
    assert len(results) == 734
    for name, expected in zip(coco.STAT_NAMES, OFFICIAL, strict=True):
        assert abs(evaluation.stats[name] - expected) <= 1e-12, name
    assert evaluation.primary == "AP" and evaluation.higher_is_better
    assert evaluation.primary_value == evaluation.stats["AP"]


def test_demo_pair_equals_pycocotools_arrays(demo):
    _, _, dataset, detections, evaluation = demo
    cocoeval = reference(dataset, detections)
    assert_same(evaluation, cocoeval)
    assert (evaluation.arrays["precision"] == -1).any()  # categories without ground truth are -1, not 0


def test_demo_pair_per_class_rows(demo):
    gt, _, _, detections, evaluation = demo
    assert [row.name for row in evaluation.per_class] == list(gt.category_names)
    precision = evaluation.arrays["precision"]
    for k, row in enumerate(evaluation.per_class):
        valid = precision[:, :, k, 0, 2]
        if (valid > -1).any():
            assert row.metrics["AP"] == pytest.approx(float(valid[valid > -1].mean()), abs=1e-15)
        else:
            assert math.isnan(row.metrics["AP"]) and row.num_gt == 0
    assert sum(row.num_det for row in evaluation.per_class) == len(detections)


def test_demo_pair_restricted_to_some_images_equals_pycocotools_img_ids(demo, tmp_path):
    _, _, dataset, detections, _ = demo
    subset = sorted(image["id"] for image in dataset["images"])[::3]
    evaluation = compare(tmp_path, dataset, detections, image_ids=subset)
    assert abs(evaluation.stats["AP"] - OFFICIAL[0]) > 1e-3


# --------------------------------------------------------------------------- hand-computed cases


def split(annotations, categories=(1,), images=(1,)):
    anns = [
        {"id": n + 1, "image_id": image, "category_id": category, "bbox": list(bbox), "area": area, "iscrowd": crowd}
        for n, (image, category, bbox, area, crowd) in enumerate(annotations)
    ]
    return {
        "images": [{"id": i, "width": 640, "height": 480} for i in images],
        "categories": [{"id": c, "name": f"class{c}"} for c in categories],
        "annotations": anns,
    }


def det(image, category, bbox, score):
    return {"image_id": image, "category_id": category, "bbox": list(bbox), "score": score}


def test_area_ranges_include_both_boundaries(tmp_path):
    # A 32x32 object (area 1024) is small and medium; an unmatched 96x96 detection (9216) is medium and large.
    dataset = split([(1, 1, (10, 10, 32, 32), 1024.0, 0)])
    detections = [det(1, 1, (10, 10, 32, 32), 0.9), det(1, 1, (300, 300, 96, 96), 0.95)]
    stats = compare(tmp_path, dataset, detections).stats
    assert stats["AP"] == pytest.approx(0.5, abs=1e-12)
    assert stats["APs"] == pytest.approx(1.0, abs=1e-12)  # the 9216 false positive is outside "small"
    assert stats["APm"] == pytest.approx(0.5, abs=1e-12)  # ... but inside "medium"
    assert stats["APl"] == -1  # the object is not large
    assert stats["ARs"] == stats["ARm"] == 1.0


def test_ground_truth_area_field_decides_the_range(tmp_path):
    # The box is 40x40 (1600, medium) but its segment's area is 900 (small); COCO uses the area field.
    dataset = split([(1, 1, (10, 10, 40, 40), 900.0, 0)])
    stats = compare(tmp_path, dataset, [det(1, 1, (10, 10, 40, 40), 0.9)]).stats
    assert stats["APs"] == pytest.approx(1.0, abs=1e-12)
    assert stats["APm"] == -1


def test_crowd_region_absorbs_any_number_of_detections(tmp_path):
    dataset = split([(1, 1, (0, 0, 100, 100), 5000.0, 1), (1, 1, (200, 200, 50, 50), 2500.0, 0)])
    detections = [
        det(1, 1, (10, 10, 20, 20), 0.9),  # inside the crowd: intersection over its own area is 1
        det(1, 1, (30, 30, 20, 20), 0.8),
        det(1, 1, (200, 200, 50, 50), 0.5),
    ]
    evaluation = compare(tmp_path, dataset, detections)
    assert evaluation.stats["AP"] == pytest.approx(1.0, abs=1e-12)
    assert evaluation.per_class[0].num_gt == 1


def test_iou_exactly_at_threshold_matches(tmp_path):
    # IoU 0.5 and 0.75 exactly: COCO matches when IoU >= threshold.
    dataset = split([(1, 1, (0, 0, 10, 10), 100.0, 0), (2, 1, (0, 0, 10, 10), 100.0, 0)], images=(1, 2))
    detections = [det(1, 1, (0, 0, 10, 5), 0.9), det(2, 1, (0, 0, 10, 7.5), 0.8)]
    arrays = compare(tmp_path, dataset, detections).arrays
    precision, recall = arrays["precision"][:, :, 0, 0, 2], arrays["recall"][:, 0, 0, 2]
    assert coco.IOU_THRESHOLDS[5] == 0.75
    assert (precision[0] == 1.0).all() and recall[0] == 1.0  # IoU .50: both match
    assert recall[5] == 0.5 and precision[5, 50] == 0.5 and precision[5, 51] == 0.0  # .75: one, after one FP
    assert recall[6] == 0.0 and (precision[6] == 0.0).all()  # .80: neither


def test_ground_truth_id_zero_counts_as_unmatched(tmp_path):
    # pycocotools stores the matched ground truth's id and tests it for truth: id 0 is a false positive.
    dataset = split([(1, 1, (0, 0, 10, 10), 100.0, 0), (1, 1, (50, 50, 10, 10), 100.0, 0)])
    dataset["annotations"][0]["id"] = 0
    detections = [det(1, 1, (0, 0, 10, 10), 0.9), det(1, 1, (50, 50, 10, 10), 0.8)]
    compare(tmp_path, dataset, detections)


# --------------------------------------------------------------------------- generated splits


def generate(
    seed: int,
    *,
    num_images: int = 40,
    num_categories: int = 6,
    crowd_rate: float = 0.08,
    score_levels: int | None = None,
    integer_boxes: bool = False,
    dense: int = 0,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A COCO-like split and jittered detections.

    The last category has no ground truth (but detections), the second last only crowd
    regions; some images have no objects, some no detections. ``score_levels`` draws
    scores from that many values (ties within and across images); ``dense`` adds that
    many detections of one category to one image (beyond maxDets 100).
    """
    rng = np.random.default_rng(seed)
    image_ids = [int(i) for i in rng.choice(np.arange(1, 20 * num_images), num_images, replace=False)]
    category_ids = [int(c) for c in rng.choice(np.arange(1, 200), num_categories, replace=False)]
    no_gt, crowd_only = category_ids[-1], category_ids[-2]
    gt_categories = category_ids[:-1]

    def number(value: float) -> float:
        return float(round(value)) if integer_boxes else float(value)

    def box(side_low: float = 2.0, side_high: float = 300.0) -> list[float]:
        side = math.exp(rng.uniform(math.log(side_low), math.log(side_high)))
        aspect = math.exp(rng.normal(0.0, 0.5))
        w, h = max(side * math.sqrt(aspect), 1.0), max(side / math.sqrt(aspect), 1.0)
        return [
            number(rng.uniform(0, 640 - min(w, 600))),
            number(rng.uniform(0, 480 - min(h, 440))),
            number(w),
            number(h),
        ]

    annotations = []
    for image in image_ids:
        if rng.random() < 0.15:
            continue
        for _ in range(int(rng.integers(1, 9))):
            crowd = int(rng.random() < crowd_rate)
            category = crowd_only if crowd and rng.random() < 0.5 else int(rng.choice(gt_categories[:-1]))
            bbox = box(40.0, 400.0) if crowd else box()
            w, h = bbox[2], bbox[3]
            roll = rng.random()
            if roll < 0.4:
                area = w * h
            elif roll < 0.5:
                area = float(rng.choice([32.0**2, 96.0**2]))
            else:
                area = w * h * float(rng.uniform(0.4, 1.1))
            annotations.append(
                {"image_id": image, "category_id": category, "bbox": bbox, "area": area, "iscrowd": crowd}
            )
            if rng.random() < 0.05:
                annotations.append(dict(annotations[-1], bbox=list(bbox)))  # a duplicate object
    order = rng.permutation(len(annotations))
    annotations = [annotations[i] for i in order]
    ann_ids = rng.choice(np.arange(1, 10 * len(annotations) + 2), len(annotations), replace=False)
    for ann, ann_id in zip(annotations, ann_ids, strict=True):
        ann["id"] = int(ann_id)

    def score() -> float:
        if score_levels:
            return float(rng.integers(1, score_levels + 1)) / score_levels
        return float(rng.random())

    def jitter(bbox: list[float]) -> list[float]:
        x, y, w, h = bbox
        w2, h2 = w * math.exp(rng.normal(0, 0.15)), h * math.exp(rng.normal(0, 0.15))
        x2, y2 = x + rng.normal(0, 0.08) * w, y + rng.normal(0, 0.08) * h
        out = [number(x2), number(y2), number(w2), number(h2)]
        out[2], out[3] = max(out[2], 0.5), max(out[3], 0.5)
        return out

    silent = set(rng.choice(image_ids, max(1, num_images // 8), replace=False).tolist())
    detections = []
    for ann in annotations:
        if ann["image_id"] in silent or rng.random() < 0.2:
            continue
        for _ in range(int(rng.integers(1, 4))):
            category = ann["category_id"] if rng.random() < 0.85 else int(rng.choice(category_ids))
            inside = ann["iscrowd"] and rng.random() < 0.5
            x, y, w, h = ann["bbox"]
            bbox = (
                [number(x + w / 4), number(y + h / 4), number(max(w / 3, 1)), number(max(h / 3, 1))]
                if inside
                else jitter(ann["bbox"])
            )
            detections.append({"image_id": ann["image_id"], "category_id": category, "bbox": bbox, "score": score()})
    for image in image_ids:
        if image in silent:
            continue
        for _ in range(int(rng.poisson(3))):
            category = no_gt if rng.random() < 0.2 else int(rng.choice(category_ids))
            detections.append({"image_id": image, "category_id": category, "bbox": box(), "score": score()})
    if dense:
        image = next(i for i in image_ids if i not in silent)
        category = gt_categories[0]
        next_id = max((a["id"] for a in annotations), default=0) + 1
        for n in range(8):
            annotations.append(
                {
                    "id": next_id + n,
                    "image_id": image,
                    "category_id": category,
                    "bbox": (bbox := box(10, 120)),
                    "area": bbox[2] * bbox[3],
                    "iscrowd": 0,
                }
            )
            for _ in range(dense // 8):
                detections.append({"image_id": image, "category_id": category, "bbox": jitter(bbox), "score": score()})
    detections = [detections[i] for i in rng.permutation(len(detections))]
    categories = [{"id": c, "name": f"class{c}"} for c in category_ids]
    images = [{"id": i, "width": 640, "height": 480} for i in image_ids]
    dataset = {
        "images": [images[i] for i in rng.permutation(len(images))],
        "categories": [categories[i] for i in rng.permutation(len(categories))],
        "annotations": annotations,
    }
    return dataset, detections


def features(dataset, detections) -> dict[str, int]:
    """Counts showing that a generated split holds the cases it is meant to."""
    scores = [d["score"] for d in detections]
    per_group: dict[tuple[int, int], int] = {}
    for d in detections:
        per_group[d["image_id"], d["category_id"]] = per_group.get((d["image_id"], d["category_id"]), 0) + 1
    gt_categories = {a["category_id"] for a in dataset["annotations"]}
    detected_images = {d["image_id"] for d in detections}
    return {
        "crowd": sum(a["iscrowd"] for a in dataset["annotations"]),
        "boundary_area": sum(a["area"] in (32.0**2, 96.0**2) for a in dataset["annotations"]),
        "area_not_wh": sum(a["area"] != a["bbox"][2] * a["bbox"][3] for a in dataset["annotations"]),
        "tied_scores": len(scores) - len(set(scores)),
        "max_per_group": max(per_group.values()),
        "dets_without_gt_category": sum(d["category_id"] not in gt_categories for d in detections),
        "images_without_dets": len({i["id"] for i in dataset["images"]} - detected_images),
    }


@pytest.mark.parametrize("seed", range(12))
def test_generated_split_equals_pycocotools(tmp_path, seed):
    dataset, detections = generate(seed, integer_boxes=seed % 3 == 0)
    found = features(dataset, detections)
    assert found["crowd"] and found["area_not_wh"] and found["dets_without_gt_category"]
    assert found["images_without_dets"]
    evaluation = compare(tmp_path, dataset, detections)
    assert 0.02 < evaluation.stats["AP"] < 0.98
    no_gt_row = [row for row in evaluation.per_class if row.num_gt == 0]
    assert no_gt_row and all(math.isnan(row.metrics["AP"]) for row in no_gt_row)


@pytest.mark.parametrize("seed", range(6))
def test_tied_scores_equal_pycocotools(tmp_path, seed):
    dataset, detections = generate(100 + seed, score_levels=(2, 3, 5, 10, 1, 4)[seed], integer_boxes=seed % 2 == 0)
    assert features(dataset, detections)["tied_scores"] > len(detections) // 2
    compare(tmp_path, dataset, detections)


@pytest.mark.parametrize(("seed", "levels"), [(0, None), (1, 3), (2, 1), (3, 7)])
def test_more_than_100_detections_per_image_equal_pycocotools(tmp_path, seed, levels):
    # Ties straddle the cuts at 1, 10 and 100 detections per image and category.
    dataset, detections = generate(200 + seed, num_images=12, score_levels=levels, dense=320)
    assert features(dataset, detections)["max_per_group"] > 300
    compare(tmp_path, dataset, detections)


@pytest.mark.parametrize("seed", range(3))
def test_boundary_and_tiny_boxes_equal_pycocotools(tmp_path, seed):
    # Objects and detections whose areas are 32**2 and 96**2 exactly, or a hair either side, or tiny.
    rng = np.random.default_rng(300 + seed)
    sides = [(32, 32), (16, 64), (96, 96), (48, 192), (0.5, 0.5), (0.01, 3), (1, 1)]
    sides += [(32, 32 * (1 + 1e-15)), (96, 96 * (1 - 1e-15)), (32, 31.999999), (96, 96.000001)]
    annotations, detections = [], []
    for image in range(1, 21):
        for w, h in sides:
            x, y = float(rng.uniform(0, 500)), float(rng.uniform(0, 380))
            area = w * h if rng.random() < 0.7 else float(rng.choice([1024.0, 9216.0, 1023.9999, 9216.0001]))
            annotations.append((image, 1 + int(rng.integers(0, 2)), (x, y, w, h), area, int(rng.random() < 0.05)))
            if rng.random() < 0.8:
                dx, dy = (0.0, 0.0) if rng.random() < 0.5 else (w * rng.normal(0, 0.1), h * rng.normal(0, 0.1))
                detections.append(det(image, annotations[-1][1], (x + dx, y + dy, w, h), float(rng.random())))
            if rng.random() < 0.3:
                fw, fh = sides[int(rng.integers(0, len(sides)))]
                detections.append(det(image, 1 + int(rng.integers(0, 3)), (x + 200, y, fw, fh), float(rng.random())))
    dataset = split(annotations, categories=(1, 2, 3), images=range(1, 21))
    compare(tmp_path, dataset, detections)


def test_restricted_generated_split_equals_pycocotools_img_ids(tmp_path):
    dataset, detections = generate(400, num_images=30)
    subset = sorted(image["id"] for image in dataset["images"])[1::2]
    compare(tmp_path, dataset, detections, image_ids=subset)
