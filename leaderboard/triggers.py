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


_POSTGRES_FUNCTIONS = {
    "lb_version_from_submission": """
        BEGIN
          IF TG_OP <> 'INSERT' THEN
            UPDATE leaderboard_track SET leaderboard_version = leaderboard_version + 1 WHERE id = OLD.track_id;
          END IF;
          IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.track_id <> OLD.track_id) THEN
            UPDATE leaderboard_track SET leaderboard_version = leaderboard_version + 1 WHERE id = NEW.track_id;
          END IF;
          RETURN NULL;
        END""",
    "lb_version_from_score": """
        BEGIN
          UPDATE leaderboard_track SET leaderboard_version = leaderboard_version + 1 WHERE id IN (
            SELECT track_id FROM leaderboard_submission
            WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.submission_id ELSE NEW.submission_id END);
          RETURN NULL;
        END""",
    "lb_version_from_user": """
        BEGIN
          IF NEW.username IS DISTINCT FROM OLD.username THEN
            UPDATE leaderboard_track SET leaderboard_version = leaderboard_version + 1 WHERE id IN (
              SELECT track_id FROM leaderboard_submission WHERE user_id = NEW.id);
          END IF;
          RETURN NULL;
        END""",
}
_POSTGRES_TRIGGERS = [
    ("lb_version_submission", "INSERT OR UPDATE OR DELETE", "leaderboard_submission", "lb_version_from_submission"),
    ("lb_version_score", "INSERT OR UPDATE OR DELETE", "leaderboard_score", "lb_version_from_score"),
    ("lb_version_transferscore", "INSERT OR UPDATE OR DELETE", "leaderboard_transferscore", "lb_version_from_score"),
    ("lb_version_user", "UPDATE OF username", "auth_user", "lb_version_from_user"),
]


def _postgres_statements() -> list[str]:
    statements = [
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $${body}$$"
        for name, body in _POSTGRES_FUNCTIONS.items()
    ]
    for name, events, table, function in _POSTGRES_TRIGGERS:
        statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        statements.append(f"CREATE TRIGGER {name} AFTER {events} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()")
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
