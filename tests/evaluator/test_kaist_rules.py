"""KAIST Reasonable setting: one hand-made case per rule, with hand-computed figures.

The builders below write tiny KAIST-style annotation and result files; the other
``test_kaist_*`` modules import them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator.protocols import kaist

TP, FP, IGN = kaist.TRUE_POSITIVE, kaist.FALSE_POSITIVE, kaist.ON_IGNORE_REGION


def person(x: float, y: float, w: float, h: float, *, occlusion: int = 0, ignore: int = 0, height=None) -> dict:
    """A ground-truth person box; ``height`` defaults to the box height."""
    return {"bbox": [x, y, w, h], "height": h if height is None else height, "occlusion": occlusion, "ignore": ignore}


def write_gt(tmp_path: Path, boxes_per_image: list[list[dict]], *, night_from: int | None = None) -> Path:
    """Annotation JSON with image ids 0..n-1; images from ``night_from`` on are in set09 (night)."""
    images, annotations = [], []
    for image_id, boxes in enumerate(boxes_per_image):
        night = night_from is not None and image_id >= night_from
        images.append({"id": image_id, "im_name": f"set{'09' if night else '06'}/V000/I{image_id:05d}"})
        for box in boxes:
            annotations.append({"id": len(annotations), "image_id": image_id, "category_id": 1, **box})
    data = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 0, "name": "__ignore__"}, {"id": 1, "name": "person"}],
    }
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(data))
    return path


def write_txt(tmp_path: Path, detections: list[tuple], name: str = "dets.txt") -> Path:
    """Detections ``(image_id 0-based, x, y, w, h, score)`` written as 1-based KAIST lines."""
    path = tmp_path / name
    path.write_text("".join(f"{d[0] + 1},{d[1]},{d[2]},{d[3]},{d[4]},{d[5]}\n" for d in detections))
    return path


def score(tmp_path: Path, boxes_per_image: list[list[dict]], detections: list[tuple], **kwargs):
    """(Evaluation, status of each detection in upload order) for a hand-made case."""
    gt = kaist.load_ground_truth(write_gt(tmp_path, boxes_per_image, **kwargs))
    results = kaist.load_results(write_txt(tmp_path, detections), gt)
    matches = kaist.match(gt, results)
    status = np.full(len(results), 99, dtype=np.int8)
    status[matches.det_index] = matches.status
    return kaist.evaluate(gt, results), status.tolist()


# A reasonable person that every case below leaves undetected, so that recall stays
# below 1 and MR^-2 shows whether the box under test was counted.
MISSED = person(400, 100, 40, 100)
ON = (100, 100, 30, 60)  # the box under test, as x, y, w, h


def case(tmp_path: Path, box: dict, det=ON, score_: float = 0.9):
    """One image holding ``box`` and ``MISSED``, one detection ``det``."""
    return score(tmp_path, [[box, MISSED]], [(0, *det, score_)])


# ----------------------------------------------------------------- height, occlusion


@pytest.mark.parametrize(("height", "counted"), [(55, True), (54.99, False), (60, True), (30, False)])
def test_height_boundary_is_55_pixels_inclusive(tmp_path, height, counted):
    evaluation, status = case(tmp_path, person(*ON, height=height))
    if counted:
        assert status == [TP]
        assert evaluation.per_class[0].num_gt == 2
        assert evaluation.stats["MR_all"] == pytest.approx(0.5, abs=1e-15)  # recall 1/2 at every point
    else:
        assert status == [IGN]
        assert evaluation.per_class[0].num_gt == 1
        assert evaluation.stats["MR_all"] == 1.0


def test_height_field_not_box_height_decides(tmp_path):
    # the box is 60 px tall but the annotation's height says 50: ignored, as in the script
    _, status = case(tmp_path, {**person(*ON), "height": 50})
    assert status == [IGN]


@pytest.mark.parametrize(("occlusion", "counted"), [(0, True), (1, True), (2, False)])
def test_heavy_occlusion_is_ignored(tmp_path, occlusion, counted):
    evaluation, status = case(tmp_path, person(*ON, occlusion=occlusion))
    assert status == ([TP] if counted else [IGN])
    assert evaluation.per_class[0].num_gt == (2 if counted else 1)


def test_ignore_flag_makes_an_ignore_region(tmp_path):
    evaluation, status = case(tmp_path, person(*ON, ignore=1))
    assert status == [IGN]
    assert evaluation.per_class[0].num_gt == 1


# --------------------------------------------------------------------------- border


@pytest.mark.parametrize(
    ("box", "counted"),
    [
        ((5, 5, 30, 60), True),  # touching x = 5 and y = 5
        ((4.9, 100, 30, 60), False),
        ((100, 4.5, 30, 60), False),
        ((605, 100, 30, 60), True),  # x + w = 635
        ((605.5, 100, 30, 60), False),
        ((100, 447, 30, 60), True),  # y + h = 507
        ((100, 447.5, 30, 60), False),
    ],
)
def test_boxes_crossing_the_border_are_ignored(tmp_path, box, counted):
    _, status = case(tmp_path, person(*box), det=box)
    assert status == ([TP] if counted else [IGN])


# ----------------------------------------------------------------- overlap and match


@pytest.mark.parametrize(("det", "expected"), [((100, 100, 30, 30), TP), ((100, 100, 30, 29.9), FP)])
def test_iou_of_exactly_one_half_matches(tmp_path, det, expected):
    # 30x30 inside the 30x60 box: IoU = 900 / 1800 = 0.5
    _, status = case(tmp_path, person(*ON), det=det)
    assert status == [expected]


def test_ignore_region_uses_intersection_over_detection_area(tmp_path):
    group = person(50, 50, 200, 200, ignore=1)  # a large 'people' region
    inside = (60, 60, 20, 50)  # IoU with the region is 0.025, but it lies wholly inside
    half = (240, 60, 20, 50)  # 10 of its 20 px width inside: exactly one half
    less = (240.5, 60, 20, 50)
    _, status = score(tmp_path, [[group, MISSED]], [(0, *inside, 0.9), (0, *half, 0.8), (0, *less, 0.7)])
    assert status == [IGN, IGN, FP]


def test_ignore_region_absorbs_any_number_of_detections(tmp_path):
    evaluation, status = score(
        tmp_path, [[person(*ON, ignore=1), MISSED]], [(0, *ON, 0.9), (0, *ON, 0.8), (0, *ON, 0.7)]
    )
    assert status == [IGN, IGN, IGN]
    assert len(evaluation.arrays["fppi_all"]) == 0  # no counted detection at all


def test_detection_on_an_ignore_region_is_neither_tp_nor_fp(tmp_path):
    # 100 images, so one false positive is FPPI 0.01. Three reasonable people, one found.
    boxes: list[list[dict]] = [[] for _ in range(100)]
    boxes[0] = [person(*ON), person(*ON, ignore=1) | {"bbox": [300, 100, 30, 60]}, MISSED]
    on_region = (0, 300, 100, 30, 60, 0.95)
    found = (0, *ON, 0.9)
    evaluation, status = score(tmp_path, boxes, [on_region, found])
    assert status == [IGN, TP]
    assert evaluation.arrays["fppi_all"].tolist() == [0.0]
    assert evaluation.stats["MR_all"] == pytest.approx(0.5, abs=1e-15)
    # the same detection where there is no region is a false positive
    evaluation, status = score(tmp_path, boxes, [(0, 300, 300, 30, 60, 0.95), found])
    assert status == [FP, TP]
    assert evaluation.arrays["fppi_all"].tolist() == [0.01, 0.01]


def test_reasonable_box_is_preferred_to_an_ignore_region(tmp_path):
    region = person(100, 100, 30, 60, ignore=1)
    _, status = score(tmp_path, [[region, person(*ON)]], [(0, *ON, 0.9), (0, *ON, 0.8)])
    # first takes the reasonable box; the duplicate falls on the region
    assert status == [TP, IGN]


def test_duplicates_are_false_positives(tmp_path):
    evaluation, status = score(
        tmp_path, [[person(*ON), MISSED]], [(0, *ON, 0.9), (0, *ON, 0.8), (0, 101, 101, 30, 60, 0.7)]
    )
    assert status == [TP, FP, FP]
    assert evaluation.per_class[0].num_gt == 2


def test_highest_iou_wins_and_the_next_detection_takes_the_other_box(tmp_path):
    left, right = person(100, 100, 30, 60), person(115, 100, 30, 60)
    between = (108, 100, 30, 60)  # IoU 22/38 with left, 23/37 with right
    _, status = score(tmp_path, [[left, right]], [(0, *between, 0.9), (0, 100, 100, 30, 60, 0.8)])
    assert status == [TP, TP]
    gt = kaist.load_ground_truth(tmp_path / "gt.json")
    matches = kaist.match(gt, kaist.load_results(tmp_path / "dets.txt", gt))
    assert matches.gt_matched.tolist() == [True, True]


def test_detections_are_matched_in_score_order_not_upload_order(tmp_path):
    # the weaker detection comes first in the file; the stronger one must take the box
    _, status = score(tmp_path, [[person(*ON), MISSED]], [(0, *ON, 0.3), (0, *ON, 0.9)])
    assert status == [FP, TP]


def test_at_most_1000_detections_per_image(tmp_path):
    dets = [(0, 300, 300, 30, 60, 0.9 - i * 1e-4) for i in range(1000)] + [(0, *ON, 0.001)]
    evaluation, status = score(tmp_path, [[person(*ON)]], dets)
    assert status[-1] == 99  # the 1001st by score is dropped
    assert len(evaluation.arrays["fppi_all"]) == 1000


# ----------------------------------------------------------- images and miss rates


def test_image_without_ground_truth_adds_false_positives_and_an_image(tmp_path):
    evaluation, status = score(tmp_path, [[person(*ON)], []], [(0, *ON, 0.8), (1, *ON, 0.9)])
    assert status == [TP, FP]
    assert evaluation.arrays["fppi_all"].tolist() == [0.5, 0.5]


def test_people_on_images_without_detections_are_missed(tmp_path):
    # The script leaves such images out (MR 0 here); the Caltech rule counts them.
    evaluation, _ = score(tmp_path, [[person(*ON)], [person(*ON)]], [(0, *ON, 0.9)])
    assert evaluation.per_class[0].num_gt == 2
    assert evaluation.stats["MR_all"] == pytest.approx(0.5, abs=1e-15)


def test_no_detection_at_all_gives_miss_rate_one(tmp_path):
    evaluation, _ = score(tmp_path, [[person(*ON)], []], [(1, 300, 300, 30, 60, 0.5)])
    assert evaluation.stats["MR_all"] == 1.0
    assert evaluation.stats["AP50_all"] == 0.0


def test_hand_computed_log_average_miss_rate(tmp_path):
    # 100 images (one false positive = FPPI 0.01), 5 reasonable people, 4 found.
    boxes: list[list[dict]] = [[] for _ in range(100)]
    for i in range(5):
        boxes[i] = [person(*ON)]
    fp = (300, 300, 30, 60)
    order = ["tp", "fp", "tp", "fp", "fp", "fp", "tp"] + ["fp"] * 6 + ["tp"]
    dets, found, wrong = [], 0, 10
    for rank, kind in enumerate(order):
        s = 0.99 - rank * 0.05
        if kind == "tp":
            dets.append((found, *ON, s))
            found += 1
        else:
            dets.append((wrong, *fp, s))
            wrong += 1
    evaluation, _ = score(tmp_path, boxes, dets)
    # FPPI after each counted detection: 0 .01 .01 .02 .03 .04 .04 .05 ... .10 .10
    # recall at the nine points 0.01 .0178 .0316 | .0562 | .1 .1778 .3162 .5623 1: 2/5 x3, 3/5, 4/5 x5
    expected_mr = [0.6, 0.6, 0.6, 0.4, 0.2, 0.2, 0.2, 0.2, 0.2]
    np.testing.assert_allclose(evaluation.arrays["reference_miss_rate_all"], expected_mr, rtol=0, atol=1e-15)
    expected = math.exp((3 * math.log(0.6) + math.log(0.4) + 5 * math.log(0.2)) / 9)
    assert evaluation.stats["MR_all"] == pytest.approx(expected, rel=1e-14)
    assert evaluation.curves["subsets"]["all"]["log_average_miss_rate"] == evaluation.stats["MR_all"]


def test_a_reference_point_before_the_first_false_positive_has_miss_rate_one(tmp_path):
    # One image: the first false positive is already FPPI 1, so the points below 1 see
    # no detection (miss rate 1; the script would read the end of the curve there).
    evaluation, _ = score(tmp_path, [[person(*ON), MISSED]], [(0, 300, 300, 30, 60, 0.9), (0, *ON, 0.8)])
    np.testing.assert_array_equal(evaluation.arrays["reference_miss_rate_all"], [1.0] * 8 + [0.5])
    assert evaluation.stats["MR_all"] == pytest.approx(0.5 ** (1 / 9), rel=1e-14)


def test_full_recall_at_a_reference_point_gives_zero(tmp_path):
    evaluation, _ = score(tmp_path, [[person(*ON)]], [(0, *ON, 0.9)])
    assert evaluation.stats["MR_all"] == 0.0
    assert evaluation.stats["AP50_all"] == pytest.approx(1.0, abs=1e-12)


def test_day_and_night_are_scored_on_their_own_images(tmp_path):
    # images 0-1 day, 2-5 night; each domain's FPPI divides by its own image count
    boxes = [[person(*ON)], [MISSED], [person(*ON)], [], [MISSED], []]
    dets = [(0, *ON, 0.9), (2, *ON, 0.8), (3, 300, 300, 30, 60, 0.95)]
    evaluation, _ = score(tmp_path, boxes, dets, night_from=2)
    assert evaluation.curves["subsets"]["day"]["num_images"] == 2
    assert evaluation.curves["subsets"]["night"]["num_images"] == 4
    assert evaluation.stats["MR_day"] == pytest.approx(0.5, abs=1e-15)
    assert evaluation.arrays["fppi_day"].tolist() == [0.0]
    assert evaluation.arrays["fppi_night"].tolist() == [0.25, 0.25]
    assert evaluation.arrays["fppi_all"].tolist() == [1 / 6, 1 / 6, 1 / 6]
    # night: the false positive comes first at FPPI 0.25, so the six points below 0.25
    # see no detection (miss rate 1) and the last three see recall 1/2
    np.testing.assert_array_equal(evaluation.arrays["reference_miss_rate_night"], [1.0] * 6 + [0.5] * 3)
    assert evaluation.stats["MR_night"] == pytest.approx(0.5 ** (1 / 3), rel=1e-14)


def test_domain_without_reasonable_people_is_nan(tmp_path):
    evaluation, _ = score(tmp_path, [[person(*ON)], []], [(0, *ON, 0.9)], night_from=1)
    assert math.isnan(evaluation.stats["MR_night"])
    assert math.isnan(evaluation.stats["AP50_night"])
    assert evaluation.to_dict()["stats"]["MR_night"] is None


def test_hand_computed_ap50(tmp_path):
    # 2 people; ranked TP, FP, TP: precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1.
    # The envelope is 1 up to recall 1/2 (51 points) and 2/3 beyond (50 points).
    evaluation, _ = score(
        tmp_path,
        [[person(*ON)], [person(*ON)]],
        [(0, *ON, 0.9), (0, 300, 300, 30, 60, 0.8), (1, *ON, 0.7)],
    )
    assert evaluation.stats["AP50_all"] == pytest.approx((51 * 1 + 50 * 2 / 3) / 101, abs=1e-12)


def test_non_person_categories_are_left_out(tmp_path):
    gt_path = write_gt(tmp_path, [[person(*ON)]])
    data = json.loads(gt_path.read_text())
    data["categories"].append({"id": 2, "name": "cyclist"})
    data["annotations"].append({"id": 9, "image_id": 0, "category_id": 2, **person(300, 100, 30, 60)})
    gt_path.write_text(json.dumps(data))
    gt = kaist.load_ground_truth(gt_path)
    assert len(gt.box_id) == 1 and gt.other_category_boxes == 1
    results_path = tmp_path / "r.json"
    results_path.write_text(
        json.dumps(
            [
                {"image_id": 0, "category_id": 1, "bbox": list(ON), "score": 0.9},
                {"image_id": 0, "category_id": 2, "bbox": [300, 100, 30, 60], "score": 0.95},
            ]
        )
    )
    evaluation = kaist.evaluate(gt, kaist.load_results(results_path, gt))
    assert evaluation.stats["MR_all"] == 0.0
    assert evaluation.per_class[0].num_det == 1


def test_equal_iou_goes_to_the_later_box_of_the_file(tmp_path):
    left, right = person(100, 100, 30, 60), person(110, 100, 30, 60)
    centred = (105, 100, 30, 60)  # IoU 1500/2100 with both
    left_only = (95, 100, 30, 60)  # IoU 1500/2100 with left, 900/2700 with right
    _, status = score(tmp_path, [[left, right]], [(0, *centred, 0.9), (0, *left_only, 0.8)])
    assert status == [TP, TP]


# ------------------------------------------------------------------------ properties

PROPERTY_BOXES = [[person(100 + 7 * i, 100, 30, 60 + i), MISSED] if i % 3 else [] for i in range(120)]


@pytest.fixture(scope="module")
def property_gt(tmp_path_factory):
    return kaist.load_ground_truth(write_gt(tmp_path_factory.mktemp("kaist"), PROPERTY_BOXES, night_from=60))


detections_strategy = st.lists(
    st.tuples(
        st.integers(0, 119),
        st.floats(80, 200),
        st.floats(90, 110),
        st.floats(20, 40),
        st.floats(50, 80),
    ),
    min_size=1,
    max_size=60,
)


def as_results(gt, dets, scores) -> kaist.KaistResults:
    table = np.array(dets, dtype=np.float64).reshape(-1, 5)
    return kaist.KaistResults(
        source="generated",
        format="kaist-txt",
        image_id=table[:, 0].astype(np.int64),
        category_id=np.full(len(table), gt.person_category_id),
        xywh=table[:, 1:],
        score=np.asarray(scores, dtype=np.float64),
    )


@settings(max_examples=60, deadline=None)
@given(dets=detections_strategy, data=st.data())
def test_upload_order_never_matters_with_distinct_scores(property_gt, dets, data):
    scores = np.linspace(1.0, 0.01, len(dets))[data.draw(st.permutations(range(len(dets))))]
    order = data.draw(st.permutations(range(len(dets))))
    first = kaist.evaluate(property_gt, as_results(property_gt, dets, scores)).stats
    again = kaist.evaluate(property_gt, as_results(property_gt, [dets[i] for i in order], scores[order])).stats
    assert again == first


@settings(max_examples=60, deadline=None)
@given(dets=detections_strategy, extra_score=st.floats(0.0, 1.0), data=st.data())
def test_a_detection_on_an_image_without_people_never_helps(property_gt, dets, extra_score, data):
    scores = data.draw(st.lists(st.floats(0.0, 1.0), min_size=len(dets), max_size=len(dets)))
    before = kaist.evaluate(property_gt, as_results(property_gt, dets, scores)).stats
    empty_image = data.draw(st.sampled_from([i for i, boxes in enumerate(PROPERTY_BOXES) if not boxes]))
    after = kaist.evaluate(
        property_gt, as_results(property_gt, [*dets, (empty_image, 300, 300, 30, 60)], [*scores, extra_score])
    ).stats
    for name in ("MR_all", "MR_day", "MR_night"):
        assert after[name] >= before[name]
    for name in ("AP50_all", "AP50_day", "AP50_night"):
        assert after[name] <= before[name] + 1e-12
