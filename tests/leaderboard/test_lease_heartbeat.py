"""A crashed worker's submission is taken up within minutes, not the 17 of the old lease (issue 14, item 9)."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from leaderboard import services
from leaderboard.models import Submission

# The heartbeat thread writes through its own connection: the rows must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def running(user, track, settings) -> Submission:
    settings.SCORING_LEASE_SECONDS = 2  # heartbeat every 0.5 s
    Submission.objects.create(
        user=user, track=track, method_name="m", file="x.json", original_filename="x.json", sha256="0" * 64
    )
    claimed = services.submission_claim(submission_id=Submission.objects.get().pk)
    assert claimed is not None
    return claimed


def test_the_default_lease_is_two_minutes(settings):
    assert settings.SCORING_LEASE_SECONDS == 120


def test_a_live_worker_keeps_its_lease_by_its_heartbeat(running):
    first = running.lease_expires_at
    with services.submission_heartbeat(submission=running):
        time.sleep(3)  # longer than the lease
        assert services.stale_submissions_requeue() == 0
    renewed = Submission.objects.get(pk=running.pk).lease_expires_at
    assert renewed > first and renewed > timezone.now()


def test_a_dead_workers_submission_is_taken_up_when_the_short_lease_ends(running):
    assert services.stale_submissions_requeue() == 0
    time.sleep(2.2)  # no heartbeat: the worker died
    assert services.stale_submissions_requeue() == 1
    assert Submission.objects.get(pk=running.pk).status == Submission.Status.QUEUED


def test_a_superseded_claim_does_not_renew_the_new_one(running):
    Submission.objects.filter(pk=running.pk).update(attempts=running.attempts + 1)  # another worker took it
    lease = Submission.objects.get(pk=running.pk).lease_expires_at
    with services.submission_heartbeat(submission=running):
        time.sleep(1.2)
    assert Submission.objects.get(pk=running.pk).lease_expires_at == lease
