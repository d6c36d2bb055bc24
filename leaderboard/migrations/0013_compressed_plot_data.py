"""Per-class tables, curves and explorer data: from JSON columns to compressed ones (leaderboard/fields.py)."""

from django.db import migrations

import leaderboard.fields
from leaderboard import triggers

BATCH = 200


FIELDS = ("per_class", "curves", "explorer")


def _convert(apps, schema_editor, source: str, target: str) -> None:
    Score = apps.get_model("leaderboard", "Score")
    ids = list(Score.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        batch = list(Score.objects.filter(pk__in=ids[start : start + BATCH]).only("pk", *(f"{name}{source}" for name in FIELDS)))
        for score in batch:
            for name in FIELDS:
                setattr(score, f"{name}{target}", getattr(score, f"{name}{source}"))
        Score.objects.bulk_update(batch, [f"{name}{target}" for name in FIELDS])


def pack(apps, schema_editor):
    _convert(apps, schema_editor, "", "_packed")


def unpack(apps, schema_editor):
    _convert(apps, schema_editor, "_packed", "")


def install_triggers(apps, schema_editor):
    # SQLite rebuilt the table above, and its triggers went with it.
    triggers.install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("leaderboard", "0012_leaderboard_version")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, install_triggers),
        migrations.AddField(
            model_name="score",
            name="per_class_packed",
            field=leaderboard.fields.CompressedJSONField(
                default=list, float32=False, help_text="Per-class results (compressed)."
            ),
        ),
        migrations.AddField(
            model_name="score",
            name="curves_packed",
            field=leaderboard.fields.CompressedJSONField(help_text="The plots' curve data (compressed)."),
        ),
        migrations.AddField(
            model_name="score",
            name="explorer_packed",
            field=leaderboard.fields.CompressedJSONField(
                help_text="Operating-point counts for the threshold explorer (compressed)."
            ),
        ),
        migrations.RunPython(pack, unpack),
        migrations.RemoveField(model_name="score", name="per_class"),
        migrations.RemoveField(model_name="score", name="curves"),
        migrations.RemoveField(model_name="score", name="explorer"),
        migrations.RenameField(model_name="score", old_name="per_class_packed", new_name="per_class"),
        migrations.RenameField(model_name="score", old_name="curves_packed", new_name="curves"),
        migrations.RenameField(model_name="score", old_name="explorer_packed", new_name="explorer"),
        migrations.RunPython(install_triggers, migrations.RunPython.noop),
    ]
