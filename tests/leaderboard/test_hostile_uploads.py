"""Junk uploads through the site: refused or failed with the engine's message, never a server error."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leaderboard import services, tasks
from leaderboard.models import Submission
from tests.leaderboard.conftest import results_upload

pytestmark = pytest.mark.django_db


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


JUNK = [
    ("junk.json", bytes(range(256)) * 4, "is not UTF-8 text"),
    ("utf16.json", '[{"image_id": 1}]'.encode("utf-16"), "looks like UTF-16"),
    ("deep.json", b"[" * 100_000, "is not valid JSON"),
    ("truncated.json", b'[{"image_id": 1, "category_id": 1, "bb', "is not valid JSON"),
    ("huge.json", b'[{"image_id": 1e300, "category_id": 1, "bbox": [1, 2, 3, 4], "score": NaN}]', "is not valid JSON"),
    ("bomb.zip", zipped({"a.json": bytes(8 * 2**20)}), "refused as a zip bomb"),
    ("escape.zip", zipped({"../a.json": b"[]"}), "unsafe path"),
    ("truncated.zip", zipped({"a.json": b"[]" * 1000})[:-30], "is not a readable zip archive"),
]


@pytest.mark.parametrize(("name", "data", "expected"), JUNK, ids=[j[0] for j in JUNK])
def test_junk_is_refused_at_upload_with_the_engines_message(user, track, name, data, expected):
    with pytest.raises(services.SubmissionRefused) as refused:
        services.submission_create(user=user, track=track, upload=SimpleUploadedFile(name, data), method_name="junk")
    assert name in str(refused.value)
    assert expected in str(refused.value)
    assert not Submission.objects.exists()


def test_junk_through_the_upload_page_shows_the_message(client, user, track):
    client.force_login(user)
    for name, data, expected in JUNK:
        response = client.post(
            reverse("submit"),
            {"track": track.pk, "method_name": "junk", "strategy": "as-is", "file": SimpleUploadedFile(name, data)},
        )
        assert response.status_code == 200, name
        assert expected in response.content.decode(), name
    assert not Submission.objects.exists()


def test_a_stored_file_that_turned_to_junk_ends_failed_with_the_message(user, track, gt_data):
    submission = services.submission_create(
        user=user, track=track, upload=results_upload(gt_data), method_name="turned to junk"
    )
    with open(submission.file.path, "wb") as stored:
        stored.write(b"[" * 100_000)
    tasks.score_submission(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.FAILED
    assert submission.failed_by_user
    assert "is not valid JSON" in submission.error_message
