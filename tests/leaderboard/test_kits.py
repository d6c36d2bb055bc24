"""Starter kits: every track's sample passes the local check and the server; the kit reveals no answer."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import evaluator
from evaluator.__main__ import main as evaluator_main
from leaderboard import ground_truth, services, tasks
from leaderboard.models import Submission, Track
from tests.leaderboard.conftest import raw_upload

pytestmark = pytest.mark.django_db

KIT_MEMBERS = {"kit.json", "images.json", "categories.json", "FORMAT.md"}
IMAGE_FIELDS = {"id", "file_name", "width", "height", "domain"}


def download(client, slug: str) -> bytes:
    response = client.get(reverse("track_kit", args=[slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert client.get(reverse("api:track-kit", args=[slug])).content == response.content
    return response.content


def splits_of(track: Track) -> list[tuple[str, object]]:
    if not track.is_transfer:
        return [("", track.split)]
    return [(d.name, d.split) for d in track.domains.order_by("position")]


def test_every_track_sample_passes_the_local_check_and_is_scored(client, track, user, tmp_path, capsys):
    tracks = list(Track.objects.select_related("benchmark", "split__benchmark").order_by("slug"))
    protocols = {t.protocol for t in tracks}
    assert {"coco", "voc07", "kitti"} <= protocols
    assert any(t.is_transfer for t in tracks)
    for track_ in tracks:
        data = download(client, track_.slug)
        archive = zipfile.ZipFile(io.BytesIO(data))
        name = json.loads(archive.read("kit.json"))["sample_submission"]
        assert set(archive.namelist()) == KIT_MEMBERS | {name}
        kit_path = tmp_path / f"{track_.slug}-kit.zip"
        kit_path.write_bytes(data)
        sample = tmp_path / name
        sample.write_bytes(archive.read(name))
        assert evaluator_main(["check", "--kit", str(kit_path), "--results", str(sample)]) == 0, capsys.readouterr()

        submission = services.submission_create(
            user=user, track=track_, upload=SimpleUploadedFile(name, sample.read_bytes()), method_name="Sample"
        )
        tasks.score_submission(submission.pk)
        submission.refresh_from_db()
        assert submission.status == Submission.Status.SCORED, (track_.slug, submission.error_message)


def test_images_json_holds_every_image_and_no_box_subset_or_revealing_order(client, track):
    for track_ in Track.objects.select_related("benchmark", "split__benchmark"):
        archive = zipfile.ZipFile(io.BytesIO(download(client, track_.slug)))
        images = json.loads(archive.read("images.json"))
        for member in ("images.json", "categories.json", "kit.json"):
            text = archive.read(member).decode()
            for word in ("bbox", "public", "private", "subset", "area", "iscrowd", "difficult", "occlu", "truncat"):
                assert word not in text.lower(), (track_.slug, member, word)
        assert all(set(image) == IMAGE_FIELDS for image in images)
        categories = json.loads(archive.read("categories.json"))
        assert categories and all({"id", "name", "supercategory"} <= set(c) for c in categories)
        for name, split in splits_of(track_):
            gt = ground_truth.load(split)
            mine = [image for image in images if not name or image["domain"] == name]
            ids = [image["id"] for image in mine]
            assert ids == sorted(ids)
            assert len(ids) == len(set(ids))
            assert {str(i) for i in ids} == {str(i) for i in evaluator.image_ids(gt, protocol=split.benchmark.protocol)}
            public = {str(i) for i in ground_truth.public_image_ids(split, gt)}
            flags = [str(i) in public for i in ids]
            half = len(flags) // 2
            # Public images are spread through the list, not grouped at either end.
            assert 0 < sum(flags[:half]) < half and 0 < sum(flags[half:]) < len(flags) - half


def test_an_unknown_category_is_refused_at_upload_with_no_quota_spent(client, track, user, tmp_path, capsys):
    gt = ground_truth.load(track.split)
    image = int(gt.image_ids[0])
    records = [
        {"image_id": image, "category_id": 1, "bbox": [10, 10, 30, 40], "score": 0.9},
        {"image_id": image, "category_id": 999, "bbox": [10, 10, 30, 40], "score": 0.8},
    ]
    expected = (
        "mine.json, record 2: category_id 999 is not a category of this benchmark "
        "(category ids: 1-90 with gaps (80 ids), see categories.json)"
    )
    client.force_login(user)
    response = client.post(
        reverse("submit"),
        {"track": track.pk, "method_name": "Wrong ids", "strategy": "as-is", "file": raw_upload(records, "mine.json")},
    )
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert not Submission.objects.exists()
    assert services.submission_quota(user=user, track=track).used_today == 0

    kit = tmp_path / "kit.zip"
    kit.write_bytes(download(client, track.slug))
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps(records))
    capsys.readouterr()
    assert evaluator_main(["check", "--kit", str(kit), "--results", str(mine)]) == 2
    assert capsys.readouterr().err == f"error: {expected}\n"


def test_the_kit_of_an_unknown_track_is_not_found(client, db):
    assert client.get(reverse("track_kit", args=["no-such-track"])).status_code == 404
    assert client.get(reverse("api:track-kit", args=["no-such-track"])).status_code == 404


def test_the_format_page_shows_every_format(client, db):
    page = client.get(reverse("formats")).content.decode()
    for title in ("COCO results JSON", "PASCAL VOC class files", "KITTI label files", "KAIST detection text"):
        assert title in page
    assert "Transfer archives" in page
    assert "python -m evaluator check --kit kit.zip" in page


def test_inverted_voc_boxes_are_scored_with_warnings_on_the_page_and_in_the_api(client, track, user):
    voc = Track.objects.get(slug="demo-voc2007-detection")
    archive = zipfile.ZipFile(io.BytesIO(download(client, voc.slug)))
    sample = zipfile.ZipFile(io.BytesIO(archive.read("sample_submission.zip")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as clipped:
        for name in sample.namelist():
            lines = sample.read(name).decode().splitlines()
            if name == "comp4_det_test_car.txt":
                image_id, score, x1, y1, x2, _ = lines[0].split()
                lines[0] = f"{image_id} {score} {x1} {y1} {x2} {float(y1) - 4}"  # clipped: y2 < y1
            clipped.writestr(name, "\n".join(lines) + "\n")
    upload = SimpleUploadedFile("clipped.zip", buffer.getvalue())
    submission = services.submission_create(user=user, track=voc, upload=upload, method_name="Darknet")
    assert len(submission.warnings) == 1
    assert "clipped.zip: 1 box with x2 < x1 or y2 < y1" in submission.warnings[0]
    tasks.score_submission(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SCORED

    client.force_login(user)
    page = client.get(reverse("submission", args=[submission.pk])).content.decode()
    assert 'id="warnings"' in page and "1 box with x2 &lt; x1 or y2 &lt; y1" in page
    api = client.get(reverse("api:submission-detail", args=[submission.pk])).json()
    assert api["warnings"] == submission.warnings
    client.logout()
    assert 'id="warnings"' not in client.get(reverse("submission", args=[submission.pk])).content.decode()


def test_coco_boxes_of_negative_size_go_through_the_whole_scoring(client, track, user, gt_data):
    records = json.loads(zipfile.ZipFile(io.BytesIO(download(client, track.slug))).read("sample_submission.json"))
    truth = gt_data["annotations"][:3]
    for n, annotation in enumerate(truth):
        x, y, w, h = annotation["bbox"]
        box = [[x + w, y, -w, h], [x, y + h, w, -h], [x + w, y + h, -w, -h]][n]
        records.append({"image_id": annotation["image_id"], "category_id": annotation["category_id"], "bbox": box})
        records[-1]["score"] = 0.99
    submission = services.submission_create(
        user=user, track=track, upload=raw_upload(records, "negative.json"), method_name="Negative"
    )
    (warning,) = submission.warnings
    assert warning.startswith("negative.json: 3 boxes with zero or negative width or height")
    tasks.score_submission(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SCORED, submission.error_message
    response = client.get(
        reverse("api:track-kit", args=[track.slug]), HTTP_ACCEPT="application/zip"
    )  # a client asking for the zip by type gets it
    assert response.status_code == 200 and response.content[:2] == b"PK"
