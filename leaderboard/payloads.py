"""Response bodies derived from score rows, built once per process and served as gzip with an ETag.

A score row never changes once written (a rescore writes new rows and retires the old ones),
so a body derived from a set of rows is named by their ids and creation times. Who may see
which rows is decided in every request, before the key is made: a cached body holds only the
rows of its key, and a viewer's key holds only rows that viewer may see.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from evaluator.protocols import get_spec

from . import memo, responses, selectors
from .models import Score, Submission, TransferScore


def _stamp(row: Score | TransferScore) -> str:
    return f"{row.pk}-{row.created_at.timestamp():.6f}"


def cached(kind: str, parts: tuple, build: Callable[[], Any]) -> responses.Body:
    """The JSON of ``build()``, built once per ``parts`` (which must name everything it reads)."""
    key = (kind, hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest())
    return memo.payloads.get(key, lambda: responses.body(orjson.dumps(build()), "application/json"))


def _split(score: Score) -> dict:
    return {"id": score.split.pk, "name": score.split.name, "domain": score.split.domain}


def score_record(score: Score) -> dict:
    """A score as the API's ScoreSerializer describes it, curves included."""
    return score_summary(score) | {"per_class": score.per_class, "curves": score.curves, "explorer": score.explorer}


def transfer_record(row: TransferScore) -> dict:
    """A transfer result as the API's TransferScoreSerializer describes it."""
    return {
        "subset": row.subset,
        "engine_version": row.engine_version,
        "domains": row.domains,
        "matrix": row.matrix,
        "primary_value": row.primary_value,
        "stats": row.stats,
    }


def _time(value: datetime | None) -> str | None:
    """As DRF's DateTimeField writes it: ISO 8601 in UTC, ``Z`` for +00:00."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _number(value: float | None) -> float | None:
    return None if value is None else float(value)


def score_summary(score: Score) -> dict:
    """A score without its plot data, as the API's ScoreSummarySerializer describes it."""
    return {
        "subset": score.subset,
        "stage": score.stage,
        "split": _split(score),
        "protocol": score.protocol,
        "engine_version": score.engine_version,
        "ground_truth_checksum": score.ground_truth_checksum,
        "primary_value": score.primary_value,
        "stats": score.stats,
    }


def submission_detail(
    user: AbstractBaseUser | AnonymousUser, submission: Submission, absolute: Callable[[str], str]
) -> dict:
    """A submission as the API's SubmissionDetailSerializer describes it for ``user``, built without
    DRF's serializers (their fields are rebuilt on every request).

    The error, warnings, file name and checksum only for its owner and the hosts. ``absolute``
    makes a path absolute (``request.build_absolute_uri``); ``submission`` must be visible to ``user``.
    """
    own = user.is_authenticated and (user.pk == submission.user_id or user.is_staff)
    s = submission
    return {
        "id": s.pk,
        "url": absolute(reverse("api:submission-detail", args=[s.pk])),
        "page": absolute(s.get_absolute_url()),
        "track": s.track.slug,
        "participant": s.user.username,
        "method_name": s.method_name,
        "description": s.description,
        "paper_url": s.paper_url,
        "code_url": s.code_url,
        "strategy": s.strategy,
        "uses_target_labels": s.uses_target_labels,
        "parameters_millions": _number(s.parameters_millions),
        "replay_samples": s.replay_samples,
        "adaptation_gpu_hours": _number(s.adaptation_gpu_hours),
        "ms_per_image": _number(s.ms_per_image),
        "is_baseline": s.is_baseline,
        "is_simulated": s.is_simulated,
        "is_hidden": s.is_hidden,
        "is_selected": s.is_selected,
        "status": s.status,
        "finished": s.is_finished,
        "error_message": s.error_message if own else "",
        "warnings": list(s.warnings) if own else [],
        "original_filename": s.original_filename if own else "",
        "sha256": s.sha256 if own else "",
        "created_at": _time(s.created_at),
        "started_at": _time(s.started_at),
        "finished_at": _time(s.finished_at),
        "scores_url": absolute(reverse("api:submission-scores", args=[s.pk])),
        "scores": [score_summary(score) for score in selectors.visible_scores(user, s, plot_data=False)],
        "transfer_scores": [transfer_record(t) for t in selectors.visible_transfer_scores(user, s)],
    }


def submission_scores(user: AbstractBaseUser | AnonymousUser, submission: Submission) -> responses.Body:
    """The API's scores of ``submission`` as ``user`` may see them (SubmissionScoresSerializer's shape).

    ``submission`` must be visible to ``user``. The plot data is read only when this process
    has not built the body yet.
    """
    scores = selectors.visible_scores(user, submission, plot_data=False)
    transfers = selectors.visible_transfer_scores(user, submission)
    protocol = submission.track.protocol
    parts = (submission.pk, submission.status, protocol, [_stamp(s) for s in scores], [_stamp(t) for t in transfers])

    def build() -> dict:
        full = Score.objects.select_related("split").in_bulk([s.pk for s in scores])
        return {
            "submission": submission.pk,
            "status": submission.status,
            "stat_names": list(get_spec(protocol).stat_names),
            "scores": [score_record(full[s.pk]) for s in scores],
            "transfer_scores": [transfer_record(t) for t in transfers],
        }

    return cached("scores", parts, build)


def submission_plots(
    user: AbstractBaseUser | AnonymousUser, submission: Submission, score_id: int | None = None
) -> responses.Body | None:
    """The plot data of a submission's page: the curves, explorer data and per-class table of one
    visible score (``score_id``, or the first).

    None when the viewer may see no such score. ``submission`` must be visible to ``user``.
    """
    scores = selectors.visible_scores(user, submission, plot_data=False)
    plotted = next((s for s in scores if score_id is None or s.pk == score_id), None)
    if plotted is None:
        return None
    transfer = submission.track.is_transfer

    def build() -> dict:
        full = Score.objects.get(pk=plotted.pk)
        return {
            "score": full.pk,
            "subset": full.subset,
            "curves": full.curves,
            "explorer": None if transfer else full.explorer,
            "per_class": full.per_class,
        }

    return cached("plots", (_stamp(plotted), transfer), build)


def serve_private(request: HttpRequest, kept: responses.Body) -> HttpResponse:
    """``kept`` as ``responses.serve`` answers it, for this viewer only: it depends on who asks."""
    response = responses.serve(request, kept)
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ["Cookie", "Authorization"])
    return response
