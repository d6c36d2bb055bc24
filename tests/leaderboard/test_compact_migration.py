"""Migration 0013 packs the JSON of existing score rows, and unpacks it when reversed."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from leaderboard import fields, triggers

BEFORE = [("leaderboard", "0012_leaderboard_version")]
AFTER = [("leaderboard", "0013_compressed_plot_data")]

PER_CLASS = [{"name": "person", "metrics": {"AP": 0.123456789012345}, "num_gt": 3, "num_det": 4}]
CURVES = {"kind": "pr", "recall": [0.0, 0.5, 1.0], "precision": [[1.0, 0.666666666666, 0.3333333333333]]}
EXPLORER = {"thresholds": [0.1, 0.5], "sweeps": {"0.50": {"overall": {"tp": [3, 1]}}}}


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_existing_rows_are_packed_and_unpacked():
    apps = migrate(BEFORE)
    try:
        user = apps.get_model("auth", "User").objects.create(username="old")
        benchmark = apps.get_model("leaderboard", "Benchmark").objects.create(name="b", slug="b", protocol="coco")
        split = apps.get_model("leaderboard", "Split").objects.create(
            benchmark=benchmark, name="s", slug="s", ground_truth_path="b/s/gt.json", checksum="0" * 64
        )
        track = apps.get_model("leaderboard", "Track").objects.create(
            benchmark=benchmark, split=split, name="t", slug="t", primary_metric="AP"
        )
        submission = apps.get_model("leaderboard", "Submission").objects.create(
            user=user, track=track, method_name="m", file="x.json", sha256="0" * 64, status="scored"
        )
        score = apps.get_model("leaderboard", "Score").objects.create(
            submission=submission, split=split, subset="public", protocol="coco", engine_version="1",
            ground_truth_checksum="0" * 64, primary_value=0.5, stats={"AP": 0.5},
            per_class=PER_CLASS, curves=CURVES, explorer=EXPLORER,
        )  # fmt: skip  # the score's fields, packed

        apps = migrate(AFTER)
        packed = apps.get_model("leaderboard", "Score").objects.get(pk=score.pk)
        assert packed.per_class == PER_CLASS  # results stay exact
        assert packed.curves == fields.compact(CURVES) and packed.explorer == EXPLORER
        with connection.cursor() as cursor:
            cursor.execute("SELECT curves FROM leaderboard_score WHERE id = %s", [score.pk])
            assert isinstance(cursor.fetchone()[0], bytes | memoryview)

        apps = migrate(BEFORE)
        unpacked = apps.get_model("leaderboard", "Score").objects.get(pk=score.pk)
        assert unpacked.per_class == PER_CLASS and unpacked.curves == json.loads(json.dumps(fields.compact(CURVES)))
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
        with connection.schema_editor() as editor:  # as the migrate command's post_migrate does
            triggers.install(editor)
