"""Leaderboards with many entries: paginated pages, query counts that do not grow with the entries."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leaderboard import memo, selectors, views
from leaderboard.models import Score, Submission, Track

pytestmark = pytest.mark.django_db


def add_entries(template: Submission, count: int, *, start: int = 0) -> None:
    """``count`` more participants, each with a copy of the template's scores, a little worse in turn."""
    people = User.objects.bulk_create(User(username=f"p{start + n:04d}") for n in range(count))
    submissions = Submission.objects.bulk_create(
        Submission(
            user=person,
            track=template.track,
            method_name=f"method {start + n}",
            file=template.file.name,
            original_filename=template.original_filename,
            sha256=f"{start + n:064d}",
            status=Submission.Status.SCORED,
        )
        for n, person in enumerate(people)
    )
    # In SQL: through the model, every copy's compressed plot data would be decompressed and
    # compressed again (seconds for a hundred entries).
    copied = [f.column for f in Score._meta.concrete_fields if f.name not in ("id", "submission", "primary_value")]
    columns = ", ".join(copied)
    insert = (
        f"INSERT INTO {Score._meta.db_table} (submission_id, primary_value, {columns})"
        f" SELECT %s, primary_value - %s, {columns} FROM {Score._meta.db_table}"
        " WHERE submission_id = %s AND is_current"
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            insert, [(submission.pk, (start + n + 1) * 1e-4, template.pk) for n, submission in enumerate(submissions)]
        )


def queries(client, url: str) -> int:
    """The queries of a request with no leaderboard cached yet."""
    memo.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_track_page_shows_one_page_of_entries_ranked_across_pages(client, track, scored):
    add_entries(scored, views.LEADERBOARD_PAGE_SIZE + 4)
    url = reverse("track", args=[track.slug])
    first = client.get(url)
    assert len(first.context["rows"]) == views.LEADERBOARD_PAGE_SIZE
    assert first.context["rows"][0].submission == scored
    assert f"of {views.LEADERBOARD_PAGE_SIZE + 5}" in first.content.decode()
    last = client.get(url, {"page": 2})
    assert len(last.context["rows"]) == 5
    assert last.context["first_rank"] == views.LEADERBOARD_PAGE_SIZE + 1
    assert f"<td>{views.LEADERBOARD_PAGE_SIZE + 1}</td>" in last.content.decode()
    assert [s.submission_id for s in last.context["top"]] == [s.submission_id for s in first.context["rows"][:3]]
    assert client.get(url, {"page": 99}).context["page"].number == 2
    assert client.get(url, {"page": "x"}).context["page"].number == 1


def test_pages_keep_the_filters_and_the_sort(client, track, scored):
    add_entries(scored, views.LEADERBOARD_PAGE_SIZE + 1)
    page = client.get(reverse("track", args=[track.slug]), {"sort": "AP50"}).content.decode()
    assert "?sort=AP50&amp;page=2" in page


def test_downloads_carry_every_entry(client, track, scored):
    add_entries(scored, views.LEADERBOARD_PAGE_SIZE + 4)
    rows = client.get(reverse("track-download", args=[track.slug, "json"])).json()["rows"]
    assert [row["rank"] for row in rows] == list(range(1, views.LEADERBOARD_PAGE_SIZE + 6))


def test_entries_that_cannot_be_told_from_the_leader_are_marked_on_every_page(client, track, scored):
    add_entries(scored, views.LEADERBOARD_PAGE_SIZE + 1)
    url = reverse("track", args=[track.slug])
    badge = "its interval overlaps the leader's"
    first = client.get(url)
    assert not getattr(first.context["rows"][0], "not_separable", False)
    assert first.content.decode().count(badge) == views.LEADERBOARD_PAGE_SIZE - 1
    second = client.get(url, {"page": 2})
    assert all(row.not_separable for row in second.context["rows"])
    assert second.content.decode().count(badge) == 2


def test_query_counts_do_not_grow_with_the_entries(client, track, scored):
    urls = [
        reverse("home"),
        reverse("track", args=[track.slug]),
        reverse("track-download", args=[track.slug, "csv"]),
        reverse("track-download", args=[track.slug, "json"]),
        reverse("api:track-leaderboard", args=[track.slug]),
        reverse("submission", args=[scored.pk]),
        reverse("api:submission-scores", args=[scored.pk]),
    ]
    add_entries(scored, 3)
    few = [queries(client, url) for url in urls]
    add_entries(scored, 150, start=3)
    assert [queries(client, url) for url in urls] == few


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
def test_leaderboard_reads_the_columns_after_the_large_json_from_an_index(track, scored):
    sql, params = selectors.leaderboard_rows(track=Track.objects.get(pk=track.pk)).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "score_leaderboard_cover" in plan
