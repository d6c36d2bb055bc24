"""The submit form and what a submission's page says after it: errors on top, quota per track, fields per kind."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from leaderboard import services, tasks
from leaderboard.models import Submission, Track
from tests.leaderboard.conftest import raw_upload, results_upload

pytestmark = pytest.mark.django_db


def _post(client, track, upload, *, follow=False, **fields):
    data = {"track": track.pk, "method_name": "Mine", "strategy": "as-is", "file": upload, **fields}
    return client.post(reverse("submit"), data, follow=follow)


def test_a_refused_upload_puts_the_error_on_top_and_asks_for_the_file_again(client, user, track):
    client.force_login(user)
    response = _post(client, track, raw_upload([{"image_id": 1}], "mine.json"))
    page = response.content.decode()
    assert response.status_code == 200
    top = page.index('id="form-errors"')
    assert top < page.index('id="submit-form"')
    assert "autofocus" in page[top : top + 120]
    assert "mine.json" in page[top : page.index('id="submit-form"')]
    assert 'id="choose-again"' in page
    assert 'value="Mine"' in page  # the other fields are kept
    assert not Submission.objects.exists()
    assert services.submission_quota(user=user, track=track).remaining_today == track.daily_limit


def test_the_quota_notice_names_the_posted_track(client, user, track):
    other = Track.objects.exclude(pk=track.pk).filter(kind=Track.Kind.ACCURACY).first()
    client.force_login(user)
    page = _post(client, other, raw_upload([{"image_id": 1}])).content.decode()
    assert re.search(r'id="quota-track">' + re.escape(other.name) + "<", page)
    page = client.get(reverse("submit") + f"?track={track.pk}").content.decode()
    assert re.search(r'id="quota-track">' + re.escape(track.name) + "<", page)
    assert f"{track.daily_limit} submissions left today" in page


def test_transfer_fields_are_hidden_on_accuracy_tracks_and_not_stored(client, user, track, gt_data):
    client.force_login(user)
    page = client.get(reverse("submit") + f"?track={track.pk}").content.decode()
    assert re.search(r'id="field-strategy" data-transfer-only hidden', page)
    assert re.search(r'id="field-replay_samples" data-transfer-only hidden', page)
    assert re.search(r'id="field-ms_per_image"\s*>', page)
    transfer = Track.objects.filter(kind=Track.Kind.TRANSFER).first()
    page = client.get(reverse("submit") + f"?track={transfer.pk}").content.decode()
    assert re.search(r'id="field-strategy" data-transfer-only\s*>', page)

    _post(client, track, results_upload(gt_data), strategy="fine-tuning", replay_samples=5, uses_target_labels="on")
    submission = Submission.objects.get()
    assert (submission.strategy, submission.replay_samples, submission.uses_target_labels) == ("as-is", None, False)


def test_success_has_no_banner_that_outlives_a_failure(client, user, track):
    client.force_login(user)
    records = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 3, 4], "score": 0.5}] * 2
    response = _post(client, track, raw_upload(records), follow=True)
    page = response.content.decode()
    submission = Submission.objects.get()
    assert "accepted and queued" not in page
    assert 'id="queued-notice"' in page

    services.submission_fail(
        submission=submission, message="The file was wrong in a way only scoring saw.", by_user=True
    )
    page = client.get(submission.get_absolute_url()).content.decode()
    assert 'id="queued-notice"' not in page
    assert "only scoring saw" in page
    assert "This failure counts against your quota" in page
    assert client.get(reverse("submission-status", args=[submission.pk])).json()["counts_against_quota"] is True


def test_a_server_failure_says_it_does_not_count(client, user, track, gt_data):
    submission = services.submission_create(user=user, track=track, upload=results_upload(gt_data), method_name="A")
    services.submission_fail(submission=submission, message="Ground truth unavailable.", by_user=False)
    client.force_login(user)
    page = client.get(submission.get_absolute_url()).content.decode()
    assert "does not count against your quota" in page
    assert services.submission_quota(user=user, track=track).remaining_today == track.daily_limit
    tasks.score_submission(submission.pk)  # a failed submission is not scored again by a late task
    submission.refresh_from_db()
    assert submission.status == Submission.Status.FAILED
