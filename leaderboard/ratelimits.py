"""The one rate limiter of the site and the API.

Every limit is a group of ``settings.RATE_LIMITS`` (``count/period``: ``10/5m``, ``20/h``,
``120/minute``), counted by django-ratelimit in the default cache over fixed windows: a burst at
a window's edge can reach twice the count (tests use day-long windows, so no edge falls inside
one). Pages call ``limited``; the API's throttles call it too, so an upload counts against the
same ``upload`` limit whichever way it comes.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited
from rest_framework import throttling
from rest_framework.request import Request


def limited(request: HttpRequest | Request, *, group: str, key: str, method: str | None = None) -> bool:
    """Counts this request against the group's limit (only a ``method`` request when given); True once over it.

    ``key`` is django-ratelimit's: ``ip``, ``user``, ``user_or_ip``, ``post:username`` ...
    """
    if method is not None and request.method != method:
        return False
    # django-ratelimit keys its counters by the methods too: the same ALL everywhere keeps one counter a group.
    return is_ratelimited(request, group=group, key=key, rate=settings.RATE_LIMITS[group], method=ALL, increment=True)


def client_address(request: HttpRequest) -> str:
    """The address ``ip`` keys count by (RATELIMIT_IP_META_KEY); requests without one share a counter."""
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"


class GroupThrottle(throttling.BaseThrottle):
    """A DRF throttle that counts against one group of ``settings.RATE_LIMITS``."""

    group: str
    key: str

    def allow_request(self, request: Request, view: object) -> bool:
        return not limited(request, group=self.group, key=self.key)


class ApiThrottle(throttling.BaseThrottle):
    """Every API request: per participant when signed in (``api-user``), per address otherwise (``api-anon``)."""

    def allow_request(self, request: Request, view: object) -> bool:
        if request.user and request.user.is_authenticated:
            return not limited(request, group="api-user", key="user")
        return not limited(request, group="api-anon", key="ip")


class UploadThrottle(GroupThrottle):
    """Uploads per participant: the same counter as the submit page's."""

    group, key = "upload", "user"


class TokenThrottle(GroupThrottle):
    """Password exchanges for a token, per address."""

    group, key = "token", "ip"
