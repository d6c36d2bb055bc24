"""The smaller holes of issue 14, item 9: free-text sizes, the token page in caches, password reset
without a mail server, all-numeric passwords. (The short scoring lease: test_lease_heartbeat.py.)"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leaderboard import services
from leaderboard.models import DESCRIPTION_MAX_LENGTH, Submission
from tests.leaderboard.conftest import results_upload

pytestmark = pytest.mark.django_db

HUGE = "x" * (4 * 1024 * 1024)
LONG_URL = "https://example.org/" + "a" * 300


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.mark.parametrize(("field", "value"), [("description", HUGE), ("paper_url", LONG_URL), ("code_url", LONG_URL)])
def test_oversized_free_text_is_refused_by_the_api(api, track, gt_data, field, value):
    body = {"track": track.slug, "method_name": "m", "file": results_upload(gt_data), field: value}
    response = api.post(reverse("api:submission-list"), body, format="multipart")
    assert response.status_code == 400
    assert "no more than" in response.json()["errors"][field][0]
    assert not Submission.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("description", HUGE), ("paper_url", LONG_URL)])
def test_oversized_free_text_is_refused_by_the_form(client, user, track, gt_data, field, value):
    client.force_login(user)
    body = {"track": track.pk, "method_name": "m", "strategy": "as-is", "file": results_upload(gt_data), field: value}
    response = client.post(reverse("submit"), body)
    assert response.status_code == 200
    assert "at most" in response.content.decode()
    assert not Submission.objects.exists()


def test_oversized_free_text_is_refused_when_editing_and_by_the_model(client, api, user, track, gt_data):
    submission = services.submission_create(user=user, track=track, upload=results_upload(gt_data), method_name="m")
    response = api.patch(reverse("api:submission-detail", args=[submission.pk]), {"description": HUGE}, format="json")
    assert response.status_code == 400
    client.force_login(user)
    edit = client.post(reverse("submission-edit", args=[submission.pk]), {"method_name": "m", "description": HUGE})
    assert edit.status_code == 200 and "at most" in edit.content.decode()
    submission.refresh_from_db()
    assert submission.description == ""
    submission.description = "y" * (DESCRIPTION_MAX_LENGTH + 1)
    with pytest.raises(ValidationError):
        submission.full_clean()


def test_pages_and_answers_showing_the_token_are_never_cached(client, user):
    client.force_login(user)
    assert "no-store" in client.get(reverse("profile"))["Cache-Control"]
    answer = APIClient().post(reverse("api:token"), {"username": "alice", "password": "a-long-password-1"})
    assert answer.status_code == 200 and "no-store" in answer["Cache-Control"]


def test_without_a_mail_server_no_password_reset_is_offered(client, user, settings):
    settings.EMAIL_CONFIGURED = False
    assert "This site sends no email" in client.get(reverse("login")).content.decode()
    response = client.post(reverse("password_reset"), {"email": "alice@example.org"})
    assert response.status_code == 404
    assert "cannot reset passwords" in response.content.decode()


def test_with_a_mail_server_the_reset_mail_is_sent(client, user, settings):
    settings.EMAIL_CONFIGURED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user.email = "alice@example.org"
    user.save()
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()
    assert client.post(reverse("password_reset"), {"email": "alice@example.org"}).status_code == 302
    assert len(mail.outbox) == 1


def test_all_numeric_passwords_are_refused(client):
    data = {"username": "numbers", "password1": "8675309012", "password2": "8675309012"}
    response = client.post(reverse("signup"), data)
    assert response.status_code == 200
    assert "entirely numeric" in response.content.decode()
    assert not User.objects.filter(username="numbers").exists()
