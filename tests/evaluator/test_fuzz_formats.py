"""Fuzzing every upload format: whatever the bytes, a loader loads or raises InvalidInput.

Each reader (results of every protocol, the ground-truth importers, the transfer
archive) gets random bytes and structure-aware mutations of a valid file: flipped,
truncated, inserted and deleted bytes; JSON values replaced by random JSON; random
text lines; random archives (hostile member names, random contents, zip or tar).
Anything else escaping (RecursionError, UnicodeDecodeError, OverflowError, numpy
warnings turned into errors, BadZipFile ...) is a bug, and so is an InvalidInput
whose problems do not name the uploaded file.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluator import transfer_archive
from evaluator.errors import InvalidInput
from evaluator.formats import coco, kaist, kitti, voc

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- valid files

COCO_GT = {
    "images": [{"id": 1, "width": 640, "height": 480}, {"id": 2, "width": 640, "height": 480}],
    "categories": [{"id": 1, "name": "person"}, {"id": 3, "name": "car"}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 20, 30, 40], "area": 1200, "iscrowd": 0},
        {"id": 2, "image_id": 2, "category_id": 3, "bbox": [0, 0, 5, 5], "area": 25, "iscrowd": 1},
    ],
}
COCO_RESULTS = [
    {"image_id": 1, "category_id": 1, "bbox": [10.5, 20, 30, 40], "score": 0.9},
    {"image_id": 2, "category_id": 3, "bbox": [1, 1, 4, 4], "score": 0.25},
    {"image_id": 1, "category_id": 3, "bbox": [100, 100, 20, 10], "score": 0.1},
]
VOC_XML = (
    "<annotation><size><width>500</width><height>375</height></size>"
    "<object><name>car</name><difficult>0</difficult>"
    "<bndbox><xmin>10</xmin><ymin>20</ymin><xmax>110</xmax><ymax>90</ymax></bndbox></object></annotation>"
)
VOC_GT = {
    "VOC2007/Annotations/000001.xml": VOC_XML.encode(),
    "VOC2007/Annotations/000002.xml": VOC_XML.replace("car", "dog").encode(),
    "VOC2007/ImageSets/Main/test.txt": b"000001\n000002\n",
}
VOC_RESULTS = {
    "comp4_det_test_car.txt": b"000001 0.9 10 20 110 90\n000002 0.3 1 1 50 50\n",
    "comp4_det_test_dog.txt": b"000002 0.8 12 22 100 80\n",
}
VOC_JSON = [{"image_id": "000001", "category_id": 7, "bbox": [9, 19, 101, 71], "score": 0.9}]
KITTI_LINE = "Car 0.00 0 -1.57 100.0 120.0 200.0 180.0 1.5 1.6 3.9 1.0 1.7 20.0 -1.6"
KITTI_GT = {
    "training/label_2/000001.txt": f"{KITTI_LINE}\nDontCare -1 -1 -10 5 5 20 20 -1 -1 -1 -1000 -1000 -1000 -10\n".encode(),
    "training/label_2/000002.txt": KITTI_LINE.replace("Car", "Pedestrian").encode() + b"\n",
    "val.txt": b"000001\n000002\n",
}
KITTI_RESULTS = {
    "000001.txt": f"{KITTI_LINE} 0.95\nCyclist 0 0 0 1 2 30 40 1 1 1 1 1 1 0 0.2\n".encode(),
    "000002.txt": f"{KITTI_LINE.replace('Car', 'Pedestrian')} 0.5\n".encode(),
}
KAIST_GT = {
    "images": [{"id": 0, "im_name": "set06/V000/I00019"}, {"id": 1, "im_name": "set09/V000/I00019"}],
    "categories": [{"id": 1, "name": "person"}],
    "annotations": [
        {"id": 0, "image_id": 0, "category_id": 1, "bbox": [10, 20, 30, 60], "height": 60, "occlusion": 0, "ignore": 0},
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [5, 5, 20, 50], "height": 50, "occlusion": 1, "ignore": 0},
    ],
}
KAIST_TXT = b"1,10,20,30,60,0.9\n2,5,5,20,50,0.4\n1,100,100,10,30,0.05\n"
KAIST_JSON = [{"image_id": 0, "category_id": 1, "bbox": [10, 20, 30, 60], "score": 0.9}]
DOMAINS = ("day", "night")
TRANSFER = {
    **{f"stage{s}/{d}.json": json.dumps(COCO_RESULTS).encode() for s in (1, 2) for d in DOMAINS},
    "efficiency.json": b'{"parameters_millions": [41.3, 41.3], "replay_samples": [0, 500], "training_images": 7000}',
}


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def pack(members: dict[str, bytes], kind: str = "zip") -> bytes:
    """An archive of ``members``; ``kind`` is zip, tar or tar.gz."""
    buffer = io.BytesIO()
    if kind == "zip":
        with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            warnings.simplefilter("ignore")  # duplicate names are part of the fuzzing
            for name, data in members.items():
                archive.writestr(name, data)
    else:
        with tarfile.open(fileobj=buffer, mode="w:gz" if kind == "tar.gz" else "w") as archive:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# --------------------------------------------------------------------------- loaders

_GT_CACHE: dict[str, Any] = {}


def _ground_truth(name: str, loader: Callable[[Path], Any], data: bytes, file_name: str) -> Any:
    if name not in _GT_CACHE:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / file_name
            path.write_bytes(data)
            _GT_CACHE[name] = loader(path)
    return _GT_CACHE[name]


def coco_gt() -> coco.CocoGroundTruth:
    return _ground_truth("coco", coco.load_ground_truth, _json(COCO_GT), "instances.json")


def voc_gt() -> voc.VocGroundTruth:
    return _ground_truth("voc", voc.load_ground_truth, pack(VOC_GT), "voc.zip")


def kitti_gt() -> kitti.KittiGroundTruth:
    return _ground_truth("kitti", kitti.load_ground_truth, pack(KITTI_GT), "labels.zip")


def kaist_gt() -> kaist.KaistGroundTruth:
    return _ground_truth("kaist", kaist.load_ground_truth, _json(KAIST_GT), "kaist.json")


# name -> (loader taking a path and "use the ground truth", file name, a valid file's bytes)
LOADERS: dict[str, tuple[Callable[[Path, bool], Any], str, bytes]] = {
    "coco-results": (lambda p, g: coco.load_results(p, coco_gt() if g else None), "results.json", _json(COCO_RESULTS)),
    "coco-gt": (lambda p, g: coco.load_ground_truth(p), "instances.json", _json(COCO_GT)),
    "voc-txt": (lambda p, g: voc.load_results(p, voc_gt() if g else None), "results.zip", pack(VOC_RESULTS)),
    "voc-json": (lambda p, g: voc.load_results(p, voc_gt() if g else None), "results.json", _json(VOC_JSON)),
    "voc-gt": (lambda p, g: voc.load_ground_truth(p), "voc.zip", pack(VOC_GT)),
    "kitti-results": (
        lambda p, g: kitti.load_results(p, kitti_gt() if g else None),
        "results.zip",
        pack(KITTI_RESULTS),
    ),
    "kitti-gt": (lambda p, g: kitti.load_ground_truth(p), "labels.zip", pack(KITTI_GT)),
    "kaist-txt": (lambda p, g: kaist.load_results(p, kaist_gt() if g else None), "results.txt", KAIST_TXT),
    "kaist-json": (lambda p, g: kaist.load_results(p, kaist_gt() if g else None), "results.json", _json(KAIST_JSON)),
    "kaist-gt": (lambda p, g: kaist.load_ground_truth(p), "kaist.json", _json(KAIST_GT)),
    "transfer": (lambda p, g: transfer_archive.read_upload(p, domains=DOMAINS), "upload.zip", pack(TRANSFER)),
}
ARCHIVES = {"voc-txt": VOC_RESULTS, "voc-gt": VOC_GT, "kitti-results": KITTI_RESULTS, "kitti-gt": KITTI_GT}
ARCHIVES["transfer"] = TRANSFER
JSON_FILES = {
    "coco-results": COCO_RESULTS,
    "coco-gt": COCO_GT,
    "voc-json": VOC_JSON,
    "kaist-json": KAIST_JSON,
    "kaist-gt": KAIST_GT,
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def loads_or_refuses(name: str, folder: Path, data: bytes, *, use_gt: bool, file_name: str | None = None) -> None:
    """The contract: load, or InvalidInput whose every problem names the uploaded file."""
    load, default_name, _ = LOADERS[name]
    path = folder / (file_name or default_name)
    path.write_bytes(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a numpy cast of a hostile number warns before it goes wrong
            load(path, use_gt)
    except InvalidInput as error:
        assert error.problems
        for problem in error.problems:
            assert problem.file.startswith(path.name), str(problem)
            assert problem.message.strip(), str(problem)


def test_every_valid_file_loads(folder):
    for load, file_name, data in LOADERS.values():
        path = folder / file_name
        path.write_bytes(data)
        load(path, True)


# --------------------------------------------------------------------------- strategies

INTERESTING = [
    b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\xe9", b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-0",
    b"18446744073709551616", b"9" * 30, b"[" * 2000, b"{", b"}", b"]", b",", b'"', b"\\", b"\n", b"\r\n",
    b"nan", b"inf", b" ", b"\t",
]  # fmt: skip  # a table: several entries a line


@st.composite
def mutations(draw, base: bytes) -> bytes:
    """``base`` with 1 to 4 bytes flipped, truncations, insertions or deletions."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(st.sampled_from(["flip", "truncate", "insert", "delete"])) if data else "insert"
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if operation == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif operation == "truncate":
            del data[at:]
        elif operation == "insert":
            data[at:at] = draw(st.sampled_from(INTERESTING) | st.binary(min_size=1, max_size=12))
        else:
            del data[at : at + draw(st.integers(1, 24))]
    return bytes(data)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@st.composite
def json_replacements(draw, document: Any) -> bytes:
    """``document`` with one value somewhere in it replaced by a random JSON value (NaN allowed)."""
    document = json.loads(json.dumps(document))
    parent: Any = None
    key: Any = None
    node = document
    for _ in range(draw(st.integers(0, 4))):
        if isinstance(node, dict) and node:
            parent, key = node, draw(st.sampled_from(sorted(node)))
        elif isinstance(node, list) and node:
            parent, key = node, draw(st.integers(0, len(node) - 1))
        else:
            break
        node = parent[key]
    value = draw(json_values)
    if parent is None:
        document = value
    elif isinstance(parent, dict) and draw(st.booleans()):
        parent[draw(st.text(max_size=8))] = value
    else:
        parent[key] = value
    return json.dumps(document).encode()


TOKENS = [
    "0", "1", "-1", "000001", "000002", "0.5", "1e400", "-0", "nan", "NaN", "inf", "-inf", "1e300", "9" * 25,
    "Car", "Pedestrian", "DontCare", "car", "x", "", "٣", "\x00", "0x10", "1_000", "  ",
]  # fmt: skip  # a table: several entries a line


def text_lines(separator: str, fields: int) -> st.SearchStrategy[bytes]:
    field = st.sampled_from(TOKENS) | st.text(max_size=6)
    line = st.lists(field, min_size=max(fields - 2, 0), max_size=fields + 2).map(separator.join)
    return st.lists(line, max_size=6).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass"))


MEMBER_NAMES = st.sampled_from(
    [
        "../evil.txt", "/etc/passwd", "a/../../b.txt", "C:\\evil.txt", "stage1/", "stage1/day.json",
        "stage2/night/000001.txt", "stage0/day.json", "stage99/day.json", "efficiency.json", "label_2/000001.txt",
        "Annotations/000001.xml", "ImageSets/Main/test.txt", "comp4_det_test_car.txt", "comp4_det_test_zebra.txt",
        "000001.txt", ".hidden.txt", "__MACOSX/x.txt", "a.json", "b.JSON", "dir/", "٣.txt",
    ]
) | st.text(min_size=1, max_size=12)  # fmt: skip  # a table: several entries a line


@st.composite
def archives(draw, members: dict[str, bytes]) -> bytes:
    """``members`` with one changed, renamed, dropped or added, packed as zip, tar or tar.gz."""
    members = dict(members)
    for _ in range(draw(st.integers(1, 3))):
        operation = draw(st.sampled_from(["mutate", "rename", "drop", "add"])) if members else "add"
        name = draw(st.sampled_from(sorted(members))) if members else ""
        if operation == "mutate":
            members[name] = draw(mutations(members[name]))
        elif operation == "rename":
            members[draw(MEMBER_NAMES)] = members.pop(name)
        elif operation == "drop":
            del members[name]
        else:
            members[draw(MEMBER_NAMES)] = draw(
                st.sampled_from(list(members.values()) or [b""]) | st.binary(max_size=64)
            )
    members = {name.replace("\x00", ""): data for name, data in members.items() if name.replace("\x00", "")}
    return pack(members, draw(st.sampled_from(["zip", "tar", "tar.gz"])))


# --------------------------------------------------------------------------- the fuzz tests

ALL = sorted(LOADERS)


@pytest.mark.parametrize("name", ALL)
@FUZZ
@given(data=st.binary(max_size=600), use_gt=st.booleans())
def test_random_bytes(folder, name, data, use_gt):
    loads_or_refuses(name, folder, data, use_gt=use_gt)


@pytest.mark.parametrize("name", ALL)
@FUZZ
@given(data=st.data(), use_gt=st.booleans())
def test_byte_mutations_of_a_valid_file(folder, name, data, use_gt):
    loads_or_refuses(name, folder, data.draw(mutations(LOADERS[name][2])), use_gt=use_gt)


@pytest.mark.parametrize("name", sorted(JSON_FILES))
@FUZZ
@given(data=st.data(), use_gt=st.booleans())
def test_json_values_replaced(folder, name, data, use_gt):
    loads_or_refuses(name, folder, data.draw(json_replacements(JSON_FILES[name])), use_gt=use_gt)


@pytest.mark.parametrize(
    ("name", "member", "separator", "fields"),
    [
        ("voc-txt", "comp4_det_test_car.txt", " ", 6),
        ("kitti-results", "000001.txt", " ", 16),
        ("kitti-gt", "training/label_2/000001.txt", " ", 15),
        ("kaist-txt", None, ",", 6),
    ],
)
@FUZZ
@given(data=st.data(), use_gt=st.booleans())
def test_random_text_lines(folder, name, member, separator, fields, data, use_gt):
    lines = data.draw(text_lines(separator, fields))
    upload = lines if member is None else pack({**ARCHIVES[name], member: lines})
    loads_or_refuses(name, folder, upload, use_gt=use_gt)


@pytest.mark.parametrize("name", sorted(ARCHIVES))
@FUZZ
@given(data=st.data(), use_gt=st.booleans())
def test_random_archives(folder, name, data, use_gt):
    upload = data.draw(archives(ARCHIVES[name]))
    kind = "tar" if upload[257:262] == b"ustar" else "tar.gz" if upload[:2] == b"\x1f\x8b" else "zip"
    loads_or_refuses(name, folder, upload, use_gt=use_gt, file_name=f"upload.{kind}")


@pytest.mark.parametrize("name", ["coco-results", "voc-json", "kaist-json", "kaist-txt"])
@FUZZ
@given(data=st.data(), use_gt=st.booleans())
def test_single_file_uploads_in_a_random_archive(folder, name, data, use_gt):
    _, file_name, valid = LOADERS[name]
    upload = data.draw(archives({file_name: valid}))
    kind = "tar" if upload[257:262] == b"ustar" else "tar.gz" if upload[:2] == b"\x1f\x8b" else "zip"
    loads_or_refuses(name, folder, upload, use_gt=use_gt, file_name=f"upload.{kind}")
