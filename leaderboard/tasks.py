"""Celery tasks: thin and idempotent; the work is in services."""

from __future__ import annotations

import contextlib
import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init, worker_ready
from django.db import Error, InterfaceError, OperationalError, connection
from threadpoolctl import threadpool_limits

import evaluator
from evaluator.warmup import warm_up

from . import services
from .ground_truth import GroundTruthMissing

logger = logging.getLogger(__name__)

INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError, OSError)
MAX_RETRIES = 5


def _backoff(retries: int) -> int:
    return 2 ** (retries + 1)


def _drop_broken_connection() -> None:
    # After a database restart the persistent connection is dead; the next query opens a new one.
    if connection.connection is not None and not connection.in_atomic_block and not connection.is_usable():
        connection.close()


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def score_submission(self, submission_id: int) -> None:
    try:
        submission = services.submission_claim(submission_id=submission_id)
    except (OperationalError, InterfaceError) as exc:  # the database is down: try again soon, else the sweep will
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc
    if submission is None:
        return  # scored, cancelled, or another worker has it
    try:
        with services.submission_heartbeat(submission=submission):
            services.submission_score(submission=submission)
    except evaluator.InvalidInput as exc:
        services.submission_fail(submission=submission, message=exc.message, by_user=True)
    except SoftTimeLimitExceeded:
        services.submission_fail(submission=submission, message="Scoring took too long and was stopped.", by_user=True)
    except GroundTruthMissing:
        logger.exception("submission %s: ground truth unavailable", submission_id)
        services.submission_fail(
            submission=submission, message="The benchmark's ground truth is unavailable; the hosts were told.",
            by_user=False,
        )  # fmt: skip  # the message stays on one line
    except INFRASTRUCTURE_ERRORS as exc:
        logger.warning("submission %s: infrastructure error, retrying: %s", submission_id, exc)
        _drop_broken_connection()
        with contextlib.suppress(Error):  # else the stale sweep re-queues it when the lease expires
            services.submission_release(submission=submission)
        if self.request.retries >= MAX_RETRIES:
            services.submission_fail(
                submission=submission, message="The server could not score this file; it does not count against your quota.",
                by_user=False,
            )  # fmt: skip  # the message stays on one line
            return
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc
    except Exception:
        logger.exception("submission %s: unexpected error while scoring", submission_id)
        services.submission_fail(
            submission=submission,
            message="An internal error stopped the scoring; it does not count against your quota.",
            by_user=False,
        )


@shared_task
def requeue_stale_submissions() -> int:
    return services.stale_submissions_requeue()


@worker_ready.connect
def _sweep_when_ready(**_: object) -> None:
    # A worker that starts after a crash picks up what the dead one left running.
    requeue_stale_submissions.delay()


@worker_process_init.connect
def _prepare_worker_process(**_: object) -> None:
    # One BLAS thread: scoring is one process per submission, and on a shared machine extra
    # BLAS threads cost CPU without making the small products of the bootstrap faster.
    threadpool_limits(limits=1)
    logger.info("numba kernels ready in %.2f s", warm_up())
