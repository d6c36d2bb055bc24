"""The REST API in-process: every endpoint, who may see what, the upload checks and limits."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leaderboard import demo, demo_transfer, selectors, services, tasks
from leaderboard.models import Score, Split, Submission, Track
from tests.demo_data import load_demo
from tests.leaderboard import conftest as site

pytestmark = pytest.mark.django_db

_isolated_files = site._isolated_files
gt_data = site.gt_data
user = site.user
other_user = site.other_user

HANDLER = "leaderboard.api.errors.exception_handler"
TRANSFER = "demo-day2night-transfer"
GENERATED = load_demo("--no-submissions", "--skip-real", "--images", str(site.DEMO_IMAGES))


class RecordingClient(APIClient):
    """An API client that keeps every response, so that a test can scan them all."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.responses: list = []

    def request(self, **kwargs):
        response = super().request(**kwargs)
        self.responses.append(response)
        return response


@pytest.fixture
def track(db, demo_snapshots) -> Track:
    """The generated demo benchmarks, without the real ones."""
    demo_snapshots.restore("generated", GENERATED)
    return Track.objects.get(slug="demo-coco-detection")


@pytest.fixture(autouse=True)
def _api_settings(settings):
    settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "EXCEPTION_HANDLER": HANDLER}
    cache.clear()  # throttle counts
    yield
    cache.clear()


@pytest.fixture
def clients(db):
    """Makes clients; at the end, no response of any of them names a hidden path."""
    made: list[RecordingClient] = []

    def make(user: User | None = None, *, token: bool = True, **kwargs) -> RecordingClient:
        client = RecordingClient(**kwargs)
        if user is not None and token:
            client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
        elif user is not None:
            client.force_login(user)
        made.append(client)
        return client

    yield make
    forbidden = {str(django_settings.GROUND_TRUTH_ROOT), str(django_settings.MEDIA_ROOT)}
    for split in Split.objects.all():
        forbidden |= {split.ground_truth_path, str(Path(django_settings.GROUND_TRUTH_ROOT) / split.ground_truth_path)}
    for submission in Submission.objects.all():
        forbidden.add(submission.file.name)
    forbidden.discard("")
    responses = [response for client in made for response in client.responses]
    assert responses
    for response in responses:
        body = response.content.decode(errors="replace") + str(dict(response.headers))
        leaked = [text for text in forbidden if text in body]
        assert not leaked, f"{response.request['PATH_INFO']} shows {leaked}"


@pytest.fixture
def alice(clients, user):
    return clients(user)


@pytest.fixture
def bob(clients, other_user):
    return clients(other_user)


@pytest.fixture
def anonymous(clients):
    return clients()


@pytest.fixture
def host(clients, db):
    return clients(User.objects.create_user("host", password="a-long-password-3", is_staff=True))


def upload(gt_data: dict, *, profile: int = 1, seed: int = 1, name: str = "results.json") -> SimpleUploadedFile:
    return site.results_upload(gt_data, profile=profile, seed=seed, name=name)


def submit(client: APIClient, track_slug: str, file, **fields):
    data = {"track": track_slug, "method_name": "My detector", "file": file, **fields}
    return client.post(reverse("api:submission-list"), data, format="multipart")


def submit_scored(client: APIClient, track: Track, gt_data: dict, **kwargs) -> dict:
    fields = {k: kwargs.pop(k) for k in list(kwargs) if k not in ("profile", "seed", "name")}
    response = submit(client, track.slug, upload(gt_data, **kwargs), **fields)
    assert response.status_code == 201, response.json()
    tasks.score_submission(response.json()["id"])
    scored = Submission.objects.get(pk=response.json()["id"])
    assert scored.status == Submission.Status.SCORED, scored.error_message
    return response.json()


def detail_url(pk: int, name: str = "detail") -> str:
    return reverse(f"api:submission-{name}", args=[pk])


def board(client: APIClient, slug: str, **params):
    return client.get(reverse("api:track-leaderboard", args=[slug]), params)


# -- catalogue -----------------------------------------------------------------------------------------


def test_anonymous_reads_benchmarks_splits_and_tracks_with_pagination_filters_and_ordering(anonymous, track):
    root = anonymous.get("/api/v1/").json()
    assert set(root) >= {"benchmarks", "splits", "tracks", "submissions"}

    benchmarks = anonymous.get(reverse("api:benchmark-list")).json()
    assert {"count", "next", "previous", "results"} <= set(benchmarks)
    slugs = [b["slug"] for b in benchmarks["results"]]
    assert {"demo-coco", "demo-day2night"} <= set(slugs)
    assert slugs == [b.slug for b in selectors.benchmarks().order_by("name")]
    coco = anonymous.get(reverse("api:benchmark-detail", args=["demo-coco"])).json()
    assert coco["protocol"] == "coco" and coco["is_demo"] is True and track.slug in coco["tracks"]
    ordered = anonymous.get(reverse("api:benchmark-list"), {"ordering": "-name"}).json()["results"]
    assert [b["slug"] for b in ordered] == slugs[::-1]
    assert anonymous.get(reverse("api:benchmark-list"), {"protocol": "kaist", "is_demo": "true"}).json()["count"] == 0

    first = anonymous.get(reverse("api:track-list"), {"page_size": 1}).json()
    assert first["count"] == Track.objects.count() and len(first["results"]) == 1 and first["next"]
    second = anonymous.get(first["next"]).json()
    assert second["results"][0]["slug"] != first["results"][0]["slug"]
    transfer = anonymous.get(reverse("api:track-list"), {"kind": "transfer", "benchmark": "demo-day2night"}).json()
    assert [t["slug"] for t in transfer["results"]] == [TRANSFER]
    assert anonymous.get(reverse("api:track-list"), {"is_open": "false"}).json()["count"] == 0
    detail = anonymous.get(reverse("api:track-detail", args=[track.slug])).json()
    assert detail["primary_metric"] == "AP" and detail["subset"] == "public" and detail["is_open"] is True
    assert detail["columns"] == list(selectors.stat_names(track)) and detail["quota"] is None
    domains = anonymous.get(reverse("api:track-detail", args=[TRANSFER])).json()["domains"]
    assert [d["name"] for d in domains] == ["day", "dawn-dusk", "night"]

    splits = anonymous.get(reverse("api:split-list"), {"benchmark": "demo-day2night"}).json()["results"]
    assert {s["domain"] for s in splits} == {"day", "dawn-dusk", "night"}
    split = anonymous.get(reverse("api:split-detail", args=[track.split_id])).json()
    assert split["checksum"] == track.split.checksum and split["image_count"] == site.DEMO_IMAGES
    assert "ground_truth_path" not in split and "public_seed" not in split
    assert anonymous.get(reverse("api:track-detail", args=["no-such-track"])).status_code == 404


def test_track_detail_shows_the_participants_quota(alice, user, track, gt_data):
    assert alice.get(reverse("api:track-detail", args=[track.slug])).json()["quota"]["remaining_today"] == 5
    assert submit(alice, track.slug, upload(gt_data)).status_code == 201
    quota = alice.get(reverse("api:track-detail", args=[track.slug])).json()["quota"]
    expected = services.submission_quota(user=user, track=track)
    assert quota["used_today"] == 1 and quota["remaining_today"] == expected.remaining_today == 4


# -- tokens --------------------------------------------------------------------------------------------


def test_token_is_exchanged_for_username_and_password(anonymous, user):
    response = anonymous.post(reverse("api:token"), {"username": "alice", "password": "a-long-password-1"})
    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=user).key
    again = anonymous.post(reverse("api:token"), {"username": "alice", "password": "a-long-password-1"}, format="json")
    assert again.json()["token"] == response.json()["token"]

    wrong = anonymous.post(reverse("api:token"), {"username": "alice", "password": "wrong"})
    assert wrong.status_code == 400
    assert wrong.json()["detail"] == "Unable to log in with provided credentials."
    assert wrong.json()["errors"] == {"non_field_errors": ["Unable to log in with provided credentials."]}


def test_token_requests_are_throttled_per_address(anonymous, settings, db):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "token": "3/d"}
    codes = [anonymous.post(reverse("api:token"), {"username": "x", "password": "y"}).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]


def test_uploads_through_the_site_and_the_api_count_against_one_limit(alice, user, track, settings, client):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upload": "2/d"}
    client.force_login(user)
    assert client.post(reverse("submit"), {"track": track.pk}).status_code == 200  # refused by the form, counted
    assert alice.post(reverse("api:submission-list"), {"track": track.slug}).status_code == 400
    assert alice.post(reverse("api:submission-list"), {"track": track.slug}).status_code == 429
    assert client.post(reverse("submit"), {"track": track.pk}).status_code == 429


def test_api_requests_are_limited_per_address_and_per_participant(anonymous, alice, settings, db):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api-anon": "2/d", "api-user": "3/d"}
    assert [anonymous.get(reverse("api:track-list")).status_code for _ in range(3)] == [200, 200, 429]
    assert [alice.get(reverse("api:track-list")).status_code for _ in range(4)] == [200, 200, 200, 429]


def render_token_include(user: User) -> str:
    request = RequestFactory().get("/accounts/profile/")
    request.user = user
    return Template('{% include "includes/api_token.html" %}').render(RequestContext(request, {"user": user}))


def test_profile_token_is_created_and_regenerated_and_the_old_one_stops_working(clients, user, track):
    page = clients(user, token=False)
    assert "api-token-none" in render_token_include(user)
    assert page.get(reverse("api:token-regenerate")).status_code == 405
    response = page.post(reverse("api:token-regenerate"))
    assert response.status_code == 302 and response["Location"] == reverse("profile")
    first = Token.objects.get(user=user).key
    user.refresh_from_db()
    html = render_token_include(user)
    assert first in html and reverse("api:token-regenerate") in html and 'name="csrfmiddlewaretoken"' in html

    page.post(reverse("api:token-regenerate"))
    second = Token.objects.get(user=user).key
    assert second != first
    old, new = clients(), clients()
    old.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    new.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert old.get(reverse("api:submission-list")).status_code == 401
    assert new.get(reverse("api:submission-list")).status_code == 200

    stranger = clients()
    assert stranger.post(reverse("api:token-regenerate")).status_code == 302  # to the login page
    assert Token.objects.get(user=user).key == second


# -- submitting ----------------------------------------------------------------------------------------


def test_submitting_needs_a_token_or_a_session_with_csrf(clients, anonymous, user, track, gt_data):
    response = submit(anonymous, track.slug, upload(gt_data))
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided.", "errors": {}}
    forged = clients()
    forged.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert submit(forged, track.slug, upload(gt_data)).json()["detail"] == "Invalid token."
    browser = clients(user, token=False, enforce_csrf_checks=True)
    refused = submit(browser, track.slug, upload(gt_data))
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert not Submission.objects.exists()


def test_upload_with_a_token_is_stored_queued_and_shown(
    alice, user, track, gt_data, django_capture_on_commit_callbacks
):
    fields = {
        "description": "ResNet-50",
        "paper_url": "arxiv.org/abs/1",
        "code_url": "https://example.org/code",
        "strategy": "fine-tuning",
        "uses_target_labels": "true",
        "parameters_millions": "25.5",
        "replay_samples": "100",
        "adaptation_gpu_hours": "3",
        "ms_per_image": "41.5",
        "is_baseline": "true",  # not a field of the form: ignored
    }
    with django_capture_on_commit_callbacks() as callbacks:
        response = submit(alice, track.slug, upload(gt_data, name="mine.json"), **fields)
    assert response.status_code == 201, response.json()
    assert len(callbacks) == 1
    body = response.json()
    submission = Submission.objects.get(pk=body["id"])
    assert response["Location"] == body["url"] and body["url"].endswith(detail_url(submission.pk))
    assert submission.user == user and submission.track == track and not submission.is_baseline
    assert submission.paper_url == "https://arxiv.org/abs/1" and submission.replay_samples == 100
    assert submission.uses_target_labels and submission.parameters_millions == 25.5
    assert body["status"] == "queued" and body["finished"] is False and body["scores"] == []
    assert body["original_filename"] == "mine.json" and body["sha256"] == submission.sha256
    assert body["page"].endswith(submission.get_absolute_url())
    assert "file" not in body


def test_time_filters_take_any_valid_offset_to_utc_and_refuse_times_outside_the_calendar(alice, track, gt_data):
    created = submit(alice, track.slug, upload(gt_data)).json()["created_at"]
    listed = reverse("api:submission-list")
    # -21:11 is a valid ISO 8601 offset that PostgreSQL cannot hold; it must reach the database as UTC.
    before = alice.get(listed, {"created_after": "1504-03-09T22:13:52-21:11"})
    assert before.status_code == 200 and before.json()["count"] == 1
    later = alice.get(listed, {"created_after": "9999-12-31T03:00:00-21:11"})
    assert later.status_code == 400 and "created_after" in later.json()["errors"]
    assert alice.get(listed, {"created_before": created}).json()["count"] == 0
    refused = alice.get(listed, {"created_before": "0001-01-01T00:00:00+05:00"})
    assert refused.status_code == 400 and "between the years 1 and 9999" in str(refused.json())


def test_the_api_takes_the_same_fields_as_the_browser_form():
    from leaderboard.api.serializers import SubmissionCreateSerializer
    from leaderboard.forms import SubmissionForm

    form, api = SubmissionForm().fields, SubmissionCreateSerializer().fields
    assert set(form) == set(api)
    # What the form requires the API requires too, unless the form fills it in by itself.
    assert {n for n, f in form.items() if f.required and f.initial is None} == {n for n, f in api.items() if f.required}
    assert api["strategy"].default == form["strategy"].initial


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b'[{"image_id": 1, "bbox": [', "broken.json"), (b"[]", "no detections"), (b"", "the file is empty")],
)
def test_refused_upload_answers_400_with_the_sites_message(alice, user, track, content, expected):
    response = submit(alice, track.slug, SimpleUploadedFile("broken.json", content))
    assert response.status_code == 400
    body = response.json()
    assert expected in body["detail"]
    assert body["errors"] == {"file": [body["detail"]]}
    with pytest.raises(services.SubmissionRefused) as site_refusal:
        services.submission_create(
            user=user, track=track, upload=SimpleUploadedFile("broken.json", content), method_name="x"
        )
    assert str(site_refusal.value) == body["detail"]
    assert not Submission.objects.exists()


def test_invalid_fields_answer_400_naming_each_field(alice, track, gt_data):
    response = alice.post(
        reverse("api:submission-list"),
        {"track": "no-such-track", "ms_per_image": "nan", "strategy": "magic", "replay_samples": "-1"},
        format="multipart",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"track", "method_name", "ms_per_image", "strategy", "replay_samples", "file"}
    assert response.json()["detail"].startswith("track: ")
    assert submit(alice, track.slug, upload(gt_data), parameters_millions="inf").status_code == 400


def test_quota_cannot_be_dodged_through_the_api(alice, user, track, gt_data):
    Track.objects.filter(pk=track.pk).update(daily_limit=2, total_limit=3)
    assert submit(alice, track.slug, upload(gt_data, seed=1)).status_code == 201
    duplicate = submit(alice, track.slug, upload(gt_data, seed=1, name="renamed.json"))
    assert duplicate.status_code == 400 and "already submitted this exact file" in duplicate.json()["detail"]
    assert submit(alice, track.slug, upload(gt_data, seed=2)).status_code == 201

    third = submit(alice, track.slug, upload(gt_data, seed=3), is_baseline="true")
    assert third.status_code == 400
    assert third.json()["detail"].startswith("You have used today's 2 submissions; the count resets at")
    assert Submission.objects.filter(user=user).count() == 2

    Submission.objects.filter(user=user).update(created_at=Submission.objects.first().created_at.replace(year=2000))
    assert submit(alice, track.slug, upload(gt_data, seed=4)).status_code == 201
    total = submit(alice, track.slug, upload(gt_data, seed=5))
    assert total.status_code == 400 and total.json()["detail"] == "You have used all 3 submissions of this track."

    Track.objects.filter(pk=track.pk).update(total_limit=100, closes_at=track.opens_at)
    closed = submit(alice, track.slug, upload(gt_data, seed=6))
    assert closed.json()["detail"] == "This track is not accepting submissions."


def test_submission_creation_has_its_own_rate_limit(alice, bob, track, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upload": "2/d"}
    codes = [alice.post(reverse("api:submission-list"), {"track": track.slug}).status_code for _ in range(3)]
    assert codes == [400, 400, 429]
    assert "throttled" in alice.post(reverse("api:submission-list"), {}).json()["detail"]
    assert alice.get(reverse("api:submission-list")).status_code == 200  # reading is not limited by it
    assert bob.post(reverse("api:submission-list"), {"track": track.slug}).status_code == 400  # per user


# -- reading submissions -------------------------------------------------------------------------------


def test_the_list_holds_only_ones_own_submissions(alice, bob, anonymous, track, gt_data):
    mine = submit(alice, track.slug, upload(gt_data, seed=1)).json()["id"]
    scored = submit_scored(alice, track, gt_data, seed=2)["id"]
    theirs = submit(bob, track.slug, upload(gt_data, seed=3)).json()["id"]

    listed = alice.get(reverse("api:submission-list")).json()
    assert [s["id"] for s in listed["results"]] == [scored, mine]  # newest first
    assert [s["id"] for s in bob.get(reverse("api:submission-list")).json()["results"]] == [theirs]
    queued = alice.get(reverse("api:submission-list"), {"status": "queued", "track": track.slug}).json()
    assert [s["id"] for s in queued["results"]] == [mine]
    oldest = alice.get(reverse("api:submission-list"), {"ordering": "created_at"}).json()["results"]
    assert [s["id"] for s in oldest] == [mine, scored]
    assert anonymous.get(reverse("api:submission-list")).status_code == 401


def test_a_stranger_cannot_read_another_participants_queued_failed_or_hidden_submission(
    alice, bob, anonymous, host, track, gt_data
):
    queued = submit(alice, track.slug, upload(gt_data, seed=1)).json()["id"]
    failed = submit(alice, track.slug, upload(gt_data, seed=2)).json()["id"]
    services.submission_fail(submission=Submission.objects.get(pk=failed), message="record 3: bad box", by_user=True)
    hidden = submit_scored(alice, track, gt_data, seed=3)["id"]
    Submission.objects.filter(pk=hidden).update(is_hidden=True)
    public = submit_scored(alice, track, gt_data, seed=4)["id"]

    for pk in (queued, failed, hidden):
        for stranger in (bob, anonymous):
            for name in ("detail", "scores"):
                response = stranger.get(detail_url(pk, name))
                assert response.status_code == 404, (pk, name)
                assert response.json() == {"detail": "No such submission.", "errors": {}}
        assert alice.get(detail_url(pk)).status_code == 200
        assert host.get(detail_url(pk)).status_code == 200
    assert alice.get(detail_url(failed)).json()["error_message"] == "record 3: bad box"
    assert host.get(detail_url(failed)).json()["error_message"] == "record 3: bad box"

    seen = bob.get(detail_url(public)).json()
    assert seen["status"] == "scored" and seen["participant"] == "alice"
    assert seen["original_filename"] == "" and seen["sha256"] == "" and seen["error_message"] == ""
    assert anonymous.get(detail_url(public, "scores")).status_code == 200
    assert anonymous.get(detail_url(10**12)).status_code == 404


def test_private_scores_stay_hidden_until_the_hosts_reveal_them(alice, bob, anonymous, host, track, gt_data):
    pk = submit_scored(alice, track, gt_data, profile=3)["id"]
    submit_scored(bob, track, gt_data, profile=0)
    stored = {s.subset: s for s in Score.objects.filter(submission_id=pk, is_current=True)}
    assert stored["full"].primary_value != stored["public"].primary_value

    for client in (alice, bob, anonymous):
        detail = client.get(detail_url(pk)).json()
        assert [s["subset"] for s in detail["scores"]] == ["public"]
        assert detail["scores"][0]["primary_value"] == stored["public"].primary_value
        assert [s["subset"] for s in client.get(detail_url(pk, "scores")).json()["scores"]] == ["public"]
        refused = board(client, track.slug, subset="full")
        assert refused.status_code == 403
        assert refused.json()["detail"] == "The private leaderboard is shown once the hosts reveal it."
        assert board(client, track.slug).json()["subset"] == "public"
    assert [s["subset"] for s in host.get(detail_url(pk)).json()["scores"]] == ["public", "full"]

    Track.objects.filter(pk=track.pk).update(private_revealed=True)
    detail = bob.get(detail_url(pk)).json()
    assert [s["subset"] for s in detail["scores"]] == ["full", "public"]
    assert detail["scores"][0]["primary_value"] == stored["full"].primary_value
    full = board(anonymous, track.slug).json()
    assert full["subset"] == "full" and full["rows"][0]["primary_value"] == stored["full"].primary_value
    assert board(anonymous, track.slug, subset="public").json()["rows"][0]["primary_value"] == (
        stored["public"].primary_value
    )


def test_scores_hold_per_class_tables_and_curves(alice, track, gt_data):
    pk = submit_scored(alice, track, gt_data)["id"]
    data = alice.get(detail_url(pk, "scores")).json()
    score = Score.objects.get(submission_id=pk, subset="public", is_current=True)
    assert data["submission"] == pk and data["status"] == "scored" and data["transfer_scores"] == []
    [public] = data["scores"]
    assert data["stat_names"][0] == "AP" and public["stats"]["AP"] == score.stats["AP"]
    assert [row["name"] for row in public["per_class"]] == list(demo.CATEGORIES)
    assert public["per_class"] == score.per_class
    assert public["curves"] == score.curves and public["curves"]
    assert public["ground_truth_checksum"] == track.split.checksum
    assert public["split"] == {"id": track.split_id, "name": track.split.name, "domain": track.split.domain}


# -- leaderboards --------------------------------------------------------------------------------------


def test_anonymous_leaderboard_is_the_pages_ranking(clients, anonymous, client, track, gt_data):
    users = [User.objects.create_user(f"p{n}", password="a-long-password-9") for n in range(3)]
    for n, (participant, profile) in enumerate(zip(users, (0, 3, 2), strict=True)):
        submit_scored(clients(participant), track, gt_data, profile=profile, seed=n, strategy="other" if n else "as-is")
    submit_scored(clients(users[1]), track, gt_data, profile=1, seed=9, strategy="other")  # weaker: not ranked

    data = board(anonymous, track.slug).json()
    page = client.get(reverse("track", args=[track.slug])).context["rows"]
    download = client.get(reverse("track-download", args=[track.slug, "json"])).json()["rows"]
    assert [r["submission"] for r in data["rows"]] == [row.submission_id for row in page]
    assert [r["participant"] for r in data["rows"]] == ["p1", "p2", "p0"]
    assert [r["rank"] for r in data["rows"]] == [1, 2, 3]
    for mine, theirs in zip(data["rows"], download, strict=True):
        assert (mine["method"], mine["participant"]) == (theirs["method"], theirs["participant"])
        assert mine["stats"] == {name: theirs[name] for name in data["columns"]}
    assert data["columns"] == list(selectors.stat_names(track)) and data["primary_metric"] == "AP"

    by_small = board(anonymous, track.slug, sort="APs").json()["rows"]
    expected = list(selectors.leaderboard_rows(track=track, sort="APs"))
    assert [r["submission"] for r in by_small] == [row.submission_id for row in expected]
    only = board(anonymous, track.slug, strategy="as-is").json()["rows"]
    assert [r["participant"] for r in only] == ["p0"]
    unknown = board(anonymous, track.slug, sort="height")
    assert unknown.status_code == 400 and "Unknown stat 'height'" in unknown.json()["errors"]["sort"][0]
    assert board(anonymous, "nope").status_code == 404


def test_transfer_submission_shows_its_matrix_and_derived_metrics(alice, anonymous, track):
    images = max(site.DEMO_IMAGES * 2 // 3, 20)  # as load_demo generates them
    ground_truth = {
        domain.name: demo_transfer.generate_domain(domain, images=images, seed=20 + n)
        for n, domain in enumerate(demo_transfer.DOMAINS)
    }
    strategy = next(s for s in demo_transfer.STRATEGIES if s.key == "lwf")
    archive = SimpleUploadedFile("lwf.zip", demo_transfer.submission_archive(strategy, ground_truth))
    response = submit(alice, TRANSFER, archive, strategy="lwf")
    assert response.status_code == 201, response.json()
    tasks.score_submission(response.json()["id"])

    data = anonymous.get(detail_url(response.json()["id"], "scores")).json()
    [derived] = data["transfer_scores"]
    assert derived["subset"] == "public" and derived["domains"] == ["day", "dawn-dusk", "night"]
    assert len(derived["matrix"]) == 3 and derived["stats"]["gain"] is not None
    assert len(data["scores"]) == 9 and {s["stage"] for s in data["scores"]} == {1, 2, 3}
    assert data["scores"][0]["per_class"] and data["scores"][0]["curves"]

    rows = board(anonymous, TRANSFER).json()
    assert rows["columns"] == list(selectors.TRANSFER_COLUMNS) and rows["domains"] == derived["domains"]
    assert rows["rows"][0]["matrix"] == derived["matrix"]
    assert rows["rows"][0]["stats"]["target_after"] == derived["stats"]["target_after"]
    assert board(anonymous, TRANSFER, strategy="lwf", target_labels="false").json()["rows"]
    assert board(anonymous, TRANSFER, target_labels="true").json()["rows"] == []


# -- cancelling ----------------------------------------------------------------------------------------


def test_only_the_owner_cancels_a_queued_submission(alice, bob, anonymous, track, gt_data):
    pk = submit(alice, track.slug, upload(gt_data, seed=1)).json()["id"]
    assert anonymous.post(detail_url(pk, "cancel")).status_code == 401
    assert bob.post(detail_url(pk, "cancel")).status_code == 404
    response = alice.post(detail_url(pk, "cancel"))
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    again = alice.post(detail_url(pk, "cancel"))
    assert again.status_code == 409
    assert again.json()["detail"] == "Only a queued or running submission can be cancelled; this one is cancelled."

    scored = submit_scored(alice, track, gt_data, seed=2)["id"]
    assert bob.post(detail_url(scored, "cancel")).status_code == 403
    assert alice.post(detail_url(scored, "cancel")).status_code == 409
    assert Submission.objects.get(pk=scored).status == Submission.Status.SCORED


# -- errors, schema and docs ---------------------------------------------------------------------------


def test_every_error_has_the_same_body(alice, anonymous):
    for response in (
        anonymous.get("/api/v1/no-such-thing/"),
        anonymous.delete(reverse("api:benchmark-list")),
        anonymous.get(reverse("api:benchmark-list"), {"page": 99}),
        alice.post(reverse("api:submission-list"), {"method_name": "x" * 101}),
    ):
        assert response.status_code in (400, 404, 405)
        assert set(response.json()) == {"detail", "errors"} and response.json()["detail"], response.json()


def test_schema_and_docs_are_served_without_a_cdn(anonymous):
    schema = anonymous.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/v1/benchmarks/",
        "/api/v1/splits/{id}/",
        "/api/v1/tracks/{slug}/leaderboard/",
        "/api/v1/submissions/",
        "/api/v1/submissions/{id}/scores/",
        "/api/v1/submissions/{id}/cancel/",
        "/api/v1/token/",
    } <= set(schema["paths"])
    assert "ground_truth_path" not in str(schema)

    docs = anonymous.get(reverse("api:docs"))
    assert docs.status_code == 200
    html = docs.content.decode()
    assert reverse("api:schema") in html
    import drf_spectacular_sidecar

    static = Path(drf_spectacular_sidecar.__file__).parent / "static"
    assets = [f"drf_spectacular_sidecar/swagger-ui-dist/{name}" for name in ("swagger-ui-bundle.js", "swagger-ui.css")]
    for asset in assets:
        assert f"{django_settings.STATIC_URL}{asset}" in html
        assert (static / asset).is_file()
    assert "cdn." not in html.lower() and "https://" not in html  # (a random CSRF token may hold "cdn")


def test_staff_responses_name_no_ground_truth_or_upload_path(host, track, gt_data):
    pk = submit_scored(host, track, gt_data)["id"]
    Track.objects.filter(pk=track.pk).update(private_revealed=True)
    for url in (
        reverse("api:benchmark-list"),
        reverse("api:benchmark-detail", args=["demo-coco"]),
        reverse("api:split-list"),
        reverse("api:split-detail", args=[track.split_id]),
        reverse("api:track-list"),
        reverse("api:track-detail", args=[track.slug]),
        reverse("api:track-leaderboard", args=[track.slug]),
        reverse("api:submission-list"),
        detail_url(pk),
        detail_url(pk, "scores"),
        reverse("api:schema"),
    ):
        assert host.get(url).status_code == 200, url
    assert host.post(detail_url(pk, "cancel")).status_code == 409
    body = io.StringIO()
    for response in host.responses:
        body.write(response.content.decode())
    assert "ground_truth" not in body.getvalue().replace("ground_truth_checksum", "")
