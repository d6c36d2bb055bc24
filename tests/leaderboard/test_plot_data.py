"""Plot data: compact in the database, out of the page's HTML, served by a JSON endpoint with an ETag."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest
from django.db import connection
from django.urls import reverse

from leaderboard import fields
from leaderboard.models import Score, Submission

pytestmark = pytest.mark.django_db


def test_compact_keeps_what_pages_show_and_shortens_the_json():
    value = {"recall": [0.1, 1 / 3, 2 / 3, None, 7], "nested": [{"p": 0.123456789012}], "inf": float("inf")}
    packed = fields.compact(value)
    assert packed["recall"] == [0.1, 0.3333333, 0.6666667, None, 7]
    assert packed["nested"][0]["p"] == 0.1234568 and packed["inf"] is None
    assert fields.unpack(fields.pack(value)) == packed


def test_plot_data_is_stored_compressed_and_read_back_as_json(scored):
    score = scored.scores.get(subset="public", is_current=True)
    assert score.curves["kind"] == "pr" and score.explorer["thresholds"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT curves FROM leaderboard_score WHERE id = %s", [score.pk])
        stored = bytes(cursor.fetchone()[0])
    as_json = len(json.dumps(score.curves))
    assert json.loads(zlib.decompress(stored)) == score.curves
    assert len(stored) < as_json / 4


def test_submission_page_is_small_and_its_plots_come_from_an_endpoint_with_an_etag(client, scored):
    page = client.get(reverse("submission", args=[scored.pk])).content
    score = scored.scores.get(subset="public", is_current=True)
    assert len(page) < len(json.dumps(score.curves)) + len(json.dumps(score.explorer))
    assert b'"recall"' not in page

    url = reverse("submission-plots", args=[scored.pk])
    answer = client.get(url)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    data = answer.json()
    assert data == {
        "score": score.pk,
        "subset": "public",
        "curves": score.curves,
        "explorer": score.explorer,
        "per_class": score.per_class,
    }
    assert client.get(url, HTTP_IF_NONE_MATCH=answer["ETag"]).status_code == 304

    zipped = client.get(url, HTTP_ACCEPT_ENCODING="gzip, br")
    assert zipped["Content-Encoding"] == "gzip" and json.loads(gzip.decompress(zipped.content)) == data
    assert zipped["ETag"] == answer["ETag"]


def test_plot_data_follows_the_score_and_refuses_strangers(client, user, scored):
    url = reverse("submission-plots", args=[scored.pk])
    etag = client.get(url)["ETag"]
    Submission.objects.filter(pk=scored.pk).update(is_hidden=True)
    assert client.get(url).status_code == 404
    client.force_login(user)
    assert client.get(url)["ETag"] == etag
    Score.objects.filter(submission=scored, subset="public").update(is_current=False)
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 404
