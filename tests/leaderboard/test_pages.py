"""Pages as participants and strangers see them, through Django's test client."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from leaderboard import services, tasks
from leaderboard.models import Submission
from tests.factories import SubmissionFactory
from tests.leaderboard.conftest import raw_upload, results_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored_submission(user, track, gt_data) -> Submission:
    return SubmissionFactory(user=user, track=track, method_name="Cascade R-CNN", scored=True)


def test_public_pages_render(client, track, scored_submission):
    for url in (
        reverse("home"),
        reverse("benchmarks"),
        reverse("benchmark", args=[track.benchmark.slug]),
        reverse("track", args=[track.slug]),
        reverse("submission", args=[scored_submission.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    track_page = client.get(reverse("track", args=[track.slug])).content.decode()
    assert "Cascade R-CNN" in track_page
    assert "demo" in track_page.lower()


def test_leaderboard_downloads(client, track, scored_submission):
    data = client.get(reverse("track-download", args=[track.slug, "json"])).json()
    assert data["subset"] == "public"
    assert data["rows"][0]["method"] == "Cascade R-CNN"
    assert data["rows"][0]["AP"] == scored_submission.scores.get(subset="public").primary_value
    csv_text = client.get(reverse("track-download", args=[track.slug, "csv"])).content.decode()
    assert csv_text.splitlines()[0].startswith("rank,submission,method,participant")
    assert client.get(reverse("track-download", args=[track.slug, "xml"])).status_code == 404


def test_submit_requires_login(client, track):
    response = client.get(reverse("submit"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_upload_in_the_browser_queues_and_status_reports(client, user, track, gt_data):
    client.force_login(user)
    response = client.post(
        reverse("submit"),
        {"track": track.pk, "method_name": "YOLO", "strategy": "as-is", "file": results_upload(gt_data)},
    )
    submission = Submission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == submission.get_absolute_url()
    status = client.get(reverse("submission-status", args=[submission.pk])).json()
    assert status == {
        "id": submission.pk,
        "status": "queued",
        "finished": False,
        "error": "",
        "counts_against_quota": True,
    }

    tasks.score_submission(submission.pk)
    status = client.get(reverse("submission-status", args=[submission.pk])).json()
    assert status["status"] == "scored"
    assert status["finished"]


def test_bad_upload_shows_the_engine_message(client, user, track):
    client.force_login(user)
    records = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, "3", 4], "score": 0.5}]
    response = client.post(
        reverse("submit"),
        {"track": track.pk, "method_name": "Broken", "strategy": "as-is", "file": raw_upload(records, "mine.json")},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "mine.json" in page
    assert "record 1" in page
    assert not Submission.objects.exists()


def test_failed_submission_shows_the_reason_to_its_owner(client, user, track, gt_data):
    # Unknown ids are refused at upload now; a file can still fail at scoring (the split changed meanwhile).
    submission = SubmissionFactory(user=user, track=track, method_name="x")
    services.submission_fail(submission=submission, message="record 1: image_id 424242 is gone", by_user=True)
    client.force_login(user)
    page = client.get(reverse("submission", args=[submission.pk])).content.decode()
    assert "424242" in page
    assert client.get(reverse("submission-status", args=[submission.pk])).json()["status"] == "failed"


def test_strangers_cannot_see_unfinished_or_hidden_submissions(client, other_user, user, track, gt_data):
    queued = SubmissionFactory(user=user, track=track, method_name="x")
    client.force_login(other_user)
    assert client.get(reverse("submission", args=[queued.pk])).status_code == 404
    assert client.get(reverse("submission-status", args=[queued.pk])).status_code == 404
    tasks.score_submission(queued.pk)
    assert client.get(reverse("submission", args=[queued.pk])).status_code == 200
    Submission.objects.filter(pk=queued.pk).update(is_hidden=True)
    assert client.get(reverse("submission", args=[queued.pk])).status_code == 404


def test_strangers_see_only_public_scores_until_revealed(client, other_user, track, scored_submission):
    client.force_login(other_user)
    page = client.get(reverse("submission", args=[scored_submission.pk])).content.decode()
    full = scored_submission.scores.get(subset="full")
    public = scored_submission.scores.get(subset="public")
    assert f"{public.primary_value:.4f}" in page
    assert "full split" not in page.lower()
    track.private_revealed = True
    track.save()
    page = client.get(reverse("submission", args=[scored_submission.pk])).content.decode()
    assert f"{full.primary_value:.4f}" in page


def test_ground_truth_and_uploads_are_never_served(client, track, scored_submission, settings):
    gt_relative = track.split.ground_truth_path
    upload_relative = scored_submission.file.name
    for url in (
        f"/media/{upload_relative}",
        f"/{settings.MEDIA_URL}{upload_relative}",
        f"/ground_truth/{gt_relative}",
        f"/static/{gt_relative}",
        f"/static/../ground_truth/{gt_relative}",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("track-download", args=[track.slug, "json"]),
        reverse("submission", args=[scored_submission.pk]),
    ):
        body = client.get(url).content.decode()
        assert str(settings.GROUND_TRUTH_ROOT) not in body
        assert '"annotations"' not in body


def test_signup_logs_in_and_profile_lists_submissions(client, track, gt_data):
    response = client.post(
        reverse("signup"),
        {"username": "carol", "email": "", "password1": "a-long-password-3", "password2": "a-long-password-3"},
    )
    assert response.status_code == 302
    profile = client.get(reverse("profile"))
    assert profile.status_code == 200
    assert "carol" in profile.content.decode()


def test_status_is_json(client, user, track, gt_data):
    submission = SubmissionFactory(user=user, track=track, method_name="x")
    client.force_login(user)
    response = client.get(reverse("submission-status", args=[submission.pk]))
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["id"] == submission.pk


def test_owner_sees_only_the_public_score_before_the_reveal(client, user, track, scored_submission):
    client.force_login(user)
    page = client.get(reverse("submission", args=[scored_submission.pk])).content.decode()
    assert "Public test set" in page
    assert "Full (private) test set" not in page


def test_submission_page_loads_its_plots_and_plotly_from_our_own_urls(client, scored_submission):
    response = client.get(reverse("submission", args=[scored_submission.pk]))
    page = response.content.decode()
    plots_url = reverse("submission-plots", args=[scored_submission.pk])
    assert f'data-plots-url="{plots_url}"' in page
    assert "/static/vendor/plotly.min.js" in page
    assert "cdn" not in page.lower()
    assert len(response.content) < 60_000  # the data comes through plots.json
    public = scored_submission.scores.get(subset="public")
    plots = client.get(plots_url)
    assert plots.status_code == 200 and plots["Cache-Control"] == "private, no-cache"
    body = plots.json()
    assert body["score"] == public.pk and body["curves"] == public.curves and body["explorer"] == public.explorer
    assert body["per_class"] == public.per_class
    again = client.get(plots_url, HTTP_IF_NONE_MATCH=plots["ETag"])
    assert again.status_code == 304 and again.content == b""
    # the full score stays hidden until the reveal, whatever id is asked for
    full = scored_submission.scores.get(subset="full")
    assert client.get(plots_url, {"score": full.pk}).status_code == 404


def test_submission_page_leads_with_the_summary(client, track, scored_submission):
    page = client.get(reverse("submission", args=[scored_submission.pk])).content.decode()
    public = scored_submission.scores.get(subset="public")
    summary, rest = page.split('id="curves-section"', 1)
    assert f"{public.primary_value:.4f}" in summary and 'id="rank">#1<' in summary
    assert f"{public.interval_low:.4f}" in summary
    assert 'id="section-menu"' in summary and "Per-class results" in rest
    assert "higher is better" in summary  # the direction arrows
    assert f"{public.stats['AUC']:.4f}" in summary  # the image-level ROC's AUC is a headline figure


def test_hidden_submission_plots_are_refused_to_strangers(client, other_user, scored_submission):
    Submission.objects.filter(pk=scored_submission.pk).update(is_hidden=True)
    client.force_login(other_user)
    assert client.get(reverse("submission-plots", args=[scored_submission.pk])).status_code == 404


def test_compare_page_overlays_the_chosen_submissions(client, user, other_user, track, gt_data):
    first = SubmissionFactory(user=user, track=track, profile=3, seed=1, method_name="Strong", scored=True)
    second = SubmissionFactory(user=other_user, track=track, profile=0, seed=2, method_name="Weak", scored=True)
    hidden = SubmissionFactory(user=other_user, track=track, profile=1, seed=3, method_name="Hidden", scored=True)
    Submission.objects.filter(pk=hidden.pk).update(is_hidden=True)

    url = reverse("track-compare", args=[track.slug]) + f"?id={first.pk}&id={second.pk}&id={hidden.pk}"
    response = client.get(url)
    assert response.status_code == 200
    assert [s.submission.method_name for s in response.context["scores"]] == ["Strong", "Weak"]
    row = response.context["table"][0]
    strong = first.scores.get(subset="public").per_class[0]["metrics"]["AP"]
    weak = second.scores.get(subset="public").per_class[0]["metrics"]["AP"]
    assert row["values"] == [strong, weak]
    assert row["differences"] == [pytest.approx(weak - strong)]
    assert "Hidden" not in response.content.decode().split('id="compare-table"')[1]
    assert [s["method"] for s in response.context["plot"]["submissions"]] == ["Strong", "Weak"]
    assert response.context["plot"]["submissions"][0]["errors"]["counts"]["missed"] >= 0


def test_submission_page_carries_the_analyze_breakdown(client, scored_submission):
    response = client.get(reverse("submission", args=[scored_submission.pk]))
    page = response.content.decode()
    assert 'id="analyze-bars"' in page and 'id="analyze-curves"' in page and "/static/js/analyze.js" in page
    data = client.get(reverse("submission-plots", args=[scored_submission.pk])).json()["explorer"]
    assert data["coco_analyze"] == scored_submission.scores.get(subset="public").explorer["coco_analyze"]
    assert data["coco_analyze"]["types"] == ["C75", "C50", "Loc", "Sim", "Oth", "BG", "FN"]


def test_compare_page_carries_each_submissions_analyze_bar(client, user, other_user, track, gt_data):
    chosen = []
    for owner, name, profile in ((user, "A <b>one</b>", 3), (other_user, "B", 0)):
        chosen.append(SubmissionFactory(user=owner, track=track, profile=profile, method_name=name, scored=True))
    url = reverse("track-compare", args=[track.slug]) + "".join(f"&id={s.pk}" for s in chosen).replace("&", "?", 1)
    response = client.get(url)
    page = response.content.decode()
    assert 'id="compare-analyze"' in page and "/static/js/analyze.js" in page
    assert "<b>one</b>" not in page
    for submission, plotted in zip(chosen, response.context["plot"]["submissions"], strict=True):
        stored = submission.scores.get(subset="public").explorer["coco_analyze"]
        assert plotted["analyze"] == {"types": stored["types"], "ap": stored["ap"]["all"]}
