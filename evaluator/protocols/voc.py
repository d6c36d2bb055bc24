"""PASCAL VOC detection, as both devkits score it: per-class AP at IoU 0.5 and their mean.

``voc07`` reads AP as the VOC2007 devkit does (11-point interpolated), ``voc12`` as the
VOC2010+ devkit does (all points, ``VOCap.m``). Everything else is shared and lives in
:mod:`evaluator.protocols._voc` (``VOCevaldet.m``: IoU >= 0.5 with +1 pixel areas, difficult
objects ignored, duplicates false positives). The registry names each variant as
``evaluator.protocols.voc:VOC07`` and ``evaluator.protocols.voc:VOC12``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..formats.voc import VOC_CLASSES, VocGroundTruth, VocResults
from ..types import Evaluation
from . import _voc


@dataclass(frozen=True)
class VocProtocol:
    """One VOC protocol: the engine interface of a protocol module, with its AP method bound."""

    NAME: str
    AP_METHOD: str

    STAT_NAMES = ("mAP", *(f"AP/{name}" for name in VOC_CLASSES))
    PRIMARY = "mAP"
    HIGHER_IS_BETTER = True
    RESULT_FORMATS = _voc.RESULT_FORMATS

    load_ground_truth = staticmethod(_voc.load_ground_truth)
    load_results = staticmethod(_voc.load_results)
    image_ids = staticmethod(_voc.image_ids)
    restrict = staticmethod(_voc.restrict)
    analysis_input = staticmethod(_voc.analysis_input)

    def evaluate(self, gt: VocGroundTruth, results: VocResults) -> Evaluation:
        return _voc.evaluate(gt, results, protocol=self.NAME, method=self.AP_METHOD)

    def bootstrap(self, gt: VocGroundTruth, results: VocResults, *, resamples: int = 200, seed: int = 0) -> np.ndarray:
        return _voc.bootstrap(gt, results, method=self.AP_METHOD, resamples=resamples, seed=seed)


VOC07 = VocProtocol("voc07", _voc.ELEVEN_POINT)
VOC12 = VocProtocol("voc12", _voc.ALL_POINT)
