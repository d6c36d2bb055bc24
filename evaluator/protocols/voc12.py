"""PASCAL VOC 2010+ detection (VOC2012): the devkit's all-point AP (``VOCap.m``) per class and their mean.

The rules are those of :mod:`evaluator.protocols._voc` (``VOCevaldet.m``: IoU >= 0.5
with +1 pixel areas, difficult objects ignored, duplicates false positives).
"""

from __future__ import annotations

import numpy as np

from ..formats.voc import VOC_CLASSES, VocGroundTruth, VocResults
from ..types import Evaluation
from . import _voc
from ._voc import analysis_input, image_ids, load_ground_truth, load_results, restrict

NAME = "voc12"
STAT_NAMES = ("mAP", *(f"AP/{name}" for name in VOC_CLASSES))
PRIMARY = "mAP"
HIGHER_IS_BETTER = True
RESULT_FORMATS = _voc.RESULT_FORMATS
AP_METHOD = _voc.ALL_POINT


def evaluate(gt: VocGroundTruth, results: VocResults) -> Evaluation:
    return _voc.evaluate(gt, results, protocol=NAME, method=AP_METHOD)


def bootstrap(gt: VocGroundTruth, results: VocResults, *, resamples: int = 200, seed: int = 0) -> np.ndarray:
    return _voc.bootstrap(gt, results, method=AP_METHOD, resamples=resamples, seed=seed)


__all__ = [
    "HIGHER_IS_BETTER",
    "NAME",
    "PRIMARY",
    "RESULT_FORMATS",
    "STAT_NAMES",
    "analysis_input",
    "bootstrap",
    "evaluate",
    "image_ids",
    "load_ground_truth",
    "load_results",
    "restrict",
]
