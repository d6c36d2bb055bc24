"""The confusion matrix swept over the confidence threshold equals the matrix at each
threshold, and per-class IoU thresholds (KITTI's) hold each class to its own."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator import analysis
from tests.evaluator.test_analysis import analysis_inputs, make

THRESHOLDS = [0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0]


@settings(max_examples=150, deadline=None)
@given(data=analysis_inputs(), iou=st.sampled_from([0.3, 0.5, 0.7]), ioa=st.booleans())
def test_confusion_sweep_equals_the_matrix_at_every_threshold(data, iou, ioa):
    ignore_overlap = "ioa" if ioa else "iou"
    sweep = analysis.confusion_sweep(data, iou=iou, scores=THRESHOLDS, ignore_overlap=ignore_overlap)
    stored = sweep.to_dict()
    for t, threshold in enumerate(THRESHOLDS):
        expected = analysis.confusion_matrix(data, iou=iou, score=threshold, ignore_overlap=ignore_overlap).matrix
        np.testing.assert_array_equal(sweep.matrix(t), expected)
        # what the page rebuilds from the stored cells
        rebuilt = np.zeros_like(expected)
        for row, column, *counts in stored["cells"]:
            rebuilt[row, column] = counts[t] if t < len(counts) else 0
        k = len(data.category_names)
        rebuilt[:k, k] = np.array(stored["counted"]) - rebuilt[:k, :k].sum(axis=1)
        np.testing.assert_array_equal(rebuilt, expected)


def test_confusion_sweep_by_hand():
    data = make(
        1,
        ["car", "person"],
        [(0, 0, [0, 0, 10, 10], False), (0, 1, [20, 0, 30, 10], False)],
        [(0, 1, [0, 0, 10, 10], 0.9), (0, 1, [50, 50, 60, 60], 0.4), (0, 1, [20, 0, 30, 10], 0.2)],
    )
    sweep = analysis.confusion_sweep(data, iou=0.5, scores=[0.1, 0.5])
    # car taken by a person detection at 0.9; a background person at 0.4; the person found at 0.2
    assert sweep.matrix(0).tolist() == [[0, 1, 0], [0, 1, 0], [0, 1, 0]]
    assert sweep.matrix(1).tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    assert sweep.to_dict()["cells"] == [[0, 1, 1, 1], [1, 1, 1], [2, 1, 1]]


def test_per_class_iou_holds_each_class_to_its_own_threshold():
    # a car and a pedestrian each found with IoU 0.6: the car fails at 0.7, the pedestrian passes at 0.5
    data = make(
        1,
        ["Car", "Pedestrian"],
        [(0, 0, [0, 0, 10, 10], False), (0, 1, [20, 0, 30, 10], False)],
        [(0, 0, [0, 0, 10, 6], 0.9), (0, 1, [20, 0, 30, 6], 0.8)],
    )
    op = analysis.operating_point(data, iou=(0.7, 0.5), score=0.0)
    assert op.tp.tolist() == [0, 1] and op.fp.tolist() == [1, 0] and op.iou == [0.7, 0.5]
    errors = analysis.error_breakdown(data, iou=(0.7, 0.5), score=0.0)
    assert errors.counts["localisation"] == 1 and errors.true_positives == 1
    assert analysis.confusion_matrix(data, iou=(0.7, 0.5), score=0.0).matrix.tolist() == [
        [0, 0, 1],
        [0, 1, 0],
        [1, 0, 0],
    ]
    with pytest.raises(ValueError, match="one iou per class"):
        analysis.operating_point(data, iou=(0.7,), score=0.0)


@settings(max_examples=100, deadline=None)
@given(data=analysis_inputs(), ious=st.lists(st.sampled_from([0.3, 0.5, 0.7]), min_size=3, max_size=3))
def test_per_class_iou_equals_each_class_at_its_scalar_iou(data, ious):
    ious = tuple(ious[: len(data.category_names)])
    sweep = analysis.threshold_sweep(data, iou=ious, scores=THRESHOLDS)
    for k, iou in enumerate(ious):
        alone = analysis.threshold_sweep(data, iou=iou, scores=THRESHOLDS)
        for key in ("tp", "fp", "fn"):
            np.testing.assert_array_equal(sweep.per_class[key][k], alone.per_class[key][k])


FIELDS = ("det", "image", "category", "score", "status", "gt")


def _assert_same_matches(got, expected):
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), err_msg=name)


@settings(max_examples=100, deadline=None)
@given(data=analysis_inputs(), ioa=st.booleans())
def test_match_ious_equals_one_match_per_iou_and_grouping(data, ioa):
    ignore_overlap = "ioa" if ioa else "iou"
    ious = [0.5, 0.75, 0.3]
    matched = analysis.match_ious(data, ious, ignore_overlap=ignore_overlap)
    for iou, (by_class, agnostic) in zip(ious, matched, strict=True):
        _assert_same_matches(by_class, analysis.match(data, iou=iou, ignore_overlap=ignore_overlap))
        _assert_same_matches(agnostic, analysis.match(data, iou=iou, ignore_overlap=ignore_overlap, by_class=False))


@settings(max_examples=100, deadline=None)
@given(data=analysis_inputs(), keep=st.lists(st.booleans(), min_size=8, max_size=8), by_class=st.booleans())
def test_the_matching_of_a_subset_of_images_is_the_whole_matching_restricted(data, keep, by_class):
    images = [image for i, image in enumerate(data.image_ids) if keep[i]]
    subset = analysis.restrict(data, images)
    assert subset.data.image_ids == tuple(images)
    whole = analysis.match(data, iou=0.5, by_class=by_class)
    _assert_same_matches(subset.matches(whole), analysis.match(subset.data, iou=0.5, by_class=by_class))
