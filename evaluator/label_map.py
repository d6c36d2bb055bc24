"""Cross-dataset transfer: predictions made in one dataset's categories, scored in another's.

A COCO-trained detector run on VOC images reports COCO categories; the track's label
map (source category name -> target class name) turns them into VOC classes before
scoring, and drops the categories the target has no class for.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import orjson

from .errors import InvalidInput, ProblemCollector, describe_ids


def remap_coco_results(
    path: Path, target: Path, *, source_categories: Mapping[int, str], label_map: Mapping[str, str]
) -> int:
    """Rewrite a COCO results JSON with ``category_name`` in the target's classes; returns the records kept.

    ``source_categories`` maps the source dataset's category ids to names.
    """
    label = path.name
    try:
        records = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InvalidInput.single(label, f"is not valid JSON ({exc}); expected a list of COCO results") from None
    if not isinstance(records, list):
        raise InvalidInput.single(label, "expected a JSON list of COCO results")
    problems = ProblemCollector(label)
    kept = []
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            problems.add(f"record {i + 1}", "expected an object")
            continue
        name = record.get("category_name")
        if name is None:
            category = record.get("category_id")
            if category is None or category not in source_categories:
                problems.add(
                    f"record {i + 1}",
                    f"unknown category_id {category!r} of the source dataset "
                    f"(category ids: {describe_ids(sorted(source_categories))}, see categories.json)",
                )
                continue
            name = source_categories[category]
        mapped = label_map.get(name, "")
        if mapped:
            kept.append(
                {key: value for key, value in record.items() if key != "category_id"} | {"category_name": mapped}
            )
    problems.raise_if_any()
    if not kept:
        raise InvalidInput.single(label, "holds no detection of a category the target dataset has")
    target.write_bytes(orjson.dumps(kept))
    return len(kept)


# COCO category -> PASCAL VOC class, where the two datasets share the object.
COCO_TO_VOC = {
    "airplane": "aeroplane", "bicycle": "bicycle", "bird": "bird", "boat": "boat", "bottle": "bottle",
    "bus": "bus", "car": "car", "cat": "cat", "chair": "chair", "cow": "cow", "dining table": "diningtable",
    "dog": "dog", "horse": "horse", "motorcycle": "motorbike", "person": "person", "potted plant": "pottedplant",
    "sheep": "sheep", "couch": "sofa", "train": "train", "tv": "tvmonitor",
}  # fmt: skip  # a table: several entries a line
