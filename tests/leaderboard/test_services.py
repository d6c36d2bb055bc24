"""The submission life cycle, through the services and the real task function."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

import evaluator
from leaderboard import ground_truth, services, tasks
from leaderboard.models import Score, Submission
from tests.leaderboard.conftest import raw_upload, results_upload

pytestmark = pytest.mark.django_db


def create(user, track, upload, **extra) -> Submission:
    return services.submission_create(user=user, track=track, upload=upload, method_name="My detector", **extra)


def test_accepted_upload_is_stored_with_its_checksum_and_queued(
    user, track, gt_data, django_capture_on_commit_callbacks
):
    upload = results_upload(gt_data)
    with django_capture_on_commit_callbacks() as callbacks:
        submission = create(user, track, upload)
    assert len(callbacks) == 1  # the scoring task is sent only once the row is committed
    submission.refresh_from_db()
    assert submission.status == Submission.Status.QUEUED
    assert len(submission.sha256) == 64
    assert submission.enqueued_at is not None
    assert submission.file.read() == upload.open().read()


def test_scoring_stores_full_and_public_scores_equal_to_the_engine(user, track, gt_data):
    submission = create(user, track, results_upload(gt_data))
    tasks.score_submission(submission.pk)

    submission.refresh_from_db()
    assert submission.status == Submission.Status.SCORED
    scores = {s.subset: s for s in submission.scores.filter(is_current=True)}
    assert set(scores) == {Score.Subset.FULL, Score.Subset.PUBLIC}

    gt = ground_truth.load(track.split)
    results = evaluator.load_results(submission.file.path, protocol="coco", ground_truth=gt)
    full = evaluator.evaluate(gt, results, protocol="coco")
    public = evaluator.evaluate(gt, results, protocol="coco", images=ground_truth.public_image_ids(track.split, gt))
    assert scores[Score.Subset.FULL].primary_value == full.stats["AP"]
    assert scores[Score.Subset.PUBLIC].primary_value == public.stats["AP"]
    assert full.stats["AP"] != public.stats["AP"]
    assert scores[Score.Subset.FULL].stats["AP50"] == full.stats["AP50"]
    assert len(scores[Score.Subset.FULL].per_class) == 80
    assert scores[Score.Subset.FULL].ground_truth_checksum == track.split.checksum


def test_scoring_twice_is_idempotent(user, track, gt_data):
    submission = create(user, track, results_upload(gt_data))
    tasks.score_submission(submission.pk)
    tasks.score_submission(submission.pk)  # a redelivered message
    assert submission.scores.count() == 2
    assert Submission.objects.get(pk=submission.pk).attempts == 1


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([], "no detections"),
        ([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3], "score": 0.5}], "record 1"),
        ({"image_id": 1}, "list"),
    ],
)
def test_malformed_upload_is_refused_at_once_with_a_clear_message(user, track, records, expected):
    with pytest.raises(services.SubmissionRefused) as refused:
        create(user, track, raw_upload(records, name="broken.json"))
    assert "broken.json" in str(refused.value)
    assert expected in str(refused.value)
    assert not Submission.objects.exists()


def test_not_json_is_refused(user, track):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(services.SubmissionRefused, match="notjson.json"):
        create(user, track, SimpleUploadedFile("notjson.json", b"[{'image_id': 1"))


def test_unknown_image_is_refused_at_upload_naming_the_record(user, track, gt_data):
    records = [{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.9}] * 2
    records = [*records, {"image_id": 999999, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.4}]
    with pytest.raises(services.SubmissionRefused, match="record 3: image_id 999999 is not an image"):
        create(user, track, raw_upload(records))
    assert not Submission.objects.exists()
    assert services.submission_quota(user=user, track=track).used_today == 0


def test_identical_file_is_refused(user, track, gt_data):
    create(user, track, results_upload(gt_data))
    with pytest.raises(services.SubmissionRefused, match="already submitted"):
        create(user, track, results_upload(gt_data, name="renamed.json"))


def test_daily_quota(user, other_user, track, gt_data):
    track.daily_limit = 2
    track.save()
    create(user, track, results_upload(gt_data, seed=1))
    create(user, track, results_upload(gt_data, seed=2))
    with pytest.raises(services.SubmissionRefused, match="today's 2 submissions"):
        create(user, track, results_upload(gt_data, seed=3))
    create(other_user, track, results_upload(gt_data, seed=3))  # quotas are per participant
    quota = services.submission_quota(user=user, track=track)
    assert quota.used_today == 2
    assert quota.remaining_today == 0


def test_server_side_failures_do_not_use_the_quota(user, track, gt_data):
    track.daily_limit = 1
    track.save()
    first = create(user, track, results_upload(gt_data, seed=1))
    services.submission_fail(submission=first, message="worker lost", by_user=False)
    create(user, track, results_upload(gt_data, seed=2))


def test_closed_track_refuses(user, track, gt_data):
    track.closes_at = timezone.now() - timedelta(days=1)
    track.save()
    with pytest.raises(services.SubmissionRefused, match="not accepting"):
        create(user, track, results_upload(gt_data))


def test_oversized_upload_is_refused(user, track, gt_data, settings):
    settings.MAX_UPLOAD_MB = 0
    with pytest.raises(services.SubmissionRefused, match="limit is 0 MB"):
        create(user, track, results_upload(gt_data))


def test_cancelled_submission_is_not_scored(user, track, gt_data):
    submission = create(user, track, results_upload(gt_data))
    assert services.submission_cancel(submission=submission)
    tasks.score_submission(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.CANCELLED
    assert not submission.scores.exists()


def test_expired_lease_is_requeued_and_then_scored(user, track, gt_data, django_capture_on_commit_callbacks):
    submission = create(user, track, results_upload(gt_data))
    claimed = services.submission_claim(submission_id=submission.pk)  # a worker takes it, then dies
    assert claimed is not None
    assert services.submission_claim(submission_id=submission.pk) is None

    assert services.stale_submissions_requeue() == 0  # the lease still holds
    later = timezone.now() + timedelta(seconds=track_lease_seconds() + 1)
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.stale_submissions_requeue(now=later) == 1
    assert len(callbacks) == 1
    assert Submission.objects.get(pk=submission.pk).status == Submission.Status.QUEUED

    tasks.score_submission(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SCORED
    assert submission.attempts == 2


def track_lease_seconds() -> int:
    from django.conf import settings

    return settings.SCORING_LEASE_SECONDS


def test_lost_queued_task_is_requeued(user, track, gt_data):
    submission = create(user, track, results_upload(gt_data))
    Submission.objects.filter(pk=submission.pk).update(enqueued_at=timezone.now() - timedelta(hours=2))
    assert services.stale_submissions_requeue() == 1
    assert Submission.objects.get(pk=submission.pk).enqueued_at > timezone.now() - timedelta(minutes=1)


def test_rescore_keeps_the_old_scores_as_history(user, track, gt_data):
    submission = create(user, track, results_upload(gt_data))
    tasks.score_submission(submission.pk)
    assert services.track_rescore(track=track) == 1
    tasks.score_submission(submission.pk)
    assert submission.scores.filter(is_current=True).count() == 2
    assert submission.scores.filter(is_current=False).count() == 2


def test_missing_ground_truth_fails_without_blaming_the_participant(user, track, gt_data):
    submission = create(user, track, results_upload(gt_data))
    ground_truth.path_for(track.split).unlink()
    ground_truth._cache.clear()
    tasks.score_submission(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.FAILED
    assert not submission.failed_by_user
    assert "ground truth" in submission.error_message
    assert "/" not in submission.error_message  # no server path leaks
