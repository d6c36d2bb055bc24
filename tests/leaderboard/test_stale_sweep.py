"""The stale sweep heals what faults leave behind: lost messages, an unreachable broker, dying workers.

tests/integration/test_faults.py checks the same with real processes killed and restarted.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from leaderboard import services, tasks
from leaderboard.models import Submission
from tests.leaderboard.conftest import results_upload

pytestmark = pytest.mark.django_db


def create(user, track, gt_data) -> Submission:
    return services.submission_create(user=user, track=track, upload=results_upload(gt_data), method_name="Mine")


def test_upload_while_the_broker_is_down_is_kept_queued_and_sent_by_the_next_sweep(
    user, track, gt_data, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.score_submission, "delay", broker_down)  # the broker, not our code
    with django_capture_on_commit_callbacks(execute=True):
        submission = create(user, track, gt_data)  # no exception reaches the participant
    submission.refresh_from_db()
    assert submission.status == Submission.Status.QUEUED
    assert submission.enqueued_at is None  # marks it for the very next sweep

    sent = []
    monkeypatch.setattr(tasks.score_submission, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.stale_submissions_requeue() == 1
    assert sent == [submission.pk]
    submission.refresh_from_db()
    assert submission.enqueued_at is not None


def test_a_queued_submission_is_sent_again_after_stale_queued_seconds(user, track, gt_data, settings):
    settings.STALE_QUEUED_SECONDS = 10
    submission = create(user, track, gt_data)
    assert services.stale_submissions_requeue(now=timezone.now() + timedelta(seconds=5)) == 0
    assert services.stale_submissions_requeue(now=timezone.now() + timedelta(seconds=11)) == 1
    assert Submission.objects.get(pk=submission.pk).status == Submission.Status.QUEUED


def test_a_submission_interrupted_too_often_fails_with_the_reason(user, track, gt_data, settings):
    settings.SCORING_MAX_ATTEMPTS = 2
    submission = create(user, track, gt_data)
    expired = timedelta(seconds=settings.SCORING_LEASE_SECONDS + 1)
    assert services.submission_claim(submission_id=submission.pk)  # the worker dies
    assert services.stale_submissions_requeue(now=timezone.now() + expired) == 1
    assert services.submission_claim(submission_id=submission.pk)  # and dies again
    assert services.stale_submissions_requeue(now=timezone.now() + expired) == 1

    submission.refresh_from_db()
    assert submission.status == Submission.Status.FAILED
    assert submission.error_message.startswith("Scoring was interrupted 2 times")
    assert not submission.failed_by_user  # not counted against the quota
    assert submission.lease_expires_at is None
