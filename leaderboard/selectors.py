"""Reads: leaderboards ranked in SQL, and who may see what."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, When, Window
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, RowNumber

import evaluator
import evaluator.kit
from evaluator import transfer
from evaluator.protocols import get_spec

from . import glossary, memo, scoring
from .models import Benchmark, Score, Submission, Track, TransferScore


def stat_names(track: Track) -> tuple[str, ...]:
    if track.is_transfer:
        return transfer.METRIC_NAMES
    return get_spec(track.protocol).stat_names


# The columns of a transfer leaderboard; the efficiency criteria are self-reported.
TRANSFER_COLUMNS = (
    "target_after",
    "source_after",
    "gain",
    "forgetting",
    "gap_closed",
    "BWT",
    "FWT",
    "ACC",
    "MS",
    "SSS",
    "CE",
    "CL_score",
)
SELF_REPORTED = ("MS", "SSS", "CE", "CL_score")


def leaderboard_columns(track: Track) -> tuple[str, ...]:
    return TRANSFER_COLUMNS if track.is_transfer else stat_names(track)


def stat_higher_is_better(track: Track, name: str) -> bool:
    return track.stat_higher_is_better(name)


def visible_subset(track: Track) -> str:
    return Score.Subset.FULL if track.private_revealed else Score.Subset.PUBLIC


def _primary_order(track: Track) -> list[Any]:
    value = F("primary_value")
    first = value.desc(nulls_last=True) if track.higher_is_better else value.asc(nulls_last=True)
    return [first, F("submission__created_at").asc(), F("submission_id").asc()]


def leaderboard_rows(
    *,
    track: Track,
    subset: str | None = None,
    sort: str | None = None,
    strategy: str | None = None,
    target_labels: bool | None = None,
) -> QuerySet[Score] | QuerySet[TransferScore]:
    """One row per participant (baselines each on their own row), ranked by the primary metric.

    Ties: the earlier submission ranks first. With ``sort`` (a stat name), rows are
    ordered by that stat instead, best first for that stat's direction. Transfer
    tracks rank their derived metrics (TransferScore rows); the filters keep only one
    strategy, or submissions that did (or did not) use target-domain labels.
    """
    subset = subset or visible_subset(track)
    model = TransferScore if track.is_transfer else Score
    scores = model.objects.filter(
        submission__track=track,
        submission__status=Submission.Status.SCORED,
        submission__is_hidden=False,
        is_current=True,
        subset=subset,
    )
    if not track.is_transfer:
        # Tables need the stats only; the curve and explorer data are hundreds of kilobytes a row.
        scores = scores.filter(stage=1).defer("curves", "explorer", "per_class")
    if strategy:
        scores = scores.filter(submission__strategy=strategy)
    if target_labels is not None:
        scores = scores.filter(submission__uses_target_labels=target_labels)
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
        higher = stat_higher_is_better(track, sort)
        order = key.desc(nulls_last=True) if higher else key.asc(nulls_last=True)
        return ranked.annotate(sort_value=key).order_by(order, "submission__created_at", "submission_id")
    return ranked.order_by(*_primary_order(track))


def board_key(track: Track, *parts: Any) -> tuple:
    """A cache key naming everything a leaderboard of ``track`` depends on, and ``parts``.

    ``leaderboard_version`` (raised by triggers on every scoring, hide, choice, rename...) and
    the settings that rank a board; the track row must be read in the current request.
    """
    settings = (track.kind, track.selection, track.higher_is_better, track.primary_metric, track.private_revealed)
    return ("board", track.pk, track.leaderboard_version, settings, *parts)


def _row_state(row: Any) -> tuple:
    return tuple(getattr(row, field.attname) for field in row._meta.concrete_fields)


def track_page_key(track: Track) -> tuple:
    """Everything a track's page shows to a reader without a session: its board, the track, benchmark
    and split rows, the transfer domains and the phase (which the clock moves). ``track`` with its
    benchmark and split, read in this request."""
    domains = (
        tuple(track.domains.order_by("position").values_list("position", "name", "split_id"))
        if track.is_transfer
        else ()
    )
    return board_key(
        track, "page", _row_state(track), _row_state(track.benchmark), _row_state(track.split), domains, track.phase()
    )


def leaderboard(
    *,
    track: Track,
    subset: str | None = None,
    sort: str | None = None,
    strategy: str | None = None,
    target_labels: bool | None = None,
) -> list[Score] | list[TransferScore]:
    """``leaderboard_rows`` as a list, computed once per change of the board (see ``board_key``).

    The rows carry ``not_separable`` (``mark_separability`` over the whole board).
    """
    subset = subset or visible_subset(track)
    sort = sort if sort in stat_names(track) else None

    def build() -> list:
        rows = list(
            leaderboard_rows(track=track, subset=subset, sort=sort, strategy=strategy, target_labels=target_labels)
        )
        mark_separability(rows)
        return rows

    return memo.boards.get(board_key(track, "rows", subset, sort, strategy, target_labels), build)


def _timestamp(value: datetime) -> str:
    # As DRF wrote it: ISO 8601 in UTC, "Z" for the offset.
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def leaderboard_entries(track: Track, rows: list) -> list[dict[str, Any]]:
    """The one reading of ranked rows (``leaderboard``) that the API, the downloads and lbclient share.

    Each entry has ``ENTRY_FIELDS``, then ``stats`` (the track's ``leaderboard_columns``) and
    ``matrix`` (R[stage][domain] on transfer tracks, else empty). The API returns entries as they
    are; the CSV and JSON downloads flatten them (``leaderboard_records``).
    """
    columns = leaderboard_columns(track)
    entries = []
    for rank, row in enumerate(rows, start=1):
        submission = row.submission
        entries.append(
            {
                "rank": rank,
                "submission": row.submission_id,
                "method": submission.method_name,
                "participant": submission.user.username,
                "strategy": submission.strategy,
                "uses_target_labels": submission.uses_target_labels,
                "baseline": submission.is_baseline,
                "simulated": submission.is_simulated,
                "submitted": _timestamp(submission.created_at),
                "paper_url": submission.paper_url,
                "code_url": submission.code_url,
                "ms_per_image": submission.ms_per_image,
                "primary_value": row.primary_value,
                "stats": {name: row.stats.get(name) for name in columns},
                "matrix": getattr(row, "matrix", []),
            }
        )
    return entries


ENTRY_FIELDS = (
    "rank", "submission", "method", "participant", "strategy", "uses_target_labels", "baseline", "simulated",
    "submitted", "paper_url", "code_url", "ms_per_image", "primary_value",
)  # fmt: skip  # a list of names


def leaderboard_records(track: Track, rows: list) -> list[dict[str, Any]]:
    """The rows of a downloaded leaderboard (CSV or JSON): each entry's ``ENTRY_FIELDS``, then one
    field per stat column, under the same names as the API's entries and their ``stats``."""
    return [
        {**{name: entry[name] for name in ENTRY_FIELDS}, **entry["stats"]} for entry in leaderboard_entries(track, rows)
    ]


def mark_separability(rows: list, leader: Any = None) -> None:
    """Flag the rows whose bootstrap interval overlaps the leader's (``not_separable``).

    The leader is the first row of ``rows`` with an interval, unless given: a later page
    of a leaderboard passes the board's first row.
    """
    with_interval = [row for row in rows if getattr(row, "interval_low", None) is not None]
    leader = leader if leader is not None else next(iter(with_interval), None)
    if getattr(leader, "interval_low", None) is None:
        return
    for row in with_interval:
        row.not_separable = row.pk != leader.pk and (
            row.interval_low <= leader.interval_high and leader.interval_low <= row.interval_high
        )


@dataclass(frozen=True)
class TrackSummary:
    track: Track
    leader: Score | None
    entries: int


def home_track_list() -> list[Track]:
    return list(Track.objects.select_related("benchmark", "split").order_by("benchmark__name", "name"))


# Of each track: what ranks its board (as in board_key) and what the home page's cards show around it.
_HOME_FIELDS = (
    "pk", "leaderboard_version", "kind", "selection", "higher_is_better", "primary_metric", "private_revealed",
    "name", "slug", "benchmark__name", "benchmark__is_demo",
)  # fmt: skip  # a list of names


def home_key() -> tuple:
    """Everything the home page's cards show, in one query of plain values (no model to build)."""
    return ("home", *Track.objects.order_by("benchmark__name", "name").values_list(*_HOME_FIELDS))


def home_tracks(tracks: list[Track] | None = None) -> list[TrackSummary]:
    summaries = []
    for track in home_track_list() if tracks is None else tracks:
        rows = leaderboard(track=track)
        summaries.append(TrackSummary(track=track, leader=next(iter(rows), None), entries=len(rows)))
    return summaries


def benchmarks() -> QuerySet[Benchmark]:
    return Benchmark.objects.prefetch_related("tracks", "splits")


def can_view_submission(user: AbstractBaseUser | AnonymousUser, submission: Submission) -> bool:
    if user.is_authenticated and (user.pk == submission.user_id or user.is_staff):
        return True
    return submission.status == Submission.Status.SCORED and not submission.is_hidden


def _visible(user: AbstractBaseUser | AnonymousUser, submission: Submission, scores: QuerySet) -> list:
    revealed = submission.track.private_revealed
    if not (revealed or (user.is_authenticated and user.is_staff)):
        scores = scores.filter(subset=Score.Subset.PUBLIC)
    first = Score.Subset.FULL if revealed else Score.Subset.PUBLIC
    return sorted(scores, key=lambda score: (score.subset != first, getattr(score, "stage", 0)))


def visible_scores(
    user: AbstractBaseUser | AnonymousUser, submission: Submission, *, plot_data: bool = True
) -> list[Score]:
    """The public score until the host reveals the private one; hosts see both.

    Owners too see only the public score before the reveal: a private figure per
    upload would let them tune on the hidden half of the split. Transfer submissions
    have one score per stage and domain.
    """
    scores = submission.scores.filter(is_current=True).select_related("split")
    if not plot_data:
        scores = scores.defer("curves", "explorer", "per_class")
    if not submission.track.is_transfer:
        scores = scores.filter(stage=1)
    return _visible(user, submission, scores)


def visible_transfer_scores(user: AbstractBaseUser | AnonymousUser, submission: Submission) -> list[TransferScore]:
    if not submission.track.is_transfer:
        return []  # only transfer tracks derive them
    return _visible(user, submission, submission.transfer_scores.filter(is_current=True))


def score_history(submission: Submission) -> QuerySet[Score]:
    return submission.scores.filter(is_current=False).order_by("-created_at")


def user_submissions(user: AbstractBaseUser) -> QuerySet[Submission]:
    return Submission.objects.filter(user=user).select_related("track__benchmark").order_by("-created_at")


def submission_get_for_owner(user: AbstractBaseUser | AnonymousUser, pk: int) -> Submission | None:
    """The submission when ``user`` owns it; None for anyone else, hosts included (they use the admin)."""
    if not user.is_authenticated:
        return None
    return Submission.objects.select_related("track__benchmark", "user").filter(pk=pk, user=user).first()


def can_download_file(user: AbstractBaseUser | AnonymousUser, submission: Submission) -> bool:
    return user.is_authenticated and (user.pk == submission.user_id or user.is_staff)


def submission_for_status(submission_id: int) -> Submission | None:
    return Submission.objects.filter(pk=submission_id).select_related("track").first()


@dataclass(frozen=True)
class StrategySummary:
    strategy: str
    label: str
    submissions: int
    best: dict[str, float | None]
    median: dict[str, float | None]


COMPARED = ("gain", "forgetting", "gap_closed")


def transfer_points(track: Track) -> list[TransferScore]:
    """Every scored, visible submission of a transfer track (not only each participant's best)."""
    return list(
        TransferScore.objects.filter(
            submission__track=track,
            submission__status=Submission.Status.SCORED,
            submission__is_hidden=False,
            is_current=True,
            subset=visible_subset(track),
        )
        .select_related("submission__user")
        .order_by("submission__created_at", "submission_id")
    )


def strategy_summaries(track: Track, points: list[TransferScore]) -> list[StrategySummary]:
    from statistics import median

    from .models import Strategy

    summaries = []
    for value, label in Strategy.choices:
        mine = [p for p in points if p.submission.strategy == value]
        if not mine:
            continue
        best, middle = {}, {}
        for name in COMPARED:
            values = [p.stats.get(name) for p in mine if p.stats.get(name) is not None]
            higher = stat_higher_is_better(track, name)
            best[name] = (max(values) if higher else min(values)) if values else None
            middle[name] = median(values) if values else None
        summaries.append(StrategySummary(value, label, len(mine), best, middle))
    return summaries


MAX_COMPARED = 5


def compared_scores(track: Track, user: AbstractBaseUser | AnonymousUser, ids: list[int]) -> list[Score]:
    """The visible current score of each chosen submission of an accuracy track, in the order asked."""
    submissions = {
        s.pk: s
        for s in Submission.objects.filter(pk__in=ids[:MAX_COMPARED], track=track).select_related("user", "track")
        if can_view_submission(user, s)
    }
    chosen = []
    for pk in ids[:MAX_COMPARED]:
        if pk in submissions:
            scores = visible_scores(user, submissions[pk])
            if scores:
                chosen.append(scores[0])
    return chosen


TRANSFER_METRIC_WORDS = {
    "target_after": "the {metric} of your last-stage model on the last (target) domain",
    "source_after": "the {metric} of your last-stage model on the first (source) domain",
    "gain": "transfer gain: the {metric} gained on the target domain by adapting",
    "forgetting": "forgetting: the {metric} lost on the source domain by adapting",
}

SELECTION_WORDS = {
    Track.Selection.BEST: "Your best-scoring submission counts on the leaderboard.",
    Track.Selection.LATEST: "Your latest scored submission counts on the leaderboard, even when an earlier one scored "
    "better.",
    Track.Selection.SELECTED: "The submission you choose counts: mark it on your submission page ('make this the "
    "entry that counts'). Until you choose one, none of yours is ranked.",
}


@dataclass(frozen=True)
class Challenge:
    """What the track page says beyond its leaderboard: the metric, the dates, the rules, the kit."""

    phase: str
    metric_words: str
    direction: str
    public_percent: int
    selection_words: str
    submission_format: str
    quota: Any
    transfer_domains: list
    results_file: str


def track_challenge(*, track: Track, quota: Any = None) -> Challenge:
    """``quota``: the viewer's services.Quota on this track, or None for anonymous visitors."""
    protocol_words = get_spec(track.protocol).metric_words or track.benchmark.get_protocol_display()
    domains = list(track.domains.order_by("position").select_related("split")) if track.is_transfer else []
    if track.is_transfer:
        cell_metric = scoring.matrix_metric(track)
        template = TRANSFER_METRIC_WORDS.get(track.primary_metric, track.primary_metric + " of the {metric} matrix")
        metric_words = f"{template.format(metric=cell_metric)}. {cell_metric}: {protocol_words}"
        metric_words = metric_words[0].upper() + metric_words[1:]
        names = ", ".join(d.name for d in domains)
        submission_format = (
            f"a zip with one file (or folder) per stage and domain, stage<i>/<domain>, for stages 1 and "
            f"{len(domains)} at least, on the domains {names}; each in its domain's format, as the kit's FORMAT.md "
            "and sample submission show"
        )
        extension = ".zip"
    else:
        metric_words = protocol_words
        submission_format = get_spec(track.protocol).submission_format
        extension = evaluator.kit.RESULT_EXTENSION.get(track.protocol, ".zip")
    return Challenge(
        phase=track.phase(),
        metric_words=metric_words,
        direction="higher is better" if track.higher_is_better else "lower is better",
        public_percent=round(100 * track.split.public_fraction),
        selection_words=SELECTION_WORDS.get(track.selection, ""),
        submission_format=submission_format,
        quota=quota,
        transfer_domains=domains,
        results_file=f"results{extension}",
    )


# ------------------------------------------------------------------ the submission page

TRANSFER_HEADLINE = ("target_after", "gain", "forgetting", "gap_closed")


@dataclass(frozen=True)
class Figure:
    """One figure of a submission's summary: its value, direction and explanation."""

    name: str
    value: float | None
    higher_is_better: bool
    explanation: str


@dataclass(frozen=True)
class PlotChoice:
    score_id: int
    label: str


@dataclass(frozen=True)
class SubmissionSummary:
    primary: Figure | None
    interval: tuple[float, float] | None
    rank: int | None
    entries: int
    subset: str
    headline: list[Figure]
    plot_choices: list[PlotChoice]


def _figure(track: Track, name: str, stats: dict[str, Any]) -> Figure:
    return Figure(name, stats.get(name), stat_higher_is_better(track, name), glossary.explain(name))


def submission_rank(submission: Submission, subset: str) -> tuple[int | None, int]:
    """The submission's place on its track's leaderboard (None when another entry of its author counts) and the number of entries.

    Read from the board kept for the track's current version: ``submission.track`` must be read in
    the current request.
    """
    track = submission.track

    def build() -> dict[int, int]:
        rows = leaderboard(track=track, subset=subset)
        return {row.submission_id: rank for rank, row in enumerate(rows, start=1)}

    ranks = memo.boards.get(board_key(track, "ranks", subset), build)
    return ranks.get(submission.pk), len(ranks)


def _plot_label(score: Score, transfer_track: bool) -> str:
    subset = score.get_subset_display().lower()
    if transfer_track:
        return f"stage {score.stage} on {score.split.domain or score.split.name} ({subset})"
    return f"{subset} test set"


def submission_summary(
    user: AbstractBaseUser | AnonymousUser, submission: Submission, scores: list[Score], transfers: list[TransferScore]
) -> SubmissionSummary | None:
    """What the submission page shows first: the primary metric with its interval, the rank, the headline figures."""
    track = submission.track
    lead = (transfers or scores or [None])[0]
    if lead is None:
        return None
    spec = get_spec(track.protocol)
    names = TRANSFER_HEADLINE if track.is_transfer else (*spec.headline, *spec.analysis_stats[:1])
    rank, entries = (
        submission_rank(submission, lead.subset) if submission.status == Submission.Status.SCORED else (None, 0)
    )
    interval = getattr(lead, "interval_low", None)
    # The curve picker starts at the final model on the target domain.
    if track.is_transfer:
        position = {d.split_id: d.position for d in track.domains.all()}
        ordered = sorted(scores, key=lambda s: (s.subset != lead.subset, -s.stage, -position.get(s.split_id, 0)))
    else:
        ordered = scores
    return SubmissionSummary(
        primary=_figure(track, track.primary_metric, lead.stats),
        interval=(lead.interval_low, lead.interval_high) if interval is not None else None,
        rank=rank,
        entries=entries,
        subset=lead.subset,
        headline=[_figure(track, name, lead.stats) for name in names if name != track.primary_metric],
        plot_choices=[PlotChoice(score.pk, _plot_label(score, track.is_transfer)) for score in ordered],
    )


def submission_body_key(shown: dict[str, Any]) -> str:
    """A key naming everything the submission page's summary, curves and details show (its context ``shown``).

    Score rows never change, so each is named by its id and time; the rest is named by value:
    the figures and rank of the summary, the matrix, the submission's text and links, the track
    settings the directions and labels follow.
    """
    submission, track = shown["submission"], shown["track"]
    lead = shown["lead_transfer"]
    named = (
        submission.pk,
        submission.description,
        submission.paper_url,
        submission.code_url,
        (track.pk, track.kind, track.protocol, track.primary_metric, track.higher_is_better, track.matrix_metric),
        [(s.pk, s.created_at.timestamp(), s.split.name, s.split.domain) for s in shown["scores"]],
        (lead.pk, lead.created_at.timestamp()) if lead else None,
        shown["summary"],
        shown["matrix_plot"],
        shown["matrix_metric"],
    )
    return "submission-body-" + hashlib.blake2b(repr(named).encode(), digest_size=16).hexdigest()


def submission_page_key(shown: dict[str, Any]) -> str:
    """Everything the submission page shows a reader without a session: its scores' part
    (``submission_body_key``), the submission, track and benchmark rows and the author's name."""
    submission, track = shown["submission"], shown["track"]
    named = (
        submission_body_key(shown),
        _row_state(submission),
        submission.user.username,
        _row_state(track),
        _row_state(track.benchmark),
    )
    return "submission-page-" + hashlib.blake2b(repr(named).encode(), digest_size=16).hexdigest()
