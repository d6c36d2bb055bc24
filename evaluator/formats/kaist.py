"""KAIST multispectral pedestrian benchmark: ground truth and result files.

Ground truth is the COCO-style ``KAIST_annotation.json`` of the MLPD repository
(images with ``id`` and ``im_name``; person boxes with ``bbox`` [x, y, w, h] in pixels,
``height``, ``occlusion`` 0/1/2 and ``ignore``). Only annotations of the category
named ``person`` are scored, as the benchmark's own script scores category 1 only;
annotations of other categories are counted and otherwise left out.

Day or night, per image, comes from the data:

1. an explicit ``domain`` (or ``timeofday``) field of the image, ``"day"`` or
   ``"night"``, when the file has one;
2. otherwise the KAIST set in ``im_name`` (``set06/V000/I00019``): the dataset was
   recorded so that sets 00-02 and 06-08 are day and sets 03-05 and 09-11 night.

On the shared test file this gives day = image ids 0..1454 (sets 06-08, 1,455
images) and night = ids 1455..2251 (sets 09-11, 797 images), the split the
benchmark's script makes by position.

Results come in two formats:

- ``kaist-txt``: what the benchmark's users produce, one detection a line,
  ``image_id,x,y,w,h,score``, with **1-based** image ids: id ``k`` is the image with
  annotation id ``k - 1`` (the k-th line of ``test-all-20.txt``). Every detection is
  a person.
- ``coco-json``: a COCO results list ``[{"image_id", "category_id", "bbox",
  "score"}, ...]`` with the **0-based** image ids of the annotation file, as
  pycocotools' ``loadRes`` reads it. The COCO loader reads it; this module adds the
  KAIST rules (image ids of the annotation file, boxes of positive size).
"""

from __future__ import annotations

import codecs
import math
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidInput, ProblemCollector, describe_ids
from . import coco
from ._common import frozen, is_number, short, single_member

PERSON = "person"
DAY, NIGHT = "day", "night"
DAY_SETS = frozenset({0, 1, 2, 6, 7, 8})
NIGHT_SETS = frozenset({3, 4, 5, 9, 10, 11})
_SET_PATTERN = re.compile(r"(?:^|/)set([0-9]{1,4})(?:/|$)", re.IGNORECASE)
_FIRST_CHARACTER = re.compile(rb"\s*(\S)")
# Ids pass through float64 columns, which hold integers exactly up to 2**53.
_MAX_ID = 2**53

TXT_COLUMNS = ("image_id", "x", "y", "w", "h", "score")
TXT_FORMAT = "kaist-txt"
JSON_FORMAT = "coco-json"
RESULT_FORMATS = (TXT_FORMAT, JSON_FORMAT)


@dataclass(frozen=True, eq=False)
class KaistGroundTruth:
    """The person boxes of a KAIST split, in columns (read-only arrays).

    Images (length I, ascending id): ``image_ids`` int64, ``image_names``,
    ``is_night`` bool. Person boxes (length N, file order): ``box_image`` int64
    index into ``image_ids``; ``box_id`` the annotation id; ``xywh`` float64
    [N x 4] in pixels; ``height`` float64 pixels (the file's ``height`` field, which
    the protocol filters on); ``occlusion`` int64 (0 none, 1 partial, 2 heavy);
    ``ignore`` bool, the file's own flag (the protocol adds its own rules).
    """

    source: str
    image_ids: np.ndarray
    image_names: tuple[str, ...]
    is_night: np.ndarray
    category_ids: frozenset[int]
    person_category_id: int
    box_image: np.ndarray
    box_id: np.ndarray
    xywh: np.ndarray
    height: np.ndarray
    occlusion: np.ndarray
    ignore: np.ndarray
    other_category_boxes: int = 0

    @property
    def num_images(self) -> int:
        return len(self.image_ids)

    def positions(self, image_ids: np.ndarray) -> np.ndarray:
        """Index into ``image_ids`` of each id of ``image_ids`` (int64 [D]); -1 when unknown."""
        ids = np.asarray(image_ids, dtype=np.int64)
        pos = np.searchsorted(self.image_ids, ids)
        pos = np.minimum(pos, max(self.num_images - 1, 0))
        known = (self.image_ids[pos] == ids) if self.num_images else np.zeros(len(ids), dtype=bool)
        return np.where(known, pos, -1)

    @cached_property
    def image_id_set(self) -> frozenset[int]:
        return frozenset(int(i) for i in self.image_ids)

    def contiguous_ids(self) -> bool:
        """True when the image ids are exactly 0..I-1 (as in the KAIST file)."""
        return bool(self.num_images and self.image_ids[0] == 0 and self.image_ids[-1] == self.num_images - 1)


@dataclass(frozen=True, eq=False)
class KaistResults(coco.CocoResults):
    """Detections in COCO's results columns (length D, upload order; read-only arrays).

    ``image_id`` is the annotation file's (0-based) image id whatever the upload format,
    ``category_id`` always the person id for ``kaist-txt``. ``format`` is ``kaist-txt``
    or ``coco-json``.
    """

    format: str


# --------------------------------------------------------------------------- inputs


def _as_int(value: Any) -> int | None:
    """An integer, or an integer-valued float such as ``1.0``, of at most 2**53 in size; None otherwise."""
    if isinstance(value, bool) or not is_number(value):
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None
    return int(value) if abs(value) <= _MAX_ID else None


# --------------------------------------------------------------------- ground truth


def image_domain(image: dict[str, Any]) -> str | None:
    """``"day"`` or ``"night"`` for an image record, or None when the data cannot tell."""
    for key in ("domain", "timeofday"):
        value = image.get(key)
        if isinstance(value, str) and value.lower() in (DAY, NIGHT):
            return value.lower()
    name = image.get("im_name", image.get("file_name"))
    if isinstance(name, str):
        found = _SET_PATTERN.search(name.replace("\\", "/"))
        if found:
            number = int(found.group(1))
            if number in DAY_SETS:
                return DAY
            if number in NIGHT_SETS:
                return NIGHT
    return None


def load_ground_truth(path: str | Path) -> KaistGroundTruth:
    """Read a KAIST COCO-style annotation JSON (a file or a one-file archive)."""
    label, data = coco.read_annotations(Path(path), "KAIST annotation")
    problems = ProblemCollector(label)

    category_ids: set[int] = set()
    person_ids = []
    for index, cat in enumerate(data["categories"]):
        cat_id = _as_int(cat.get("id")) if isinstance(cat, dict) else None
        if cat_id is None:
            problems.add(f"categories record {index + 1}", "expected an object with an integer 'id' and a 'name'")
            continue
        category_ids.add(cat_id)
        if cat.get("name") == PERSON:
            person_ids.append(cat_id)
    if len(person_ids) != 1:
        problems.add("categories", f"expected exactly one category named {PERSON!r}, found {len(person_ids)}")

    ids: list[int] = []
    names: list[str] = []
    night: list[bool] = []
    for index, image in enumerate(data["images"]):
        image_id = _as_int(image.get("id")) if isinstance(image, dict) else None
        if image_id is None:
            problems.add(f"images record {index + 1}", "expected an object with an integer 'id'")
            continue
        domain = image_domain(image)
        if domain is None:
            problems.add(
                f"image {image_id}",
                "cannot tell day from night: expected a 'domain' field ('day' or 'night') or an 'im_name' "
                "such as 'set06/V000/I00019' (KAIST sets 00-02 and 06-08 are day, 03-05 and 09-11 night)",
            )
        ids.append(image_id)
        names.append(str(image.get("im_name", image.get("file_name", image_id))))
        night.append(domain == NIGHT)
    if not ids and not problems:
        problems.add("images", "holds no images")
    if len(set(ids)) != len(ids):
        problems.add("images", "image ids must be unique")
    problems.raise_if_any()

    order = np.argsort(np.asarray(ids, dtype=np.int64), kind="stable")
    image_ids = np.asarray(ids, dtype=np.int64)[order]
    known_images = set(ids)
    person_id = person_ids[0]
    rows: list[tuple[int, int, list[float], float, int, bool]] = []
    other = 0
    for index, ann in enumerate(data["annotations"]):
        where = f"annotations record {index + 1}"
        if isinstance(ann, dict) and _as_int(ann.get("id")) is not None:
            where += f" (id {ann['id']})"
        parsed = _parse_gt_annotation(ann, known_images, category_ids, problems, where)
        if parsed is None:
            continue
        if parsed[0] != person_id:
            other += 1
            continue
        rows.append(parsed[1:])
        if problems.full:
            break
    problems.raise_if_any()

    positions = np.searchsorted(image_ids, np.asarray([r[0] for r in rows], dtype=np.int64))
    return KaistGroundTruth(
        source=label,
        image_ids=frozen(image_ids),
        image_names=tuple(names[i] for i in order),
        is_night=frozen(np.asarray(night, dtype=bool)[order]),
        category_ids=frozenset(category_ids),
        person_category_id=person_id,
        box_image=frozen(positions.astype(np.int64)),
        box_id=frozen(np.asarray([r[1] for r in rows], dtype=np.int64)),
        xywh=frozen(np.asarray([r[2] for r in rows], dtype=np.float64).reshape(-1, 4)),
        height=frozen(np.asarray([r[3] for r in rows], dtype=np.float64)),
        occlusion=frozen(np.asarray([r[4] for r in rows], dtype=np.int64)),
        ignore=frozen(np.asarray([r[5] for r in rows], dtype=bool)),
        other_category_boxes=other,
    )


def _parse_gt_annotation(
    ann: Any, images: set[int], categories: set[int], problems: ProblemCollector, where: str
) -> tuple[int, int, int, list[float], float, int, bool] | None:
    """(category, image, id, bbox, height, occlusion, ignore) of one record, or None after a problem."""
    if not isinstance(ann, dict):
        problems.add(where, "expected an object")
        return None
    before = problems.count
    image_id = _as_int(ann.get("image_id"))
    if image_id is None or image_id not in images:
        problems.add(where, f"'image_id' {short(ann.get('image_id'))} is not an image of the file")
    category_id = _as_int(ann.get("category_id"))
    if category_id is None or category_id not in categories:
        problems.add(where, f"'category_id' {short(ann.get('category_id'))} is not a category of the file")
    ann_id = _as_int(ann.get("id"))
    if ann_id is None:
        problems.add(where, "'id' must be an integer")
    box_problem = coco.bbox_problem(ann.get("bbox"), positive=True)
    if box_problem:
        problems.add(where, box_problem)
    height: Any = ann.get("height")
    if not is_number(height):
        problems.add(where, f"'height' must be a finite number of pixels, got {short(height)}")
    occlusion = _as_int(ann.get("occlusion"))
    if occlusion is None:
        problems.add(
            where, f"'occlusion' must be an integer (0 none, 1 partial, 2 heavy), got {short(ann.get('occlusion'))}"
        )
    ignore = ann.get("ignore", 0)
    if ignore not in (0, 1):
        problems.add(where, f"'ignore' must be 0 or 1, got {short(ignore)}")
    if problems.count != before or image_id is None or category_id is None or ann_id is None or occlusion is None:
        return None
    return category_id, image_id, ann_id, [float(v) for v in ann["bbox"]], float(height), occlusion, bool(ignore)


# -------------------------------------------------------------------------- results


def load_results(path: str | Path, gt: KaistGroundTruth | None) -> KaistResults:
    """Read detections in ``kaist-txt`` or ``coco-json`` (a file or a one-file archive).

    The format is told by content: JSON starts with ``[``. With ``gt`` None only the
    structure and the numbers are checked (not whether the image ids exist).
    Raises :class:`InvalidInput` listing up to 20 problems.
    """
    label, member = single_member(Path(path), "results")
    data = member.data.removeprefix(codecs.BOM_UTF8)
    first = _FIRST_CHARACTER.match(data)
    if first is None:
        raise InvalidInput.single(label, "is empty; expected detections as 'image_id,x,y,w,h,score' lines or JSON")
    if first.group(1) in (b"[", b"{"):
        return _load_json_results(label, data, gt)
    return _load_txt_results(label, member.text(label), gt)


def _image_id_problem(image_id: int, gt: KaistGroundTruth | None, one_based: bool) -> str | None:
    lowest = 1 if one_based else 0
    if gt is None:
        return None if image_id >= lowest else f"image id {image_id} must be at least {lowest}"
    annotation_id = image_id - 1 if one_based else image_id
    if annotation_id in gt.image_id_set:
        return None
    if gt.contiguous_ids():
        base = "1-based" if one_based else "0-based, as in the annotation file"
        return f"image id {image_id} is outside {lowest}..{gt.num_images - 1 + lowest} ({base})"
    return f"image id {image_id} is not an image of the ground truth"


def _load_txt_results(label: str, text: str, gt: KaistGroundTruth | None) -> KaistResults:
    lines = text.splitlines()
    table = _parse_txt_fast(lines, gt)
    if table is None:
        table = _parse_txt_lines(label, lines, gt)
    person = gt.person_category_id if gt is not None else 1
    return KaistResults(
        source=label,
        format=TXT_FORMAT,
        image_id=frozen(table[:, 0].astype(np.int64) - 1),
        category_id=frozen(np.full(len(table), person, dtype=np.int64)),
        xywh=frozen(np.ascontiguousarray(table[:, 1:5])),
        score=frozen(np.ascontiguousarray(table[:, 5])),
    )


def _parse_txt_fast(lines: list[str], gt: KaistGroundTruth | None) -> np.ndarray | None:
    """float64 [D x 6] when every line is valid, else None (the slow path then says why)."""
    rows = [line for line in lines if line.strip()]
    if any(line.count(",") != len(TXT_COLUMNS) - 1 for line in rows):
        return None
    try:
        table = np.array(list(map(float, ",".join(rows).split(","))), dtype=np.float64).reshape(-1, 6)
    except ValueError:
        return None
    image_id = table[:, 0]
    if not np.isfinite(table).all() or (image_id != np.round(image_id)).any() or (image_id > _MAX_ID).any():
        return None
    if (table[:, 3] <= 0).any() or (table[:, 4] <= 0).any() or (image_id < 1).any():
        return None
    if gt is not None and (gt.positions(image_id.astype(np.int64) - 1) < 0).any():
        return None
    return table


def _parse_txt_lines(label: str, lines: list[str], gt: KaistGroundTruth | None) -> np.ndarray:
    """Line-by-line parse that names every problem; float64 [D x 6]."""
    problems = ProblemCollector(label)
    values: list[list[float]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        fields = line.split(",")
        if len(fields) != len(TXT_COLUMNS):
            problems.add(
                where, f"expected 6 comma-separated values image_id,x,y,w,h,score, got {len(fields)}: {line[:60]!r}"
            )
        else:
            row = _parse_txt_row(fields, gt, problems, where)
            if row is not None:
                values.append(row)
        if problems.full:
            break
    problems.raise_if_any()
    return np.asarray(values, dtype=np.float64).reshape(-1, 6)


def _parse_txt_row(
    fields: list[str], gt: KaistGroundTruth | None, problems: ProblemCollector, where: str
) -> list[float] | None:
    row: list[float] = []
    bad = False
    for column, field in zip(TXT_COLUMNS, fields, strict=True):
        try:
            value = float(field)
        except ValueError:
            problems.add(where, f"{column} {field.strip()[:30]!r} is not a number")
            bad = True
            continue
        if not math.isfinite(value):
            problems.add(where, f"{column} must be finite, got {field.strip()}")
            bad = True
            continue
        row.append(value)
    if bad:
        return None
    image_id, _, _, width, height, _ = row
    if not image_id.is_integer() or abs(image_id) > _MAX_ID:
        problems.add(where, f"image_id must be an integer, got {fields[0].strip()}")
        return None
    id_problem = _image_id_problem(int(image_id), gt, one_based=True)
    if id_problem:
        problems.add(where, id_problem)
        return None
    if width <= 0 or height <= 0:
        problems.add(where, f"w and h must be positive, got w={width:g}, h={height:g}")
        return None
    return row


def _load_json_results(label: str, raw: bytes, gt: KaistGroundTruth | None) -> KaistResults:
    """A COCO results list, read by the COCO loader; the KAIST rules on ids and boxes are added here."""
    problems = ProblemCollector(label)
    image_id, category_id, bbox, score = coco.results_columns(label, raw, problems)
    whole = coco.whole(image_id)
    ids = np.where(whole, image_id, -1).astype(np.int64)
    known = gt.positions(ids) >= 0 if gt is not None else ids >= 0
    coco.add_records(
        problems,
        np.flatnonzero(whole & ~known),
        lambda i: str(_image_id_problem(int(image_id[i]), gt, one_based=False)),
    )
    if gt is not None:
        unknown = coco.whole(category_id) & ~np.isin(category_id, sorted(gt.category_ids))
        allowed = describe_ids(sorted(gt.category_ids))
        coco.add_records(
            problems,
            np.flatnonzero(unknown),
            lambda i: f"'category_id' {int(category_id[i])} is not a category of the ground truth "
            f"(category ids: {allowed}, see categories.json)",
        )
    empty = np.isfinite(bbox).all(axis=1) & ((bbox[:, 2] <= 0) | (bbox[:, 3] <= 0))
    coco.add_records(
        problems,
        np.flatnonzero(empty),
        lambda i: f"'bbox' width and height must be positive, got w={bbox[i, 2]:g}, h={bbox[i, 3]:g}",
    )
    problems.raise_if_any()
    return KaistResults(
        source=label,
        format=JSON_FORMAT,
        image_id=frozen(image_id.astype(np.int64)),
        category_id=frozen(category_id.astype(np.int64)),
        xywh=frozen(np.ascontiguousarray(bbox)),
        score=frozen(score),
    )


__all__ = [
    "DAY",
    "JSON_FORMAT",
    "NIGHT",
    "PERSON",
    "RESULT_FORMATS",
    "TXT_FORMAT",
    "KaistGroundTruth",
    "KaistResults",
    "image_domain",
    "load_ground_truth",
    "load_results",
]
