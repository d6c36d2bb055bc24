"""Reads: leaderboards ranked in SQL, and who may see what."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, When, Window
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, RowNumber

import evaluator

from .models import Benchmark, Score, Submission, Track


def stat_names(track: Track) -> tuple[str, ...]:
    return tuple(evaluator.get_protocol(track.protocol).STAT_NAMES)


def visible_subset(track: Track) -> str:
    return Score.Subset.FULL if track.private_revealed else Score.Subset.PUBLIC


def _primary_order(track: Track) -> list[Any]:
    value = F("primary_value")
    first = value.desc(nulls_last=True) if track.higher_is_better else value.asc(nulls_last=True)
    return [first, F("submission__created_at").asc(), F("submission_id").asc()]


def leaderboard_rows(*, track: Track, subset: str | None = None, sort: str | None = None) -> QuerySet[Score]:
    """One row per participant (baselines each on their own row), ranked by the primary metric.

    Ties: the earlier submission ranks first. With ``sort`` (a stat name), rows are
    ordered by that stat instead, best first for the track's direction.
    """
    subset = subset or visible_subset(track)
    scores = Score.objects.filter(
        submission__track=track,
        submission__status=Submission.Status.SCORED,
        submission__is_hidden=False,
        is_current=True,
        subset=subset,
        stage=1,
    )
    if track.selection == Track.Selection.SELECTED:
        scores = scores.filter(Q(submission__is_selected=True) | Q(submission__is_baseline=True))
    entrant = Case(
        When(submission__is_baseline=True, then=F("submission_id") * -1),
        default=F("submission__user_id"),
        output_field=IntegerField(),
    )
    if track.selection == Track.Selection.LATEST:
        within = [F("submission__created_at").desc(), F("submission_id").desc()]
    else:
        within = _primary_order(track)
    ranked = scores.annotate(pick=Window(RowNumber(), partition_by=[entrant], order_by=within)).filter(pick=1)
    ranked = ranked.select_related("submission__user")
    if sort and sort in stat_names(track):
        key = Cast(KT(f"stats__{sort}"), FloatField())
        lower_better = sort.startswith("MR")
        order = key.asc(nulls_last=True) if lower_better else key.desc(nulls_last=True)
        return ranked.annotate(sort_value=key).order_by(order, "submission__created_at", "submission_id")
    return ranked.order_by(*_primary_order(track))


@dataclass(frozen=True)
class TrackSummary:
    track: Track
    leader: Score | None
    entries: int


def home_tracks() -> list[TrackSummary]:
    summaries = []
    for track in Track.objects.select_related("benchmark", "split").order_by("benchmark__name", "name"):
        rows = leaderboard_rows(track=track)
        summaries.append(TrackSummary(track=track, leader=rows.first(), entries=rows.count()))
    return summaries


def benchmarks() -> QuerySet[Benchmark]:
    return Benchmark.objects.prefetch_related("tracks", "splits")


def can_view_submission(user: AbstractBaseUser | AnonymousUser, submission: Submission) -> bool:
    if user.is_authenticated and (user.pk == submission.user_id or user.is_staff):
        return True
    return submission.status == Submission.Status.SCORED and not submission.is_hidden


def visible_scores(user: AbstractBaseUser | AnonymousUser, submission: Submission) -> list[Score]:
    """The public score until the host reveals the private one; hosts see both.

    Owners too see only the public score before the reveal: a private figure per
    upload would let them tune on the hidden half of the split.
    """
    revealed = submission.track.private_revealed
    scores = submission.scores.filter(is_current=True, stage=1)
    if not (revealed or (user.is_authenticated and user.is_staff)):
        scores = scores.filter(subset=Score.Subset.PUBLIC)
    first = Score.Subset.FULL if revealed else Score.Subset.PUBLIC
    return sorted(scores, key=lambda score: score.subset != first)


def score_history(submission: Submission) -> QuerySet[Score]:
    return submission.scores.filter(is_current=False).order_by("-created_at")


def user_submissions(user: AbstractBaseUser) -> QuerySet[Submission]:
    return Submission.objects.filter(user=user).select_related("track__benchmark").order_by("-created_at")


def submission_for_status(submission_id: int) -> Submission | None:
    return Submission.objects.filter(pk=submission_id).select_related("track").first()
