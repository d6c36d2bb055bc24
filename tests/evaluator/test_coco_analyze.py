"""COCO's analyze() breakdown against pycocotools driven the way the reference drives it.

The reference (mmdetection's ``coco_error_analysis.py``, a port of the COCO API's MATLAB
``CocoEval.analyze``) runs COCOeval at IoU .75/.5/.1 with maxDets 100, then per category
keeps that category's detections, relabels other categories' objects (same supercategory
for Sim, all for Oth) as ignored objects of the category and runs COCOeval at IoU .1.
The ignored flag is honoured as MATLAB's ``evaluateImg`` does (see the module docstring
of ``evaluator.protocols.coco_analyze``); the port's ``iscrowd = 1`` variant is shown to
differ. Precision arrays must agree exactly, averages within 1e-12.
"""

from __future__ import annotations

import contextlib
import copy
import io
import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from evaluator.protocols import coco, coco_analyze
from tests.conftest import shared_file
from tests.evaluator.test_coco_parity import GT_FILE as DEMO_GT_FILE
from tests.evaluator.test_coco_parity import RESULTS_FILE, generate


class _HonoursIgnore(COCOeval):
    """COCOeval ignoring objects flagged ``analyze_ignore``, as MATLAB's evaluateImg ignores
    ``ignore`` objects; pycocotools' _prepare overwrites ``ignore`` with ``iscrowd``."""

    def _prepare(self) -> None:
        super()._prepare()
        for objects in self._gts.values():
            for g in objects:
                if g.get("analyze_ignore"):
                    g["ignore"] = 1


def _coco(dataset: dict[str, Any]) -> COCO:
    api = COCO()
    api.dataset = {"info": {}, **copy.deepcopy(dataset)}
    api.createIndex()
    return api


def _run(evaluator_class, gt: COCO, dt: COCO, iou_thresholds: list[float], cat_ids: list[int] | None = None):
    cocoeval = evaluator_class(gt, dt, "bbox")
    cocoeval.params.imgIds = gt.getImgIds()
    cocoeval.params.iouThrs = iou_thresholds
    cocoeval.params.maxDets = [100]
    if cat_ids is not None:
        cocoeval.params.catIds = cat_ids
    cocoeval.evaluate()
    cocoeval.accumulate()
    return cocoeval.eval["precision"]


def _detections_of(coco_gt: COCO, detections: list[dict[str, Any]]) -> COCO:
    if detections:
        return coco_gt.loadRes(copy.deepcopy(detections))
    empty = COCO()  # what loadRes makes of no detections, which it cannot take
    empty.dataset = {
        "images": coco_gt.dataset["images"],
        "categories": coco_gt.dataset["categories"],
        "annotations": [],
    }
    empty.createIndex()
    return empty


def reference(dataset: dict[str, Any], detections: list[dict[str, Any]], *, as_crowd: bool = False) -> np.ndarray:
    """[7 x R x K x A] precision of the reference; -1 kept where a category has no ground truth."""
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = _coco(dataset)
        coco_dt = coco_gt.loadRes(copy.deepcopy(detections))
        first = _run(COCOeval, coco_gt, coco_dt, [0.75, 0.5, 0.1])[..., 0]
        ps = np.concatenate([first, np.zeros((4, *first.shape[1:]))])
        for k, cat_id in enumerate(sorted(coco_gt.getCatIds())):
            dt = _detections_of(coco_gt, [d for d in detections if d["category_id"] == cat_id])
            supercategory = coco_gt.loadCats(cat_id)[0].get("supercategory")
            # getCatIds(supNms=...) as the reference, which cannot take a category without the key.
            family = [c["id"] for c in coco_gt.dataset["categories"] if c.get("supercategory") == supercategory]
            family = family if supercategory else [cat_id]
            for row, members in ((3, family), (4, None)):
                gt = _coco(dataset)
                for ann in gt.dataset["annotations"]:
                    if ann["category_id"] != cat_id and (members is None or ann["category_id"] in members):
                        ann["category_id"] = cat_id
                        if as_crowd:
                            ann["iscrowd"] = ann["ignore"] = 1
                        else:
                            ann["analyze_ignore"] = 1
                gt.createIndex()
                # Restricting catIds to the one analysed leaves its precision as it is and saves time.
                ps[row, :, k] = _run(_HonoursIgnore, gt, dt, [0.1], [cat_id])[0, :, 0, :, 0]
    valid = ps[0, 0] > -1
    ps[ps == -1] = 0
    ps[5] = ps[4] > 0
    ps[6] = 1.0
    ps[:, :, ~valid] = -1
    return ps


def ours(tmp_path: Path, dataset, detections):
    gt_path, results_path = tmp_path / "gt.json", tmp_path / "results.json"
    gt_path.write_text(json.dumps(dataset))
    results_path.write_text(json.dumps(detections))
    gt = coco.load_ground_truth(gt_path)
    return gt, coco.load_results(results_path, gt)


def assert_same(gt, results, expected: np.ndarray) -> dict[str, Any]:
    mine = coco_analyze.precision_arrays(gt, results)
    assert mine.shape == expected.shape
    if not np.array_equal(mine, expected):
        where = np.argwhere(mine != expected)[:5].tolist()
        pytest.fail(f"precision differs from the reference at {where}")
    summary = coco_analyze.analyze(gt, results)
    for a, label in enumerate(coco.AREA_LABELS):
        for t, value in enumerate(summary["ap"][label]):
            values = expected[t, :, :, a]
            valid = values[:, values[0] > -1]
            if valid.size:
                assert abs(value - valid.mean()) <= 1e-12, (label, t)
            else:
                assert value is None
    for k, row in enumerate(summary["class_ap"]):
        for t, value in enumerate(row):
            if expected[t, 0, k, 0] > -1:
                assert abs(value - expected[t, :, k, 0].mean()) <= 1e-12
            else:
                assert value is None
    return summary


# --------------------------------------------------------------------------- the cocoapi demo pair


@pytest.fixture(scope="module")
def demo():
    gt_path, results_path = shared_file(DEMO_GT_FILE), shared_file(RESULTS_FILE)
    gt = coco.load_ground_truth(gt_path)
    results = coco.load_results(results_path, gt)
    return gt, results, json.loads(gt_path.read_text()), json.loads(results_path.read_text())


def test_demo_pair_equals_the_reference(demo):
    gt, results, dataset, detections = demo
    assert len(set(gt.category_supercategories)) == 12
    summary = assert_same(gt, results, reference(dataset, detections))
    stats = coco.evaluate(gt, results).stats
    assert summary["ap"]["all"][0] == stats["AP75"] and summary["ap"]["all"][1] == stats["AP50"]
    all_ap = summary["ap"]["all"]
    assert all(a <= b for a, b in itertools.pairwise(all_ap)) and all_ap[-1] == 1.0
    assert len(summary["recall"]) == 26 and summary["recall"][-1] == 1.0
    assert len(json.dumps(summary)) < 30_000


def test_demo_pair_crowd_variant_of_the_port_differs(demo):
    # The port's iscrowd=1 matches confused objects by intersection over the detection's area.
    gt, results, dataset, detections = demo
    ported = reference(dataset, detections, as_crowd=True)
    mine = coco_analyze.precision_arrays(gt, results)
    assert np.array_equal(mine[:3], ported[:3])
    assert (ported[3:5] >= mine[3:5]).all()


def test_restricted_to_images_equals_the_reference_on_those_images(demo):
    gt, results, dataset, detections = demo
    subset = sorted(image["id"] for image in dataset["images"])[::2]
    kept = set(subset)
    sub_dataset = dict(
        dataset,
        images=[i for i in dataset["images"] if i["id"] in kept],
        annotations=[a for a in dataset["annotations"] if a["image_id"] in kept],
    )
    expected = reference(sub_dataset, [d for d in detections if d["image_id"] in kept])
    summary = coco_analyze.analyze(gt, results, images=subset)
    sub_gt, sub_results = coco.restrict(gt, results, frozenset(subset))
    assert summary == assert_same(sub_gt, sub_results, expected)


# --------------------------------------------------------------------------- generated and hand-made cases


def with_supercategories(dataset: dict[str, Any], seed: int) -> dict[str, Any]:
    """Two or three supercategories, and one category without any."""
    rng = np.random.default_rng(seed)
    dataset = copy.deepcopy(dataset)
    for n, category in enumerate(dataset["categories"]):
        if n:
            category["supercategory"] = f"family{int(rng.integers(0, 2 + seed % 2))}"
    return dataset


@pytest.mark.parametrize("seed", range(6))
def test_generated_split_equals_the_reference(tmp_path, seed):
    dataset, detections = generate(seed, num_images=25, crowd_rate=0.15, score_levels=(None, 4)[seed % 2])
    dataset = with_supercategories(dataset, seed)
    gt, results = ours(tmp_path, dataset, detections)
    summary = assert_same(gt, results, reference(dataset, detections))
    assert None in [row[0] for row in summary["class_ap"]]  # the generator's category without ground truth


def split(annotations, categories, detections):
    dataset = {
        "images": [{"id": 1, "width": 640, "height": 480}, {"id": 2, "width": 640, "height": 480}],
        "categories": [{"id": c, "name": f"class{c}", "supercategory": s} for c, s in categories],
        "annotations": [
            {"id": n + 1, "image_id": i, "category_id": c, "bbox": list(b), "area": b[2] * b[3], "iscrowd": crowd}
            for n, (i, c, b, crowd) in enumerate(annotations)
        ],
    }
    dets = [{"image_id": i, "category_id": c, "bbox": list(b), "score": s} for i, c, b, s in detections]
    return dataset, dets


def test_supercategory_confusion_is_sim_and_other_confusion_is_oth(tmp_path):
    # A dog detected as a cat (same supercategory), a car detected as a cat (another one).
    dataset, detections = split(
        [(1, 1, (10, 10, 50, 50), 0), (1, 2, (200, 200, 50, 50), 0), (2, 3, (100, 100, 60, 60), 0)],
        [(1, "animal"), (2, "animal"), (3, "vehicle")],
        [
            (1, 1, (10, 10, 50, 50), 0.5),
            (1, 1, (200, 200, 50, 50), 0.9),
            (2, 1, (100, 100, 60, 60), 0.8),
        ],
    )
    gt, results = ours(tmp_path, dataset, detections)
    summary = assert_same(gt, results, reference(dataset, detections))
    cat = summary["class_ap"][0]
    assert cat[2] == pytest.approx(1 / 3, abs=1e-12)  # Loc: two FPs outrank the TP
    assert cat[3] == pytest.approx(0.5, abs=1e-12)  # Sim: the dog no longer counts, the car does
    assert cat[4] == pytest.approx(1.0, abs=1e-12)  # Oth: both forgiven


def test_duplicates_on_a_confused_object_absorb_one_detection(tmp_path):
    # Two cat boxes on one dog: MATLAB forgives one, the port's crowd regions forgive both.
    dataset, detections = split(
        [(1, 1, (10, 10, 50, 50), 0), (1, 2, (200, 200, 50, 50), 0)],
        [(1, "animal"), (2, "animal")],
        [(1, 1, (200, 200, 50, 50), 0.9), (1, 1, (202, 202, 50, 50), 0.8), (1, 1, (10, 10, 50, 50), 0.5)],
    )
    gt, results = ours(tmp_path, dataset, detections)
    summary = assert_same(gt, results, reference(dataset, detections))
    assert summary["class_ap"][0][3] == pytest.approx(0.5, abs=1e-12)
    assert reference(dataset, detections, as_crowd=True)[3, :, 0, 0] == pytest.approx(np.ones(101), abs=1e-12)


def test_crowd_of_another_category_and_category_without_ground_truth(tmp_path):
    dataset, detections = split(
        [(1, 1, (10, 10, 50, 50), 0), (1, 2, (100, 100, 200, 200), 1), (2, 1, (300, 300, 40, 40), 0)],
        [(1, "animal"), (2, "animal"), (3, "")],
        [
            (1, 1, (110, 110, 20, 20), 0.9),  # inside the other category's crowd region
            (1, 1, (150, 150, 20, 20), 0.85),
            (1, 1, (10, 10, 50, 50), 0.7),
            (2, 1, (300, 300, 40, 40), 0.6),
            (2, 3, (300, 300, 40, 40), 0.95),  # a category without ground truth
            (1, 2, (100, 100, 200, 200), 0.5),
        ],
    )
    gt, results = ours(tmp_path, dataset, detections)
    summary = assert_same(gt, results, reference(dataset, detections))
    assert summary["class_ap"][0][3] == pytest.approx(
        1.0, abs=1e-12
    )  # the crowd absorbs both by intersection over detection area
    assert summary["class_ap"][1] == [None] * 7 and summary["class_ap"][2] == [None] * 7
    assert summary["ap"]["all"] == summary["class_ap"][0]


def test_no_detections_and_no_supercategories(tmp_path):
    dataset, _ = split([(1, 1, (10, 10, 50, 50), 0)], [(1, ""), (2, "")], [])
    dataset["categories"] = [{"id": c["id"], "name": c["name"]} for c in dataset["categories"]]
    gt = coco.load_ground_truth(_write(tmp_path / "gt.json", dataset))
    none = np.zeros(0, dtype=np.int64)
    results = coco.CocoResults("none", none, none, np.zeros((0, 4)), np.zeros(0))
    summary = coco_analyze.analyze(gt, results)
    assert summary["ap"]["all"] == [0.0] * 5 + [0.0, 1.0]
    assert summary["ap"]["small"] == [None] * 7
    assert all(math.isfinite(v) for v in summary["precision"][6])


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path


def _confusions(gt, results, *, full_scan: bool, iou: float = float(coco_analyze.IOU_THRESHOLDS[-1])):
    """Loc, Sim and Oth of the split, by the sparse kernel or by every detection's full scan."""
    return coco_analyze._match_confusions(gt, coco._Detections(gt, results), iou=iou, full_scan=full_scan)


@pytest.mark.parametrize(
    ("seed", "integer_boxes", "dense", "iou"),
    [
        (0, False, 0, 0.1),
        (1, True, 0, 0.1),
        (2, True, 150, 0.1),
        (3, False, 0, 0.5),
        (4, True, 0, 0.0),
        (5, True, 40, 1.0),
    ],
)
def test_sparse_confusions_equal_the_full_scan(tmp_path, seed, integer_boxes, dense, iou):
    # crowd regions, integer boxes (tied IoUs), a crowded image beyond maxDets, families, IoU 0 (every
    # object a candidate) and 1 (only exact overlaps, held to 1 - 1e-10)
    dataset, detections = generate(
        seed, num_images=30, crowd_rate=0.2, score_levels=3, integer_boxes=integer_boxes, dense=dense
    )
    gt, results = ours(tmp_path, with_supercategories(dataset, seed), detections)
    sparse, full = _confusions(gt, results, full_scan=False, iou=iou), _confusions(gt, results, full_scan=True, iou=iou)
    assert sparse[0].any() and sparse[1].any()
    np.testing.assert_array_equal(sparse[0], full[0])
    np.testing.assert_array_equal(sparse[1], full[1])


def test_sparse_confusions_on_duplicate_and_empty_boxes(tmp_path):
    # the same box twice (equal IoUs: the later object in file order wins), a crowd region of
    # another class over both, a zero-area detection and an image without objects
    box = (10.0, 10.0, 40.0, 40.0)
    dataset, detections = split(
        [(1, 1, box, 0), (1, 1, box, 0), (1, 2, box, 0), (1, 3, (0.0, 0.0, 100.0, 100.0), 1), (1, 3, box, 0)],
        [(1, "a"), (2, "a"), (3, "")],
        [(1, 1, box, 0.9), (1, 1, box, 0.9), (1, 1, box, 0.8), (1, 2, box, 0.7), (1, 3, (5.0, 5.0, 0.0, 3.0), 0.6)]
        + [(1, 3, box, s) for s in (0.5, 0.4, 0.3)]
        + [(2, 1, box, 0.5)],
    )
    gt, results = ours(tmp_path, dataset, detections)
    sparse, full = _confusions(gt, results, full_scan=False), _confusions(gt, results, full_scan=True)
    np.testing.assert_array_equal(sparse[0], full[0])
    np.testing.assert_array_equal(sparse[1], full[1])
