"""Bodies built once per score set (the API's scores, plot data) and the submission page's rank:
each viewer gets only what they may see, and a change shows on the next request."""

from __future__ import annotations

import gzip
import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from evaluator.protocols import get_spec
from leaderboard import selectors, services
from leaderboard.api.serializers import SubmissionDetailSerializer, SubmissionScoresSerializer
from leaderboard.models import Score, Submission, Track
from tests.leaderboard.test_leaderboard_cache import score

pytestmark = pytest.mark.django_db


def scores_url(submission: Submission) -> str:
    return reverse("api:submission-scores", args=[submission.pk])


def serialised(user, submission: Submission) -> dict:
    """What the API answered before its bodies were cached: DRF's serializer on every request."""
    data = {
        "submission": submission,
        "stat_names": list(get_spec(submission.track.protocol).stat_names),
        "scores": selectors.visible_scores(user, submission),
        "transfer_scores": selectors.visible_transfer_scores(user, submission),
    }
    return json.loads(JSONRenderer().render(SubmissionScoresSerializer(data).data))


def test_the_cached_scores_body_is_the_serializers_for_each_viewer(client, admin_client, admin_user, scored):
    anonymous = client.get(scores_url(scored))
    assert anonymous.status_code == 200 and anonymous.json() == serialised(AnonymousUser(), scored)
    assert [s["subset"] for s in anonymous.json()["scores"]] == ["public"]
    host = admin_client.get(scores_url(scored))
    assert host.json() == serialised(admin_user, scored)
    assert [s["subset"] for s in host.json()["scores"]] == ["public", "full"]
    assert host.json()["scores"][1]["curves"] and host.json()["scores"][1]["per_class"]


def test_scores_answer_gzip_and_304_and_the_browsable_api(client, scored):
    plain = client.get(scores_url(scored))
    zipped = client.get(scores_url(scored), HTTP_ACCEPT_ENCODING="gzip, br")
    assert zipped["Content-Encoding"] == "gzip" and json.loads(gzip.decompress(zipped.content)) == plain.json()
    assert len(zipped.content) < len(plain.content) / 3
    assert zipped["ETag"] == plain["ETag"] and "Accept-Encoding" in zipped["Vary"]
    assert client.get(scores_url(scored), HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 304
    browsable = client.get(scores_url(scored), HTTP_ACCEPT="text/html")
    assert browsable.status_code == 200 and b"ground_truth_checksum" in browsable.content


def test_a_hosts_view_of_private_scores_never_reaches_the_public(client, admin_client, scored):
    full = scored.scores.get(subset="full", is_current=True)
    host = admin_client.get(scores_url(scored))
    assert full.primary_value in [s["primary_value"] for s in host.json()["scores"]]

    anonymous = client.get(scores_url(scored), HTTP_IF_NONE_MATCH=host["ETag"])
    assert anonymous.status_code == 200 and anonymous["ETag"] != host["ETag"]
    assert [s["subset"] for s in anonymous.json()["scores"]] == ["public"]
    assert b'"full"' not in anonymous.content
    plots = client.get(reverse("submission-plots", args=[scored.pk]), {"score": full.pk})
    assert plots.status_code == 404

    Track.objects.filter(pk=scored.track_id).update(private_revealed=True)
    revealed = client.get(scores_url(scored))
    assert [s["subset"] for s in revealed.json()["scores"]] == ["full", "public"]
    assert revealed.json()["scores"][0]["primary_value"] == full.primary_value
    Track.objects.filter(pk=scored.track_id).update(private_revealed=False)
    assert [s["subset"] for s in client.get(scores_url(scored)).json()["scores"]] == ["public"]


def test_a_rescore_and_a_hidden_submission_show_on_the_next_request(client, user, scored):
    before = client.get(scores_url(scored))
    old = scored.scores.get(subset="public", is_current=True)
    Score.objects.filter(pk=old.pk).update(is_current=False)
    old.pk, old.is_current, old.stats = None, True, {**old.stats, "AP": 0.125}
    old.save()

    after = client.get(scores_url(scored), HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert after.json()["scores"][0]["stats"]["AP"] == 0.125

    Submission.objects.filter(pk=scored.pk).update(is_hidden=True)
    assert client.get(scores_url(scored)).status_code == 404
    client.force_login(user)
    assert client.get(scores_url(scored)).json()["scores"][0]["stats"]["AP"] == 0.125


def test_the_submission_pages_rank_follows_the_board(client, user, other_user, track, gt_data):
    weak = score(user, track, gt_data, profile=1, seed=1, name="weak")
    page = reverse("submission", args=[weak.pk])
    summary = client.get(page).context["summary"]
    assert (summary.rank, summary.entries) == (1, 1)

    strong = score(other_user, track, gt_data, profile=3, seed=2, name="strong")
    assert strong.scores.get(subset="public").primary_value > weak.scores.get(subset="public").primary_value
    summary = client.get(page).context["summary"]
    assert (summary.rank, summary.entries) == (2, 2)

    Submission.objects.filter(pk=strong.pk).update(is_hidden=True)
    summary = client.get(page).context["summary"]
    assert (summary.rank, summary.entries) == (1, 1)


def drf_detail(user, submission: Submission) -> dict:
    """What the API's submission detail answered before it was built without DRF's serializers."""
    request = Request(APIRequestFactory().get(reverse("api:submission-detail", args=[submission.pk])))
    request.user = user
    body = SubmissionDetailSerializer(submission, context={"request": request}).data
    return json.loads(JSONRenderer().render(body))


def test_the_api_submission_detail_is_the_serializers_for_each_viewer(client, user, other_user, admin_user, scored):
    Submission.objects.filter(pk=scored.pk).update(
        warnings=["record 2: a box of zero width"], parameters_millions=41, replay_samples=10, ms_per_image=12.5
    )
    failed = Submission.objects.create(
        user=user,
        track=scored.track,
        method_name="broken",
        file="x.json",
        sha256="1" * 64,
        original_filename="mine.json",
        status=Submission.Status.FAILED,
        error_message="record 3: bad box",
    )
    scored.refresh_from_db()
    for viewer, submission in [
        (AnonymousUser(), scored),
        (other_user, scored),
        (user, scored),
        (admin_user, scored),
        (user, failed),
        (admin_user, failed),
    ]:
        if viewer.is_authenticated:
            client.force_login(viewer)
        else:
            client.logout()
        answer = client.get(reverse("api:submission-detail", args=[submission.pk]))
        assert answer.status_code == 200
        assert answer.json() == drf_detail(viewer, submission), (viewer, submission)
    seen = client.get(reverse("api:submission-detail", args=[scored.pk])).json()
    assert seen["warnings"] and [s["subset"] for s in seen["scores"]] == ["public", "full"]
    client.force_login(other_user)
    stranger = client.get(reverse("api:submission-detail", args=[scored.pk])).json()
    assert stranger["warnings"] == [] and stranger["sha256"] == "" and len(stranger["scores"]) == 1
    assert client.get(reverse("api:submission-detail", args=[failed.pk])).status_code == 404


def test_the_kept_submission_page_shows_each_change_and_nothing_private(client, admin_client, user, scored):
    url = reverse("submission", args=[scored.pk])
    public, full = (scored.scores.get(subset=s, is_current=True) for s in ("public", "full"))
    shown = {name: f"{score.primary_value:.4f}" for name, score in (("public", public), ("full", full))}
    assert shown["public"] != shown["full"]
    host = admin_client.get(url).content.decode()
    assert shown["full"] in host

    first = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert first["Content-Encoding"] == "gzip" and "Cookie" in first["Vary"]
    page = gzip.decompress(first.content).decode()
    assert shown["public"] in page and shown["full"] not in page and "owner-actions" not in page
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304

    services.submission_update_details(
        submission=scored, method_name="renamed", description="new words", paper_url="", code_url=""
    )
    again = client.get(url)
    assert again["ETag"] != first["ETag"] and "renamed" in again.content.decode()
    assert "new words" in again.content.decode()

    Track.objects.filter(pk=scored.track_id).update(private_revealed=True)
    assert shown["full"] in client.get(url).content.decode()
    Track.objects.filter(pk=scored.track_id).update(private_revealed=False)
    assert shown["full"] not in client.get(url).content.decode()

    client.force_login(user)
    assert "owner-actions" in client.get(url).content.decode()
    client.logout()
    assert "owner-actions" not in client.get(url).content.decode()
    Submission.objects.filter(pk=scored.pk).update(is_hidden=True)
    assert client.get(url).status_code == 404


def test_hosts_read_scores_in_the_admin_but_cannot_change_them(admin_client, scored):
    score = scored.scores.get(subset="public", is_current=True)
    url = reverse("admin:leaderboard_score_change", args=[score.pk])
    assert admin_client.get(url).status_code == 200
    answer = admin_client.post(url, {"subset": "full", "stage": 1, "primary_value": "0.99", "is_current": "on"})
    assert answer.status_code == 403
    assert Score.objects.get(pk=score.pk).primary_value == score.primary_value
