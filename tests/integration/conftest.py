"""Fixtures that start a real deployment: web server, database, broker and Celery worker."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.integration.stack import Stack, deployed

FLAVOURS = ("embedded", "services")


def _skip_reason(flavour: str) -> str | None:
    if flavour == "services" and not (
        os.environ.get("DATABASE_URL", "").startswith("postgres")
        and os.environ.get("CELERY_BROKER_URL", "").startswith("redis")
    ):
        return "set DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis) to test on the services (.ci/run does)"
    return None


# The demo benchmarks without their baselines, on few images: what the stack tests submit to.
DEMO_IMAGES = 60
DEMO = ("--no-submissions", "--skip-real", "--images", str(DEMO_IMAGES))


@pytest.fixture(scope="module", params=FLAVOURS)
def stack(request) -> Iterator[Stack]:
    """One live site a flavour for a test module, with the demo benchmarks loaded: each test signs up
    participants of its own and looks only at their submissions."""
    reason = _skip_reason(request.param)
    if reason:
        pytest.skip(reason)
    with deployed(request.param, demo=DEMO) as deployment:
        yield deployment
