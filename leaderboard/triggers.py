"""Database triggers that raise ``Track.leaderboard_version`` on every write that can change a ranking.

A trigger sees every write, whatever the code path: services, the admin, bulk ``update()``
calls, cascading deletes. Leaderboard caches are keyed by the version (selectors.leaderboard),
so a new score, a rescore, a hidden or revealed entry or a renamed participant shows on the
next request. Track settings that change rankings are part of the cache key itself.
"""

from __future__ import annotations

_BUMP = "UPDATE leaderboard_track SET leaderboard_version = leaderboard_version + 1 WHERE id {tracks}"
_OF_SUBMISSION = "IN (SELECT track_id FROM leaderboard_submission WHERE id = {row}.submission_id)"
_OF_USER = "IN (SELECT track_id FROM leaderboard_submission WHERE user_id = NEW.id)"

# SQLite: name, event, table, statements run for each row.
_SQLITE_TRIGGERS = [
    ("lb_version_submission_insert", "INSERT", "leaderboard_submission", [_BUMP.format(tracks="= NEW.track_id")]),
    (
        "lb_version_submission_update",
        "UPDATE",
        "leaderboard_submission",
        [_BUMP.format(tracks="IN (OLD.track_id, NEW.track_id)")],
    ),
    ("lb_version_submission_delete", "DELETE", "leaderboard_submission", [_BUMP.format(tracks="= OLD.track_id")]),
    *[
        (
            f"lb_version_{table.removeprefix('leaderboard_')}_{event.lower()}",
            event,
            table,
            [_BUMP.format(tracks=_OF_SUBMISSION.format(row=row))],
        )
        for table in ("leaderboard_score", "leaderboard_transferscore")
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
    ],
    ("lb_version_user_rename", "UPDATE OF username", "auth_user", [_BUMP.format(tracks=_OF_USER)]),
]


def _sqlite_statements() -> list[str]:
    statements = []
    for name, event, table, body in _SQLITE_TRIGGERS:
        statements.append(f"DROP TRIGGER IF EXISTS {name}")
        statements.append(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {'; '.join(body)}; END")
    return statements


# PostgreSQL: statement-level triggers over transition tables, so a bulk write (a rescore, a bulk
# insert) raises each track's version once per statement, not once per row: repeated updates of one
# row inside a transaction grow a chain of row versions that every further update walks.
_TRACKS_OF = {
    "leaderboard_submission": "SELECT track_id FROM {rows}",
    "leaderboard_score": "SELECT track_id FROM leaderboard_submission WHERE id IN (SELECT submission_id FROM {rows})",
    "leaderboard_transferscore": (
        "SELECT track_id FROM leaderboard_submission WHERE id IN (SELECT submission_id FROM {rows})"
    ),
}
_REFERENCING = {
    "INSERT": ("REFERENCING NEW TABLE AS new_rows", ["new_rows"]),
    "UPDATE": ("REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows", ["old_rows", "new_rows"]),
    "DELETE": ("REFERENCING OLD TABLE AS old_rows", ["old_rows"]),
}
_POSTGRES_FUNCTIONS = {
    f"lb_version_{table.removeprefix('leaderboard_')}_{event.lower()}": (
        "BEGIN UPDATE leaderboard_track SET leaderboard_version = leaderboard_version + 1 WHERE id IN ("
        + " UNION ".join(tracks.format(rows=rows) for rows in _REFERENCING[event][1])
        + "); RETURN NULL; END"
    )
    for table, tracks in _TRACKS_OF.items()
    for event in _REFERENCING
}
_POSTGRES_FUNCTIONS["lb_version_user_rename"] = """
        BEGIN
          IF NEW.username IS DISTINCT FROM OLD.username THEN
            UPDATE leaderboard_track SET leaderboard_version = leaderboard_version + 1 WHERE id IN (
              SELECT track_id FROM leaderboard_submission WHERE user_id = NEW.id);
          END IF;
          RETURN NULL;
        END"""
_POSTGRES_TRIGGERS = [
    (name, f"{event} ON {table} {_REFERENCING[event][0]} FOR EACH STATEMENT", table, name)
    for table in _TRACKS_OF
    for event in _REFERENCING
    for name in [f"lb_version_{table.removeprefix('leaderboard_')}_{event.lower()}"]
] + [("lb_version_user_rename", "UPDATE OF username ON auth_user FOR EACH ROW", "auth_user", "lb_version_user_rename")]
# Row-level triggers of the first version of this module, dropped when the triggers are installed.
_POSTGRES_OLD = [
    ("lb_version_submission", "leaderboard_submission"),
    ("lb_version_score", "leaderboard_score"),
    ("lb_version_transferscore", "leaderboard_transferscore"),
    ("lb_version_user", "auth_user"),
]

_POSTGRES_OLD_FUNCTIONS = ["lb_version_from_submission", "lb_version_from_score", "lb_version_from_user"]


def _postgres_statements() -> list[str]:
    statements = [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in _POSTGRES_OLD]
    statements += [f"DROP FUNCTION IF EXISTS {name}()" for name in _POSTGRES_OLD_FUNCTIONS]
    statements += [
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $${body}$$"
        for name, body in _POSTGRES_FUNCTIONS.items()
    ]
    for name, when, table, function in _POSTGRES_TRIGGERS:
        statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        statements.append(f"CREATE TRIGGER {name} AFTER {when} EXECUTE FUNCTION {function}()")
    return statements


def install(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": _sqlite_statements, "postgresql": _postgres_statements}.get(vendor)
    if statements is None:
        raise NotImplementedError(f"leaderboard version triggers are written for SQLite and PostgreSQL, not {vendor}")
    for statement in statements():
        schema_editor.execute(statement)


def uninstall(schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for name, _, table, _ in _POSTGRES_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name in _POSTGRES_FUNCTIONS:
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name, *_ in _SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
