"""Finite numbers too large to compute with: refused when an upload is checked.

A score of 1e308 is finite, but the arithmetic every analysis does on scores and boxes
(a range of thresholds, an area, a union) turns it into infinity or NaN. Scores and box
values must lie within ``MAX_MAGNITUDE``, far beyond any confidence or pixel position.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InvalidInput

MAX_MAGNITUDE = 1e12


def check_magnitudes(results: Any, label: str | None = None) -> None:
    """Raise InvalidInput naming the first detection (in the file's order) holding a value beyond
    ``MAX_MAGNITUDE``; ``results`` is any protocol's parsed results."""
    label = label or results.source
    boxes = next(getattr(results, name) for name in ("bbox", "xyxy", "xywh") if hasattr(results, name))
    for what, values in (("score", results.score), ("box value", boxes)):
        if len(values) == 0:
            continue
        too_large = np.abs(np.asarray(values, dtype=np.float64).reshape(len(values), -1)).max(axis=1) > MAX_MAGNITUDE
        bad = np.flatnonzero(too_large)
        if len(bad):
            i = int(bad[0])
            raise InvalidInput.single(
                label,
                f"detection {i + 1} (image {results.image_id[i]}) has a {what} of {np.asarray(values)[i].tolist()}; "
                f"scores and box values must lie within ±{MAX_MAGNITUDE:g} ({len(bad)} detections do not)",
            )
