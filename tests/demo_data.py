"""Demo data built once per test session and restored into each test that asks for it.

Running ``load_demo`` (and scoring its baselines) takes seconds; restoring its rows with
``loaddata`` and copying its files takes milliseconds. A snapshot is built the first time a test
asks for it, inside a savepoint that is rolled back, so the building test starts from the same
restored state as every later one.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.db import transaction
from django.db.models import Model
from django.test import override_settings

# Rows that migrations create are not part of a snapshot; nor are rows that existed before the build.
NOT_SNAPSHOTTED = ("contenttypes", "auth.permission", "sessions", "admin.logentry")
FOLDERS = ("GROUND_TRUTH_ROOT", "MEDIA_ROOT")
# Snapshot keys start here, so that rows a test made before restoring (its users, say) never clash.
KEY_OFFSET = 1_000_000


class _Discard(Exception):
    """Raised to roll back the savepoint a snapshot was built in."""


class DemoSnapshots:
    """Named snapshots of the database rows and of the files under GROUND_TRUTH_ROOT and MEDIA_ROOT."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._built: set[str] = set()

    def restore(self, name: str, build: Callable[[], None]) -> None:
        """Brings the rows and files ``build()`` makes into the current test's database and folders."""
        folder = self.root / name
        if name not in self._built:
            self._build(folder, build)
            self._built.add(name)
        call_command("loaddata", str(folder / "rows.json"), verbosity=0)
        for setting in FOLDERS:
            saved = folder / setting
            if saved.exists():
                shutil.copytree(saved, Path(getattr(settings, setting)), dirs_exist_ok=True)

    @staticmethod
    def _build(folder: Path, build: Callable[[], None]) -> None:
        folder.mkdir(parents=True)
        roots = {setting: folder / setting for setting in FOLDERS}
        models = _snapshotted_models()
        before = {model: set(model._base_manager.values_list("pk", flat=True)) for model in models}
        try:
            with override_settings(**roots), transaction.atomic():
                build()
                made = {model: model._base_manager.exclude(pk__in=before[model]) for model in models}
                rows = json.loads(serializers.serialize("json", [row for rows in made.values() for row in rows]))
                (folder / "rows.json").write_text(json.dumps(_shift_keys(rows)))
                raise _Discard
        except _Discard:
            pass


def _snapshotted_models() -> list[type[Model]]:
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label not in NOT_SNAPSHOTTED and model._meta.label_lower not in NOT_SNAPSHOTTED
    ]


def _shift_keys(rows: list[dict]) -> list[dict]:
    """Adds KEY_OFFSET to the key of every row and to every reference to one of these rows."""
    keys: dict[type[Model], set] = {}
    for row in rows:
        keys.setdefault(apps.get_model(row["model"]), set()).add(row["pk"])

    def shifted(model: type[Model] | None, key: object) -> object:
        return key + KEY_OFFSET if isinstance(key, int) and key in keys.get(model, ()) else key

    for row in rows:
        model = apps.get_model(row["model"])
        row["pk"] = shifted(model, row["pk"])
        for field in model._meta.get_fields():
            if not field.concrete or not field.is_relation or field.name not in row["fields"]:
                continue
            value = row["fields"][field.name]
            if field.many_to_many:
                row["fields"][field.name] = [shifted(field.related_model, key) for key in value]
            else:
                row["fields"][field.name] = shifted(field.related_model, value)
    return rows


def load_demo(*args: str) -> Callable[[], None]:
    """A snapshot recipe: ``manage.py load_demo *args``."""
    return lambda: call_command("load_demo", *args, stdout=io.StringIO())
