"""COCO annotation JSON (ground truth) and COCO results JSON (detections).

Both are read into read-only numpy columns. Ground truth is trusted more than
uploads but still checked, since hosts import it from files people have.

Memory: parsed JSON takes about ten times the bytes of its text as Python objects
(measured: 1.7 GiB at the peak for a 186 MiB file of 2 million detections). A results
list is therefore parsed a slice of about 4 MiB at a time (:func:`evaluator.io.json_list_slices`)
and each slice turned into numpy columns at once, so only the raw bytes, the columns
and one slice of objects are alive together (about 3x the file). This keeps orjson and
the vectorised column path, so it is as fast as parsing the whole file; a streaming
parser such as ijson would bound memory as well but parses several times slower. A
file holds at most ``Limits.max_detections`` records; orjson refuses nesting deeper
than 1024 levels and integers beyond 64 bits. Other JSON documents (annotation files,
or an upload that is not a list) are parsed whole: their size is bounded by the
upload and member limits.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from ..errors import MAX_PROBLEMS, InvalidInput, ProblemCollector, describe_ids
from ..io import DEFAULT_LIMITS, fits_int64, json_list_slices, not_utf8
from ._common import frozen, is_number, short, single_member

RESULT_FORMATS = ("coco-json",)


@dataclass(frozen=True, eq=False)
class CocoGroundTruth:
    """A COCO split in columns.

    Images (I, ascending id as pycocotools sorts them): ``image_ids`` int64 and
    ``image_meta`` (the image records' other fields, e.g. width, height, domain).
    Categories (K, ascending id): ``category_ids`` int64, ``category_names``.
    Annotations (N, file order): ``ann_image`` / ``ann_category`` int64 indices into
    the image and category arrays, ``ann_id`` int64, ``bbox`` float64 [N x 4]
    (x, y, w, h in pixels), ``area`` float64 (the file's ``area`` field, which the
    area ranges use), ``iscrowd`` bool. ``category_supercategories`` holds each
    category's ``supercategory`` ("" when absent; empty when the split was built without them).
    """

    source: str
    image_ids: np.ndarray
    image_meta: tuple[dict[str, Any], ...]
    category_ids: np.ndarray
    category_names: tuple[str, ...]
    ann_image: np.ndarray
    ann_category: np.ndarray
    ann_id: np.ndarray
    bbox: np.ndarray
    area: np.ndarray
    iscrowd: np.ndarray
    category_supercategories: tuple[str, ...] = ()

    @property
    def num_images(self) -> int:
        return len(self.image_ids)

    @cached_property
    def image_id_set(self) -> frozenset[int]:
        return frozenset(int(i) for i in self.image_ids)


@dataclass(frozen=True, eq=False)
class CocoResults:
    """Detections (D, upload order): ``image_id``, ``category_id`` int64 (the file's
    ids), ``xywh`` float64 [D x 4] (the file's ``bbox``: x, y, width, height), ``score`` float64."""

    source: str
    image_id: np.ndarray
    category_id: np.ndarray
    xywh: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return len(self.image_id)


# --------------------------------------------------------------------------- helpers


def read_annotations(path: Path, what: str) -> tuple[str, dict[str, Any]]:
    """The label and the parsed content of the one JSON file of ``path`` (a file, or a folder or archive
    holding one), an object whose ``images``, ``annotations`` and ``categories`` are lists."""
    label, raw = _json_member(path, what)
    data = _parse_json(label, raw, what)
    if not isinstance(data, dict):
        raise InvalidInput.single(label, "must be a JSON object with 'images', 'annotations' and 'categories'")
    problems = ProblemCollector(label)
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            problems.add("", f"'{key}' must be a list")
    problems.raise_if_any()
    return label, data


def _json_member(path: Path, what: str) -> tuple[str, bytes]:
    """The label and bytes of the one JSON file of ``path``."""
    label, member = single_member(path, f"{what} JSON", ".json")
    if not member.data.strip():
        raise InvalidInput.single(label, f"is empty; expected a {what} JSON file")
    return label, member.data


def _parse_json(label: str, data: bytes, what: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise _json_error(label, data, exc, what) from None


def _json_error(label: str, data: bytes, exc: orjson.JSONDecodeError, what: str) -> InvalidInput:
    if "UTF-8" in str(exc):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            return InvalidInput.single(label, f"{not_utf8(data, bad.start)} such as a {what} JSON file")
    return InvalidInput.single(label, f"is not valid JSON ({exc}); expected a {what} JSON file")


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return fits_int64(value)
    return isinstance(value, float) and math.isfinite(value) and value.is_integer() and fits_int64(value)


def bbox_problem(bbox: Any, *, positive: bool | None) -> str | None:
    """``positive`` None: any finite width and height (a results box; pycocotools scores degenerate ones)."""
    if not isinstance(bbox, list) or len(bbox) != 4:
        return f"'bbox' must be a list of 4 numbers [x, y, width, height], got {short(bbox)}"
    if not all(is_number(v) for v in bbox):
        return f"'bbox' must hold 4 finite numbers, got {short(bbox)}"
    if positive and (bbox[2] <= 0 or bbox[3] <= 0):
        return f"'bbox' width and height must be positive, got {short(bbox)}"
    if not positive and (bbox[2] < 0 or bbox[3] < 0):
        return f"'bbox' width and height must not be negative, got {short(bbox)}"
    return None


# --------------------------------------------------------------------------- ground truth


def load_ground_truth(path: str | Path) -> CocoGroundTruth:
    """Read a COCO instances JSON (``images``, ``annotations``, ``categories``)."""
    label, data = read_annotations(Path(path), "COCO annotation")
    problems = ProblemCollector(label)

    images = sorted(_records(data["images"], "images", ("id",), problems), key=lambda r: int(r["id"]))
    categories = sorted(
        _records(data["categories"], "categories", ("id", "name"), problems), key=lambda r: int(r["id"])
    )
    problems.raise_if_any()
    image_ids = np.array([int(r["id"]) for r in images], dtype=np.int64)
    category_ids = np.array([int(r["id"]) for r in categories], dtype=np.int64)
    for what, ids in (("image", image_ids), ("category", category_ids)):
        dup = ids[1:][ids[1:] == ids[:-1]]
        if len(dup):
            problems.add("", f"{what} id {int(dup[0])} appears more than once")
    problems.raise_if_any()
    image_index = {int(i): n for n, i in enumerate(image_ids)}
    category_index = {int(c): n for n, c in enumerate(category_ids)}

    anns = data["annotations"]
    n = len(anns)
    ann_image = np.empty(n, dtype=np.int64)
    ann_category = np.empty(n, dtype=np.int64)
    ann_id = np.empty(n, dtype=np.int64)
    bbox = np.empty((n, 4), dtype=np.float64)
    area = np.empty(n, dtype=np.float64)
    iscrowd = np.empty(n, dtype=bool)
    seen_ids: set[int] = set()
    for i, ann in enumerate(anns):
        where = f"annotations record {i + 1}"
        if not isinstance(ann, dict):
            problems.add(where, f"must be an object, got {short(ann)}")
            continue
        missing = [k for k in ("id", "image_id", "category_id", "bbox", "area") if k not in ann]
        if missing:
            problems.add(where, f"missing field(s) {', '.join(missing)}")
            continue
        if not _is_int(ann["id"]):
            problems.add(where, f"'id' must be an integer, got {short(ann['id'])}")
            continue
        if int(ann["id"]) in seen_ids:
            # pycocotools keys annotations by id and would silently keep only the last of them.
            problems.add(where, f"annotation id {int(ann['id'])} appears more than once; ids must be unique")
            continue
        seen_ids.add(int(ann["id"]))
        image = image_index.get(int(ann["image_id"])) if _is_int(ann["image_id"]) else None
        if image is None:
            problems.add(where, f"'image_id' {short(ann['image_id'])} is not one of the file's images")
            continue
        category = category_index.get(int(ann["category_id"])) if _is_int(ann["category_id"]) else None
        if category is None:
            problems.add(where, f"'category_id' {short(ann['category_id'])} is not one of the file's categories")
            continue
        problem = bbox_problem(ann["bbox"], positive=False)
        if problem:
            problems.add(where, problem)
            continue
        if not is_number(ann["area"]) or ann["area"] < 0:
            problems.add(where, f"'area' must be a non-negative number, got {short(ann['area'])}")
            continue
        crowd = ann.get("iscrowd", 0)
        if crowd not in (0, 1):
            problems.add(where, f"'iscrowd' must be 0 or 1, got {short(crowd)}")
            continue
        ann_image[i], ann_category[i], ann_id[i] = image, category, int(ann["id"])
        bbox[i] = ann["bbox"]
        area[i] = ann["area"]
        iscrowd[i] = bool(crowd)
    problems.raise_if_any()
    return CocoGroundTruth(
        source=label,
        image_ids=frozen(image_ids),
        image_meta=tuple({k: v for k, v in r.items() if k != "id"} for r in images),
        category_ids=frozen(category_ids),
        category_names=tuple(str(r["name"]) for r in categories),
        category_supercategories=tuple(str(r.get("supercategory") or "") for r in categories),
        ann_image=frozen(ann_image),
        ann_category=frozen(ann_category),
        ann_id=frozen(ann_id),
        bbox=frozen(bbox),
        area=frozen(area),
        iscrowd=frozen(iscrowd),
    )


def _records(items: list[Any], key: str, required: tuple[str, ...], problems: ProblemCollector) -> list[dict[str, Any]]:
    good = []
    for i, record in enumerate(items):
        if not isinstance(record, dict) or any(k not in record for k in required):
            problems.add(f"{key} record {i + 1}", f"must be an object with {', '.join(required)}")
        elif not _is_int(record["id"]):
            problems.add(f"{key} record {i + 1}", f"'id' must be an integer, got {short(record['id'])}")
        else:
            good.append(record)
    return good


# --------------------------------------------------------------------------- results


def load_results(path: str | Path, gt: CocoGroundTruth | None) -> CocoResults:
    """Read a COCO results JSON: a list of {image_id, category_id, bbox, score}.

    With ``gt``, image ids must belong to the split (pycocotools refuses others)
    and category ids to its categories. Without, only structure and numbers. Boxes of
    zero or negative width or height are kept: pycocotools scores them (area w x h, no
    overlap with anything), and :func:`evaluator.degenerate.box_warnings` lists them.
    """
    label, raw = _json_member(Path(path), "COCO results")
    problems = ProblemCollector(label)
    image_id, category_id, bbox, score = results_columns(label, raw, problems)
    if gt is not None:
        _check_ids(problems, gt, image_id, category_id)
    problems.raise_if_any()
    return CocoResults(
        source=label,
        image_id=frozen(image_id.astype(np.int64)),
        category_id=frozen(category_id.astype(np.int64)),
        xywh=frozen(bbox),
        score=frozen(score),
    )


Columns = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
_FIRST_BYTE = re.compile(rb"\s*(.)", re.DOTALL)


def results_columns(label: str, raw: bytes, problems: ProblemCollector) -> Columns:
    """``image_id``, ``category_id``, ``bbox`` [D x 4] and ``score`` of the results list ``raw``, all float64.

    A file that is not a list of well-formed records raises :class:`InvalidInput`; ids that are not
    integers and numbers that are not finite are added to ``problems`` (records named 1-based), for
    the caller to add its own checks of the ids before it raises.
    """
    first = _FIRST_BYTE.match(raw)
    if first is None or first.group(1) != b"[":
        data = _parse_json(label, raw, "COCO results")
        if isinstance(data, dict) and isinstance(data.get("annotations"), list):
            raise InvalidInput.single(
                label,
                "looks like an annotation file; expected a results list [{image_id, category_id, bbox, score}, ...]",
            )
        raise InvalidInput.single(
            label,
            f"must be a JSON list of detections [{{image_id, category_id, bbox, score}}, ...], got {type(data).__name__}",
        )
    image_id, category_id, bbox, score = _read_columns(label, raw)
    _check_numbers(problems, image_id, category_id, bbox, score)
    return image_id, category_id, bbox, score


def _read_columns(label: str, raw: bytes) -> Columns:
    """Columns of the JSON list ``raw``, parsed a slice at a time (see the module docstring)."""
    limit = DEFAULT_LIMITS.max_detections
    problems = ProblemCollector(label)
    parts: list[Columns] = []
    count = 0
    try:
        for records in json_list_slices(raw, orjson.loads):
            parts.append(_fast_columns(records) or _checked_columns(problems, records, count))
            count += len(records)
            if count > limit:
                raise InvalidInput.single(label, f"holds more than {limit} detections; the limit is {limit}")
    except orjson.JSONDecodeError as exc:
        raise _json_error(label, raw, exc, "COCO results") from None
    problems.raise_if_any()
    if count == 0:
        raise InvalidInput.single(label, "holds no detections; expected at least one")
    if len(parts) == 1:
        return parts[0]
    image_id, category_id, bbox, score = (np.concatenate(column) for column in zip(*parts, strict=True))
    return image_id, category_id, bbox, score


def _fast_columns(data: list[Any]) -> Columns | None:
    """Columns straight from well-formed records; None sends the file to the slow path."""
    try:
        columns = [[r[key] for r in data] for key in ("image_id", "category_id", "score")]
        boxes = [r["bbox"] for r in data]
    except (KeyError, TypeError):
        return None
    # JSON true/false would pass as 1/0 in an array of numbers; such files take the checked path.
    if any(bool in set(map(type, values)) for values in columns):
        return None
    try:
        if bool in set(map(type, itertools.chain.from_iterable(boxes))):
            return None
        image_id, category_id, score = (np.array(values) for values in columns)
        bbox = np.array(boxes)
    except (TypeError, ValueError):
        return None
    n = len(data)
    if (
        image_id.shape != (n,)
        or category_id.shape != (n,)
        or score.shape != (n,)
        or bbox.shape != (n, 4)
        or any(a.dtype.kind not in "iuf" for a in (image_id, category_id, bbox, score))
    ):
        return None
    return (
        image_id.astype(np.float64),
        category_id.astype(np.float64),
        bbox.astype(np.float64),
        score.astype(np.float64),
    )


def _checked_columns(problems: ProblemCollector, data: list[Any], first: int = 0) -> Columns:
    """Record by record, naming each bad record (``first`` is the number of the first)."""
    n = len(data)
    image_id = np.zeros(n)
    category_id = np.zeros(n)
    bbox = np.ones((n, 4))
    score = np.zeros(n)
    for i, record in enumerate(data):
        where = f"record {first + i + 1}"
        if not isinstance(record, dict):
            problems.add(where, f"must be an object {{image_id, category_id, bbox, score}}, got {short(record)}")
            continue
        missing = [k for k in ("image_id", "category_id", "bbox", "score") if k not in record]
        if missing:
            problems.add(where, f"missing field(s) {', '.join(missing)}")
            continue
        bad = [k for k in ("image_id", "category_id") if not _is_int(record[k])]
        if bad:
            problems.add(where, "; ".join(f"'{k}' must be an integer, got {short(record[k])}" for k in bad))
            continue
        if not is_number(record["score"]):
            problems.add(where, f"'score' must be a finite number, got {short(record['score'])}")
            continue
        problem = bbox_problem(record["bbox"], positive=None)
        if problem:
            problems.add(where, problem)
            continue
        image_id[i], category_id[i], score[i] = record["image_id"], record["category_id"], record["score"]
        bbox[i] = record["bbox"]
    return image_id, category_id, bbox, score


def _check_numbers(
    problems: ProblemCollector, image_id: np.ndarray, category_id: np.ndarray, bbox: np.ndarray, score: np.ndarray
) -> None:
    checks = (
        (~whole(image_id), "'image_id' must be an integer"),
        (~whole(category_id), "'category_id' must be an integer"),
        (~np.isfinite(score), "'score' must be a finite number"),
        (~np.isfinite(bbox).all(axis=1), "'bbox' must hold 4 finite numbers"),
    )
    for bad, message in checks:
        described = functools.partial(_described, message, image_id, category_id, bbox, score)
        add_records(problems, np.flatnonzero(bad), described)


def whole(values: np.ndarray) -> np.ndarray:
    """Integers that int64 holds (a float64 column may hold anything JSON can write)."""
    return np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 2.0**63)


def add_records(problems: ProblemCollector, records: np.ndarray, message: Callable[[int], str]) -> None:
    """List the first records (0-based indices; named 1-based) that fit in the report and count the rest."""
    room = max(MAX_PROBLEMS + 1 - problems.count, 0)
    for i in records[:room]:
        problems.add(f"record {int(i) + 1}", message(i))
    problems.count_more(len(records) - room)


def _described(
    message: str, image_id: np.ndarray, category_id: np.ndarray, bbox: np.ndarray, score: np.ndarray, i: int
) -> str:
    return (
        f"{message}, got image_id={image_id[i]:g}, category_id={category_id[i]:g}, "
        f"bbox={[float(v) for v in bbox[i]]}, score={float(score[i])}"
    )


def _check_ids(problems: ProblemCollector, gt: CocoGroundTruth, image_id: np.ndarray, category_id: np.ndarray) -> None:
    # Ids that are not integers were reported by _check_numbers already.
    whole_image = whole(image_id)
    whole_category = whole(category_id)
    unknown_image = whole_image & ~np.isin(image_id, gt.image_ids)
    add_records(
        problems,
        np.flatnonzero(unknown_image),
        lambda i: f"image_id {int(image_id[i])} is not an image of this split "
        f"({len(gt.image_ids)} images, see images.json)",
    )
    unknown_category = whole_category & ~np.isin(category_id, gt.category_ids)
    if unknown_category.any():
        allowed = describe_ids(gt.category_ids)
        add_records(
            problems,
            np.flatnonzero(unknown_category),
            lambda i: f"category_id {int(category_id[i])} is not a category of this benchmark "
            f"(category ids: {allowed}, see categories.json)",
        )
