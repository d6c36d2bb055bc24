"""The track page as a challenge page: overview, evaluation, dates, rules, data and how to participate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from leaderboard import services, tasks
from leaderboard.models import Track
from tests.conftest import shared_file
from tests.leaderboard.conftest import results_upload

pytestmark = pytest.mark.django_db


def test_track_page_carries_every_section_of_a_challenge(client, track, user):
    page = client.get(reverse("track", args=[track.slug])).content.decode()
    for anchor in ("overview", "participate", "leaderboard-section", "evaluation", "dates", "data"):
        assert f'id="{anchor}"' in page, anchor
    assert "Detect everyday objects of the 80 COCO categories" in page  # the demo text, written by load_demo
    assert "COCO average precision (AP)" in page
    assert "higher is better" in page
    assert "50% of them score the public leaderboard" in page
    assert "python -m evaluator check --kit demo-coco-detection-kit.zip --results results.json" in page
    assert f'href="{reverse("track_kit", args=[track.slug])}" id="kit-link"' in page
    assert f'href="{reverse("formats")}" id="formats-link"' in page
    assert "python -m lbclient submit --track demo-coco-detection" in page
    assert f"/api/v1/tracks/{track.slug}/kit/" in page
    assert "Generated data, free to use" in page
    assert 'id="phase">open<' in page
    assert "log in</a> to see your quota" in page

    client.force_login(user)
    page = client.get(reverse("track", args=[track.slug])).content.decode()
    assert f"{track.daily_limit} today, {track.total_limit} in total" in page


def test_quota_left_counts_the_participants_submissions(client, track, user, gt_data):
    services.submission_create(user=user, track=track, upload=results_upload(gt_data), method_name="A")
    client.force_login(user)
    page = client.get(reverse("track", args=[track.slug])).content.decode()
    assert f"{track.daily_limit - 1} today, {track.total_limit - 1} in total" in page


@pytest.mark.parametrize(
    ("opens", "closes", "phase"),
    [(1, 2, "upcoming"), (-2, -1, "closed"), (-1, None, "open"), (-1, 1, "open")],
)
def test_phase_follows_the_dates(client, track, opens, closes, phase):
    now = timezone.now()
    track.opens_at = now + timedelta(days=opens)
    track.closes_at = None if closes is None else now + timedelta(days=closes)
    track.save()
    assert track.phase() == phase
    page = client.get(reverse("track", args=[track.slug])).content.decode()
    assert f'id="phase">{phase}<' in page


def test_selection_rule_is_explained(client, track):
    for selection, words in (
        (Track.Selection.BEST, "best-scoring submission counts"),
        (Track.Selection.LATEST, "latest scored submission counts"),
        (Track.Selection.SELECTED, "The submission you choose counts"),
    ):
        track.selection = selection
        track.save()
        assert words in client.get(reverse("track", args=[track.slug])).content.decode()


def test_host_markdown_is_rendered_and_sanitised(client, track):
    track.description = "Find **cats**.\n\n<script>alert('x')</script> [bad](javascript:alert(1)) [good](https://x.org)"
    track.rules = "| a | b |\n|---|---|\n| 1 | 2 |\n\n<img src=x onerror=alert(1)>"
    track.save()
    page = client.get(reverse("track", args=[track.slug])).content.decode()
    assert "<strong>cats</strong>" in page
    assert "<script>alert" not in page
    assert "javascript:" not in page
    assert "onerror" not in page
    assert 'href="https://x.org" rel="nofollow noopener noreferrer"' in page
    assert "<td>1</td>" in page


def test_leaderboard_still_ranks_on_the_challenge_page(client, track, user, gt_data):
    submission = services.submission_create(user=user, track=track, upload=results_upload(gt_data), method_name="Z")
    tasks.score_submission(submission.pk)
    page = client.get(reverse("track", args=[track.slug])).content.decode()
    assert 'id="leaderboard"' in page
    assert submission.get_absolute_url() in page


def test_every_demo_track_carries_real_text(track):
    for demo_track in Track.objects.select_related("benchmark"):
        assert demo_track.description, demo_track.slug
        assert demo_track.rules, demo_track.slug
        assert demo_track.benchmark.licence, demo_track.benchmark.slug
        assert demo_track.benchmark.data_source, demo_track.benchmark.slug


def test_a_transfer_track_explains_its_metric_and_archive(client, track):
    page = client.get(reverse("track", args=["demo-day2night-transfer"])).content.decode()
    assert "The AP of your last-stage model on the last (target) domain. AP: COCO average precision" in page
    assert "for stages 1 and 3 at least, on the domains day, dawn-dusk, night" in page
    assert "--results results.zip" in page


def test_a_lower_is_better_track_says_so(client, track):
    shared_file("kaist-daynight/KAIST_annotation.json")
    kaist = client.get(reverse("track", args=["kaist-reasonable"])).content.decode()
    assert "lower is better" in kaist and "--results results.txt" in kaist


def test_hosts_write_the_challenge_text_in_the_admin(client, track):
    host = User.objects.create_user("host", password="a-long-password-3", is_staff=True, is_superuser=True)
    client.force_login(host)
    page = client.get(reverse("admin:leaderboard_track_change", args=[track.pk])).content.decode()
    assert "Challenge page (Markdown)" in page
    for name in ("description", "evaluation", "rules"):
        assert f'name="{name}"' in page, name
    page = client.get(reverse("admin:leaderboard_benchmark_change", args=[track.benchmark.pk])).content.decode()
    for name in ("data_source", "licence", "licence_url", "citation"):
        assert f'name="{name}"' in page, name
