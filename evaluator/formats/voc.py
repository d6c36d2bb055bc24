"""PASCAL VOC: XML annotations (ground truth) and devkit or COCO-style result files.

**Ground truth** is a folder or a zip/tar archive holding ``Annotations/<image id>.xml``
(possibly under a prefix such as ``VOC2007/``). When it also holds
``ImageSets/Main/test.txt``, that list chooses the split's images, in its order, and
every listed image must have its XML; otherwise the split is every annotated image,
sorted by id. Boxes are kept as the XML gives them: ``xmin ymin xmax ymax`` in the
devkit's 1-based, inclusive pixel coordinates (a box covers ``xmax - xmin + 1``
pixels across). ``difficult`` and ``truncated`` default to 0 when absent. Files that
declare a DTD or entities are refused.

**Results** come in two formats:

- ``voc-txt``: the devkit's per-class files ``<prefix>_det_<set>_<class>.txt`` (for
  example ``comp4_det_test_car.txt``; ``comp3_`` or any other prefix and set name are
  accepted), one file, a folder or a zip of them. Each line is
  ``image_id score x1 y1 x2 y2`` in the devkit's pixel coordinates. A class without a
  file has no detections.
- ``coco-json``: a COCO results list ``[{"image_id", "category_id" or
  "category_name", "bbox": [x, y, w, h], "score"}, ...]`` with ``category_id`` 1..20
  in the order of :data:`VOC_CLASSES` and ``image_id`` the VOC id (a string, or a
  number). The box is converted with **x1 = x + 1, y1 = y + 1, x2 = x + w,
  y2 = y + h**: COCO boxes lie on a continuous axis whose origin is the image's
  top-left corner, and VOC pixel k covers [k - 1, k]. This is the inverse of the
  conversion detectron2's VOC loader applies (``xmin - 1, ymin - 1, xmax, ymax``), and
  VOC's +1 width ``x2 - x1 + 1`` equals ``w``, so the box must be at least one pixel
  wide and high.

**Image ids** are strings such as ``"000001"``. An id that is all digits and names no
image of the split exactly names the image whose id has the same number, when there
is exactly one (``1`` and ``"1"`` name ``000001``). Loading with the ground truth
rewrites every id to the split's spelling.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import orjson

from ..errors import MAX_PROBLEMS, InvalidInput, ProblemCollector
from ..io import Member, read_members
from ._common import frozen, is_number, member_label, short

VOC_CLASSES = (
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)
CLASS_INDEX = {name: k for k, name in enumerate(VOC_CLASSES)}

TXT_FORMAT = "voc-txt"
JSON_FORMAT = "coco-json"
RESULT_FORMATS = (TXT_FORMAT, JSON_FORMAT)

TXT_COLUMNS = ("image_id", "score", "x1", "y1", "x2", "y2")
CLASS_FILE = re.compile(r"^(?P<prefix>.+?)_det_(?P<set>[^_]+)_(?P<cls>[^_]+)\.txt$")
CLASS_FILE_HELP = "<prefix>_det_<set>_<class>.txt, for example comp4_det_test_car.txt"
IMAGE_LIST = ("ImageSets", "Main", "test.txt")


@dataclass(frozen=True, eq=False)
class VocGroundTruth:
    """A VOC split in columns.

    Images (I, split order): ``image_ids`` (strings), ``width`` and ``height`` int64.
    Objects (N, image order then XML order): ``box_image`` int64 index into the
    images, ``box_class`` int64 index into ``class_names``, ``xyxy`` float64 [N x 4]
    (xmin, ymin, xmax, ymax as in the XML), ``difficult`` and ``truncated`` bool.
    """

    source: str
    image_ids: tuple[str, ...]
    width: np.ndarray
    height: np.ndarray
    box_image: np.ndarray
    box_class: np.ndarray
    xyxy: np.ndarray
    difficult: np.ndarray
    truncated: np.ndarray
    class_names: tuple[str, ...] = field(default=VOC_CLASSES)

    @property
    def num_images(self) -> int:
        return len(self.image_ids)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @cached_property
    def image_index(self) -> dict[str, int]:
        return {image_id: i for i, image_id in enumerate(self.image_ids)}

    @cached_property
    def _numeric_index(self) -> dict[int, int]:
        seen: dict[int, int] = {}
        ambiguous: set[int] = set()
        for i, image_id in enumerate(self.image_ids):
            if image_id.isascii() and image_id.isdigit():
                number = int(image_id)
                if number in seen:
                    ambiguous.add(number)
                seen[number] = i
        return {number: i for number, i in seen.items() if number not in ambiguous}

    def position(self, image_id: str) -> int:
        """Index of ``image_id`` in ``image_ids`` (see the module's rule on digits), -1 if none."""
        found = self.image_index.get(image_id)
        if found is not None:
            return found
        if image_id.isascii() and image_id.isdigit():
            return self._numeric_index.get(int(image_id), -1)
        return -1

    def positions(self, image_ids: np.ndarray) -> np.ndarray:
        """int64 indices of many ids at once, -1 for ids not in the split."""
        ids = np.asarray(image_ids, dtype=str)
        if len(ids) == 0:
            return np.zeros(0, dtype=np.int64)
        unique, inverse = np.unique(ids, return_inverse=True)
        found = np.array([self.position(str(u)) for u in unique], dtype=np.int64)
        return found[inverse.reshape(-1)]


@dataclass(frozen=True, eq=False)
class VocResults:
    """Detections (D): ``image_id`` str, ``category_index`` int64 into :data:`VOC_CLASSES`,
    ``xyxy`` float64 [D x 4] in VOC pixel coordinates, ``score`` float64.

    Order: for ``voc-txt`` the class files in class order, lines in file order; for
    ``coco-json`` the records' order. Ties in score rank in this order.
    """

    source: str
    format: str
    image_id: np.ndarray
    category_index: np.ndarray
    xyxy: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return len(self.image_id)


# --------------------------------------------------------------------------- ground truth


def load_ground_truth(path: str | Path) -> VocGroundTruth:
    """Read ``Annotations/*.xml`` (and ``ImageSets/Main/test.txt`` when present)."""
    path = Path(path)
    members = read_members(path)
    label = path.name
    xmls = [m for m in members if m.name.lower().endswith(".xml")]
    annotated = [m for m in xmls if PurePosixPath(m.name).parent.name == "Annotations"]
    xmls = annotated or xmls
    if not xmls:
        raise InvalidInput.single(
            label,
            "holds no Annotations/*.xml files; expected a VOC folder or archive such as "
            "VOC2007/Annotations/000001.xml with VOC2007/ImageSets/Main/test.txt",
        )
    problems = ProblemCollector(label)
    by_id: dict[str, Member] = {}
    for member in xmls:
        if member.stem in by_id:
            problems.add(
                "", f"image {member.stem} has two annotation files: {by_id[member.stem].name} and {member.name}"
            )
        by_id[member.stem] = member
    problems.raise_if_any()

    lists = [m for m in members if PurePosixPath(m.name).parts[-3:] == IMAGE_LIST]
    if len(lists) > 1:
        raise InvalidInput.single(label, f"holds {len(lists)} image lists ({', '.join(m.name for m in lists)})")
    listed = lists[0] if lists else None
    image_ids = _read_image_list(member_label(path, listed), listed, by_id, problems) if listed else sorted(by_id)
    problems.raise_if_any()

    width = np.zeros(len(image_ids), dtype=np.int64)
    height = np.zeros(len(image_ids), dtype=np.int64)
    box_image: list[int] = []
    box_class: list[int] = []
    boxes: list[tuple[float, float, float, float]] = []
    difficult: list[bool] = []
    truncated: list[bool] = []
    for i, image_id in enumerate(image_ids):
        member = by_id[image_id]
        parsed = _parse_annotation(member_label(path, member), member.data, problems)
        if parsed is None:
            continue
        width[i], height[i], objects = parsed
        for k, box, diff, trunc in objects:
            box_image.append(i)
            box_class.append(k)
            boxes.append(box)
            difficult.append(diff)
            truncated.append(trunc)
        if problems.full:
            break
    problems.raise_if_any()
    return VocGroundTruth(
        source=label,
        image_ids=tuple(image_ids),
        width=frozen(width),
        height=frozen(height),
        box_image=frozen(np.asarray(box_image, dtype=np.int64)),
        box_class=frozen(np.asarray(box_class, dtype=np.int64)),
        xyxy=frozen(np.asarray(boxes, dtype=np.float64).reshape(-1, 4)),
        difficult=frozen(np.asarray(difficult, dtype=bool)),
        truncated=frozen(np.asarray(truncated, dtype=bool)),
    )


def _read_image_list(label: str, member: Member, by_id: dict[str, Member], problems: ProblemCollector) -> list[str]:
    image_ids: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(member.text(label).splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        image_id = fields[0]
        if image_id in seen:
            problems.add_in(label, f"line {number}", f"image {image_id} is listed twice")
        elif image_id not in by_id:
            problems.add_in(
                label, f"line {number}", f"image {image_id} has no annotation file Annotations/{image_id}.xml"
            )
        else:
            seen.add(image_id)
            image_ids.append(image_id)
    if not image_ids and not problems:
        problems.add_in(label, "", "lists no images")
    return image_ids


_Object = tuple[int, tuple[float, float, float, float], bool, bool]


def _parse_annotation(label: str, data: bytes, problems: ProblemCollector) -> tuple[int, int, list[_Object]] | None:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        problems.add_in(label, "", "declares a DTD or entities; expected a plain VOC annotation XML")
        return None
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else 0
        problems.add_in(label, f"line {line}" if line else "", f"is not well-formed XML ({exc})")
        return None
    except (LookupError, ValueError) as exc:  # an encoding declaration Python does not know
        problems.add_in(label, "", f"cannot be decoded ({exc}); expected a UTF-8 VOC annotation XML")
        return None
    before = problems.count
    size = root.find("size")
    width = _size_field(label, size, "width", problems)
    height = _size_field(label, size, "height", problems)
    objects: list[_Object] = []
    for n, obj in enumerate(root.findall("object"), start=1):
        where = f"object {n}"
        name = (obj.findtext("name") or "").strip()
        k = CLASS_INDEX.get(name)
        if k is None:
            problems.add_in(
                label, where, f"class {name!r} is not a VOC class (expected one of {', '.join(VOC_CLASSES)})"
            )
            continue
        flags = [_flag(label, where, obj, tag, problems) for tag in ("difficult", "truncated")]
        box = _bndbox(label, where, obj.find("bndbox"), problems)
        if box is None or None in flags:
            continue
        objects.append((k, box, bool(flags[0]), bool(flags[1])))
    if problems.count != before:
        return None
    return width or 0, height or 0, objects


def _size_field(label: str, size: ET.Element | None, tag: str, problems: ProblemCollector) -> int | None:
    text = size.findtext(tag) if size is not None else None
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 <= value < 2**31 and value.is_integer()):
        problems.add_in(label, f"size/{tag}", f"expected a whole number of pixels, got {short(text)}")
        return None
    return int(value)


def _flag(label: str, where: str, obj: ET.Element, tag: str, problems: ProblemCollector) -> int | None:
    text = obj.findtext(tag)
    if text is None or not text.strip():
        return 0
    if text.strip() not in ("0", "1"):
        problems.add_in(label, where, f"<{tag}> must be 0 or 1, got {short(text.strip())}")
        return None
    return int(text.strip())


def _bndbox(
    label: str, where: str, bndbox: ET.Element | None, problems: ProblemCollector
) -> tuple[float, float, float, float] | None:
    if bndbox is None:
        problems.add_in(label, where, "has no <bndbox>")
        return None
    values = []
    for tag in ("xmin", "ymin", "xmax", "ymax"):
        text = bndbox.findtext(tag)
        try:
            value = float(text) if text is not None else math.nan
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            problems.add_in(label, where, f"<bndbox><{tag}> must be a finite number, got {short(text)}")
            return None
        values.append(value)
    x1, y1, x2, y2 = values
    if x2 < x1 or y2 < y1:
        problems.add_in(label, where, f"<bndbox> has xmax < xmin or ymax < ymin: {values}")
        return None
    return x1, y1, x2, y2


# --------------------------------------------------------------------------- results


def load_results(path: str | Path, gt: VocGroundTruth | None) -> VocResults:
    """Read ``voc-txt`` class files or a ``coco-json`` list (told apart by the file names).

    With ``gt``, every image id must belong to the split. Without, only the structure
    and the numbers are checked. Raises :class:`InvalidInput` listing up to 20 problems.
    """
    path = Path(path)
    members = read_members(path)
    label = path.name
    if not members or not any(m.data.strip() for m in members):
        raise InvalidInput.single(label, f"is empty; expected devkit class files ({CLASS_FILE_HELP}) or a JSON list")
    json_members = [m for m in members if m.name.lower().endswith(".json")]
    if json_members:
        if len(members) != 1:
            names = ", ".join(m.name for m in members[:5])
            raise InvalidInput.single(
                label, f"expected one results JSON file or devkit class files, not a mix ({names})"
            )
        return _load_json(member_label(path, members[0]), members[0], gt)
    return _load_class_files(path, members, gt)


def _load_class_files(path: Path, members: list[Member], gt: VocGroundTruth | None) -> VocResults:
    if not any(CLASS_FILE.match(m.basename) for m in members):
        names = ", ".join(m.name for m in members[:5]) + (", ..." if len(members) > 5 else "")
        raise InvalidInput.single(path.name, f"holds no class files ({names}); expected file names {CLASS_FILE_HELP}")
    problems = ProblemCollector(path.name)
    files: dict[int, tuple[str, Member]] = {}
    for member in members:
        label = member_label(path, member)
        matched = CLASS_FILE.match(member.basename)
        if matched is None:
            problems.add_in(label, "", f"is not a devkit class file; expected file names {CLASS_FILE_HELP}")
            continue
        k = CLASS_INDEX.get(matched["cls"])
        if k is None:
            problems.add_in(
                label, "", f"names class {matched['cls']!r}, which is not a VOC class ({', '.join(VOC_CLASSES)})"
            )
        elif k in files:
            problems.add_in(label, "", f"is a second file for class {matched['cls']} (first: {files[k][1].name})")
        else:
            files[k] = (label, member)
    problems.raise_if_any()

    ids: list[np.ndarray] = []
    values: list[np.ndarray] = []
    classes: list[np.ndarray] = []
    for k in sorted(files):
        label, member = files[k]
        file_ids, file_values = _parse_class_file(label, member.text(label), gt, problems)
        ids.append(file_ids)
        values.append(file_values)
        classes.append(np.full(len(file_ids), k, dtype=np.int64))
        if problems.full:
            break
    problems.raise_if_any()
    table = np.concatenate(values)
    if len(table) == 0:
        raise InvalidInput.single(path.name, "holds no detections; expected lines 'image_id score x1 y1 x2 y2'")
    return VocResults(
        source=path.name,
        format=TXT_FORMAT,
        image_id=frozen(np.concatenate(ids)),
        category_index=frozen(np.concatenate(classes)),
        score=frozen(np.ascontiguousarray(table[:, 0])),
        xyxy=frozen(np.ascontiguousarray(table[:, 1:5])),
    )


def _parse_class_file(
    label: str, text: str, gt: VocGroundTruth | None, problems: ProblemCollector
) -> tuple[np.ndarray, np.ndarray]:
    """Image ids (str [D]) and float64 [D x 5] (score, x1, y1, x2, y2) of one class file."""
    ids: list[str] = []
    rows: list[list[str]] = []
    numbers: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != len(TXT_COLUMNS):
            problems.add_in(
                label,
                f"line {number}",
                f"expected 6 fields 'image_id score x1 y1 x2 y2', got {len(fields)}: {short(line.strip())}",
            )
            continue
        ids.append(fields[0])
        rows.append(fields[1:])
        numbers.append(number)
    try:
        table = np.array(rows, dtype=np.float64).reshape(-1, 5)
    except ValueError:
        table = _parse_numbers_slowly(label, rows, numbers, problems)
    line_of = np.asarray(numbers, dtype=np.int64)
    checks: tuple[tuple[Any, Callable[[int], str]], ...] = (
        (~np.isfinite(table[:, 0]), lambda r: f"score must be a finite number, got {table[r, 0]}"),
        (~np.isfinite(table[:, 1:]).all(axis=1), lambda r: f"x1 y1 x2 y2 must be finite, got {table[r, 1:].tolist()}"),
    )
    for bad, message in checks:
        for r in np.flatnonzero(bad)[:MAX_PROBLEMS]:
            problems.add_in(label, f"line {line_of[r]}", message(r))
    image_ids = np.asarray(ids, dtype=str)
    if gt is not None and len(image_ids):
        found = gt.positions(image_ids)
        for r in np.flatnonzero(found < 0)[:MAX_PROBLEMS]:
            problems.add_in(
                label,
                f"line {line_of[r]}",
                f"image {ids[r]!r} is not an image of this split ({gt.num_images} images, see images.json)",
            )
        if (found >= 0).all():
            image_ids = np.asarray(gt.image_ids, dtype=str)[found]
    return image_ids, table


def _parse_numbers_slowly(
    label: str, rows: list[list[str]], numbers: list[int], problems: ProblemCollector
) -> np.ndarray:
    table = np.zeros((len(rows), 5))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            try:
                table[r, c] = float(text)
            except ValueError:
                problems.add_in(label, f"line {numbers[r]}", f"{TXT_COLUMNS[c + 1]} {short(text)} is not a number")
    return table


def _load_json(label: str, member: Member, gt: VocGroundTruth | None) -> VocResults:
    try:
        data = orjson.loads(member.data)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput.single(label, f"is not valid JSON ({exc})") from None
    if not isinstance(data, list):
        raise InvalidInput.single(
            label, "must be a JSON list of detections [{image_id, category_id, bbox, score}, ...]"
        )
    if not data:
        raise InvalidInput.single(label, "holds no detections; expected at least one")
    problems = ProblemCollector(label)
    ids: list[str] = []
    classes: list[int] = []
    rows: list[list[float]] = []
    for index, record in enumerate(data):
        parsed = _parse_json_record(record, problems, f"record {index + 1}")
        if parsed is not None:
            ids.append(parsed[0])
            classes.append(parsed[1])
            rows.append(parsed[2])
        if problems.full:
            break
    problems.raise_if_any()
    image_ids = np.asarray(ids, dtype=str)
    if gt is not None:
        found = gt.positions(image_ids)
        for r in np.flatnonzero(found < 0)[:MAX_PROBLEMS]:
            problems.add(
                f"record {r + 1}",
                f"image_id {short(data[r]['image_id'])} is not an image of this split ({gt.num_images} images, see images.json)",
            )
        problems.raise_if_any()
        image_ids = np.asarray(gt.image_ids, dtype=str)[found]
    table = np.asarray(rows, dtype=np.float64).reshape(-1, 5)
    return VocResults(
        source=label,
        format=JSON_FORMAT,
        image_id=frozen(image_ids),
        category_index=frozen(np.asarray(classes, dtype=np.int64)),
        score=frozen(np.ascontiguousarray(table[:, 0])),
        xyxy=frozen(np.ascontiguousarray(table[:, 1:5])),
    )


def _json_image_id(value: Any) -> str | None:
    if isinstance(value, str) and value.strip() and value == value.strip():
        return value
    if is_number(value) and float(value).is_integer() and value >= 0:
        return str(int(value))
    return None


def _json_class(record: dict[str, Any]) -> tuple[int | None, str | None]:
    """(class index, problem) from ``category_id`` and/or ``category_name``."""
    k = None
    if "category_id" in record:
        value = record["category_id"]
        if not (is_number(value) and float(value).is_integer() and 1 <= value <= len(VOC_CLASSES)):
            return (
                None,
                f"'category_id' must be 1..{len(VOC_CLASSES)} (VOC class order, see categories.json), got {short(value)}",
            )
        k = int(value) - 1
    if "category_name" in record:
        name = record["category_name"]
        named = CLASS_INDEX.get(name) if isinstance(name, str) else None
        if named is None:
            return None, f"'category_name' {short(name)} is not a VOC class"
        if k is not None and k != named:
            return None, f"'category_id' {k + 1} is {VOC_CLASSES[k]}, but 'category_name' says {name}"
        k = named
    if k is None:
        return None, "missing 'category_id' (or 'category_name')"
    return k, None


def _parse_json_record(record: Any, problems: ProblemCollector, where: str) -> tuple[str, int, list[float]] | None:
    if not isinstance(record, dict):
        problems.add(where, f"must be an object {{image_id, category_id, bbox, score}}, got {short(record)}")
        return None
    missing = [key for key in ("image_id", "bbox", "score") if key not in record]
    if missing:
        problems.add(where, f"missing field(s) {', '.join(missing)}")
        return None
    image_id = _json_image_id(record["image_id"])
    if image_id is None:
        problems.add(where, f"'image_id' must be a VOC image id such as \"000001\", got {short(record['image_id'])}")
        return None
    k, problem = _json_class(record)
    if k is None:
        problems.add(where, problem or "no class")
        return None
    score = record["score"]
    if not is_number(score):
        problems.add(where, f"'score' must be a finite number, got {short(score)}")
        return None
    bbox = record["bbox"]
    if not (isinstance(bbox, list) and len(bbox) == 4 and all(is_number(v) for v in bbox)):
        problems.add(where, f"'bbox' must be 4 finite numbers [x, y, width, height], got {short(bbox)}")
        return None
    x, y, w, h = (float(v) for v in bbox)
    # VOC corners: x1 = x + 1 ... x2 = x + w. Inverted corners (w < 1) are scored as VOCevaldet does.
    x1, y1, x2, y2 = x + 1, y + 1, x + w, y + h
    return image_id, k, [float(score), x1, y1, x2, y2]


__all__ = [
    "CLASS_INDEX",
    "JSON_FORMAT",
    "RESULT_FORMATS",
    "TXT_FORMAT",
    "VOC_CLASSES",
    "VocGroundTruth",
    "VocResults",
    "load_ground_truth",
    "load_results",
]
