"""BDD100K box labels (Scalabel JSON) to COCO annotation files, one per time of day.

BDD100K's ``timeofday`` attribute splits frames into the Day2Night domains: ``daytime``
is day, ``dawn/dusk`` the intermediate domain and ``night`` the target. Frames whose
time of day is ``undefined`` or missing go nowhere unless a default is given.
Only ``box2d`` labels of the ten detection categories are kept; every other label is
counted as rejected, with its reason.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CATEGORIES = (
    "pedestrian", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle", "traffic light", "traffic sign",
)  # fmt: skip  # a table: several entries a line
DOMAINS = {"daytime": "day", "dawn/dusk": "dawn-dusk", "night": "night"}
WIDTH, HEIGHT = 1280, 720


class BddError(Exception):
    """The file is not Scalabel JSON at all."""


@dataclass
class Conversion:
    domains: dict[str, dict[str, Any]] = field(default_factory=dict)  # domain -> COCO dict
    objects: Counter = field(default_factory=Counter)  # (domain, category) -> boxes
    rejected: Counter = field(default_factory=Counter)  # reason -> labels or frames


def _box(label: dict[str, Any]) -> list[float] | str:
    box = label.get("box2d")
    if not isinstance(box, dict):
        return "no box2d (a lane or area label)"
    try:
        x1, y1, x2, y2 = (float(box[key]) for key in ("x1", "y1", "x2", "y2"))
    except (KeyError, TypeError, ValueError):
        return "box2d without numeric x1, y1, x2, y2"
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        return "box2d with a non-finite coordinate"
    if x2 <= x1 or y2 <= y1:
        return "box2d of zero or negative size"
    return [round(x1, 3), round(y1, 3), round(x2 - x1, 3), round(y2 - y1, 3)]


def convert(path: Path, *, default_timeofday: str | None = None) -> Conversion:
    try:
        frames = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BddError(f"{Path(path).name}: not readable JSON: {exc}") from None
    if isinstance(frames, dict) and "frames" in frames:
        frames = frames["frames"]
    if not isinstance(frames, list):
        raise BddError(f"{Path(path).name}: expected a list of frames (Scalabel format)")
    result = Conversion()
    categories = [{"id": k + 1, "name": name, "supercategory": "bdd100k"} for k, name in enumerate(CATEGORIES)]
    for frame in frames:
        if not isinstance(frame, dict) or not isinstance(frame.get("name"), str):
            result.rejected["frame without a name"] += 1
            continue
        timeofday = (frame.get("attributes") or {}).get("timeofday") or default_timeofday
        domain = DOMAINS.get(timeofday or "")
        if domain is None:
            result.rejected[f"frame with timeofday {timeofday or 'missing'!s}"] += 1
            continue
        coco = result.domains.setdefault(domain, {"images": [], "annotations": [], "categories": categories})
        image_id = len(coco["images"]) + 1
        coco["images"].append(
            {"id": image_id, "file_name": frame["name"], "width": WIDTH, "height": HEIGHT, "domain": domain}
        )
        for label in frame.get("labels") or []:
            category = label.get("category") if isinstance(label, dict) else None
            if category not in CATEGORIES:
                result.rejected[f"label of category {category!r}"] += 1
                continue
            box = _box(label)
            if isinstance(box, str):
                result.rejected[f"{category} label: {box}"] += 1
                continue
            attributes = label.get("attributes") or {}
            coco["annotations"].append(
                {
                    "id": len(coco["annotations"]) + 1,
                    "image_id": image_id,
                    "category_id": CATEGORIES.index(category) + 1,
                    "bbox": box,
                    "area": round(box[2] * box[3], 3),
                    "iscrowd": int(bool(attributes.get("crowd"))),
                    "occluded": bool(attributes.get("occluded")),
                    "truncated": bool(attributes.get("truncated")),
                }
            )
            result.objects[(domain, category)] += 1
    return result
