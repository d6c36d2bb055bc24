"""What a split holds: objects per class, for importers' reports and the benchmark pages."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from .formats.coco import CocoGroundTruth
from .formats.kaist import KaistGroundTruth
from .formats.kitti import KittiGroundTruth
from .formats.voc import VocGroundTruth


def object_counts(gt: Any) -> dict[str, int]:
    """Objects per class name, then the special kinds (crowd, difficult, ignore, DontCare) as ``(name)``."""
    if isinstance(gt, CocoGroundTruth):
        counts = np.bincount(gt.ann_category[~gt.iscrowd], minlength=len(gt.category_names))
        result = {name: int(n) for name, n in zip(gt.category_names, counts, strict=True) if n}
        return result | {"(crowd regions)": int(np.count_nonzero(gt.iscrowd))}
    if isinstance(gt, VocGroundTruth):
        counts = np.bincount(gt.box_class, minlength=gt.num_classes)
        result = {name: int(n) for name, n in zip(gt.class_names, counts, strict=True) if n}
        return result | {"(difficult)": int(np.count_nonzero(gt.difficult))}
    if isinstance(gt, KittiGroundTruth):
        return dict(Counter(str(name) for name in gt.type_name).most_common())
    if isinstance(gt, KaistGroundTruth):
        return {"person": int(np.count_nonzero(~gt.ignore)), "(ignore regions)": int(np.count_nonzero(gt.ignore))}
    raise TypeError(f"no object counts for {type(gt).__name__}")
