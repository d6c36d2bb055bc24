"""Starter kits without the site: built from ground truth, read back, and the check they run."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

import evaluator
from evaluator import kit
from evaluator.__main__ import main as evaluator_main
from evaluator.protocols import coco
from tests.conftest import shared_file
from tests.evaluator.test_coco_parity import GT_FILE


@pytest.fixture(scope="module")
def gt():
    return coco.load_ground_truth(shared_file(GT_FILE))


def transfer_kit(gt) -> kit.Kit:
    split = kit.split_kit(gt, protocol="coco")
    return kit.track_kit("two-domains", [("day", split, {}), ("night", split, {})], transfer=True)


def test_a_split_kit_lists_images_and_categories_and_no_box(gt):
    split = kit.split_kit(gt, protocol="coco")
    assert [i["id"] for i in split.images] == sorted(int(i) for i in gt.image_ids)
    assert [c["id"] for c in split.categories] == [int(c) for c in gt.category_ids]
    stored, checksum = kit.domain_kit_from_json(kit.domain_kit_to_json(split, checksum="abc"))
    assert stored == split and checksum == "abc"
    text = kit.write_zip(kit.track_kit("t", [("", split, {})], transfer=False))
    with zipfile.ZipFile(io.BytesIO(text)) as archive:
        for name in ("images.json", "categories.json", "kit.json"):
            assert b"bbox" not in archive.read(name)


def test_transfer_sample_passes_and_misplaced_cells_are_refused_with_the_servers_messages(gt, tmp_path):
    transfer = transfer_kit(gt)
    data = kit.write_zip(transfer)
    path = tmp_path / "kit.zip"
    path.write_bytes(data)
    read = kit.read_kit(path)
    assert [d.name for d in read.domains] == ["day", "night"]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sample = archive.read("sample_submission.zip")
        images = json.loads(archive.read("images.json"))
    assert {i["domain"] for i in images} == {"day", "night"}
    (tmp_path / "sample.zip").write_bytes(sample)
    assert kit.check(read, tmp_path / "sample.zip") == []
    with zipfile.ZipFile(io.BytesIO(sample)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    assert sorted(members) == ["stage1/day.json", "stage1/night.json", "stage2/day.json", "stage2/night.json"]
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("stage1/day.json", members["stage1/day.json"])
        archive.writestr("stage1/dusk.json", members["stage1/night.json"])
        archive.writestr("stage2/day.json", members["stage2/day.json"])
        archive.writestr("stage2/night.json", members["stage2/night.json"])
    with pytest.raises(evaluator.InvalidInput) as refused:
        kit.check(read, broken)
    assert "broken.zip, member stage1/dusk.json: unknown domain 'dusk'; expected one of day, night" in str(
        refused.value
    )
    assert "stage1/night is missing" in str(refused.value)

    wrong = tmp_path / "wrong.zip"
    records = json.loads(members["stage2/day.json"])
    records[4]["category_id"] = 999
    with zipfile.ZipFile(wrong, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, json.dumps(records) if name == "stage2/day.json" else content)
    with pytest.raises(evaluator.InvalidInput) as refused:
        kit.check(read, wrong)
    assert str(refused.value).startswith("wrong.zip: stage2/day.json, record 5: category_id 999 is not a category")


def test_the_check_reads_an_unzipped_kit_and_names_a_file_that_is_no_kit(tmp_path, capsys):
    gt = coco.load_ground_truth(shared_file(GT_FILE))
    data = kit.write_zip(kit.track_kit("t", [("", kit.split_kit(gt, protocol="coco"), {})], transfer=False))
    folder = tmp_path / "kit"
    folder.mkdir()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    sample = folder / "sample_submission.json"
    assert evaluator_main(["check", "--kit", str(folder), "--results", str(sample)]) == 0
    not_a_kit = tmp_path / "notes.zip"
    with zipfile.ZipFile(not_a_kit, "w") as archive:
        archive.writestr("readme.txt", "hello")
    capsys.readouterr()
    assert evaluator_main(["check", "--kit", str(not_a_kit), "--results", str(sample)]) == 2
    assert capsys.readouterr().err == (
        "error: notes.zip: is not a starter kit: kit.json, images.json missing; download the track's kit\n"
    )
