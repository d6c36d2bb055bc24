"""A leaderboard as the API's JSON, a CSV file or a JSON file: one body per board version and options.

All three are built from ``selectors.leaderboard_entries`` (the CSV and JSON files from its flat
``leaderboard_records``), so the API, the downloads and lbclient (which reads the API's CSV) carry
the same rows under the same names.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson

from . import memo, responses, selectors
from .models import Track

CONTENT_TYPES = {"api": "application/json", "json": "application/json", "csv": "text/csv; charset=utf-8"}


def leaderboard_body(
    track: Track,
    fmt: str,
    *,
    subset: str | None = None,
    sort: str | None = None,
    strategy: str | None = None,
    target_labels: bool | None = None,
) -> responses.Body:
    """``fmt``: ``api`` (the API's body), ``csv`` or ``json`` (the files). ``track`` read in this request."""
    subset = subset or selectors.visible_subset(track)
    sort = sort if sort in selectors.stat_names(track) else None

    def build() -> responses.Body:
        rows = selectors.leaderboard(
            track=track, subset=subset, sort=sort, strategy=strategy, target_labels=target_labels
        )
        if fmt == "api":
            content = orjson.dumps(_api_board(track, subset, rows))
        elif fmt == "json":
            content = orjson.dumps(
                {"track": track.slug, "subset": subset, "rows": selectors.leaderboard_records(track, rows)}
            )
        else:
            content = leaderboard_csv(track, selectors.leaderboard_records(track, rows))
        return responses.body(content, CONTENT_TYPES[fmt])

    return memo.boards.get(selectors.board_key(track, fmt, subset, sort, strategy, target_labels), build)


def _api_board(track: Track, subset: str, rows: list) -> dict[str, Any]:
    return {
        "track": track.slug,
        "subset": subset,
        "primary_metric": track.primary_metric,
        "higher_is_better": track.higher_is_better,
        "columns": list(selectors.leaderboard_columns(track)),
        "domains": [d.name for d in track.domains.order_by("position")] if track.is_transfer else [],
        "rows": selectors.leaderboard_entries(track, rows),
    }


def leaderboard_csv(track: Track, records: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    fields = [*selectors.ENTRY_FIELDS, *selectors.leaderboard_columns(track)]
    writer = csv.DictWriter(buffer, fieldnames=fields)
    writer.writeheader()
    writer.writerows({name: csv_cell(value) for name, value in record.items()} for record in records)
    return buffer.getvalue().encode()


# A spreadsheet runs a cell starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula, made inert with a leading quote; numbers as they are."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_START) else value
