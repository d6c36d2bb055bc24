"""Operating-point analysis: hand-computed cases, a naive sequential reference, the
sweep against repeated operating points, and the real COCO and KAIST data."""

from __future__ import annotations

import contextlib
import io
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator import analysis
from evaluator.protocols import coco, kaist
from evaluator.types import AnalysisInput, BoxSet
from tests.conftest import shared_file

NAN = float("nan")


def make(images, classes, gts, dets):
    """gts: (image, class, box, ignore); dets: (image, class, box, score[, ignore])."""

    def boxset(rows, scored):
        n = len(rows)
        return BoxSet(
            image=np.array([r[0] for r in rows], dtype=np.int64).reshape(n),
            category=np.array([r[1] for r in rows], dtype=np.int64).reshape(n),
            xyxy=np.array([r[2] for r in rows], dtype=np.float64).reshape(n, 4),
            score=np.array([r[3] for r in rows], dtype=np.float64).reshape(n) if scored else None,
            ignore=np.array([(len(r) > 4 and r[4]) if scored else r[3] for r in rows], dtype=bool).reshape(n),
        )

    return AnalysisInput(tuple(range(images)), tuple(classes), boxset(gts, False), boxset(dets, True))


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b)


# ----------------------------------------------------------------- hand-computed cases


def test_true_positives_duplicates_and_threshold():
    data = make(
        1,
        ["car"],
        [(0, 0, [0, 0, 10, 10], False), (0, 0, [20, 0, 30, 10], False), (0, 0, [40, 0, 50, 10], False)],
        [
            (0, 0, [0, 0, 10, 10], 0.9),  # TP
            (0, 0, [1, 0, 11, 10], 0.8),  # duplicate of the same car: FP
            (0, 0, [22, 0, 32, 10], 0.5),  # IoU 80/120 = 0.667 with the second car: TP (score >= 0.5 is kept)
            (0, 0, [40, 0, 50, 10], 0.49),  # below the threshold: the third car is missed
            (0, 0, [100, 100, 110, 110], 0.7),  # on nothing: FP
        ],
    )
    op = analysis.operating_point(data, iou=0.5, score=0.5)
    assert (op.tp[0], op.fp[0], op.fn[0], op.ignored[0]) == (2, 2, 1, 0)
    assert op.precision[0] == pytest.approx(0.5)
    assert op.recall[0] == pytest.approx(2 / 3)
    assert op.f1[0] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert op.overall["tp"] == 2 and op.overall["f1"] == pytest.approx(op.f1[0])
    # a stricter IoU turns the shifted box into a false positive
    strict = analysis.operating_point(data, iou=0.7, score=0.5)
    assert (strict.tp[0], strict.fp[0], strict.fn[0]) == (1, 3, 2)


def test_greedy_follows_score_not_iou_and_takes_the_best_free_box():
    data = make(
        1,
        ["a"],
        [(0, 0, [0, 0, 10, 10], False), (0, 0, [3, 0, 13, 10], False)],
        [
            (0, 0, [1, 0, 11, 10], 0.6),  # IoU 0.818 with box 0, 0.538 with box 1: takes box 0
            (0, 0, [0, 0, 10, 10], 0.4),  # IoU 1 with box 0 (taken), 0.538 with box 1: takes box 1
            (0, 0, [0, 0, 10, 10], 0.3),  # both taken: FP
        ],
    )
    op = analysis.operating_point(data, score=0.0)
    assert (op.tp[0], op.fp[0], op.fn[0]) == (2, 1, 0)
    high_first = make(
        1,
        ["a"],
        [(0, 0, [0, 0, 10, 10], False)],
        [(0, 0, [0, 0, 10, 10], 0.2), (0, 0, [3, 0, 13, 10], 0.9)],  # the poorer box scores higher and wins
    )
    matches = analysis._match(high_first, iou=0.5, score=0.0, ignore_overlap="iou", by_class=True)
    assert matches.det.tolist() == [1, 0]
    assert matches.status.tolist() == [analysis.TRUE_POSITIVE, analysis.FALSE_POSITIVE]


def test_equal_scores_keep_input_order_and_equal_iou_goes_to_the_later_box():
    tie_score = make(
        1, ["a"], [(0, 0, [0, 0, 10, 10], False)], [(0, 0, [1, 0, 11, 10], 0.5), (0, 0, [0, 0, 10, 10], 0.5)]
    )
    matches = analysis._match(tie_score, iou=0.5, score=0.0, ignore_overlap="iou", by_class=True)
    assert matches.det.tolist() == [0, 1] and matches.status.tolist() == [1, 0]
    # detection 0 overlaps both boxes by 80/120; detection 1 only overlaps box 0 enough.
    tie_iou = make(
        1,
        ["a"],
        [(0, 0, [0, 0, 10, 10], False), (0, 0, [4, 0, 14, 10], False)],
        [(0, 0, [2, 0, 12, 10], 0.9), (0, 0, [-1, 0, 9, 10], 0.8)],
    )
    matches = analysis._match(tie_iou, iou=0.5, score=0.0, ignore_overlap="iou", by_class=True)
    assert matches.gt.tolist() == [1, 0]
    assert analysis.operating_point(tie_iou, score=0).tp[0] == 2


def test_ignored_boxes():
    data = make(
        1,
        ["person"],
        [
            (0, 0, [0, 0, 10, 10], True),  # ignored
            (0, 0, [0, 0, 10, 12], False),  # counts, overlaps the ignored box
            (0, 0, [100, 0, 200, 100], True),  # a large ignore region
        ],
        [
            (0, 0, [0, 0, 10, 10], 0.9),  # IoU 1 with the ignored box, 0.833 with the counted one: TP
            (0, 0, [0, 0, 10, 10], 0.8),  # counted box taken, on the ignored one: ignored
            (0, 0, [0, 0, 10, 11], 0.7),  # ignored boxes absorb any number of detections: ignored
            (0, 0, [110, 10, 130, 30], 0.6),  # inside the region: IoU 0.04, IoA 1
            (0, 0, [0, 0, 10, 10], 0.5, True),  # a detection flagged ignore takes no part
        ],
    )
    op = analysis.operating_point(data, score=0)
    assert (op.tp[0], op.fp[0], op.fn[0], op.ignored[0]) == (1, 1, 0, 2)
    ioa = analysis.operating_point(data, score=0, ignore_overlap="ioa")
    assert (ioa.tp[0], ioa.fp[0], ioa.fn[0], ioa.ignored[0]) == (1, 0, 0, 3)
    assert ioa.precision[0] == 1.0 and ioa.recall[0] == 1.0
    with pytest.raises(ValueError):
        analysis.operating_point(data, ignore_overlap="area")


def test_rates_are_nan_where_undefined_and_macro_skips_them():
    data = make(
        2,
        ["a", "b", "c", "d"],
        [(0, 0, [0, 0, 10, 10], False), (1, 0, [0, 0, 10, 10], False), (0, 3, [50, 50, 60, 60], False)],
        [
            (0, 0, [0, 0, 10, 10], 0.9),  # a: TP
            (1, 0, [0, 0, 10, 10], 0.2),  # a: below the threshold, the second box is missed
            (0, 1, [0, 0, 10, 10], 0.9),  # b has no ground truth: FP (classes never match each other)
        ],
    )
    op = analysis.operating_point(data, score=0.5)
    assert op.tp.tolist() == [1, 0, 0, 0] and op.fp.tolist() == [0, 1, 0, 0] and op.fn.tolist() == [1, 0, 0, 1]
    assert op.precision[0] == 1.0 and op.recall[0] == 0.5 and op.f1[0] == pytest.approx(2 / 3)
    assert op.precision[1] == 0.0 and math.isnan(op.recall[1]) and op.f1[1] == 0.0
    assert math.isnan(op.precision[2]) and math.isnan(op.recall[2]) and math.isnan(op.f1[2])
    assert math.isnan(op.precision[3]) and op.recall[3] == 0.0 and op.f1[3] == 0.0
    assert op.macro["precision"] == pytest.approx(0.5)  # a and b
    assert op.macro["recall"] == pytest.approx(0.25)  # a and d
    assert op.macro["f1"] == pytest.approx(2 / 9)  # a, b and d
    assert op.overall["precision"] == 0.5 and op.overall["recall"] == pytest.approx(1 / 3)
    out = json.loads(json.dumps(op.to_dict()))
    assert out["classes"][2]["precision"] is None and out["classes"][1]["fp"] == 1
    empty = analysis.operating_point(make(1, ["a"], [], []))
    assert math.isnan(empty.overall["f1"]) and math.isnan(empty.macro["f1"])


def test_confusion_matrix_cells():
    cat, dog, bird = 0, 1, 2
    data = make(
        2,
        ["cat", "dog", "bird"],
        [
            (0, cat, [0, 0, 10, 10], False),
            (0, dog, [0, 0, 10, 12], False),  # IoU 0.833 with the cat box
            (0, bird, [50, 50, 60, 60], False),
            (1, dog, [0, 0, 10, 10], False),
            (1, cat, [30, 30, 40, 40], True),  # ignored
        ],
        [
            (0, dog, [0, 0, 10, 10], 0.9),  # class-agnostic: takes the cat box (IoU 1) over its own class
            (0, cat, [0, 0, 10, 11], 0.8),  # takes the remaining dog box: IoU 0.917
            (0, bird, [0, 0, 10, 10], 0.7),  # both taken: background
            (1, dog, [0, 0, 10, 10], 0.95),  # correct
            (1, bird, [30, 30, 40, 40], 0.9),  # on the ignored cat box: dropped
            (1, cat, [70, 70, 80, 80], 0.6),  # on nothing: background
            (1, cat, [0, 0, 10, 10], 0.3),  # below the threshold
        ],
    )
    conf = analysis.confusion_matrix(data, score=0.5)
    expected = np.zeros((4, 4), dtype=np.int64)
    expected[cat, dog] = 1
    expected[dog, cat] = 1
    expected[3, bird] = 1
    expected[dog, dog] = 1
    expected[3, cat] = 1
    expected[bird, 3] = 1  # the bird is missed
    np.testing.assert_array_equal(conf.matrix, expected)
    assert conf.ignored == 1 and conf.labels == ("cat", "dog", "bird", "background")
    out = json.loads(json.dumps(conf.to_dict()))
    assert out["matrix"][3][3] is None and out["matrix"][0][1] == 1
    # matched per class, both detections on image 0 find their own class: the diagonal is below TP
    op = analysis.operating_point(data, score=0.5)
    assert op.tp.tolist() == [1, 2, 0] and np.trace(conf.matrix) == 1


def test_threshold_sweep_by_hand():
    data = make(
        1,
        ["a"],
        [(0, 0, [0, 0, 10, 10], False), (0, 0, [20, 0, 30, 10], False)],
        [(0, 0, [0, 0, 10, 10], 0.9), (0, 0, [50, 0, 60, 10], 0.8), (0, 0, [20, 0, 30, 10], 0.4)],
    )
    sweep = analysis.threshold_sweep(data)
    assert sweep.thresholds.tolist() == [0.4, 0.8, 0.9]
    assert sweep.overall["tp"].tolist() == [2, 1, 1]
    assert sweep.overall["fp"].tolist() == [1, 1, 0]
    assert sweep.overall["fn"].tolist() == [0, 1, 1]
    np.testing.assert_allclose(sweep.overall["f1"], [0.8, 0.5, 2 / 3])
    assert sweep.best == {"threshold": 0.4, "f1": pytest.approx(0.8), "precision": pytest.approx(2 / 3), "recall": 1.0}
    assert sweep.best_per_class[0]["threshold"] == 0.4
    explicit = analysis.threshold_sweep(data, scores=[1.0, 0.0])
    assert explicit.thresholds.tolist() == [0.0, 1.0]
    assert explicit.overall["tp"].tolist() == [2, 0] and math.isnan(explicit.overall["precision"][1])
    json.dumps(sweep.to_dict())


def test_threshold_sweep_keeps_at_most_200_thresholds():
    rng = np.random.default_rng(1)
    boxes = rng.uniform(0, 100, (500, 2))
    xyxy = np.hstack([boxes, boxes + 10]).tolist()
    data = make(
        3, ["a"], [(0, 0, xyxy[0], False)], [(i % 3, 0, xyxy[i], float(s)) for i, s in enumerate(rng.random(500))]
    )
    sweep = analysis.threshold_sweep(data)
    scores = data.detections.score
    assert len(sweep.thresholds) == analysis.MAX_THRESHOLDS
    assert sweep.thresholds[0] == scores.min() and sweep.thresholds[-1] == scores.max()
    assert np.all(np.diff(sweep.thresholds) > 0) and np.isin(sweep.thresholds, scores).all()


def test_miss_rate_and_log_average_by_hand():
    # 100 images, two pedestrians: a hit, five false positives, the second hit, then 300 more false positives
    gts = [(0, 0, [0, 0, 10, 10], False), (1, 0, [0, 0, 10, 10], False)]
    dets = [(0, 0, [0, 0, 10, 10], 0.99)]
    dets += [(2 + i, 0, [0, 0, 10, 10], 0.9 - i * 0.01) for i in range(5)]
    dets += [(1, 0, [0, 0, 10, 10], 0.5)]
    dets += [(50 + i % 50, 0, [0, 0, 10, 10], 0.4 - i * 1e-4) for i in range(300)]
    result = analysis.miss_rate_fppi(make(100, ["person"], gts, dets))
    curve = result.overall
    assert curve.num_gt == 2 and curve.num_det == 307
    assert curve.fppi[:7].tolist() == pytest.approx([0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.05])
    assert curve.miss_rate[:7].tolist() == [0.5] * 6 + [0.0]
    # reference FPPI 0.01, 0.0178, 0.0316 (< 0.05): 0.5; from 0.0562 on: 0, counted as 1e-10
    np.testing.assert_allclose(curve.reference_miss_rate, [0.5] * 3 + [0.0] * 6)
    assert curve.log_average_miss_rate == pytest.approx(math.exp((3 * math.log(0.5) + 6 * math.log(1e-10)) / 9))
    assert result.per_class[0].log_average_miss_rate == curve.log_average_miss_rate
    np.testing.assert_allclose(result.reference_fppi, 10 ** np.arange(-2, 0.01, 0.25))

    # ten images: the first detection is already a false positive at FPPI 0.1, so the
    # four reference points below it have miss rate 1 (nothing detected yet).
    early = analysis.miss_rate_fppi(
        make(10, ["person"], gts[:1], [(5, 0, [0, 0, 10, 10], 0.9), (0, 0, [0, 0, 10, 10], 0.8)])
    ).overall
    np.testing.assert_allclose(early.reference_miss_rate, [1, 1, 1, 1, 0, 0, 0, 0, 0])
    assert early.log_average_miss_rate == pytest.approx(1e-10 ** (5 / 9))
    out = json.loads(json.dumps(result.to_dict()))
    assert all(f > 0 for f in out["overall"]["fppi"]) and len(out["overall"]["fppi"]) <= analysis.CURVE_POINTS
    nobody = analysis.miss_rate_fppi(make(2, ["person", "car"], gts, dets[:1])).per_class[1]
    assert math.isnan(nobody.log_average_miss_rate)


# ------------------------------------------------- a naive sequential reference, random data


def naive_match(data, iou, score, ioa, by_class):
    """The documented rule as plain loops: returns {det index: (status, gt index)}."""
    gts, dets = data.ground_truth, data.detections

    def overlap(d, g, use_ioa):
        w = min(d[2], g[2]) - max(d[0], g[0])
        h = min(d[3], g[3]) - max(d[1], g[1])
        inter = w * h if w > 0 and h > 0 else 0.0
        da = (d[2] - d[0]) * (d[3] - d[1])
        union = da if use_ioa else da + (g[2] - g[0]) * (g[3] - g[1]) - inter
        return inter / union if union > 0 else 0.0

    def group(image, category):
        return (int(image), int(category)) if by_class else int(image)

    out = {}
    taken = set()
    order = sorted(
        (i for i in range(len(dets)) if dets.score[i] >= score and not dets.ignore[i]),
        key=lambda i: (-dets.score[i], i),
    )
    for i in order:
        key = group(dets.image[i], dets.category[i])
        members = [j for j in range(len(gts)) if group(gts.image[j], gts.category[j]) == key]
        best, best_iou = -1, iou
        for j in members:
            if gts.ignore[j] or j in taken:
                continue
            o = overlap(dets.xyxy[i], gts.xyxy[j], False)
            if o >= best_iou:
                best, best_iou = j, o
        if best >= 0:
            taken.add(best)
            out[i] = (analysis.TRUE_POSITIVE, best)
        elif any(gts.ignore[j] and overlap(dets.xyxy[i], gts.xyxy[j], ioa) >= iou for j in members):
            out[i] = (analysis.IGNORED, -1)
        else:
            out[i] = (analysis.FALSE_POSITIVE, -1)
    return out


@st.composite
def analysis_inputs(draw):
    images = draw(st.integers(1, 3))
    classes = draw(st.integers(1, 3))

    def box():
        x, y = draw(st.integers(0, 6)), draw(st.integers(0, 6))
        return [x, y, x + draw(st.integers(1, 4)), y + draw(st.integers(1, 4))]

    gts = [
        (draw(st.integers(0, images - 1)), draw(st.integers(0, classes - 1)), box(), draw(st.booleans()))
        for _ in range(draw(st.integers(0, 8)))
    ]
    dets = [
        (
            draw(st.integers(0, images - 1)),
            draw(st.integers(0, classes - 1)),
            box(),
            draw(st.sampled_from([0.1, 0.3, 0.5, 0.7, 0.9])),
            draw(st.integers(0, 9)) == 0,
        )
        for _ in range(draw(st.integers(0, 14)))
    ]
    return make(images, [f"c{k}" for k in range(classes)], gts, dets)


@settings(max_examples=200, deadline=None)
@given(
    data=analysis_inputs(),
    iou=st.sampled_from([0.3, 0.5, 0.7]),
    score=st.sampled_from([0.0, 0.5]),
    ioa=st.booleans(),
)
def test_matching_equals_a_sequential_loop(data, iou, score, ioa):
    ignore_overlap = "ioa" if ioa else "iou"
    for by_class in (True, False):
        matches = analysis._match(data, iou=iou, score=score, ignore_overlap=ignore_overlap, by_class=by_class)
        got = {int(d): (int(s), int(g)) for d, s, g in zip(matches.det, matches.status, matches.gt, strict=True)}
        assert got == naive_match(data, iou, score, ioa, by_class)
    conf = analysis.confusion_matrix(data, iou=iou, score=score, ignore_overlap=ignore_overlap)
    counted = ~data.ground_truth.ignore
    num_classes = len(data.category_names)
    np.testing.assert_array_equal(
        conf.matrix[:num_classes].sum(axis=1), np.bincount(data.ground_truth.category[counted], minlength=num_classes)
    )
    kept = (data.detections.score >= score) & ~data.detections.ignore
    assert conf.matrix[:, :num_classes].sum() + conf.ignored == kept.sum()
    assert conf.matrix[-1, -1] == 0


def test_matching_with_long_conflict_chains_equals_a_sequential_loop():
    rng = np.random.default_rng(7)
    centres = rng.uniform(0, 60, (40, 2))
    gts = [(0, 0, [*c, *(c + 12)], bool(rng.random() < 0.1)) for c in centres]
    jitter = rng.normal(0, 3, (400, 2))
    dets = [
        (0, 0, [*(centres[i % 40] + j), *(centres[i % 40] + j + 12)], float(rng.random())) for i, j in enumerate(jitter)
    ]
    data = make(1, ["a"], gts, dets)
    for ioa in (False, True):
        matches = analysis._match(data, iou=0.4, score=0.0, ignore_overlap="ioa" if ioa else "iou", by_class=True)
        got = {int(d): (int(s), int(g)) for d, s, g in zip(matches.det, matches.status, matches.gt, strict=True)}
        assert got == naive_match(data, 0.4, 0.0, ioa, True)


@settings(max_examples=150, deadline=None)
@given(data=analysis_inputs(), iou=st.sampled_from([0.3, 0.5]), ioa=st.booleans())
def test_sweep_equals_operating_points_at_every_threshold(data, iou, ioa):
    ignore_overlap = "ioa" if ioa else "iou"
    thresholds = [0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0]
    sweep = analysis.threshold_sweep(data, iou=iou, scores=thresholds, ignore_overlap=ignore_overlap)
    assert sweep.thresholds.tolist() == thresholds
    best_f1, best_at = NAN, NAN
    for t, threshold in enumerate(thresholds):
        op = analysis.operating_point(data, iou=iou, score=threshold, ignore_overlap=ignore_overlap)
        for key in ("tp", "fp", "fn"):
            np.testing.assert_array_equal(sweep.per_class[key][:, t], getattr(op, key))
            assert sweep.overall[key][t] == op.overall[key]
        for key in ("precision", "recall", "f1"):
            np.testing.assert_array_equal(sweep.per_class[key][:, t], getattr(op, key))
            assert same(sweep.overall[key][t], op.overall[key])
        kept = data.detections.score[~data.detections.ignore]
        if threshold in kept and not math.isnan(op.overall["f1"]) and not op.overall["f1"] < best_f1:
            best_f1, best_at = op.overall["f1"], threshold
    # the best F1 over the distinct scores: the highest threshold among equal F1s
    if len(kept):
        assert same(sweep.best["f1"], best_f1) and same(sweep.best["threshold"], best_at)
    else:
        assert math.isnan(sweep.best["threshold"])
        assert same(sweep.best["f1"], 0.0 if (~data.ground_truth.ignore).any() else NAN)


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def coco_demo():
    gt = coco.load_ground_truth(shared_file("coco-val2014-100/instances_val2014_100.json"))
    results = coco.load_results(shared_file("coco-val2014-100/instances_val2014_fakebbox100_results.json"), gt)
    return gt, results, coco.analysis_input(gt, results)


def pycocotools_counts(gt):
    """Per category at IoU 0.5, area all, maxDets 100, from pycocotools' own matches:
    true positives, false positives (not dtIgnore) and the recall it reports."""
    coco_module = pytest.importorskip("pycocotools.coco")
    cocoeval_module = pytest.importorskip("pycocotools.cocoeval")
    path = shared_file("coco-val2014-100/instances_val2014_100.json")
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = coco_module.COCO(str(path))
        coco_dt = coco_gt.loadRes(str(shared_file("coco-val2014-100/instances_val2014_fakebbox100_results.json")))
        coco_eval = cocoeval_module.COCOeval(coco_gt, coco_dt, "bbox")
        coco_eval.evaluate()
        coco_eval.accumulate()
    tp = np.zeros(len(gt.category_ids), dtype=np.int64)
    fp = np.zeros_like(tp)
    for record in coco_eval.evalImgs:
        if record is None or record["aRng"] != [0, 1e10] or record["maxDet"] != 100:
            continue
        k = int(np.searchsorted(gt.category_ids, record["category_id"]))
        matched, ignored = record["dtMatches"][0] > 0, record["dtIgnore"][0].astype(bool)
        tp[k] += int(np.count_nonzero(matched & ~ignored))
        fp[k] += int(np.count_nonzero(~matched & ~ignored))
    return tp, fp, coco_eval.eval["recall"][0, :, 0, 2]


def test_coco_demo_matches_pycocotools_at_iou_half_and_no_threshold(coco_demo):
    gt, _, data = coco_demo
    # at most 100 detections per image and category, so pycocotools' maxDets=100 keeps them all,
    # and no score is negative, so score >= 0 keeps every detection too
    _, per_group = np.unique(data.detections.image * 1000 + data.detections.category, return_counts=True)
    assert per_group.max() <= 100 and data.detections.score.min() >= 0
    tp, fp, coco_recall = pycocotools_counts(gt)
    op = analysis.operating_point(data, iou=0.5, score=0.0, ignore_overlap="ioa")
    np.testing.assert_array_equal(op.tp, tp)
    np.testing.assert_array_equal(op.fp, fp)
    has_gt = coco_recall > -1
    np.testing.assert_allclose(op.recall[has_gt], coco_recall[has_gt], rtol=0, atol=1e-12)
    assert np.isnan(op.recall[~has_gt]).all()
    # crowd regions only change which unmatched detections are ignored, never the true positives
    by_iou = analysis.operating_point(data, iou=0.5, score=0.0)
    np.testing.assert_array_equal(by_iou.tp, tp)
    assert (by_iou.fp >= fp).all() and by_iou.fp.sum() + by_iou.ignored.sum() == fp.sum() + op.ignored.sum()
    assert op.overall["tp"] == tp.sum() == 649
    assert op.overall["recall"] == pytest.approx(649 / int((~gt.iscrowd).sum()))

    conf = analysis.confusion_matrix(data, iou=0.5, score=0.0, ignore_overlap="ioa")
    num_classes = len(gt.category_ids)
    np.testing.assert_array_equal(conf.matrix[:num_classes].sum(axis=1), tp + op.fn)
    dropped = np.bincount(data.detections.category[_dropped(data, conf)], minlength=num_classes)
    np.testing.assert_array_equal(
        conf.matrix[:, :num_classes].sum(axis=0) + dropped, np.bincount(data.detections.category, minlength=num_classes)
    )
    assert dropped.sum() == conf.ignored
    assert np.trace(conf.matrix[:num_classes, :num_classes]) <= tp.sum()

    sweep = analysis.threshold_sweep(data, iou=0.5, ignore_overlap="ioa")
    assert sweep.overall["tp"][0] == 649 and sweep.overall["fp"][0] == fp.sum()
    assert len(sweep.thresholds) == analysis.MAX_THRESHOLDS
    rates = analysis.miss_rate_fppi(data, ignore_overlap="ioa")
    assert rates.overall.miss_rate[-1] == pytest.approx(1 - 649 / int((~gt.iscrowd).sum()))
    json.dumps([op.to_dict(), conf.to_dict(), sweep.to_dict(), rates.to_dict()])


def _dropped(data, conf):
    matches = analysis._match(data, iou=conf.iou, score=conf.score, ignore_overlap=conf.ignore_overlap, by_class=False)
    return matches.det[matches.status == analysis.IGNORED]


def test_kaist_log_average_miss_rate_equals_the_benchmark():
    gt = kaist.load_ground_truth(shared_file("kaist-daynight/KAIST_annotation.json"))
    results = kaist.load_results(shared_file("kaist-daynight/detections/MBNet_result.txt"), gt)
    rates = analysis.miss_rate_fppi(kaist.analysis_input(gt, results), iou=0.5, ignore_overlap="ioa")
    # MR^-2 "all" printed by the benchmark's own evaluation script (see test_kaist_parity)
    assert rates.overall.log_average_miss_rate == pytest.approx(0.08129524623975791, abs=1e-9)
    assert rates.overall.num_gt == 1455 and rates.num_images == 2252


def test_error_breakdown_gives_each_mistake_one_cause():
    from evaluator.analysis import error_breakdown

    def box(x, y, w=10.0, h=10.0):
        return [x, y, x + w, y + h]

    # Image 0: class 0 object A at (0,0); class 1 object B at (100,0); class 0 object C at (200,0) never found.
    gt = BoxSet(
        image=np.array([0, 0, 0]),
        category=np.array([0, 1, 0]),
        xyxy=np.array([box(0, 0), box(100, 0), box(200, 0)], dtype=float),
        score=None,
        ignore=np.zeros(3, dtype=bool),
    )
    dets = BoxSet(
        image=np.zeros(6, dtype=np.int64),
        category=np.array([0, 0, 0, 0, 1, 1]),
        xyxy=np.array(
            [
                box(0, 0),  # true positive on A
                box(0, 0),  # duplicate of A
                box(100, 0),  # class 0 on B: classification
                box(4, 0),  # class 0 shifted on A: IoU 6*10/(140) = 0.43: localisation
                box(6, 0),  # class 1 near A: IoU 4*10/160 = 0.25 with another class only: both
                box(500, 500),  # background
            ],
            dtype=float,
        ),
        score=np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4]),
        ignore=np.zeros(6, dtype=bool),
    )
    data = AnalysisInput(image_ids=(1,), category_names=("a", "b"), ground_truth=gt, detections=dets)
    result = error_breakdown(data)
    assert result.true_positives == 1
    assert result.counts == {
        "classification": 1, "localisation": 1, "both": 1, "duplicate": 1, "background": 1, "missed": 2,
    }  # fmt: skip  # the counts on one line
    classes = {row["name"]: row for row in result.to_dict()["classes"]}
    assert classes["a"]["missed"] == 1 and classes["b"]["missed"] == 1
    assert classes["b"]["both"] == 1 and classes["b"]["background"] == 1


_SPECIAL_SCORES = [0.0, -0.0, 1.0, -1.0, 0.5, np.inf, -np.inf, 5e-324, -5e-324, 1e308, -1e308, 2.0**-1022]


@settings(max_examples=200, deadline=None)
@given(
    special=st.lists(st.sampled_from(_SPECIAL_SCORES), max_size=40),
    length=st.integers(0, 3000),
    levels=st.integers(1, 1000),
    seed=st.integers(0, 2**16),
    nan=st.booleans(),
)
def test_descending_order_equals_numpy_stable_argsort(special, length, levels, seed, nan):
    # radix passes on long inputs (numpy's sort on short ones and with NaN): the same order, ties in input order
    rng = np.random.default_rng(seed)
    scores = np.concatenate([rng.integers(-levels, levels, length) / levels, special, [np.nan] * nan])
    scores = scores[rng.permutation(len(scores))]
    order = analysis.descending_order(scores)
    assert order.dtype == np.int64
    np.testing.assert_array_equal(order, np.argsort(-scores, kind="stable"))


def test_radix_descending_equals_numpy_on_float32_scores():
    scores = np.random.default_rng(3).random(20_000).astype(np.float32).astype(np.float64)
    order, done = analysis._radix_descending(np.concatenate([scores, -scores, [0.0, -0.0] * 50]))
    assert done
    np.testing.assert_array_equal(
        order, np.argsort(-np.concatenate([scores, -scores, [0.0, -0.0] * 50]), kind="stable")
    )
    assert not analysis._radix_descending(np.array([0.5, np.nan]))[1]


def _count_at_least_by_numpy(key, num_keys, values, thresholds):
    """count_at_least by searchsorted, bincount and a reversed cumulative sum."""
    num_t = len(thresholds)
    step = np.searchsorted(thresholds, values, side="right") - 1
    inside = step >= 0
    flat = np.bincount(np.asarray(key, dtype=np.int64)[inside] * num_t + step[inside], minlength=num_keys * num_t)
    return np.cumsum(flat.reshape(num_keys, num_t)[:, ::-1], axis=1)[:, ::-1].astype(np.int64)


@settings(max_examples=200, deadline=None)
@given(
    num_keys=st.integers(1, 5),
    thresholds=st.lists(st.sampled_from([*_SPECIAL_SCORES, 0.25, 0.75, 2.0]), max_size=8, unique=True),
    values=st.lists(st.sampled_from([*_SPECIAL_SCORES, 0.25, 0.3, 0.75, np.nan]), max_size=60),
    seed=st.integers(0, 2**16),
)
def test_count_at_least_equals_searchsorted_and_bincount(num_keys, thresholds, values, seed):
    # values on, between, below and above the thresholds (NaN above all, -0.0 equal to 0.0), empty
    # keys, no thresholds, no values
    thresholds = np.unique(np.array(thresholds, dtype=np.float64))
    values = np.array(values, dtype=np.float64)
    key = np.random.default_rng(seed).integers(0, num_keys, len(values))
    got = analysis.count_at_least(key, num_keys, values, thresholds)
    assert got.dtype == np.int64 and got.shape == (num_keys, len(thresholds))
    np.testing.assert_array_equal(got, _count_at_least_by_numpy(key, num_keys, values, thresholds))


@pytest.mark.parametrize("num_t", [0, 1, 64, 65, 200])
def test_count_at_least_by_count_and_by_bisection(num_t):
    # up to 64 thresholds are counted, more bisected: values on every threshold and between them
    rng = np.random.default_rng(num_t)
    thresholds = np.unique(np.round(rng.random(num_t), 3)) if num_t > 1 else np.zeros(num_t)
    values = np.concatenate([thresholds, np.round(rng.random(3000), 3), [-np.inf, np.inf, np.nan, -0.0]])
    key = rng.integers(0, 7, len(values))
    got = analysis.count_at_least(key, 7, values, thresholds)
    np.testing.assert_array_equal(got, _count_at_least_by_numpy(key, 7, values, thresholds))
