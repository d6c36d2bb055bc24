"""Static files: hashed names, gzip and a far-future cache in every mode, DEBUG (scripts/run.sh) included."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.test import RequestFactory
from whitenoise.middleware import WhiteNoiseMiddleware

YEAR = 365 * 24 * 60 * 60


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    return tmp_path_factory.mktemp("static")


@pytest.mark.parametrize("debug", [True, False])
def test_static_files_have_hashed_names_and_are_cached_for_a_year_compressed(settings, collected, debug):
    settings.STATIC_ROOT = collected
    settings.DEBUG = debug
    if not (collected / "staticfiles.json").exists():
        call_command("collectstatic", "--noinput", verbosity=0)
    url = static("vendor/plotly.min.js")
    assert url.startswith("/static/vendor/plotly.") and url != "/static/vendor/plotly.min.js"

    middleware = WhiteNoiseMiddleware(lambda request: pytest.fail(f"{request.path} not served"))
    response = middleware(RequestFactory().get(url, HTTP_ACCEPT_ENCODING="gzip"))
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert int(response["Cache-Control"].split("max-age=")[1].split(",")[0]) >= YEAR
    assert "immutable" in response["Cache-Control"]
    assert int(response["Content-Length"]) < 2_000_000  # plotly.min.js is 4.6 MB


def test_pages_link_plain_names_before_collectstatic(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    assert static("js/plots.js") == "/static/js/plots.js"
