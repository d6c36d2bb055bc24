"""One reading of a leaderboard's rows: the API, the CSV and JSON downloads and lbclient's CSV agree (issue 18)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

import lbclient
from leaderboard import selectors
from leaderboard.api.serializers import LeaderboardRowSerializer
from leaderboard.models import Submission
from tests.leaderboard.test_leaderboard_cache import score

pytestmark = pytest.mark.django_db


def test_the_api_the_downloads_and_the_client_carry_the_same_rows_under_the_same_names(
    client, user, other_user, track, gt_data
):
    score(user, track, gt_data, profile=1, seed=1, name="first-method")
    score(other_user, track, gt_data, profile=3, seed=2, name="=second-method")
    Submission.objects.filter(method_name="first-method").update(paper_url="https://example.org/p", ms_per_image=12.5)
    api_url = reverse("api:track-leaderboard", args=[track.slug])
    api = client.get(api_url).json()
    columns = api["columns"]
    assert [list(row) for row in api["rows"]] == [[*selectors.ENTRY_FIELDS, "stats", "matrix"]] * 2
    assert [LeaderboardRowSerializer(row).data for row in api["rows"]] == api["rows"]  # the schema documents them
    flat = [{**{name: row[name] for name in selectors.ENTRY_FIELDS}, **row["stats"]} for row in api["rows"]]
    assert sorted(row["method"] for row in flat) == ["=second-method", "first-method"]
    assert sorted((row["paper_url"], row["ms_per_image"]) for row in flat) == [
        ("", None),
        ("https://example.org/p", 12.5),
    ]

    assert client.get(reverse("track-download", args=[track.slug, "json"])).json()["rows"] == flat

    download = client.get(reverse("track-download", args=[track.slug, "csv"])).content.decode()
    assert client.get(api_url, {"format": "csv"}).content.decode() == download
    reader = csv.DictReader(io.StringIO(download))
    assert reader.fieldnames == [*selectors.ENTRY_FIELDS, *columns]

    def cell(name: str, value: object) -> str:
        if name == "method" and str(value).startswith("="):
            return f"'{value}"  # made inert (test_csv_injection)
        return "" if value is None else str(value)

    expected = [{name: cell(name, value) for name, value in row.items()} for row in flat]
    assert list(reader) == expected

    assert lbclient.ENTRY_FIELDS == selectors.ENTRY_FIELDS
    out = io.StringIO()
    lbclient.print_csv(download, out, columns=None)
    assert out.getvalue() == download
    out = io.StringIO()
    lbclient.print_csv(download, out, columns=[track.primary_metric])
    chosen = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert chosen == [{name: row[name] for name in (*selectors.ENTRY_FIELDS, track.primary_metric)} for row in expected]
