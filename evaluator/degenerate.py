"""Degenerate detections: kept and scored as the official tools score them, and reported.

- COCO results (pycocotools): a box of zero or negative width or height has the area
  w x h and overlaps nothing (``bbIou`` skips w <= 0 or h <= 0), so it never matches;
  a negative area also puts it outside every area range, where an unmatched detection
  is ignored.
- PASCAL VOC (``VOCevaldet``): corners with x2 < x1 or y2 < y1 (1-based inclusive
  pixels) give iw <= 0 or ih <= 0 against any object, so the box is a false positive.
- KITTI (``evaluate_object.cpp``): x2 <= x1 or y2 <= y1 gives no overlap; the box is a
  false positive unless its height |y2 - y1| is below the difficulty's minimum, which
  makes it an ignored detection.

:func:`box_warnings` describes them for the participant: a count and the first examples.
"""

from __future__ import annotations

from typing import Any

import numpy as np

EXAMPLES = 3


def _coco_like(label: str, bbox: np.ndarray, image_id: np.ndarray) -> list[str]:
    bad = np.flatnonzero((bbox[:, 2] <= 0) | (bbox[:, 3] <= 0))
    if len(bad) == 0:
        return []
    examples = "; ".join(f"record {i + 1}: image_id {image_id[i]}, bbox {bbox[i].tolist()}" for i in bad[:EXAMPLES])
    return [
        f"{label}: {len(bad)} box{'es' if len(bad) > 1 else ''} with zero or negative width or height, "
        f"scored as pycocotools scores them (they match nothing), e.g. {examples}"
    ]


def _corners(
    label: str, bad: np.ndarray, image_id: np.ndarray, names: list[str], xyxy: np.ndarray, rule: str
) -> list[str]:
    if len(bad) == 0:
        return []
    examples = "; ".join(f"image {image_id[i]} {names[i]} x1 y1 x2 y2 = {xyxy[i].tolist()}" for i in bad[:EXAMPLES])
    return [f"{label}: {len(bad)} box{'es' if len(bad) > 1 else ''} with {rule}, e.g. {examples}"]


def box_warnings(results: Any, label: str | None = None) -> list[str]:
    """One message per kind of degenerate box in parsed ``results`` (empty when none)."""
    from .formats import coco, kaist, kitti, voc

    label = label or results.source
    if isinstance(results, kaist.KaistResults):
        return []  # the KAIST formats refuse boxes without a positive width and height
    if isinstance(results, coco.CocoResults):
        return _coco_like(label, results.xywh, results.image_id)
    if isinstance(results, voc.VocResults):
        xyxy = results.xyxy
        bad = np.flatnonzero((xyxy[:, 2] < xyxy[:, 0]) | (xyxy[:, 3] < xyxy[:, 1]))
        names = [voc.VOC_CLASSES[k] if k < len(voc.VOC_CLASSES) else str(k) for k in results.category_index]
        rule = "x2 < x1 or y2 < y1, scored as VOCevaldet scores them (false positives)"
        return _corners(label, bad, results.image_id, names, xyxy, rule)
    if isinstance(results, kitti.KittiResults):
        xyxy = results.xyxy
        bad = np.flatnonzero((xyxy[:, 2] <= xyxy[:, 0]) | (xyxy[:, 3] <= xyxy[:, 1]))
        rule = "x2 <= x1 or y2 <= y1, scored as evaluate_object.cpp scores them (no overlap)"
        return _corners(label, bad, results.image_id, list(results.category_name), xyxy, rule)
    return []
