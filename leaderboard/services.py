"""Writes: every change of a submission's life goes through these functions."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import Error as DatabaseError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import KombuError

import evaluator

from . import kits, scoring
from .explorer import analysis_stats
from .importing import split_seed_new
from .models import Score, Split, Submission, SubmissionQuota, Track, TransferScore

logger = logging.getLogger(__name__)


class SubmissionRefused(Exception):
    """The upload is refused; the message is shown to the participant as is."""


# Most file systems refuse longer names.
MAX_FILENAME_BYTES = 255


@dataclass(frozen=True)
class Quota:
    used_today: int
    remaining_today: int
    remaining_total: int
    resets_at: datetime


def _counted(user: AbstractBaseUser, track: Track):
    # Server failures are on us; failures caused by the file count, so probing is not free.
    return Submission.objects.filter(user=user, track=track).exclude(
        status=Submission.Status.FAILED, failed_by_user=False
    )


def submission_counts_against_quota(*, submission: Submission) -> bool:
    """The rule of ``_counted`` for one submission."""
    return not (submission.status == Submission.Status.FAILED and not submission.failed_by_user)


def submission_quota(*, user: AbstractBaseUser, track: Track, now: datetime | None = None) -> Quota:
    now = now or timezone.now()
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    counted = _counted(user, track)
    used_today = counted.filter(created_at__gte=day_start).count()
    total = counted.count()
    return Quota(
        used_today=used_today,
        remaining_today=max(track.daily_limit - used_today, 0),
        remaining_total=max(track.total_limit - total, 0),
        resets_at=day_start + timedelta(days=1),
    )


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def submission_create(
    *,
    user: AbstractBaseUser,
    track: Track,
    upload: UploadedFile,
    method_name: str,
    description: str = "",
    paper_url: str = "",
    code_url: str = "",
    strategy: str = "as-is",
    uses_target_labels: bool = False,
    parameters_millions: float | None = None,
    replay_samples: int | None = None,
    adaptation_gpu_hours: float | None = None,
    ms_per_image: float | None = None,
    is_baseline: bool = False,
    is_simulated: bool = False,
) -> Submission:
    """Check the upload at once, store it and queue it for scoring."""
    if not track.is_open() and not is_baseline:
        raise SubmissionRefused("This track is not accepting submissions.")
    limit = settings.MAX_UPLOAD_MB * 1024 * 1024
    if upload.size > limit:
        raise SubmissionRefused(f"The file is {upload.size / 1e6:.1f} MB; the limit is {settings.MAX_UPLOAD_MB} MB.")
    if upload.size == 0:
        raise SubmissionRefused(f"{upload.name}: the file is empty.")
    name = PurePath(upload.name or "upload").name or "upload"
    if len(name.encode()) > MAX_FILENAME_BYTES:
        raise SubmissionRefused(
            f"The file name is {len(name.encode())} bytes long in UTF-8; the limit is {MAX_FILENAME_BYTES}: "
            "rename the file and upload it again."
        )
    try:
        warnings = kits.upload_check(track=track, upload=upload)
    except evaluator.InvalidInput as exc:
        raise SubmissionRefused(exc.message) from None
    sha256 = _sha256(upload)
    submission = Submission(
        user=user,
        track=track,
        method_name=method_name,
        description=description,
        paper_url=paper_url,
        code_url=code_url,
        strategy=strategy,
        uses_target_labels=uses_target_labels,
        parameters_millions=parameters_millions,
        replay_samples=replay_samples,
        adaptation_gpu_hours=adaptation_gpu_hours,
        ms_per_image=ms_per_image,
        is_baseline=is_baseline,
        is_simulated=is_simulated,
        original_filename=name,
        sha256=sha256,
        warnings=warnings,
    )
    SubmissionQuota.objects.get_or_create(user=user, track=track)
    try:
        with transaction.atomic():
            # Parallel uploads of one participant to one track wait here, so the count below is exact.
            SubmissionQuota.objects.select_for_update().get(user=user, track=track)
            if not is_baseline:
                _check_quota(user=user, track=track)
            duplicate = _counted(user, track).filter(sha256=sha256).exclude(status=Submission.Status.CANCELLED).first()
            if duplicate:
                raise SubmissionRefused(f"You already submitted this exact file as '{duplicate.method_name}'.")
            # Stored inside the transaction, deleted if it fails: no file without its row.
            submission.file.save(_short_name(name, 100), upload, save=False)
            submission.save()
            submission_enqueue(submission=submission)
    except BaseException:
        if submission.file.name:
            submission.file.delete(save=False)
        raise
    return submission


def _check_quota(*, user: AbstractBaseUser, track: Track) -> None:
    quota = submission_quota(user=user, track=track)
    if quota.remaining_total == 0:
        raise SubmissionRefused(f"You have used all {track.total_limit} submissions of this track.")
    if quota.remaining_today == 0:
        raise SubmissionRefused(
            f"You have used today's {track.daily_limit} submissions; the count resets at "
            f"{quota.resets_at:%Y-%m-%d %H:%M} UTC."
        )


def _short_name(name: str, max_bytes: int) -> str:
    """``name`` cut to ``max_bytes`` of UTF-8, keeping its extension (file systems count bytes)."""
    if len(name.encode()) <= max_bytes:
        return name
    suffixes = "".join(PurePath(name).suffixes)[-20:]
    stem = name[: len(name) - len(suffixes)] if suffixes and name.endswith(suffixes) else name
    room = max_bytes - len(suffixes.encode())
    return stem.encode()[:room].decode(errors="ignore") + suffixes


def submission_enqueue(*, submission: Submission) -> None:
    """Queue the scoring task once the current transaction commits."""
    Submission.objects.filter(pk=submission.pk).update(enqueued_at=timezone.now())
    submission_id = submission.pk
    transaction.on_commit(lambda: _send_scoring_task(submission_id=submission_id))


def _send_scoring_task(*, submission_id: int) -> None:
    from .tasks import score_submission

    try:
        score_submission.delay(submission_id)
    except (KombuError, OSError):
        # The broker is down. The upload is stored and stays queued: the next sweep sends it
        # again (a null enqueued_at), so the participant sees their submission, not an error.
        logger.exception("submission %s: could not reach the broker; the stale sweep will send it", submission_id)
        with contextlib.suppress(DatabaseError):
            Submission.objects.filter(pk=submission_id, status=Submission.Status.QUEUED).update(enqueued_at=None)


def submission_claim(*, submission_id: int, now: datetime | None = None) -> Submission | None:
    """Take a queued submission for scoring; None when it is not (or no longer) queued."""
    now = now or timezone.now()
    claimed = Submission.objects.filter(pk=submission_id, status=Submission.Status.QUEUED).update(
        status=Submission.Status.RUNNING,
        started_at=now,
        lease_expires_at=now + timedelta(seconds=settings.SCORING_LEASE_SECONDS),
        attempts=F("attempts") + 1,
    )
    return (
        Submission.objects.select_related("track__benchmark", "track__split").get(pk=submission_id) if claimed else None
    )


@contextlib.contextmanager
def submission_heartbeat(*, submission: Submission) -> Iterator[None]:
    """Renew the scoring lease every quarter lease while the block runs.

    The lease is short (``SCORING_LEASE_SECONDS``), so the stale sweep takes up a crashed
    worker's submission within minutes; a live worker keeps it by this heartbeat. Only the
    claim that holds the submission (same attempt, still running) renews it.
    """
    stop = threading.Event()
    lease = timedelta(seconds=settings.SCORING_LEASE_SECONDS)

    def beat() -> None:
        try:
            while not stop.wait(lease.total_seconds() / 4):
                with contextlib.suppress(DatabaseError):
                    Submission.objects.filter(
                        pk=submission.pk, status=Submission.Status.RUNNING, attempts=submission.attempts
                    ).update(lease_expires_at=timezone.now() + lease)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"lease-{submission.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def submission_release(*, submission: Submission) -> None:
    """Give a running submission back to the queue (an infrastructure error, to be retried)."""
    Submission.objects.filter(pk=submission.pk, status=Submission.Status.RUNNING).update(
        status=Submission.Status.QUEUED, lease_expires_at=None
    )


def submission_score(*, submission: Submission) -> None:
    """Score the file on the full split and its public part; store every figure in one transaction.

    Raises evaluator.InvalidInput when the file is at fault.
    """
    track = submission.track
    with kits.unpack_limits():
        cells, transfers = scoring.evaluate(submission)
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.status != Submission.Status.RUNNING:
            return  # cancelled meanwhile, or taken over after the lease expired and already done
        Score.objects.filter(submission=locked, is_current=True).delete()
        TransferScore.objects.filter(submission=locked, is_current=True).delete()
        for cell in cells:
            data = cell.evaluation.to_dict()
            stats = {**data["stats"], **analysis_stats(cell.evaluation.protocol, cell.explorer)}
            Score.objects.create(
                submission=locked,
                split_id=cell.split_id,
                stage=cell.stage,
                subset=cell.subset,
                protocol=cell.evaluation.protocol,
                engine_version=cell.evaluation.engine_version,
                ground_truth_checksum=cell.checksum,
                primary_value=stats.get(
                    scoring.matrix_metric(track, cell.evaluation.protocol)
                    if track.is_transfer
                    else track.primary_metric
                ),
                stats=stats,
                per_class=data["per_class"],
                curves=data["curves"],
                explorer=cell.explorer,
                interval_low=cell.interval[0] if cell.interval else None,
                interval_high=cell.interval[1] if cell.interval else None,
            )
        for result in transfers:
            stats = evaluator.types.json_safe(result.stats)
            TransferScore.objects.create(
                submission=locked,
                subset=result.subset,
                engine_version=evaluator.__version__,
                domains=result.domains,
                matrix=result.matrix,
                stats=stats,
                primary_value=stats.get(track.primary_metric),
            )
        locked.status = Submission.Status.SCORED
        locked.finished_at = timezone.now()
        locked.lease_expires_at = None
        locked.error_message = ""
        locked.save(update_fields=["status", "finished_at", "lease_expires_at", "error_message"])


def submission_fail(*, submission: Submission, message: str, by_user: bool) -> None:
    Submission.objects.filter(pk=submission.pk).exclude(status=Submission.Status.CANCELLED).update(
        status=Submission.Status.FAILED,
        error_message=message,
        failed_by_user=by_user,
        finished_at=timezone.now(),
        lease_expires_at=None,
    )


def submission_cancel(*, submission: Submission) -> bool:
    return bool(
        Submission.objects.filter(
            pk=submission.pk, status__in=[Submission.Status.QUEUED, Submission.Status.RUNNING]
        ).update(status=Submission.Status.CANCELLED, finished_at=timezone.now(), lease_expires_at=None)
    )


class ActionRefused(Exception):
    """An owner's action that the submission's state does not allow; the message is shown as is."""


def submission_update_details(
    *, submission: Submission, method_name: str, description: str, paper_url: str, code_url: str
) -> Submission:
    """The owner's edit of what the leaderboard shows about a submission; its file and scores stay."""
    submission.method_name = method_name
    submission.description = description
    submission.paper_url = paper_url
    submission.code_url = code_url
    submission.save(update_fields=["method_name", "description", "paper_url", "code_url"])
    return submission


def submission_set_hidden(*, submission: Submission, hidden: bool) -> Submission:
    """Hide a submission from the public board and pages, or show it again."""
    submission.is_hidden = hidden
    submission.save(update_fields=["is_hidden"])
    return submission


def submission_select(*, submission: Submission) -> Submission:
    """Make this the participant's entry that counts, on tracks where participants choose it."""
    track = submission.track
    if track.selection != Track.Selection.SELECTED:
        raise ActionRefused(f"On {track.name} the {track.get_selection_display().lower()} counts; there is no choice.")
    if submission.status != Submission.Status.SCORED:
        raise ActionRefused("Only a scored submission can be the entry that counts.")
    with transaction.atomic():
        Submission.objects.filter(user_id=submission.user_id, track=track, is_selected=True).exclude(
            pk=submission.pk
        ).update(is_selected=False)
        Submission.objects.filter(pk=submission.pk).update(is_selected=True)
    submission.is_selected = True
    return submission


def track_rescore(*, track: Track) -> int:
    """Score every scored submission again; the old scores stay as history."""
    with transaction.atomic():
        submissions = list(track.submissions.filter(status=Submission.Status.SCORED))
        Score.objects.filter(submission__in=submissions, is_current=True).update(is_current=False)
        TransferScore.objects.filter(submission__in=submissions, is_current=True).update(is_current=False)
        Submission.objects.filter(pk__in=[s.pk for s in submissions]).update(
            status=Submission.Status.QUEUED, finished_at=None
        )
        for submission in submissions:
            submission_enqueue(submission=submission)
    return len(submissions)


def split_seed_guessable(split: Split) -> bool:
    """The seed is the old default (``<benchmark>-<split>``) or a demo's (``demo-...``)."""
    return split.public_seed in (f"{split.benchmark.slug}-{split.slug}", "") or split.public_seed.startswith("demo-")


def split_seed_renew(*, split: Split) -> int:
    """Give the split a new secret seed and rescore every track that uses it; the number rescored."""
    with transaction.atomic():
        split.public_seed = split_seed_new()
        split.save(update_fields=["public_seed"])
        tracks = Track.objects.filter(Q(split=split) | Q(domains__split=split)).distinct()
        return sum(track_rescore(track=track) for track in tracks)


def stale_submissions_requeue(*, now: datetime | None = None) -> int:
    """Re-queue submissions whose worker died (lease expired) or whose task was lost.

    A broker restart loses the queued messages: a submission still queued after
    ``STALE_QUEUED_SECONDS`` (or never sent) is sent again; a duplicate message is harmless,
    as the claim lets only one task score. A submission whose scoring was interrupted
    ``SCORING_MAX_ATTEMPTS`` times fails with a reason instead of looping for ever.
    """
    now = now or timezone.now()
    with transaction.atomic():
        expired = Submission.objects.select_for_update(skip_locked=True).filter(
            status=Submission.Status.RUNNING, lease_expires_at__lt=now
        )
        lost = Submission.objects.select_for_update(skip_locked=True).filter(
            Q(enqueued_at__lt=now - timedelta(seconds=settings.STALE_QUEUED_SECONDS)) | Q(enqueued_at__isnull=True),
            status=Submission.Status.QUEUED,
        )
        stale = list(expired) + list(lost)
        for submission in stale:
            if submission.status == Submission.Status.RUNNING:
                if submission.attempts >= settings.SCORING_MAX_ATTEMPTS:
                    logger.error(
                        "submission %s: scoring interrupted %s times, giving up", submission.pk, submission.attempts
                    )
                    submission_fail(
                        submission=submission,
                        message=f"Scoring was interrupted {submission.attempts} times and was given up; "
                        "it does not count against your quota.",
                        by_user=False,
                    )
                    continue
                logger.warning("submission %s: lease expired, scoring it again", submission.pk)
            Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.QUEUED, lease_expires_at=None)
            submission_enqueue(submission=submission)
    return len(stale)
