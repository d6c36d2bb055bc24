"""Leaderboards rank one row per participant, by the primary metric, in SQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from leaderboard import selectors, services, tasks
from leaderboard.models import Score, Submission, Track
from tests.leaderboard.conftest import results_upload

pytestmark = pytest.mark.django_db


def scored(user, track, gt_data, *, profile: int, seed: int, **extra) -> Submission:
    submission = services.submission_create(
        user=user,
        track=track,
        upload=results_upload(gt_data, profile=profile, seed=seed),
        method_name=f"p{profile}-s{seed}",
        **extra,
    )
    tasks.score_submission(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SCORED
    return submission


def ranked(track: Track, **kwargs) -> list[Submission]:
    return [row.submission for row in selectors.leaderboard_rows(track=track, **kwargs)]


def public_ap(submission: Submission) -> float:
    return submission.scores.get(subset=Score.Subset.PUBLIC, is_current=True).primary_value


def test_best_submission_per_participant_ranked_by_primary_metric(user, other_user, track, gt_data):
    weak = scored(user, track, gt_data, profile=0, seed=1)
    strong = scored(user, track, gt_data, profile=3, seed=2)
    middle = scored(other_user, track, gt_data, profile=1, seed=3)
    assert public_ap(strong) > public_ap(middle) > public_ap(weak)

    assert ranked(track) == [strong, middle]


def test_latest_selection_uses_the_newest_submission(user, track, gt_data):
    track.selection = Track.Selection.LATEST
    track.save()
    scored(user, track, gt_data, profile=3, seed=1)
    newest = scored(user, track, gt_data, profile=0, seed=2)
    assert ranked(track) == [newest]


def test_hidden_and_failed_submissions_are_not_ranked(user, other_user, track, gt_data):
    hidden = scored(user, track, gt_data, profile=3, seed=1)
    Submission.objects.filter(pk=hidden.pk).update(is_hidden=True)
    shown = scored(other_user, track, gt_data, profile=0, seed=2)
    assert ranked(track) == [shown]


def test_ties_rank_the_earlier_submission_first(user, other_user, track, gt_data):
    first = scored(user, track, gt_data, profile=1, seed=5)
    second = scored(other_user, track, gt_data, profile=1, seed=5)  # same file, other participant
    Submission.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert ranked(track) == [first, second]
    Submission.objects.filter(pk=second.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert ranked(track) == [second, first]


def test_baselines_each_get_their_own_row(user, track, gt_data):
    a = scored(user, track, gt_data, profile=0, seed=1, is_baseline=True)
    b = scored(user, track, gt_data, profile=2, seed=2, is_baseline=True)
    assert ranked(track) == [b, a]


def test_lower_is_better_metric_ranks_ascending(user, other_user, track, gt_data):
    weak = scored(user, track, gt_data, profile=0, seed=1)
    strong = scored(other_user, track, gt_data, profile=3, seed=2)
    track.higher_is_better = False
    track.save()
    assert ranked(track) == [weak, strong]


def test_private_scores_rank_only_once_revealed(user, other_user, track, gt_data):
    a = scored(user, track, gt_data, profile=1, seed=1)
    b = scored(other_user, track, gt_data, profile=2, seed=2)
    public_rows = list(selectors.leaderboard_rows(track=track))
    assert {row.subset for row in public_rows} == {Score.Subset.PUBLIC}
    track.private_revealed = True
    track.save()
    full_rows = list(selectors.leaderboard_rows(track=track))
    assert {row.subset for row in full_rows} == {Score.Subset.FULL}
    assert {row.submission for row in full_rows} == {a, b}


def test_sort_by_another_stat(user, other_user, track, gt_data):
    a = scored(user, track, gt_data, profile=0, seed=1)
    b = scored(other_user, track, gt_data, profile=3, seed=2)
    rows = list(selectors.leaderboard_rows(track=track, sort="APs"))
    values = [row.stats["APs"] for row in rows]
    assert values == sorted(values, reverse=True)
    assert {row.submission for row in rows} == {a, b}
    assert ranked(track, sort="no-such-stat") == ranked(track)
