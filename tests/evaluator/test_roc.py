"""Image-level ROC: the curve and AUC equal scikit-learn's on the same labels and scores
(hand cases with ties, random cases, the real COCO sample), and the labels follow the
image-level rule (ignored-only images left out, ignored detections not counted)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator import roc
from evaluator.protocols import coco
from tests.conftest import shared_file
from tests.evaluator.test_analysis import analysis_inputs, make

metrics = pytest.importorskip("sklearn.metrics")


def sklearn_agrees(labels, scores, curve):
    fpr, tpr, thresholds = metrics.roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(curve.fpr, fpr, rtol=0, atol=1e-12)
    np.testing.assert_allclose(curve.tpr, tpr, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(curve.thresholds[1:], thresholds[1:])
    assert abs(curve.auc - metrics.roc_auc_score(labels, scores)) <= 1e-12


def test_ties_form_one_step_as_in_scikit_learn():
    labels = np.array([1, 0, 1, 1, 0, 0, 1, 0], dtype=bool)
    scores = np.array([0.9, 0.9, 0.7, 0.5, 0.5, 0.5, 0.2, 0.1])
    curve = roc.roc_curve("x", labels, scores)
    assert curve.thresholds[0] == math.inf and curve.thresholds[1:].tolist() == [0.9, 0.7, 0.5, 0.2, 0.1]
    assert curve.tpr.tolist() == [0, 0.25, 0.5, 0.75, 1.0, 1.0]
    assert curve.fpr.tolist() == [0, 0.25, 0.25, 0.75, 0.75, 1.0]
    sklearn_agrees(labels, scores, curve)


def test_undefined_without_positives_or_negatives():
    assert math.isnan(roc.roc_curve("x", np.ones(3, bool), np.array([0.1, 0.2, 0.3])).auc)
    assert math.isnan(roc.roc_curve("x", np.zeros(0, bool), np.zeros(0)).auc)


@settings(max_examples=100, deadline=None)
@given(
    labels=st.lists(st.booleans(), min_size=2, max_size=60),
    levels=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_random_scores_with_ties_equal_scikit_learn(labels, levels, seed):
    labels = np.array(labels)
    if labels.all() or not labels.any():
        labels[0] = not labels[0]
    scores = np.random.default_rng(seed).integers(0, levels, len(labels)) / levels
    sklearn_agrees(labels, scores, roc.roc_curve("x", labels, scores))


def test_image_level_labels_and_scores_by_hand():
    # image 0: a car (TP-able) and a detected car at 0.8; image 1: only a crowd-like ignored car;
    # image 2: no car, a car detection at 0.6 and an ignored detection at 0.99; image 3: a car, not detected.
    data = make(
        4,
        ["car"],
        [(0, 0, [0, 0, 10, 10], False), (1, 0, [0, 0, 10, 10], True), (3, 0, [0, 0, 10, 10], False)],
        [
            (0, 0, [50, 50, 60, 60], 0.8),
            (0, 0, [0, 0, 10, 10], 0.3),
            (2, 0, [0, 0, 5, 5], 0.6),
            (2, 0, [0, 0, 5, 5], 0.99, True),
        ],
    )
    labels, scores, part = roc.image_scores(data)
    assert labels.tolist() == [[True, False, False, True]]
    assert part.tolist() == [[True, False, True, True]]
    assert scores.tolist() == [[0.8, -1.0, 0.6, -1.0]]
    result = roc.image_roc(data)
    # positives {0.8, none}, negative {0.6}: 0.8 ranks above the negative, the undetected one below
    assert result.per_class[0].auc == 0.5 and result.overall.auc == 0.5
    assert (result.per_class[0].positives, result.per_class[0].negatives) == (2, 1)


@settings(max_examples=100, deadline=None)
@given(data=analysis_inputs())
def test_per_class_pooled_and_macro_equal_scikit_learn(data):
    labels, scores, part = roc.image_scores(data)
    result = roc.image_roc(data)
    aucs = []
    for k, curve in enumerate(result.per_class):
        y, s = labels[k][part[k]], scores[k][part[k]]
        if y.any() and not y.all():
            sklearn_agrees(y, s, curve)
            aucs.append(metrics.roc_auc_score(y, s))
        else:
            assert math.isnan(curve.auc)
    if aucs:
        assert abs(result.macro_auc - np.mean(aucs)) <= 1e-12
    y, s = labels[part], scores[part]
    if y.any() and not y.all():
        sklearn_agrees(y, s, result.overall)


def test_real_coco_sample_equals_scikit_learn():
    gt = coco.load_ground_truth(shared_file("coco-val2014-100/instances_val2014_100.json"))
    results = coco.load_results(shared_file("coco-val2014-100/instances_val2014_fakebbox100_results.json"), gt)
    data = coco.analysis_input(gt, results)
    labels, scores, part = roc.image_scores(data)
    result = roc.image_roc(data)
    sklearn_agrees(labels[part], scores[part], result.overall)
    defined = 0
    for k, curve in enumerate(result.per_class):
        y, s = labels[k][part[k]], scores[k][part[k]]
        if y.any() and not y.all():
            sklearn_agrees(y, s, curve)
            defined += 1
    assert defined >= 20
    assert 0.5 < result.overall.auc < 1.0
    stored = result.to_dict()
    assert len(stored["overall"]["fpr"]) <= roc.CURVE_POINTS and stored["overall"]["thresholds"][0] is None
    assert stored["auc"] == result.overall.auc


def test_point_at_a_threshold_keeps_the_images_scoring_at_least_it():
    labels = np.array([1, 0, 1, 1, 0, 0, 1, 0], dtype=bool)
    scores = np.array([0.9, 0.9, 0.7, 0.5, 0.5, 0.5, 0.2, 0.1])
    curve = roc.roc_curve("x", labels, scores)
    thresholds = np.array([0.0, 0.1, 0.3, 0.5, 0.95, 0.6])
    fpr, tpr = curve.at(thresholds)
    for t, f, p in zip(thresholds, fpr, tpr, strict=True):
        kept = scores >= t
        assert p == (kept & labels).sum() / labels.sum() and f == (kept & ~labels).sum() / (~labels).sum()


def test_coarse_curve_steps_by_enough_pairs_and_keeps_the_auc():
    rng = np.random.default_rng(5)
    labels = rng.random(300) < 0.4
    scores = np.round(rng.random(300), 3)
    curve = roc.roc_curve("x", labels, scores)
    coarse = curve.coarse(25)
    assert coarse.auc == curve.auc
    assert coarse.fpr[0] == coarse.tpr[0] == 0 and coarse.fpr[-1] == coarse.tpr[-1] == 1
    assert np.diff(coarse.scored).min() >= 25 and len(coarse.scored) < len(curve.scored)
    kept = {float(t): (f, p) for t, f, p in zip(curve.thresholds, curve.fpr, curve.tpr, strict=True)}
    for t, f, p in zip(coarse.thresholds, coarse.fpr, coarse.tpr, strict=True):
        assert kept[float(t)] == (f, p)  # points of the exact curve


def _coarse_by_every_point(scored: np.ndarray, min_step: int) -> np.ndarray:
    """The points ``coarse`` keeps, by its rule checked at every point in turn."""
    keep = np.zeros(len(scored), dtype=bool)
    keep[0] = keep[-1] = True
    last = 0
    for i in range(1, len(scored) - 1):
        if scored[i] - last >= min_step and scored[-1] - scored[i] >= min_step:
            keep[i], last = True, scored[i]
    return keep


@settings(max_examples=200, deadline=None)
@given(
    labels=st.lists(st.booleans(), min_size=1, max_size=300),
    ties=st.integers(1, 40),
    min_step=st.integers(1, 30),
    seed=st.integers(0, 1000),
)
def test_coarse_keeps_the_points_of_its_rule(labels, ties, min_step, seed):
    scores = np.random.default_rng(seed).integers(0, ties, len(labels)).astype(np.float64)
    curve = roc.roc_curve("c", np.array(labels), scores)
    keep = _coarse_by_every_point(curve.scored, min_step)
    coarse = curve.coarse(min_step)
    np.testing.assert_array_equal(coarse.scored, curve.scored[keep])
    np.testing.assert_array_equal(coarse.fpr, curve.fpr[keep])


def _plain_curve(labels: np.ndarray, scores: np.ndarray) -> tuple:
    """One curve by the plain numpy computation (a sort of its own, one pass per figure)."""
    order = np.argsort(-scores, kind="stable")
    scores, labels = scores[order], labels[order]
    last_of_value = np.append(np.flatnonzero(np.diff(scores)), len(scores) - 1) if len(scores) else np.zeros(0, int)
    tps = np.cumsum(labels)[last_of_value].astype(np.float64)
    fps = (last_of_value + 1) - tps
    positives, negatives = int(labels.sum()), int(len(labels) - labels.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        tpr = np.append(0.0, tps) / positives if positives else np.full(len(tps) + 1, np.nan)
        fpr = np.append(0.0, fps) / negatives if negatives else np.full(len(fps) + 1, np.nan)
    thresholds = np.append(np.inf, scores[last_of_value])
    auc = float(np.trapezoid(tpr, fpr)) if positives and negatives else float("nan")
    return fpr, tpr, thresholds, auc, positives, negatives, np.append(0, last_of_value + 1).astype(np.int64)


def assert_plain(curve: roc.RocCurve, labels: np.ndarray, scores: np.ndarray) -> None:
    fpr, tpr, thresholds, auc, positives, negatives, scored = _plain_curve(labels, scores)
    for got, want in ((curve.fpr, fpr), (curve.tpr, tpr), (curve.thresholds, thresholds), (curve.scored, scored)):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)  # NaN where NaN, every other value to the bit
    assert (curve.positives, curve.negatives) == (positives, negatives)
    assert (math.isnan(curve.auc) and math.isnan(auc)) or curve.auc == auc


def assert_image_roc_is_plain(data) -> None:
    labels, scores, part = roc.image_scores(data)
    result = roc.image_roc(data)
    assert [curve.name for curve in result.per_class] == list(data.category_names)
    for k, curve in enumerate(result.per_class):
        assert_plain(curve, labels[k][part[k]], scores[k][part[k]])
    assert_plain(result.overall, labels[part], scores[part])


@settings(max_examples=200, deadline=None)
@given(data=analysis_inputs())
def test_image_roc_equals_a_plain_curve_per_class(data):
    assert_image_roc_is_plain(data)


def test_image_roc_equals_plain_curves_on_edge_cases():
    box = [0, 0, 10, 10]
    # no detection at all; a class with no box and no detection; one with positive images only
    # (every image holds a box) and one with negative images only (no box anywhere)
    assert_image_roc_is_plain(make(3, ["a", "b"], [(0, 0, box, False)], []))
    assert_image_roc_is_plain(make(0, ["a"], [], []))
    assert_image_roc_is_plain(
        make(
            2,
            ["all", "none", "empty", "ignored"],
            [(0, 0, box, False), (1, 0, box, False), (0, 3, box, True), (1, 3, box, True)],
            [(0, 0, box, 0.5), (1, 0, box, 0.5), (0, 1, box, 0.5), (1, 1, box, 0.2), (0, 3, box, 0.9)],
        )
    )
    # a detection scoring the images without one would tie with them at the floor: -1
    assert_image_roc_is_plain(make(3, ["a"], [(0, 0, box, False)], [(1, 0, box, -1.0), (2, 0, box, 0.0)]))


@pytest.mark.parametrize("decimals", [None, 2, 0])
def test_image_roc_equals_plain_curves_on_many_images(decimals):
    # enough (class, image) pairs for the sorts' radix path, with and without tied scores
    rng = np.random.default_rng(11)
    images, classes = 300, 7
    gts = [
        (int(i), int(c), [0, 0, 10, 10], bool(rng.random() < 0.05))
        for i, c in rng.integers(0, [images, classes], (500, 2))
    ]
    scores = rng.random(3000) if decimals is None else np.round(rng.random(3000), decimals)
    dets = [
        (int(i), int(c), [0, 0, 10, 10], float(s), bool(rng.random() < 0.02))
        for (i, c), s in zip(rng.integers(0, [images, classes], (3000, 2)), scores, strict=True)
    ]
    assert_image_roc_is_plain(make(images, [f"c{k}" for k in range(classes)], gts, dets))
