from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_triggers(sender, using, **kwargs) -> None:
    # SQLite drops a table's triggers when a migration rebuilds the table: put them back after each migrate.
    from django.db import connections

    from . import triggers

    with connections[using].schema_editor() as schema_editor:
        triggers.install(schema_editor)


class LeaderboardConfig(AppConfig):
    name = "leaderboard"
    verbose_name = "Leaderboard"

    def ready(self) -> None:
        post_migrate.connect(_install_triggers, sender=self)
