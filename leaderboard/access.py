"""Who is asking: the client's address behind the proxies the host trusts, and the limits on password attempts.

Behind a reverse proxy every request comes from the proxy, and the client's address is in
``X-Forwarded-For``, a header any client can also write. Only hops the host names in
``TRUSTED_PROXIES`` are believed: from the connection's address, the header is read right to
left while the hop is a trusted proxy, and the first untrusted hop is the client. The
middleware puts it in ``REMOTE_ADDR`` so that every limit (django-ratelimit's and DRF's
throttles, with DRF's ``NUM_PROXIES`` at 0) and every log line count the same address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework.request import Request

from .ratelimits import limited


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(proxy, strict=False) for proxy in settings.TRUSTED_PROXIES)


def client_address(meta: dict) -> str:
    """The first hop, from the connection back, that is not a trusted proxy."""
    address = meta.get("REMOTE_ADDR", "")
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    while hops and _trusted(address):
        address = hops.pop()
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return meta.get("REMOTE_ADDR", "")


class ClientAddressMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.TRUSTED_PROXIES:
            request.META["REMOTE_ADDR"] = client_address(request.META)
        request.META.pop("HTTP_X_FORWARDED_FOR", None)  # nothing downstream may believe it
        return self.get_response(request)


def account_key(_group: str, request: HttpRequest | Request) -> str:
    """The username tried, at the address trying it (a django-ratelimit key)."""
    data = request.data if isinstance(request, Request) else request.POST
    username = str(data.get("username", "")) if hasattr(data, "get") else ""  # a JSON body may be a list
    return f"{username.strip().lower()}@{request.META.get('REMOTE_ADDR', '')}"


def login_limited(request: HttpRequest | Request) -> bool:
    """Count one password attempt (site, admin or API token); True once over ``RATE_LIMITS["login"]``.

    Counted per address and per username from that address: guesses lock the guessing
    address out, never the account, whose owner still logs in from anywhere else.
    """
    by_address = limited(request, group="login", key="ip")
    by_account = limited(request, group="login-account", key="leaderboard.access.account_key")
    return by_address or by_account
