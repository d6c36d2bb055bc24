"""The analysis data stored at scoring time agrees with the engine."""

from __future__ import annotations

import json

import numpy as np
import pytest

import evaluator
from evaluator import analysis
from evaluator.protocols import coco, coco_analyze
from leaderboard import demo, explorer, fields, ground_truth, services, tasks
from leaderboard.explorer import analysis_stats, explorer_data
from leaderboard.models import Score
from tests.conftest import shared_file
from tests.leaderboard.conftest import raw_upload, results_upload


@pytest.fixture
def demo_pair():
    gt = evaluator.load_ground_truth(shared_file("coco-val2014-100/instances_val2014_100.json"), protocol="coco")
    results = evaluator.load_results(
        shared_file("coco-val2014-100/instances_val2014_fakebbox100_results.json"), protocol="coco", ground_truth=gt
    )
    return gt, results


def test_stored_sweep_counts_equal_the_operating_point_at_each_threshold(demo_pair):
    gt, results = demo_pair
    data = explorer_data("coco", gt, results, None)
    inputs = coco.analysis_input(gt, results)
    for i in (0, len(data["thresholds"]) // 2, len(data["thresholds"]) - 1):
        threshold = data["thresholds"][i]
        for iou in ("0.50", "0.75"):
            point = analysis.operating_point(inputs, iou=float(iou), score=threshold, ignore_overlap="ioa")
            overall = data["sweeps"][iou]["overall"]
            assert (overall["tp"][i], overall["fp"][i], overall["fn"][i]) == (
                point.overall["tp"],
                point.overall["fp"],
                point.overall["fn"],
            )


def test_stored_confusion_equals_the_matrix_at_each_columns_shown_threshold(demo_pair):
    """Each predicted class's column is the matrix at the nearest threshold (at or above) where
    that class's counts are shown; the missed column follows from the rows."""
    gt, results = demo_pair
    data = explorer_data("coco", gt, results, None)
    inputs = coco.analysis_input(gt, results)
    k = len(inputs.category_names)
    grid = np.array(data["thresholds"])
    shown = [explorer._kept(row) for row in explorer._class_entered(inputs, grid)]
    checked = 0
    for iou in ("0.50", "0.75"):
        stored = data["confusion"][iou]
        assert stored["thresholds"] == data["thresholds"]
        matrices = [
            analysis.confusion_matrix(inputs, iou=float(iou), score=t, ignore_overlap="ioa").matrix for t in grid
        ]
        for i in range(len(grid)):
            matrix = np.zeros((k + 1, k + 1), dtype=int)
            for row, column, *counts in stored["cells"]:
                matrix[row, column] = counts[i] if i < len(counts) else 0
            for column in range(k):
                above = [j for j in range(i, len(grid)) if shown[column][j]]
                expected = matrices[above[0]][:, column] if above else np.zeros(k + 1, dtype=int)
                np.testing.assert_array_equal(matrix[:, column], expected)
                checked += bool(above and above[0] == i and expected.any())
            assert (
                np.array(stored["counted"]) >= matrix[:k, :k].sum(axis=1)
            ).all()  # the missed column the page derives
    assert checked > 20


def test_stored_roc_auc_is_a_rankable_stat(demo_pair):
    gt, results = demo_pair
    data = explorer_data("coco", gt, results, None)
    stats = analysis_stats("coco", data)
    assert stats["AUC"] == data["roc"]["auc"] and 0.5 < stats["AUC"] < 1
    assert 0.5 < stats["AUC_macro"] < 1


def test_area_under_the_stored_pr_curve_is_ap50(demo_pair):
    gt, results = demo_pair
    evaluation = evaluator.evaluate(gt, results, protocol="coco")
    curve = evaluation.curves["overall"]["0.50"]
    assert np.mean(curve) == pytest.approx(evaluation.stats["AP50"], abs=1e-4)  # the curve is rounded to 4 decimals


@pytest.mark.django_db
def test_scored_submission_stores_explorer_data_for_both_subsets(user, track, gt_data):
    submission = services.submission_create(user=user, track=track, upload=results_upload(gt_data), method_name="x")
    tasks.score_submission(submission.pk)
    public = submission.scores.get(subset=Score.Subset.PUBLIC)
    full = submission.scores.get(subset=Score.Subset.FULL)
    assert public.explorer["classes"] == [c["name"] for c in gt_data["categories"]]
    gt = ground_truth.load(track.split)
    results = evaluator.load_results(submission.file.path, protocol="coco", ground_truth=gt)
    assert full.explorer == fields.compact(explorer_data("coco", gt, results, None))  # stored at float32 precision
    assert public.explorer["sweeps"]["0.50"]["overall"] != full.explorer["sweeps"]["0.50"]["overall"]


def test_bootstrap_with_every_image_once_is_the_ap_and_intervals_cover_it(demo_pair):
    gt, results = demo_pair
    curves = coco.BootstrapCurves(coco.Matches.of(gt, results))
    ap = evaluator.evaluate(gt, results, protocol="coco").stats["AP"]
    assert curves.weighted_ap(np.ones(curves.num_images)) == ap
    low, high = evaluator.bootstrap_interval(gt, results, protocol="coco", resamples=100)
    assert low < ap < high
    assert (low, high) == evaluator.bootstrap_interval(gt, results, protocol="coco", resamples=100)  # seeded


@pytest.mark.django_db
def test_leaderboard_marks_entries_not_separable_from_the_leader(client, user, other_user, track, gt_data):
    from django.contrib.auth.models import User
    from django.urls import reverse

    leader = demo.simulate_detections(gt_data, demo.PROFILES[3], seed=1)
    # The runner-up is the leader's file less its least confident detection: a hair lower, inside its interval.
    runner_up = sorted(leader, key=lambda d: d["score"])[1:]
    weak = demo.simulate_detections(gt_data, demo.PROFILES[0], seed=1)
    stranger = User.objects.create_user("charlie", password="a-long-password-3")
    scores = {}
    for who, results in ((user, leader), (other_user, runner_up), (stranger, weak)):
        submission = services.submission_create(
            user=who, track=track, upload=raw_upload(results), method_name=who.username
        )
        tasks.score_submission(submission.pk)
        scores[who.username] = score = submission.scores.get(subset=Score.Subset.PUBLIC)
        assert score.interval_low <= score.primary_value <= score.interval_high
    assert scores["bob"].primary_value <= scores["alice"].primary_value
    assert scores["charlie"].interval_high < scores["alice"].interval_low
    page = client.get(reverse("track", args=[track.slug])).content.decode()
    marked = page.split("its interval overlaps the leader's")
    assert len(marked) == 2 and "bob" in marked[0].rsplit("<tr", 1)[1]  # the runner-up only, not the weak entry


def test_coco_analyze_breakdown_is_stored_with_the_explorer_data(demo_pair):
    gt, results = demo_pair
    data = explorer_data("coco", gt, results, None)
    assert data["coco_analyze"] == coco_analyze.analyze(gt, results)
    stats = evaluator.evaluate(gt, results, protocol="coco").stats
    assert data["coco_analyze"]["ap"]["all"][:2] == [stats["AP75"], stats["AP50"]]
    assert len(json.dumps(data["coco_analyze"])) < 30_000


@pytest.mark.django_db
def test_scored_submission_stores_the_analyze_breakdown_of_each_subset(user, track, gt_data):
    submission = services.submission_create(user=user, track=track, upload=results_upload(gt_data), method_name="x")
    tasks.score_submission(submission.pk)
    gt = ground_truth.load(track.split)
    results = evaluator.load_results(submission.file.path, protocol="coco", ground_truth=gt)
    for score in submission.scores.all():
        images = ground_truth.public_image_ids(track.split, gt) if score.subset == Score.Subset.PUBLIC else None
        stored = score.explorer["coco_analyze"]
        assert stored == fields.compact(coco_analyze.analyze(gt, results, images=images))  # float32 precision
        assert stored["ap"]["all"][0] == pytest.approx(score.stats["AP75"], rel=1e-6)
        assert stored["ap"]["all"][-1] == 1.0 and len(stored["class_ap"]) == len(gt_data["categories"])


def test_held_counts_take_the_nearest_kept_threshold_at_or_above():
    """explorer._held, vectorized, equals the scan from the highest threshold down."""
    rng = np.random.default_rng(3)
    for _ in range(50):
        rows, steps = rng.integers(0, 6), rng.integers(1, 12)
        counts = rng.integers(0, 100, size=(rows, steps))
        kept = rng.random((rows, steps)) < 0.4
        kept[:, 0] = True  # as explorer._kept: the lowest is always shown
        before = rng.integers(0, 100, size=rows)
        expected = np.empty_like(counts)
        for r in range(rows):
            current = before[r]
            for i in range(steps - 1, -1, -1):
                if kept[r, i]:
                    current = counts[r, i]
                expected[r, i] = current
        assert np.array_equal(explorer._held(counts, kept, before), expected)
