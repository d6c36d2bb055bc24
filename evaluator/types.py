"""Plain result types shared by every protocol.

Everything here serialises to JSON through ``to_dict()``: NaN and infinities become
``None`` so that "not available" is never confused with zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def json_safe(value: Any) -> Any:
    """Convert numpy scalars/arrays, tuples and non-finite floats to JSON-ready values."""
    kind = type(value)
    if kind is int or kind is str or kind is bool or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is np.ndarray and (value.dtype.kind in "biu" or (value.dtype.kind == "f" and np.isfinite(value).all())):
        return value.tolist()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


@dataclass(frozen=True)
class ClassResult:
    """One row of the per-class table.

    ``metrics`` maps a metric name (``"AP"``, ``"AP50"``, ``"moderate"`` ...) to its
    value; NaN where the class has no ground truth. ``num_gt`` counts the objects
    that take part in scoring (not ignored / difficult / crowd), ``num_det`` the
    detections of that class.
    """

    name: str
    metrics: Mapping[str, float]
    num_gt: int
    num_det: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "metrics": json_safe(self.metrics),
            "num_gt": int(self.num_gt),
            "num_det": int(self.num_det),
        }


@dataclass(frozen=True)
class Evaluation:
    """What scoring one results file against one split returns.

    - ``stats``: the protocol's named summary statistics (see each protocol's
      ``STAT_NAMES``), as floats; NaN where not defined.
    - ``primary``: the key of ``stats`` that leaderboards rank by, with
      ``higher_is_better`` saying the direction.
    - ``per_class``: one row per category of the split, in category order.
    - ``curves``: JSON-ready curve data for plots, already downsampled; each
      protocol documents its keys.
    - ``arrays``: full-precision numpy arrays for parity checks and notebooks
      (for example COCO's ``precision`` [T x R x K x A x M]); not serialised.
    """

    protocol: str
    stats: Mapping[str, float]
    primary: str
    higher_is_better: bool
    per_class: tuple[ClassResult, ...]
    curves: Mapping[str, Any] = field(default_factory=dict)
    arrays: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False)
    engine_version: str = ""

    @property
    def primary_value(self) -> float:
        return float(self.stats[self.primary])

    def to_dict(self, *, include_curves: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "protocol": self.protocol,
            "engine_version": self.engine_version,
            "primary": self.primary,
            "higher_is_better": self.higher_is_better,
            "stats": json_safe(self.stats),
            "per_class": [row.to_dict() for row in self.per_class],
        }
        if include_curves:
            data["curves"] = json_safe(self.curves)
        return data


@dataclass(frozen=True, eq=False)
class BoxSet:
    """Columnar boxes in a protocol-independent form, for operating-point analysis.

    All arrays have length N (one row per box):

    - ``image``: int64 index into ``AnalysisInput.image_ids``;
    - ``category``: int64 index into ``AnalysisInput.category_names``;
    - ``xyxy``: float64 [N x 4], corners in pixels on a continuous axis
      (``x2 = x + w``); protocols with a +1 pixel convention convert here;
    - ``score``: float64 confidence for detections, ``None`` for ground truth;
    - ``ignore``: bool; ground truth that is neither missed nor a false positive
      when matched (crowd, difficult, DontCare, KAIST ignore regions).
    """

    image: np.ndarray
    category: np.ndarray
    xyxy: np.ndarray
    score: np.ndarray | None
    ignore: np.ndarray

    def __len__(self) -> int:
        return len(self.image)


@dataclass(frozen=True, eq=False)
class AnalysisInput:
    """Ground truth and detections of one submission in protocol-independent form."""

    image_ids: tuple[int | str, ...]
    category_names: tuple[str, ...]
    ground_truth: BoxSet
    detections: BoxSet
