"""schemathesis against the generated OpenAPI schema, in-process over WSGI.

No request makes a server error, and every answer has a documented status, content type and
body. Two checks are left out: DRF ignores unknown or malformed optional query parameters
(negative_data_rejection), and a schema-valid upload or login is still refused when the track or
the password is wrong (positive_data_acceptance).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from leaderboard import demo, services, tasks
from leaderboard.models import Benchmark, Split, Submission, Track
from tests.demo_data import load_demo
from tests.leaderboard import conftest as site

pytestmark = pytest.mark.django_db

_isolated_files = site._isolated_files

HANDLER = "leaderboard.api.errors.exception_handler"


@dataclass
class Site:
    token: str
    known: dict[str, list]


def build_site() -> None:
    """The generated benchmarks with a scored, a queued, a hidden and a stranger's submission."""
    load_demo("--no-submissions", "--skip-real", "--images", str(site.DEMO_IMAGES))()
    track = Track.objects.get(slug="demo-coco-detection")
    gt_data = demo.generate_ground_truth(images=site.DEMO_IMAGES)
    participant, stranger = (User.objects.create_user(name) for name in ("alice", "bob"))
    for seed, owner in ((1, participant), (2, participant), (3, stranger), (4, stranger)):
        submission = services.submission_create(
            user=owner, track=track, upload=site.results_upload(gt_data, seed=seed), method_name=f"Method {seed}"
        )
        if seed != 2:
            tasks.score_submission(submission.pk)
    Submission.objects.filter(method_name="Method 4").update(is_hidden=True)


@pytest.fixture
def site_data(settings, db, demo_snapshots) -> Site:
    """The built site, and the participant's token."""
    settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "EXCEPTION_HANDLER": HANDLER}
    settings.RATE_LIMITS = dict.fromkeys(django_settings.RATE_LIMITS, "100000/minute")
    cache.clear()
    demo_snapshots.restore("api-schema-site", build_site)
    assert Submission.objects.filter(status="scored").count() == 3
    known = {
        "benchmarks": list(Benchmark.objects.values_list("slug", flat=True)),
        "splits": list(Split.objects.values_list("pk", flat=True)),
        "tracks": list(Track.objects.values_list("slug", flat=True)),
        "submissions": list(Submission.objects.values_list("pk", flat=True)),
    }
    return Site(token=Token.objects.create(user=User.objects.get(username="alice")).key, known=known)


def pin_path_parameters(case, known: dict[str, list]) -> None:
    """Most generated slugs and ids name nothing: point three in four of them at objects that exist."""
    resource = case.operation.path.split("/")[3]
    for name, value in (case.path_parameters or {}).items():
        choices = known.get(resource, [])
        index = zlib.crc32(repr(value).encode()) % (len(choices) + 1)
        if index < len(choices):
            case.path_parameters[name] = choices[index]


@pytest.fixture
def api_schema(site_data):
    # As Django's test client does: a request must not close the test's connection (and its transaction).
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    finally:
        for signal in (signals.request_started, signals.request_finished):
            signal.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_request_makes_a_server_error_or_an_undocumented_answer(case, site_data):
    pin_path_parameters(case, site_data.known)
    case.call_and_validate(
        # The WSGI transport does not undo a Content-Encoding as an HTTP client does: ask for none.
        headers={"Authorization": f"Token {site_data.token}", "Accept-Encoding": "identity"},
        excluded_checks=[negative_data_rejection, positive_data_acceptance],
    )
