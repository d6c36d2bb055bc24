"""Attack: guess passwords through every way in, hiding behind forged X-Forwarded-For (issue 14, item 5)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from leaderboard.access import client_address

pytestmark = pytest.mark.django_db

ATTACKER, VICTIM_HOME, PROXY = "203.0.113.9", "198.51.100.7", "10.0.0.2"
LIMIT = 10
PASSWORD = "a-long-password-1"


@pytest.fixture
def victim(settings) -> User:
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "login": f"{LIMIT}/5m",
        "login-account": f"{LIMIT}/5m",
        "token": "1000/minute",
    }
    return User.objects.create_user("alice", password=PASSWORD, is_staff=True)


def _site(client: Client, password: str, **extra) -> int:
    return client.post(reverse("login"), {"username": "alice", "password": password}, **extra).status_code


def _admin(client: Client, password: str, **extra) -> int:
    data = {"username": "alice", "password": password, "next": "/admin/"}
    return client.post("/admin/login/", data, **extra).status_code


def _token(client: Client, password: str, **extra) -> int:
    data = {"username": "alice", "password": password}
    return client.post(reverse("api:token"), data, content_type="application/json", **extra).status_code


WAYS_IN = {"site": (_site, 302), "admin": (_admin, 302), "token": (_token, 200)}


@pytest.mark.parametrize("way", WAYS_IN)
def test_guessing_locks_the_attackers_address_not_the_account(victim, way):
    attempt, accepted = WAYS_IN[way]
    attacker = Client(REMOTE_ADDR=ATTACKER)
    codes = [attempt(attacker, f"guess-{n}") for n in range(LIMIT)]
    assert 429 not in codes
    assert attempt(attacker, f"guess-{LIMIT}") == 429
    assert attempt(attacker, PASSWORD) == 429  # even the right one: the address is locked

    assert attempt(Client(REMOTE_ADDR=VICTIM_HOME), PASSWORD) == accepted


@pytest.mark.parametrize("way", WAYS_IN)
def test_a_forged_forwarded_for_does_not_buy_more_guesses(victim, way):
    attempt, _ = WAYS_IN[way]
    attacker = Client(REMOTE_ADDR=ATTACKER)
    codes = [attempt(attacker, f"guess-{n}", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}") for n in range(LIMIT + 1)]
    assert codes[-1] == 429


def test_the_guessing_limit_spans_the_ways_in(victim):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for n in range(LIMIT):
        list(WAYS_IN.values())[n % 3][0](attacker, f"guess-{n}")
    assert all(attempt(attacker, "again") == 429 for attempt, _ in WAYS_IN.values())


def test_behind_a_trusted_proxy_the_client_is_the_hop_before_it(victim, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    # The attacker writes an X-Forwarded-For of their own; the proxy appends the real address.
    forged = {"HTTP_X_FORWARDED_FOR": f"192.0.2.1, {ATTACKER}"}
    assert client_address({"REMOTE_ADDR": PROXY, **forged}) == ATTACKER
    assert client_address({"REMOTE_ADDR": ATTACKER, **forged}) == ATTACKER  # not through the proxy: not believed
    through_proxy = Client(REMOTE_ADDR=PROXY)
    for n in range(LIMIT):
        _site(through_proxy, f"guess-{n}", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ATTACKER}")
    assert _site(through_proxy, "again", HTTP_X_FORWARDED_FOR=f"192.0.2.99, {ATTACKER}") == 429
    assert _site(through_proxy, PASSWORD, HTTP_X_FORWARDED_FOR=VICTIM_HOME) == 302


def test_a_forged_forwarded_for_does_not_lift_the_anonymous_api_limit(settings, client):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api-anon": "3/minute"}
    codes = [
        client.get(reverse("api:benchmark-list"), HTTP_X_FORWARDED_FOR=f"192.0.2.{n}", REMOTE_ADDR=ATTACKER).status_code
        for n in range(4)
    ]
    assert codes == [200, 200, 200, 429]
