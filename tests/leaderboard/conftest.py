"""A small generated COCO-style benchmark, loaded through the demo command, for site tests."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from leaderboard import demo, services, tasks
from leaderboard.models import Submission, Track
from tests.demo_data import load_demo
from tests.factories import DEMO_IMAGES, UserFactory


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GROUND_TRUTH_ROOT = tmp_path / "ground_truth"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)}
    }


@pytest.fixture
def track(db, demo_snapshots) -> Track:
    """The demo benchmarks (the generated ones and the real ones found under SHARED_DATA_DIR), no submissions."""
    demo_snapshots.restore("benchmarks", load_demo("--no-submissions", "--images", str(DEMO_IMAGES)))
    return Track.objects.get(slug="demo-coco-detection")


@pytest.fixture
def gt_data() -> dict:
    return demo.generate_ground_truth(images=DEMO_IMAGES)


@pytest.fixture
def user(db) -> User:
    return UserFactory(username="alice", password="a-long-password-1")


@pytest.fixture
def other_user(db) -> User:
    return UserFactory(username="bob", password="a-long-password-2")


@pytest.fixture
def scored(user, track, gt_data) -> Submission:
    """A submission to `track`, scored by the task the worker runs."""
    submission = services.submission_create(user=user, track=track, upload=results_upload(gt_data), method_name="x")
    tasks.score_submission(submission.pk)
    submission.refresh_from_db()
    return submission


def results_upload(gt_data: dict, *, profile: int = 1, seed: int = 1, name: str = "results.json") -> SimpleUploadedFile:
    results = demo.simulate_detections(gt_data, demo.PROFILES[profile], seed=seed)
    return SimpleUploadedFile(name, demo.to_json_bytes(results), content_type="application/json")


def raw_upload(records: object, name: str = "results.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, json.dumps(records).encode(), content_type="application/json")
