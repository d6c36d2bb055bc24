"""Requests that used to end in a 500 answer a clear 4xx (issue 14, item 6)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leaderboard.models import Submission
from tests.leaderboard.conftest import results_upload

pytestmark = pytest.mark.django_db

# 130 two-byte characters: 265 bytes in UTF-8, though only 135 characters (Django cuts at 255 characters).
LONG_NAME = "é" * 130 + ".json"


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_a_file_name_over_255_bytes_is_refused_through_the_api(api, track, gt_data):
    assert len(LONG_NAME.encode()) > 255
    body = {"track": track.slug, "method_name": "m", "file": results_upload(gt_data, name=LONG_NAME)}
    response = api.post(reverse("api:submission-list"), body, format="multipart")
    assert response.status_code == 400
    assert "bytes long in UTF-8; the limit is 255" in response.json()["errors"]["file"][0]
    assert not Submission.objects.exists()


def test_a_file_name_over_255_bytes_is_refused_through_the_form(client, user, track, gt_data):
    client.force_login(user)
    client.raise_request_exception = False
    body = {"track": track.pk, "method_name": "m", "strategy": "as-is", "file": results_upload(gt_data, name=LONG_NAME)}
    response = client.post(reverse("submit"), body)
    assert response.status_code == 200
    assert "bytes long in UTF-8; the limit is 255" in response.content.decode()
    assert not Submission.objects.exists()


def test_a_long_name_within_255_bytes_is_stored_whole(api, track, gt_data):
    name = "é" * 122 + ".json"
    assert len(name.encode()) == 249
    body = {"track": track.slug, "method_name": "m", "file": results_upload(gt_data, name=name)}
    assert api.post(reverse("api:submission-list"), body, format="multipart").status_code == 201
    assert Submission.objects.get().original_filename == name


@pytest.mark.parametrize("value", ["abc", "%C2%B2", "99999999999999999999", "-1"])
def test_a_track_that_is_not_a_number_leaves_the_form_on_the_first_track(client, user, track, value):
    client.force_login(user)
    client.raise_request_exception = False
    assert client.get(reverse("submit") + f"?track={value}").status_code == 200


@pytest.mark.parametrize("value", ["%C2%B2", "abc", "1.5", "%D9%A3"])
def test_compare_refuses_an_id_that_is_not_a_number(client, track, value):
    client.raise_request_exception = False
    response = client.get(reverse("track-compare", args=[track.slug]) + f"?id={value}")
    assert response.status_code == 400
    assert "is not a submission number" in response.content.decode()


def test_an_api_field_over_5_mb_answers_the_api_error_body(api, track):
    body = {"track": track.slug, "method_name": "m", "description": "x" * (5 * 1024 * 1024 + 1)}
    response = api.post(reverse("api:submission-list"), body, format="multipart")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "larger than 5 MB" in response.json()["detail"]
