"""Cached leaderboards: a write that changes a ranking shows on the next request, private scores never leak."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.urls import reverse

from leaderboard import services, tasks
from leaderboard.models import Score, Submission, Track
from tests.leaderboard.conftest import results_upload

pytestmark = pytest.mark.django_db


def score(user, track, gt_data, *, profile: int, seed: int, name: str) -> Submission:
    upload = results_upload(gt_data, profile=profile, seed=seed)
    submission = services.submission_create(user=user, track=track, upload=upload, method_name=name)
    tasks.score_submission(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SCORED
    return submission


def board_urls(track: Track) -> list[str]:
    return [
        reverse("home"),
        reverse("track", args=[track.slug]),
        reverse("track-download", args=[track.slug, "csv"]),
        reverse("track-download", args=[track.slug, "json"]),
        reverse("api:track-leaderboard", args=[track.slug]),
    ]


def pages(client, track: Track) -> list[str]:
    answers = [client.get(url) for url in board_urls(track)]
    assert [answer.status_code for answer in answers] == [200] * len(answers)
    return [answer.content.decode() for answer in answers]


def test_a_new_score_and_every_change_of_a_ranking_show_on_the_next_request(client, user, other_user, track, gt_data):
    first = score(user, track, gt_data, profile=1, seed=1, name="first-method")
    assert all("first-method" in page for page in pages(client, track))
    assert all("second-method" not in page for page in pages(client, track))

    score(other_user, track, gt_data, profile=3, seed=2, name="second-method")
    assert all("second-method" in page for page in pages(client, track))

    # Writes that bypass the services (a bulk update, a rename in the admin) are seen too.
    Submission.objects.filter(method_name="second-method").update(is_hidden=True)
    assert all("second-method" not in page for page in pages(client, track))
    User.objects.filter(pk=user.pk).update(username="renamed-alice")
    assert "renamed-alice" in pages(client, track)[1]

    Score.objects.filter(submission=first).delete()
    assert all("first-method" not in page for page in pages(client, track))


def test_a_private_score_never_enters_a_public_cached_page(client, admin_client, user, track, gt_data):
    submission = score(user, track, gt_data, profile=2, seed=4, name="m")
    public, full = (submission.scores.get(subset=s, is_current=True).primary_value for s in ("public", "full"))
    assert public != full
    shown = {"public": f"{public:.4f}", "full": f"{full:.4f}"}

    def api_values() -> list[float]:
        body = client.get(reverse("api:track-leaderboard", args=[track.slug])).json()
        return [row["primary_value"] for row in body["rows"]]

    # A host looks first (and asks for the private board): nothing of it reaches the public pages.
    assert admin_client.get(reverse("track", args=[track.slug])).status_code == 200
    private = client.get(reverse("api:track-leaderboard", args=[track.slug]), {"subset": "full"})
    assert private.status_code == 403
    assert api_values() == [public]
    assert shown["public"] in pages(client, track)[0] and shown["full"] not in pages(client, track)[0]
    assert all(shown["full"] not in page for page in pages(client, track))

    track.private_revealed = True
    track.save()
    assert api_values() == [full]
    assert shown["full"] in pages(client, track)[0]

    Track.objects.filter(pk=track.pk).update(private_revealed=False)
    assert api_values() == [public]


def test_triggers_raise_the_version_on_writes_made_in_sql(track, user):
    def version() -> int:
        return Track.objects.values_list("leaderboard_version", flat=True).get(pk=track.pk)

    before = version()
    submission = Submission.objects.create(user=user, track=track, method_name="x", file="x.json", sha256="0" * 64)
    assert version() > before
    before = version()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE leaderboard_submission SET is_hidden = %s WHERE id = %s", [True, submission.pk])
    assert version() > before
