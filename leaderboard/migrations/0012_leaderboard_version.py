from django.db import migrations, models

from leaderboard import triggers


def install(apps, schema_editor):
    triggers.install(schema_editor)


def uninstall(apps, schema_editor):
    triggers.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("leaderboard", "0011_submission_text_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="track",
            name="leaderboard_version",
            field=models.PositiveBigIntegerField(
                default=0,
                editable=False,
                help_text="Raised by database triggers (leaderboard/triggers.py) on every write that can change a "
                "ranking.",
            ),
        ),
        migrations.RunPython(install, uninstall),
    ]
