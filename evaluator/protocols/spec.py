"""What the site needs to know of each protocol, in one typed registry.

A protocol's engine module (``evaluator/protocols/<name>.py``, or one variant of a module
such as ``voc.py``'s VOC07 and VOC12) owns its stat names,
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
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

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
    analysis, by IoU or by intersection over the detection's area. ``metric_words``: the
    primary metric in words and ``submission_format``: the upload in words, for the track
    page; ``result_extension``: the extension of a results file (the starter kit's sample).
    ``category_ids``: results name categories by id (COCO JSON), so a track can map
    them to another dataset's classes (a cross-dataset transfer track's label map).
    ``coco_ground_truth``: the ground truth is a COCO instances JSON, so what a converter
    to COCO writes (``manage.py import_bdd``) can be its ground truth.
    """

    name: str
    title: str
    module: str
    headline: tuple[str, ...]
    ignore_overlap: Literal["iou", "ioa"]
    explorer_ious: tuple[ExplorerIou, ...]
    analyses: frozenset[Analysis]
    lower_is_better: frozenset[str] = frozenset()
    metric_words: str = ""
    submission_format: str = ""
    result_extension: str = ".zip"
    category_ids: bool = False
    coco_ground_truth: bool = False

    def engine(self) -> Any:
        """The engine: ``module`` is a module path, or ``path:NAME`` for one variant of a parametrised module."""
        path, _, variant = self.module.partition(":")
        engine = importlib.import_module(path)
        return getattr(engine, variant) if variant else engine

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

# VOC 2012 differs from VOC 2007 only in its engine and its AP.
_VOC07 = ProtocolSpec(
    name="voc07",
    title="PASCAL VOC 2007 (11-point AP)",
    module="evaluator.protocols.voc:VOC07",
    headline=("mAP",),
    ignore_overlap="iou",
    explorer_ious=_ious(0.5, 0.75),
    analyses=_ALL,
    metric_words=(
        "PASCAL VOC 2007 mean average precision (mAP): for each class, the 11-point interpolated AP at IoU 0.5 "
        "(difficult objects neither help nor hurt, duplicates are false positives), averaged over the classes."
    ),
    submission_format=(
        "a zip of per-class VOC devkit files (comp4_det_test_<class>.txt: image name, score, x1 y1 x2 y2 in 1-based "
        "pixels)"
    ),
)

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
                metric_words=(
                    "COCO average precision (AP): precision averaged over 101 recall points, the categories and ten "
                    "IoU thresholds from 0.50 to 0.95, with up to 100 detections per image, as pycocotools computes "
                    "it."
                ),
                result_extension=".json",
                submission_format=(
                    "a COCO results JSON: a list of {image_id, category_id, bbox: [x, y, width, height], score}, "
                    "with ids from images.json and categories.json"
                ),
                category_ids=True,
                coco_ground_truth=True,
            ),
            _VOC07,
            replace(
                _VOC07,
                name="voc12",
                title="PASCAL VOC 2012 (all-point AP)",
                module="evaluator.protocols.voc:VOC12",
                metric_words=(
                    "PASCAL VOC mean average precision (mAP): for each class, the area under the precision-recall "
                    "curve (all points) at IoU 0.5, averaged over the classes, as the VOC2010+ devkit computes it."
                ),
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
                metric_words=(
                    "KITTI 2D average precision at the Moderate difficulty: AP over 40 recall points with IoU 0.7 "
                    "for cars and 0.5 for pedestrians and cyclists, averaged over the three classes, as the KITTI "
                    "devkit computes it."
                ),
                submission_format=(
                    "a zip of KITTI label files, one <image>.txt per image, with the score as the last column"
                ),
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
                metric_words=(
                    "Log-average miss rate (MR) in the Reasonable setting (pedestrians at least 55 pixels tall, at "
                    "most partly occluded): the miss rate averaged on a log scale over nine false-positive-per-image"
                    " rates from 0.01 to 1. Lower is better."
                ),
                result_extension=".txt",
                submission_format=(
                    "a text file of lines image_id,x,y,width,height,score, where the image with id k in images.json "
                    "is written k + 1 (1-based, as the KAIST tools write)"
                ),
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
