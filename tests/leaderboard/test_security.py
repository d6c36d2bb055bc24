"""Abuse: rate limits, oversized bodies, CSRF, escaping, staff-only admin."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from leaderboard import services, tasks
from leaderboard.models import Submission
from tests.leaderboard.conftest import results_upload

pytestmark = pytest.mark.django_db


def upload(client, track, gt_data, seed):
    return client.post(
        reverse("submit"),
        {"track": track.pk, "method_name": f"m{seed}", "strategy": "as-is", "file": results_upload(gt_data, seed=seed)},
    )


def test_uploads_are_rate_limited_per_participant(client, user, track, gt_data, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upload": "2/h"}
    client.force_login(user)
    assert upload(client, track, gt_data, 1).status_code == 302
    assert upload(client, track, gt_data, 2).status_code == 302
    refused = upload(client, track, gt_data, 3)
    assert refused.status_code == 429
    assert "Too many uploads" in refused.content.decode()
    assert Submission.objects.count() == 2


def test_oversized_body_is_refused_before_it_is_read(client, user, track, settings):
    settings.MAX_UPLOAD_MB = 1
    client.force_login(user)
    response = client.generic(
        "POST",
        reverse("submit"),
        b"x" * 10,
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(5 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "limit of 1 MB" in response.content.decode()


def test_signups_and_logins_are_rate_limited(client, user, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signup": "2/h", "login": "3/5m"}
    for n in range(2):
        client.post(
            reverse("signup"), {"username": f"u{n}", "password1": "Pw-long-enough-1", "password2": "Pw-long-enough-1"}
        )
        client.logout()
    assert client.post(reverse("signup"), {"username": "u9"}).status_code == 429

    attempts = [client.post(reverse("login"), {"username": "alice", "password": "wrong"}).status_code for _ in range(4)]
    assert attempts == [200, 200, 200, 429]
    # Even the right password is refused while the limit holds: guessing gains nothing.
    assert client.post(reverse("login"), {"username": "alice", "password": "a-long-password-1"}).status_code == 429


def test_forms_need_the_csrf_token(user, track, gt_data):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert upload(strict, track, gt_data, 1).status_code == 403
    assert strict.post(reverse("signup"), {"username": "x"}).status_code == 403


def test_method_names_are_escaped_everywhere(client, user, track, gt_data):
    name = '<script>alert("x")</script>'
    submission = services.submission_create(user=user, track=track, upload=results_upload(gt_data), method_name=name)
    tasks.score_submission(submission.pk)
    for url in (reverse("track", args=[track.slug]), reverse("submission", args=[submission.pk]), reverse("home")):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page, url
    compare = client.get(reverse("track-compare", args=[track.slug]) + f"?id={submission.pk}").content.decode()
    assert "<script>alert" not in compare  # json_script escapes < > & inside the page's data


def test_admin_is_for_staff_only(client, user):
    assert client.get("/admin/").status_code == 302
    client.force_login(user)
    assert client.get("/admin/").status_code == 302  # logged in but not staff: sent to the admin's log-in
    user.is_staff = True
    user.save()
    assert client.get("/admin/").status_code == 200


def test_every_form_on_every_page_carries_and_needs_the_csrf_token(user, track, gt_data):
    """Crawls the pages a participant sees, logged in and not, and posts each form back without its token."""
    submission = services.submission_create(user=user, track=track, upload=results_upload(gt_data), method_name="m")
    tasks.score_submission(submission.pk)
    pages = [
        reverse("home"),
        reverse("benchmarks"),
        reverse("benchmark", args=[track.benchmark.slug]),
        reverse("track", args=[track.slug]),
        reverse("track-compare", args=[track.slug]) + f"?id={submission.pk}",
        reverse("submission", args=[submission.pk]),
        reverse("submit"),
        reverse("profile"),
        reverse("submission-edit", args=[submission.pk]),
    ]
    form = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
    seen = set()
    for logged_in in (False, True):
        strict = Client(enforce_csrf_checks=True)
        if logged_in:
            strict.force_login(user)
        for url in [*pages, reverse("login"), reverse("signup")]:
            response = strict.get(url)
            if response.status_code != 200:
                continue
            for attributes, body in form.findall(response.content.decode()):
                if not re.search(r'method="post"', attributes, re.I):
                    continue
                action = re.search(r'action="([^"]*)"', attributes)
                target = action.group(1) if action and action.group(1) else url
                assert 'name="csrfmiddlewaretoken"' in body, f"form posting to {target} on {url}"
                assert strict.post(target, {}).status_code == 403, f"form posting to {target} on {url}"
                seen.add(target)
    assert {
        reverse("login"),
        reverse("signup"),
        reverse("submit"),
        reverse("logout"),
        reverse("api:token-regenerate"),
        reverse("submission-edit", args=[submission.pk]),
        reverse("submission-hide", args=[submission.pk]),
    } <= seen
