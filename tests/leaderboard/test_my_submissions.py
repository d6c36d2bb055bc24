"""My submissions: status, messages, own file, edits, hide/unhide, the entry that counts; simulated labels.

Personas: alice owns the submission, bob is a stranger, a host is staff. The project has no teams, so
a teammate is, for access, a stranger: every private page and action refuses both.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leaderboard import selectors, services, tasks
from leaderboard.models import Submission, Track
from tests.leaderboard.conftest import raw_upload, results_upload

pytestmark = pytest.mark.django_db

PRIVATE_GETS = ("submission-edit", "submission-file")
PRIVATE_POSTS = ("submission-edit", "submission-hide", "submission-choose")


@pytest.fixture
def scored(user, track, gt_data) -> Submission:
    submission = services.submission_create(
        user=user, track=track, upload=results_upload(gt_data, name="alice.json"), method_name="Alice net"
    )
    tasks.score_submission(submission.pk)
    submission.refresh_from_db()
    return submission


@pytest.fixture
def host(db) -> User:
    return User.objects.create_user("host", password="a-long-password-3", is_staff=True)


def test_a_stranger_is_refused_every_private_page_and_action(client, other_user, scored):
    client.force_login(other_user)
    for name in PRIVATE_GETS:
        assert client.get(reverse(name, args=[scored.pk])).status_code == 404, name
    for name in PRIVATE_POSTS:
        data = {"method_name": "Stolen", "hidden": "1"}
        assert client.post(reverse(name, args=[scored.pk]), data).status_code == 404, name
    scored.refresh_from_db()
    assert (scored.method_name, scored.is_hidden, scored.is_selected) == ("Alice net", False, False)
    page = client.get(scored.get_absolute_url()).content.decode()
    assert "owner-actions" not in page


def test_anonymous_visitors_are_sent_to_log_in(client, scored):
    for name in PRIVATE_GETS:
        response = client.get(reverse(name, args=[scored.pk]))
        assert response.status_code == 302 and reverse("login") in response["Location"], name
    for name in PRIVATE_POSTS:
        assert client.post(reverse(name, args=[scored.pk]), {"hidden": "1"}).status_code == 302, name
    scored.refresh_from_db()
    assert not scored.is_hidden


def test_a_host_may_download_but_not_edit(client, host, scored):
    client.force_login(host)
    assert client.get(reverse("submission-file", args=[scored.pk])).status_code == 200
    assert client.post(reverse("submission-edit", args=[scored.pk]), {"method_name": "X"}).status_code == 404


def test_the_owner_downloads_their_file(client, user, scored):
    client.force_login(user)
    response = client.get(reverse("submission-file", args=[scored.pk]))
    assert response.status_code == 200
    assert 'filename="alice.json"' in response["Content-Disposition"]
    with scored.file.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()


def test_the_owner_edits_the_description_but_not_the_scores(client, user, scored):
    before = scored.scores.get(subset="public").primary_value
    client.force_login(user)
    response = client.post(
        reverse("submission-edit", args=[scored.pk]),
        {
            "method_name": "Alice net v2",
            "description": "Trained longer.",
            "paper_url": "https://arxiv.org/abs/1",
            "code_url": "",
        },
    )
    assert response.status_code == 302
    scored.refresh_from_db()
    assert (scored.method_name, scored.description, scored.paper_url) == (
        "Alice net v2",
        "Trained longer.",
        "https://arxiv.org/abs/1",
    )
    assert scored.scores.get(subset="public").primary_value == before
    bad = client.post(reverse("submission-edit", args=[scored.pk]), {"method_name": "", "paper_url": "not a url"})
    assert bad.status_code == 200 and "This field is required" in bad.content.decode()


def test_hide_and_unhide_from_the_public_board(client, user, other_user, track, scored):
    client.force_login(user)
    client.post(reverse("submission-hide", args=[scored.pk]), {"hidden": "1"})
    assert not selectors.leaderboard_rows(track=track).exists()
    profile = client.get(reverse("profile")).content.decode()
    assert "Show on the leaderboard" in profile and "hidden" in profile
    client.force_login(other_user)
    assert client.get(scored.get_absolute_url()).status_code == 404
    client.force_login(user)
    client.post(reverse("submission-hide", args=[scored.pk]), {"hidden": "0"})
    assert [row.submission_id for row in selectors.leaderboard_rows(track=track)] == [scored.pk]


def test_choose_the_entry_that_counts(client, user, track, gt_data, scored):
    client.force_login(user)
    response = client.post(reverse("submission-choose", args=[scored.pk]), follow=True)
    assert "there is no choice" in response.content.decode()  # the demo track ranks the best entry

    track.selection = Track.Selection.SELECTED
    track.save()
    second = services.submission_create(
        user=user, track=track, upload=results_upload(gt_data, profile=3, seed=2), method_name="Second"
    )
    assert not selectors.leaderboard_rows(track=track).exists()  # nothing chosen yet
    profile = client.get(reverse("profile")).content.decode()
    assert profile.count("Make this the entry that counts") == 1  # the queued one cannot be chosen yet
    tasks.score_submission(second.pk)
    client.post(reverse("submission-choose", args=[second.pk]))
    assert [row.submission_id for row in selectors.leaderboard_rows(track=track)] == [second.pk]
    client.post(reverse("submission-choose", args=[scored.pk]))
    assert [row.submission_id for row in selectors.leaderboard_rows(track=track)] == [scored.pk]
    assert Submission.objects.filter(user=user, is_selected=True).count() == 1


def test_profile_shows_status_and_the_scorers_message(client, user, track):
    failed = services.submission_create(
        user=user,
        track=track,
        upload=raw_upload([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}]),
        method_name="Broken",
    )
    services.submission_fail(submission=failed, message="Category 7 is not in the split.", by_user=True)
    client.force_login(user)
    page = client.get(reverse("profile")).content.decode()
    assert "Category 7 is not in the split." in page
    assert "counted against your quota" in page


def test_simulated_and_baseline_entries_are_labelled_everywhere(client, track, gt_data, host):
    baseline = services.submission_create(
        user=host,
        track=track,
        upload=results_upload(gt_data),
        method_name="Sim net",
        is_baseline=True,
        is_simulated=True,
    )
    tasks.score_submission(baseline.pk)
    pages = {
        "home": reverse("home"),
        "track": reverse("track", args=[track.slug]),
        "submission": baseline.get_absolute_url(),
        "compare": reverse("track-compare", args=[track.slug]) + f"?id={baseline.pk}",
    }
    for where, url in pages.items():
        page = client.get(url).content.decode()
        assert 'class="badge simulated"' in page, where
        assert ">baseline</span>" in page, where
    api = client.get(reverse("api:submission-detail", args=[baseline.pk])).json()
    assert api["is_simulated"] is True and api["is_baseline"] is True
    rows = client.get(reverse("api:track-leaderboard", args=[track.slug])).json()["rows"]
    assert rows[0]["simulated"] is True and rows[0]["baseline"] is True
    assert client.get(reverse("track-download", args=[track.slug, "json"])).json()["rows"][0]["simulated"] is True


def _api(user: User | None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return api


def test_the_api_lets_the_owner_edit_hide_and_choose(user, track, scored):
    url = reverse("api:submission-detail", args=[scored.pk])
    answer = _api(user).patch(url, {"method_name": "Alice net v3", "is_hidden": True}, format="json")
    assert answer.status_code == 200, answer.content
    assert (answer.json()["method_name"], answer.json()["is_hidden"]) == ("Alice net v3", True)
    scored.refresh_from_db()
    assert (scored.method_name, scored.description, scored.is_hidden) == ("Alice net v3", "", True)
    bad = _api(user).patch(url, {"paper_url": "not a url at all"}, format="json")
    assert bad.status_code == 400 and "paper_url" in bad.json()["errors"]

    choose = reverse("api:submission-choose", args=[scored.pk])
    refused = _api(user).post(choose)
    assert refused.status_code == 400 and "there is no choice" in refused.json()["detail"]
    track.selection = Track.Selection.SELECTED
    track.save()
    assert _api(user).post(choose).json()["is_selected"] is True


def test_the_api_refuses_strangers_and_anonymous_callers(user, other_user, scored):
    url = reverse("api:submission-detail", args=[scored.pk])
    choose = reverse("api:submission-choose", args=[scored.pk])
    assert _api(other_user).patch(url, {"method_name": "Stolen"}, format="json").status_code == 404
    assert _api(other_user).post(choose).status_code == 404
    assert _api(None).patch(url, {"method_name": "Stolen"}, format="json").status_code == 401
    assert _api(None).post(choose).status_code == 401
    scored.refresh_from_db()
    assert (scored.method_name, scored.is_selected) == ("Alice net", False)
