"""Attack: 20 uploads sent at once against a limit of 5 must accept exactly 5 (issue 14, item 1).

The uploads run in threads, each on its own database connection, released together by a
barrier. On SQLite every write transaction is serialised anyway, so the race needs PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leaderboard.models import Submission
from tests.leaderboard.conftest import results_upload

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the race needs concurrent writers: set DATABASE_URL to a PostgreSQL database",
    ),
]

PARALLEL = 20
LIMIT = 5


def _at_once(send: Callable[[int], int]) -> list[int]:
    """Run ``send(n)`` for n in 0..PARALLEL-1 in threads started together; their status codes."""
    barrier = threading.Barrier(PARALLEL)
    codes: list[int] = [0] * PARALLEL

    def run(n: int) -> None:
        try:
            barrier.wait()
            codes[n] = send(n)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


@pytest.fixture
def fair(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upload": "1000/h"}


def _api_sender(user, track, gt_data) -> Callable[[int], int]:
    key = Token.objects.get_or_create(user=user)[0].key

    def send(n: int) -> int:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        body = {"track": track.slug, "method_name": f"m{n}", "file": results_upload(gt_data, seed=100 + n)}
        return client.post(reverse("api:submission-list"), body, format="multipart").status_code

    return send


def _form_sender(user, track, gt_data) -> Callable[[int], int]:
    def send(n: int) -> int:
        client = Client()
        client.force_login(user)
        body = {
            "track": track.pk,
            "method_name": f"m{n}",
            "strategy": "as-is",
            "file": results_upload(gt_data, seed=100 + n),
        }
        return client.post(reverse("submit"), body).status_code

    return send


@pytest.mark.parametrize("entry", ["api", "form"])
@pytest.mark.parametrize("limit", ["daily_limit", "total_limit"])
def test_parallel_uploads_cannot_exceed_the_limit(fair, user, track, gt_data, entry, limit):
    track.daily_limit, track.total_limit = 100, 100
    setattr(track, limit, LIMIT)
    track.save()
    sender = _api_sender if entry == "api" else _form_sender
    codes = _at_once(sender(user, track, gt_data))
    accepted = {"api": 201, "form": 302}[entry]
    assert codes.count(accepted) == LIMIT, codes
    assert sorted(set(codes)) == sorted({accepted, 400 if entry == "api" else 200})
    assert Submission.objects.filter(user=user, track=track).count() == LIMIT
