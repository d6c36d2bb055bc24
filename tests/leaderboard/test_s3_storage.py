"""Several machines: uploads and ground truth in an S3-compatible bucket (moto's server, started here)."""

from __future__ import annotations

import socket

import boto3
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import IntegrityError
from django.urls import reverse
from moto.server import ThreadedMotoServer

from leaderboard import ground_truth, services, tasks
from leaderboard.models import Submission, Track
from tests.leaderboard.conftest import DEMO_IMAGES, results_upload

BUCKET = "leaderboard-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server, settings, monkeypatch):
    """The site's storages pointed at a fresh bucket, as settings.py does when S3_BUCKET is set."""
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    options = {"bucket_name": BUCKET, "endpoint_url": s3_server, "region_name": "us-east-1", "default_acl": "private"}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**options, "location": "media", "file_overwrite": False}},
        "ground_truth": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**options, "location": "ground-truth"}},
    }  # fmt: skip  # one storage a line
    ground_truth._cache.clear()  # scoring below must read the bucket, not a split another test loaded
    yield client
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    for key in keys:
        client.delete_object(Bucket=BUCKET, Key=key)
    client.delete_bucket(Bucket=BUCKET)
    ground_truth._cache.clear()


def keys(client, prefix: str) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


def local_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.django_db
def test_ground_truth_and_uploads_live_in_the_bucket_and_are_scored_from_it(bucket, settings, client, gt_data):
    call_command("load_demo", "--no-submissions", "--images", str(DEMO_IMAGES), stdout=open("/dev/null", "w"))  # noqa: SIM115
    track = Track.objects.get(slug="demo-coco-detection")
    assert f"ground-truth/{track.split.ground_truth_path}" in keys(bucket, "ground-truth/")
    assert keys(bucket, "ground-truth/") and not local_files(settings.GROUND_TRUTH_ROOT)

    user = User.objects.create_user("alice", password="a-long-password-1")
    upload = results_upload(gt_data)
    submission = services.submission_create(user=user, track=track, upload=upload, method_name="on s3")
    assert keys(bucket, "media/") == [f"media/{submission.file.name}"]

    tasks.score_submission(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SCORED, submission.error_message
    assert submission.scores.filter(is_current=True).count() == 2
    assert not local_files(settings.MEDIA_ROOT) and not local_files(settings.GROUND_TRUTH_ROOT)

    client.force_login(user)
    download = client.get(reverse("submission-file", args=[submission.pk]))
    upload.seek(0)
    assert b"".join(download.streaming_content) == upload.read()


@pytest.mark.django_db(transaction=True)
def test_an_upload_whose_submission_is_not_created_leaves_no_file(bucket, gt_data):
    call_command("load_demo", "--no-submissions", "--images", str(DEMO_IMAGES), stdout=open("/dev/null", "w"))  # noqa: SIM115
    track = Track.objects.get(slug="demo-coco-detection")
    gone = User.objects.create_user("gone", password="a-long-password-1")
    User.objects.filter(pk=gone.pk).delete()  # the row the submission would point to
    with pytest.raises(IntegrityError):
        services.submission_create(user=gone, track=track, upload=results_upload(gt_data), method_name="orphan?")
    assert keys(bucket, "media/") == []
    assert not Submission.objects.exists()
