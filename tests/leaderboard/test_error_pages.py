"""Friendly 404 and 500 pages, and the API docs linked from every page and from the API root."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def test_unknown_pages_get_the_friendly_404(client, user):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "This page does not exist" in page
    assert f'href="{reverse("home")}"' in page
    assert f'href="{reverse("api:docs")}" id="footer-api-docs"' in page
    client.force_login(user)
    assert reverse("profile") in client.get(reverse("submission", args=[999999])).content.decode()


def test_the_500_page_renders_without_a_request_context():
    response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert reverse("api:docs") in page


def test_every_page_footer_links_the_api_docs(client, track):
    for url in (reverse("home"), reverse("benchmarks"), reverse("track", args=[track.slug]), reverse("login")):
        assert f'href="{reverse("api:docs")}" id="footer-api-docs"' in client.get(url).content.decode(), url


def test_the_api_root_links_the_docs_and_schema(client):
    root = client.get("/api/v1/", HTTP_ACCEPT="application/json").json()
    assert root["docs"].endswith(reverse("api:docs"))
    assert root["schema"].endswith(reverse("api:schema"))
    assert root["tracks"].endswith("/api/v1/tracks/")
    assert client.get(root["docs"]).status_code == 200
