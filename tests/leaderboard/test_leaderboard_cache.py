"""Cached leaderboards: a write that changes a ranking shows on the next request, private scores never leak."""

from __future__ import annotations

import gzip
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leaderboard import services, tasks
from leaderboard.models import Benchmark, Score, Submission, Track
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


def test_readers_without_a_session_share_a_kept_page_and_signed_in_readers_see_their_own(client, user, track, gt_data):
    score(user, track, gt_data, profile=1, seed=1, name="m")
    url = reverse("track", args=[track.slug])
    alice = Client()
    alice.force_login(user)
    for _ in range(2):  # each order: a kept page never carries a signed-in reader's parts, nor hides them
        mine = alice.get(url).content.decode()
        assert 'id="nav-logout"' in mine and "today," in mine and "to see your quota" not in mine
        anonymous = client.get(url)
        page = anonymous.content.decode()
        assert 'id="nav-logout"' not in page and "today," not in page and "to see your quota" in page
        assert not anonymous.cookies  # no session, no CSRF cookie
    home = client.get(reverse("home"))
    assert "nav-logout" not in home.content.decode() and "nav-logout" in alice.get(reverse("home")).content.decode()


def test_kept_bodies_are_compressed_once_and_answer_304_until_the_board_changes(
    client, user, other_user, track, gt_data
):
    score(user, track, gt_data, profile=1, seed=1, name="first-method")
    etags = {}
    for url in board_urls(track):
        plain = client.get(url)
        packed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
        assert gzip.decompress(packed.content) == plain.content
        assert packed["ETag"] == plain["ETag"]
        assert client.get(url, HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 304
        etags[url] = plain["ETag"]

    score(other_user, track, gt_data, profile=3, seed=2, name="second-method")
    for url, etag in etags.items():
        fresh = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert fresh.status_code == 200 and fresh["ETag"] != etag
        assert "second-method" in fresh.content.decode()


def test_a_kept_track_page_follows_the_track_its_benchmark_and_the_clock(client, track):
    url = reverse("track", args=[track.slug])
    assert "open for submissions" in client.get(url).content.decode()
    # Writes that raise no board version: the hosts edit the track or its benchmark, the opening date moves.
    Track.objects.filter(pk=track.pk).update(name="A renamed track", opens_at=timezone.now() + timedelta(days=1))
    Benchmark.objects.filter(pk=track.benchmark_id).update(citation="Cite this, renamed.")
    page = client.get(url).content.decode()
    assert "A renamed track" in page and "Cite this, renamed." in page and "upcoming: submissions open on" in page


def test_the_api_leaderboard_is_not_counted_against_the_api_limit(client, track, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api-anon": "2/d"}
    board = reverse("api:track-leaderboard", args=[track.slug])
    assert [client.get(board).status_code for _ in range(4)] == [200] * 4
    assert [client.get(reverse("api:track-list")).status_code for _ in range(3)] == [200, 200, 429]
