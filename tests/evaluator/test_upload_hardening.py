"""Hostile uploads found by the audit: each is refused with InvalidInput naming the file."""

from __future__ import annotations

import io
import itertools
import json
import tarfile
import zipfile

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator import transfer_archive
from evaluator.errors import InvalidInput
from evaluator.formats import coco, kaist, kitti, voc
from evaluator.io import Limits, json_list_slices, read_members

RECORD = {"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}
LOADERS = {
    "coco": lambda p: coco.load_results(p, None),
    "voc": lambda p: voc.load_results(p, None),
    "kitti": lambda p: kitti.load_results(p, None),
    "kaist": lambda p: kaist.load_results(p, None),
    "transfer": lambda p: transfer_archive.read_upload(p, domains=["day", "night"]),
}


def refused(load, path) -> str:
    with pytest.raises(InvalidInput) as caught:
        load(path)
    assert all(p.file.startswith(path.name) for p in caught.value.problems)
    return caught.value.message


def zeros_zip(path, size: int) -> None:
    """A zip of one member of ``size`` zero bytes, written a MiB at a time."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("a.json", "w") as member:
        for _ in range(size // 2**20):
            member.write(bytes(2**20))


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_zip_bomb_is_refused_before_it_is_unpacked(tmp_path, name):
    path = tmp_path / "bomb.zip"
    zeros_zip(path, 64 * 2**20)
    assert "refused as a zip bomb" in refused(LOADERS[name], path)


def test_tar_bomb_is_refused_before_it_is_unpacked(tmp_path):
    path = tmp_path / "bomb.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("a.json")
        info.size = 64 * 2**20
        archive.addfile(info, io.BytesIO(bytes(info.size)))
    assert "refused as a compression bomb" in refused(LOADERS["coco"], path)


def test_member_count_includes_folders_and_links(tmp_path):
    path = tmp_path / "many.tar"
    with tarfile.open(path, "w") as archive:
        for n in range(20):
            info = tarfile.TarInfo(f"d{n}")
            info.type = tarfile.DIRTYPE
            archive.addfile(info)
    with pytest.raises(InvalidInput, match="has more than 10 files"):
        read_members(path, limits=Limits(max_members=10))


def test_oversized_file_in_a_folder_is_refused_unread(tmp_path):
    (tmp_path / "up").mkdir()
    (tmp_path / "up" / "big.txt").write_bytes(b"x" * 100)
    with pytest.raises(InvalidInput, match="member big.txt is larger than 10 bytes"):
        read_members(tmp_path / "up", limits=Limits(max_member_bytes=10))


@pytest.mark.parametrize("name", ["../evil.json", "/etc/evil.json", "a/../../evil.json"])
def test_unsafe_member_paths_are_refused(tmp_path, name):
    for kind in ("zip", "tar"):
        path = tmp_path / f"up.{kind}"
        if kind == "zip":
            with zipfile.ZipFile(path, "w") as archive:
                archive.writestr(name, json.dumps([RECORD]))
        else:
            with tarfile.open(path, "w") as archive:
                info = tarfile.TarInfo(name)
                archive.addfile(info, io.BytesIO(b""))
        assert "has an unsafe path" in refused(LOADERS["coco"], path)


def test_a_zip_member_without_a_name_is_refused(tmp_path):
    path = tmp_path / "up.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a", json.dumps([RECORD]))
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")  # the central directory's entry: name length at 28, name at 46
    data[entry + 28 : entry + 30] = (0).to_bytes(2, "little")
    del data[entry + 46]
    end = data.index(b"PK\x05\x06")  # the directory's size at 12
    data[end + 12 : end + 16] = (int.from_bytes(data[end + 12 : end + 16], "little") - 1).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    assert zipfile.ZipFile(path).infolist()[0].filename == ""
    for protocol in ("coco", "voc", "kitti"):
        assert "has a member without a name" in refused(LOADERS[protocol], path)


def test_links_in_a_tar_are_not_followed(tmp_path):
    path = tmp_path / "links.tar"
    with tarfile.open(path, "w") as archive:
        for kind, name in ((tarfile.SYMTYPE, "a.json"), (tarfile.LNKTYPE, "b.json")):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, "/etc/passwd"
            archive.addfile(info)
    assert "found 0" in refused(LOADERS["coco"], path)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"[" * 100_000, "is not valid JSON"),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "is not valid JSON"),
        (b'[{"image_id": 1' + b"0" * 5000 + b"}]", "is not valid JSON (number is infinity"),
        ('[{"image_id": "é"}]'.encode("utf-16"), "looks like UTF-16"),
        ('[{"image_id": "é"}]'.encode("latin-1"), "is not UTF-8 text (byte 15 is 0xe9)"),
        (b"\x00\x01\x02\xff", "is not UTF-8 text"),
    ],
)
@pytest.mark.parametrize("name", ["coco", "kaist"])
def test_deep_and_badly_encoded_json_is_refused(tmp_path, name, data, expected):
    path = tmp_path / "results.json"
    path.write_bytes(data)
    assert expected in refused(LOADERS[name], path)


@pytest.mark.parametrize(
    ("number", "name"),
    [("1e300", "coco"), ("18446744073709551615", "coco"), ("1e300", "kaist"), ("18446744073709551615", "kaist")],
)
def test_ids_beyond_int64_are_refused(tmp_path, number, name):
    path = tmp_path / "results.json"
    path.write_text(json.dumps([RECORD]).replace('"image_id": 1', f'"image_id": {number}'))
    assert "'image_id' must be an integer" in refused(LOADERS[name], path)


def test_efficiency_figures_that_are_not_numbers_are_refused(tmp_path):
    path = tmp_path / "up.zip"
    cells = {f"stage{s}/{d}.json": json.dumps([RECORD]) for s in (1, 2) for d in ("day", "night")}
    for efficiency, expected in (
        ("[" * 100_000, "nested too deeply"),
        ('{"training_images": 1' + "0" * 5000 + "}", "expected a positive number of images"),
        ('{"gpu_hours": [1e400, 1]}', "expected non-negative finite numbers"),
    ):
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in {**cells, "efficiency.json": efficiency}.items():
                archive.writestr(name, data)
        assert expected in refused(LOADERS["transfer"], path)


def test_unknown_xml_encoding_is_refused(tmp_path):
    path = tmp_path / "voc.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Annotations/000001.xml", '<?xml version="1.0" encoding="klingon"?><annotation/>')
    assert "cannot be decoded" in refused(voc.load_ground_truth, path)


def test_detection_count_is_limited(tmp_path, monkeypatch):
    monkeypatch.setattr(coco, "DEFAULT_LIMITS", Limits(max_detections=2))
    path = tmp_path / "results.json"
    path.write_text(json.dumps([RECORD] * 3))
    assert "holds more than 2 detections" in refused(LOADERS["coco"], path)


def test_a_large_results_file_is_read_in_slices_with_record_numbers_kept(tmp_path):
    records = [dict(RECORD, image_id=i) for i in range(60_000)]  # several 4 MiB slices
    records[45_000] = dict(RECORD, score="high")
    path = tmp_path / "results.json"
    path.write_bytes(orjson.dumps(records))
    assert "record 45001: 'score' must be a finite number" in refused(LOADERS["coco"], path)
    records[45_000] = RECORD
    path.write_bytes(json.dumps(records, indent=1).encode())
    assert coco.load_results(path, None).image_id[-1] == 59_999


json_records = st.lists(
    st.dictionaries(
        st.text(alphabet='{}[],: "\\ab', max_size=4),
        st.recursive(st.integers() | st.text(alphabet='{}[],: "\\ab', max_size=6), st.lists, max_leaves=4),
        max_size=3,
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(records=json_records, slice_bytes=st.integers(1, 40), indent=st.sampled_from([None, 1]))
def test_slices_give_exactly_the_list(records, slice_bytes, indent):
    data = json.dumps(records, indent=indent).encode()
    sliced = list(itertools.chain.from_iterable(json_list_slices(data, orjson.loads, slice_bytes)))
    assert sliced == orjson.loads(data)
