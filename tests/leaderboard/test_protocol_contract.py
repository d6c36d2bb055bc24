"""The site reads the protocol registry: a track's primary metric must be a stat its
spec (or the transfer metrics) knows, and the stats the analyses add rank like the others."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from leaderboard import selectors
from leaderboard.models import Benchmark, Split, Track


@pytest.fixture
def kaist_track(db) -> Track:
    benchmark = Benchmark.objects.create(name="KAIST", slug="kaist", protocol="kaist")
    split = Split.objects.create(benchmark=benchmark, slug="kaist-test", name="test", ground_truth_path="kaist.json")
    return Track(
        benchmark=benchmark,
        split=split,
        name="KAIST",
        slug="kaist-track",
        primary_metric="MR_all",
        higher_is_better=False,
    )


def test_primary_metric_is_validated_against_the_spec(kaist_track):
    kaist_track.full_clean()
    kaist_track.primary_metric = "AP"  # a COCO stat, not a KAIST one
    with pytest.raises(ValidationError) as excinfo:
        kaist_track.full_clean()
    assert "MR_all, MR_day" in str(excinfo.value.message_dict["primary_metric"])
    kaist_track.primary_metric = "AUC"  # the image-level ROC's AUC is a stat of every protocol that runs it
    kaist_track.higher_is_better = True
    kaist_track.full_clean()
    kaist_track.kind = Track.Kind.TRANSFER
    kaist_track.primary_metric = "target_after"
    kaist_track.matrix_metric = "MR_night"
    kaist_track.higher_is_better = False
    kaist_track.full_clean()
    kaist_track.matrix_metric = "mAP"
    with pytest.raises(ValidationError) as excinfo:
        kaist_track.full_clean()
    assert set(excinfo.value.message_dict) == {"matrix_metric"}


def test_higher_is_better_is_validated_against_the_direction_of_the_primary_metric(kaist_track):
    kaist_track.higher_is_better = True  # a miss rate ranked as if more were better
    with pytest.raises(ValidationError) as excinfo:
        kaist_track.full_clean()
    assert excinfo.value.message_dict == {"higher_is_better": ["A lower MR_all is better: untick it."]}
    kaist_track.primary_metric = "AP50_day"
    kaist_track.full_clean()
    kaist_track.kind = Track.Kind.TRANSFER
    kaist_track.primary_metric = "gain"  # signed so that positive is good, whatever the matrix metric
    kaist_track.full_clean()
    kaist_track.primary_metric = "target_after"  # a value of the matrix: the direction of its miss rate
    with pytest.raises(ValidationError, match="A lower target_after is better"):
        kaist_track.full_clean()


def test_directions_and_columns_come_from_the_spec(kaist_track):
    assert selectors.stat_higher_is_better(kaist_track, "MR_day") is False
    assert selectors.stat_higher_is_better(kaist_track, "AP50_day") is True
    assert selectors.leaderboard_columns(kaist_track)[-2:] == ("AUC", "AUC_macro")
    kaist_track.kind = Track.Kind.TRANSFER
    assert selectors.stat_higher_is_better(kaist_track, "target_after") is False  # a miss rate
    assert selectors.stat_higher_is_better(kaist_track, "gain") is True  # signed so that positive is good


@pytest.mark.django_db
def test_leaderboard_ranks_by_auc(client, track, user, other_user, gt_data):
    from leaderboard import services, tasks
    from tests.leaderboard.conftest import results_upload

    for who, profile in ((user, 3), (other_user, 0)):
        submission = services.submission_create(
            user=who, track=track, upload=results_upload(gt_data, profile=profile, seed=2), method_name=who.username
        )
        tasks.score_submission(submission.pk)
    rows = list(selectors.leaderboard_rows(track=track, sort="AUC"))
    values = [row.stats["AUC"] for row in rows]
    assert len(values) == 2 and values == sorted(values, reverse=True) and values[0] > values[1]
    response = client.get(f"/api/v1/tracks/{track.slug}/leaderboard/", {"sort": "AUC"})
    assert response.status_code == 200, response.content
    assert [row["stats"]["AUC"] for row in response.json()["rows"]] == values
