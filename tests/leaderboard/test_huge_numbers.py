"""Attack: scores of ±1e308 pass as finite, then overflow in the analyses (issue 14, item 7)."""

from __future__ import annotations

import json

import pytest

import evaluator
from evaluator.magnitudes import MAX_MAGNITUDE
from leaderboard import services, tasks
from leaderboard.explorer import explorer_data
from leaderboard.models import Submission
from tests.leaderboard.conftest import raw_upload


def _records(gt_data: dict, score: float, bbox_value: float = 10.0) -> list[dict]:
    annotation = gt_data["annotations"][0]
    return [
        {"image_id": annotation["image_id"], "category_id": annotation["category_id"], "bbox": annotation["bbox"],
         "score": 0.9},
        {"image_id": annotation["image_id"], "category_id": annotation["category_id"],
         "bbox": [bbox_value, 10.0, 20.0, 20.0], "score": score},
    ]  # fmt: skip  # two records, one a line


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("score", "bbox_value", "what"), [(1e308, 10.0, "score"), (-1e308, 10.0, "score"), (0.5, 1e308, "box value")]
)
def test_huge_values_are_refused_at_upload_with_the_detection(user, track, gt_data, score, bbox_value, what):
    upload = raw_upload(_records(gt_data, score, bbox_value))
    with pytest.raises(services.SubmissionRefused) as refused:
        services.submission_create(user=user, track=track, upload=upload, method_name="huge")
    assert f"detection 2 (image {gt_data['annotations'][0]['image_id']}) has a {what}" in str(refused.value)
    assert "must lie within ±1e+12" in str(refused.value)
    assert not Submission.objects.exists()


@pytest.mark.django_db
def test_the_largest_allowed_values_score_and_store_finite_numbers(user, track, gt_data):
    records = _records(gt_data, MAX_MAGNITUDE) + _records(gt_data, -MAX_MAGNITUDE, -MAX_MAGNITUDE)[1:]
    submission = services.submission_create(user=user, track=track, upload=raw_upload(records), method_name="edge")
    tasks.score_submission(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SCORED, submission.error_message
    for score in submission.scores.all():
        json.dumps([score.stats, score.explorer, score.curves], allow_nan=False)


def test_the_explorer_grid_stays_finite_at_the_bounds(tmp_path, gt_data):
    gt_path = tmp_path / "gt.json"
    gt_path.write_text(json.dumps(gt_data))
    gt = evaluator.load_ground_truth(gt_path, protocol="coco")
    path = tmp_path / "results.json"
    path.write_text(json.dumps(_records(gt_data, MAX_MAGNITUDE) + _records(gt_data, -MAX_MAGNITUDE)[1:]))
    data = explorer_data("coco", gt, evaluator.load_results(path, protocol="coco", ground_truth=gt), None)
    json.dumps(data, allow_nan=False)
