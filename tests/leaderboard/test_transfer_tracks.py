"""Transfer tracks end to end in-process: archives, the stage x domain matrix, ranking and pages."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from leaderboard import demo_transfer, selectors, services, tasks
from leaderboard.models import Score, Submission, Track, TransferScore
from tests.demo_data import load_demo

pytestmark = pytest.mark.django_db
TRACK = "demo-day2night-transfer"


def score_day2night_baselines() -> None:
    load_demo("--images", "45", "--skip-real")()
    for submission in Submission.objects.filter(track__slug=TRACK):
        tasks.score_submission(submission.pk)


@pytest.fixture
def scored_demo(settings, demo_snapshots) -> Track:
    demo_snapshots.restore("day2night-scored", score_day2night_baselines)
    track = Track.objects.get(slug=TRACK)
    assert not Submission.objects.filter(track=track).exclude(status=Submission.Status.SCORED).exists()
    return track


def metrics(track: Track) -> dict[str, dict]:
    rows = TransferScore.objects.filter(submission__track=track, subset=Score.Subset.FULL, is_current=True)
    return {row.submission.strategy: row.stats for row in rows}


def test_strategies_behave_as_documented(scored_demo):
    m = metrics(scored_demo)
    assert m["as-is"]["gain"] == 0.0 and m["as-is"]["forgetting"] == 0.0
    assert m["fine-tuning"]["gain"] == max(s["gain"] for s in m.values())
    assert m["fine-tuning"]["forgetting"] == max(s["forgetting"] for s in m.values())
    assert m["lwf"]["gain"] > m["frozen-features"]["gain"] > 0
    assert m["lwf"]["forgetting"] < m["fine-tuning"]["forgetting"] / 2
    assert m["frozen-features"]["forgetting"] == 0.0
    assert m["image-translation"]["forgetting"] == 0.0
    assert m["pseudo-labels"]["gain"] > 0
    # Only stages 1 and N were given for image translation: BWT, FWT and ACC are not available.
    assert m["image-translation"]["BWT"] is None and m["image-translation"]["FWT"] is None
    assert m["image-translation"]["gain"] is not None


def test_matrix_cells_are_the_engine_scores_of_each_stage_and_domain(scored_demo):
    submission = Submission.objects.get(track=scored_demo, strategy="fine-tuning")
    result = submission.transfer_scores.get(subset=Score.Subset.FULL, is_current=True)
    assert result.domains == ["day", "dawn-dusk", "night"]
    cells = Score.objects.filter(submission=submission, subset=Score.Subset.FULL, is_current=True)
    assert cells.count() == 9
    for cell in cells:
        column = result.domains.index(cell.split.domain)
        assert result.matrix[cell.stage - 1][column] == cell.stats["AP"]


def test_transfer_leaderboard_ranks_filters_and_pages(client, scored_demo):
    rows = list(selectors.leaderboard_rows(track=scored_demo))
    values = [row.primary_value for row in rows]
    assert values == sorted(values, reverse=True)
    assert {row.submission.strategy for row in rows} == {s.key for s in demo_transfer.STRATEGIES}
    only = list(selectors.leaderboard_rows(track=scored_demo, strategy="lwf"))
    assert [row.submission.strategy for row in only] == ["lwf"]
    without = list(selectors.leaderboard_rows(track=scored_demo, target_labels=False))
    assert without and not any(row.submission.uses_target_labels for row in without)

    page = client.get(reverse("track", args=[TRACK]) + "?strategy=pseudo-labels").content.decode()
    assert "Pseudo-label self-training" in page and "Sequential fine-tuning" not in page
    assert "day</strong> → <strong>dawn-dusk</strong> → <strong>night" in page

    strategies = client.get(reverse("track-strategies", args=[TRACK]))
    assert strategies.status_code == 200
    data = strategies.context["plot"]
    assert len(data["points"]) == len(demo_transfer.STRATEGIES)
    assert "Learning without forgetting" in strategies.content.decode()

    submission = Submission.objects.get(track=scored_demo, strategy="lwf")
    detail = client.get(reverse("submission", args=[submission.pk])).content.decode()
    assert 'id="matrix-data"' in detail
    assert "Every stage on every domain" in detail


def archive(files: dict[str, bytes], name: str = "transfer.zip") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for member, data in files.items():
            zf.writestr(member, data)
    return SimpleUploadedFile(name, buffer.getvalue())


DET = json.dumps([{"image_id": 1, "category_id": 3, "bbox": [10, 10, 50, 40], "score": 0.9}]).encode()


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"stage1/day.json": DET, "stage1/dawn-dusk.json": DET, "stage1/night.json": DET}, "stage3/day is missing"),
        (
            {f"stage{s}/{d}.json": DET for s in (1, 3) for d in ("day", "dawn-dusk", "dusk")},
            "member stage1/dusk.json: unknown domain 'dusk'",
        ),
        (
            {
                **{f"stage{s}/{d}.json": DET for s in (1, 3) for d in ("day", "dawn-dusk", "night")},
                "stage1/night.json": b"[{",
            },
            "transfer.zip: stage1/night.json",
        ),
        (
            {
                **{f"stage{s}/{d}.json": DET for s in (1, 3) for d in ("day", "dawn-dusk", "night")},
                "stage4/day.json": DET,
            },
            "stage 4 does not exist",
        ),
    ],
)
def test_bad_archives_are_refused_naming_the_member(settings, demo_snapshots, files, expected):
    demo_snapshots.restore("generated-30", load_demo("--images", "30", "--skip-real", "--no-submissions"))
    user = User.objects.create_user("tess")
    with pytest.raises(services.SubmissionRefused) as refused:
        services.submission_create(
            user=user, track=Track.objects.get(slug=TRACK), upload=archive(files), method_name="x"
        )
    assert expected in str(refused.value)


def test_cross_dataset_track_maps_coco_categories_to_voc_classes(settings):
    import evaluator
    from evaluator.label_map import COCO_TO_VOC, remap_coco_results
    from leaderboard import ground_truth

    call_command("load_demo", "--images", "60", "--skip-real", stdout=io.StringIO())
    track = Track.objects.get(slug="demo-coco-to-voc")
    assert [(d.name, d.split.benchmark.protocol) for d in track.domains.all()] == [("coco", "coco"), ("voc", "voc07")]
    for submission in Submission.objects.filter(track=track):
        tasks.score_submission(submission.pk)
    m = metrics(track)
    assert m["as-is"]["gain"] == 0.0
    assert m["fine-tuning"]["gain"] == max(s["gain"] for s in m.values())
    assert m["fine-tuning"]["forgetting"] == max(s["forgetting"] for s in m.values())
    assert m["frozen-features"]["forgetting"] == 0.0 < m["frozen-features"]["gain"]

    # The VOC cell is the voc07 mAP of the predictions mapped into VOC classes.
    as_is = Submission.objects.get(track=track, strategy="as-is")
    voc = track.domains.get(name="voc")
    coco_gt = ground_truth.load(track.domains.get(name="coco").split)
    with zipfile.ZipFile(as_is.file.path) as archive:
        raw = settings.MEDIA_ROOT / "raw.json"
        raw.write_bytes(archive.read("stage1/voc.json"))
    mapped = settings.MEDIA_ROOT / "mapped.json"
    categories = {int(i): n for i, n in zip(coco_gt.category_ids, coco_gt.category_names, strict=True)}
    remap_coco_results(raw, mapped, source_categories=categories, label_map=COCO_TO_VOC)
    voc_gt = ground_truth.load(voc.split)
    expected = evaluator.evaluate(
        voc_gt, evaluator.load_results(mapped, protocol="voc07", ground_truth=voc_gt), protocol="voc07"
    )
    result = as_is.transfer_scores.get(subset=Score.Subset.FULL, is_current=True)
    assert result.matrix[0][1] == expected.stats["mAP"]


def test_remapping_names_unknown_source_categories(tmp_path):
    from evaluator import InvalidInput
    from evaluator.label_map import remap_coco_results

    path = tmp_path / "voc.json"
    path.write_text(json.dumps([{"image_id": "000001", "category_id": 999, "bbox": [1, 1, 5, 5], "score": 0.5}]))
    with pytest.raises(InvalidInput, match=r"voc.json, record 1: unknown category_id 999"):
        remap_coco_results(path, tmp_path / "out.json", source_categories={1: "person"}, label_map={"person": "person"})


def test_demo_baselines_rank_as_their_profiles(settings):
    call_command("load_demo", "--images", "150", "--skip-real", stdout=io.StringIO())
    for slug, metric in (("demo-coco-detection", "AP"), ("demo-voc2007-detection", "mAP")):
        values = {}
        for submission in Submission.objects.filter(track__slug=slug):
            tasks.score_submission(submission.pk)
            values[submission.method_name] = submission.scores.get(subset=Score.Subset.FULL).stats[metric]
        ranked = sorted(values, key=values.get)
        assert ranked == [
            "SSD MobileNet v2",
            "R-FCN ResNet-101",
            "Faster R-CNN ResNet-101",
            "Faster R-CNN Inception-ResNet v2",
        ], (slug, values)
