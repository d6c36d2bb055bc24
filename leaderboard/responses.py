"""Response bodies built once per board change and served as bytes: gzip-compressed once, with an ETag.

A leaderboard's files and API body are the same for every reader; a page is the same for every
reader without a session (``shared_reader``): the home and track pages of such readers are kept
whole (leaderboard/memo.py ``pages``). Keys name the board version (``selectors.board_key``),
so a kept body is never stale and nothing is invalidated.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags

_GZIP = re.compile(r"\bgzip\b")


@dataclass(frozen=True)
class Body:
    content: bytes
    compressed: bytes
    etag: str
    content_type: str


def body(content: bytes | str, content_type: str) -> Body:
    raw = content.encode() if isinstance(content, str) else content
    etag = f'"{hashlib.blake2b(raw, digest_size=16).hexdigest()}"'
    return Body(raw, gzip.compress(raw, compresslevel=6, mtime=0), etag, content_type)


def shared_reader(request: HttpRequest) -> bool:
    """Neither a session nor a pending message: the reader sees what every other such reader sees.

    Decided from the cookies alone, so that such a request reads no session.
    """
    cookies = request.COOKIES
    return request.method in ("GET", "HEAD") and not (
        settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies
    )


def page_key(request: HttpRequest, *parts: object) -> tuple:
    """A kept page's key: ``parts`` and the address it was asked for (pages write their own URL)."""
    return ("page", request.scheme, request.get_host(), request.get_full_path(), *parts)


def serve(request: HttpRequest, kept: Body, *, vary_cookie: bool = False) -> HttpResponse:
    """``kept`` as the request accepts it: 304 to a matching If-None-Match, else gzip-compressed when accepted."""
    tags = [tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))]
    if kept.etag in tags or "*" in tags:
        response: HttpResponse = HttpResponseNotModified()
    elif _GZIP.search(request.headers.get("Accept-Encoding", "")):
        response = HttpResponse(kept.compressed, content_type=kept.content_type)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(kept.content, content_type=kept.content_type)
    response["ETag"] = kept.etag
    response["Cache-Control"] = "no-cache"  # kept, and asked again each time: an unchanged board answers 304
    patch_vary_headers(response, ["Accept-Encoding", "Cookie"] if vary_cookie else ["Accept-Encoding"])
    return response
