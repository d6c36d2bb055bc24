"""What the site needs to know of each protocol, in one typed registry.

A protocol's engine module (``evaluator/protocols/<name>.py``) owns its stat names,
primary stat and scoring; its :class:`ProtocolSpec` here says how to present and
analyse them: the direction of each stat, the headline stats, how ignored ground
truth absorbs detections in the operating-point analysis, the IoU choices of the
threshold explorer and which analyses run at scoring time. The site reads this
registry instead of testing protocol names. Adding a protocol: write its module,
add one entry to ``SPECS`` (see docs/adding-a-protocol.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, ModuleType
from typing import Literal

from ..errors import UnknownProtocol

Analysis = Literal["explorer", "roc", "miss_rate", "coco_analyze"]
ANALYSES: tuple[Analysis, ...] = ("explorer", "roc", "miss_rate", "coco_analyze")
# Stats the image-level ROC adds to every protocol that runs it (evaluator.roc).
ROC_STATS = ("AUC", "AUC_macro")


@dataclass(frozen=True)
class ExplorerIou:
    """One IoU choice of the threshold explorer: one threshold, or one per class name."""

    key: str
    label: str
    iou: float
    per_class: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def thresholds(self, category_names: tuple[str, ...]) -> float | tuple[float, ...]:
        """The IoU for the analysis functions: a float, or one per class in ``category_names`` order."""
        if not self.per_class:
            return self.iou
        return tuple(float(self.per_class.get(name, self.iou)) for name in category_names)


def _ious(*values: float) -> tuple[ExplorerIou, ...]:
    return tuple(ExplorerIou(f"{v:.2f}", f"IoU ≥ {v:.2f}", v) for v in values)


@dataclass(frozen=True)
class ProtocolSpec:
    """The contract between a protocol and the site.

    ``lower_is_better``: the stats where a smaller value is better (every other stat,
    the ROC's AUCs included, is better higher). ``headline``: the few stats a
    submission page shows first. ``ignore_overlap``: how ignored ground truth (crowd,
    difficult, DontCare, ignore regions) absorbs detections in the operating-point
    analysis, by IoU or by intersection over the detection's area.
    """

    name: str
    title: str
    module: str
    headline: tuple[str, ...]
    ignore_overlap: Literal["iou", "ioa"]
    explorer_ious: tuple[ExplorerIou, ...]
    analyses: frozenset[Analysis]
    lower_is_better: frozenset[str] = frozenset()

    def engine(self) -> ModuleType:
        return importlib.import_module(self.module)

    @property
    def stat_names(self) -> tuple[str, ...]:
        """The engine's stats, then those the analyses add (the ROC's AUCs)."""
        return (*self.engine().STAT_NAMES, *self.analysis_stats)

    @property
    def analysis_stats(self) -> tuple[str, ...]:
        return ROC_STATS if "roc" in self.analyses else ()

    @property
    def primary(self) -> str:
        return str(self.engine().PRIMARY)

    def higher_is_better(self, stat: str) -> bool:
        return stat not in self.lower_is_better

    def supports(self, analysis: Analysis) -> bool:
        return analysis in self.analyses


_ALL = frozenset(ANALYSES) - {"coco_analyze"}

SPECS: Mapping[str, ProtocolSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            ProtocolSpec(
                name="coco",
                title="COCO (AP@[.5:.95])",
                module="evaluator.protocols.coco",
                headline=("AP", "AP50", "AP75", "AR100"),
                ignore_overlap="ioa",
                explorer_ious=_ious(0.5, 0.75),
                analyses=_ALL | {"coco_analyze"},
            ),
            ProtocolSpec(
                name="voc07",
                title="PASCAL VOC 2007 (11-point AP)",
                module="evaluator.protocols.voc07",
                headline=("mAP",),
                ignore_overlap="iou",
                explorer_ious=_ious(0.5, 0.75),
                analyses=_ALL,
            ),
            ProtocolSpec(
                name="voc12",
                title="PASCAL VOC 2012 (all-point AP)",
                module="evaluator.protocols.voc12",
                headline=("mAP",),
                ignore_overlap="iou",
                explorer_ious=_ious(0.5, 0.75),
                analyses=_ALL,
            ),
            ProtocolSpec(
                name="kitti",
                title="KITTI 2D (AP, 40 recall points)",
                module="evaluator.protocols.kitti",
                headline=("mAP/moderate", "Car/moderate", "Pedestrian/moderate", "Cyclist/moderate"),
                ignore_overlap="ioa",
                explorer_ious=(
                    ExplorerIou(
                        "kitti",
                        "KITTI's class thresholds (Car 0.70, Pedestrian and Cyclist 0.50)",
                        0.5,
                        MappingProxyType({"Car": 0.7, "Pedestrian": 0.5, "Cyclist": 0.5}),
                    ),
                    *_ious(0.5),
                ),
                analyses=_ALL,
            ),
            ProtocolSpec(
                name="kaist",
                title="KAIST day/night (log-average miss rate)",
                module="evaluator.protocols.kaist",
                headline=("MR_all", "MR_day", "MR_night"),
                ignore_overlap="ioa",
                explorer_ious=_ious(0.5),
                analyses=_ALL - {"miss_rate"},  # its own curves are already miss rate against FPPI
                lower_is_better=frozenset({"MR_all", "MR_day", "MR_night"}),
            ),
        )
    }
)

PROTOCOL_NAMES: tuple[str, ...] = tuple(SPECS)


def get_spec(name: str) -> ProtocolSpec:
    try:
        return SPECS[name]
    except KeyError:
        known = ", ".join(PROTOCOL_NAMES)
        raise UnknownProtocol(f"unknown protocol {name!r}; expected one of {known}") from None
