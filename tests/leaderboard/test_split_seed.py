"""Attack: compute which test images are private from public facts (issue 14, item 3).

The rule is published in evaluator/subsets.py; the seed used to default to ``<benchmark>-<split>``.
Now it is a random secret made at import, shown nowhere.
"""

from __future__ import annotations

import io
import logging

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

import evaluator
from leaderboard import ground_truth, services, tasks
from leaderboard.models import Split, Submission
from tests.conftest import shared_file
from tests.leaderboard.conftest import results_upload

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def imported(benchmark: str = "coco-mini", split: str = "val") -> Split:
    source = shared_file("coco-val2014-100/instances_val2014_100.json")
    run("import_split", str(source), "--benchmark", benchmark, "--protocol", "coco", "--split", split)
    return Split.objects.get(benchmark__slug=benchmark, slug=split)


def _public(split: Split, seed: str) -> set:
    ids = evaluator.image_ids(ground_truth.load(split), protocol="coco")
    return set(evaluator.subsets.public_image_ids(ids, seed=seed, fraction=split.public_fraction))


def test_the_public_facts_no_longer_give_the_private_images(caplog):
    with caplog.at_level(logging.DEBUG):
        split = imported()
    guessed = _public(split, f"{split.benchmark.slug}-{split.slug}")
    actual = set(ground_truth.public_image_ids(split, ground_truth.load(split)))
    assert guessed != actual
    assert len(split.public_seed) == 32
    assert split.public_seed not in caplog.text
    assert imported("coco-mini-2").public_seed != split.public_seed


def test_a_reimport_keeps_the_seed_so_no_image_changes_side():
    first = imported().public_seed
    assert imported().public_seed == first


def test_the_seed_is_in_no_api_answer_and_no_admin_page(client):
    split = imported()
    host = User.objects.create_superuser("host", password="x-long-password-1")
    client.force_login(host)
    pages = [
        reverse("api:split-list"),
        reverse("api:split-detail", args=[split.pk]),
        reverse("api:benchmark-detail", args=[split.benchmark.slug]),
        "/admin/leaderboard/split/",
        f"/admin/leaderboard/split/{split.pk}/change/",
        "/admin/leaderboard/split/add/",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert split.public_seed not in response.content.decode(), page


def test_split_seed_lists_guessable_seeds_and_renews_one(user, track, gt_data):
    split = track.split
    old = split.public_seed
    assert old.startswith("demo-")
    submission = services.submission_create(user=user, track=track, upload=results_upload(gt_data), method_name="m")
    tasks.score_submission(submission.pk)
    assert "guessable: demo-coco/val" in run("split_seed")

    output = run("split_seed", "--new", "demo-coco", "val")
    split.refresh_from_db()
    assert split.public_seed != old and len(split.public_seed) == 32
    assert split.public_seed not in output
    assert "1 submissions queued for rescoring" in output
    assert Submission.objects.get(pk=submission.pk).status == Submission.Status.QUEUED
    assert "guessable: demo-coco/val" not in run("split_seed")
