"""The protocol registry: every spec agrees with its engine module, and the explorer's
IoU choices name real classes (KITTI holds each class to its own threshold)."""

from __future__ import annotations

import pytest

import evaluator
from evaluator.formats.kitti import CLASSES as KITTI_CLASSES
from evaluator.protocols import get_spec
from evaluator.protocols import spec as protocol_spec


@pytest.mark.parametrize("name", protocol_spec.PROTOCOL_NAMES)
def test_spec_agrees_with_its_engine(name):
    spec = get_spec(name)
    module = evaluator.get_protocol(name)
    assert name == module.NAME
    assert spec.stat_names[: len(module.STAT_NAMES)] == tuple(module.STAT_NAMES)
    assert spec.primary == module.PRIMARY
    assert spec.higher_is_better(spec.primary) is module.HIGHER_IS_BETTER
    assert spec.lower_is_better <= set(module.STAT_NAMES)
    assert set(spec.headline) <= set(module.STAT_NAMES) and spec.primary in spec.headline
    assert spec.analyses <= set(protocol_spec.ANALYSES)
    assert spec.ignore_overlap in ("iou", "ioa")
    keys = [choice.key for choice in spec.explorer_ious]
    assert keys and len(set(keys)) == len(keys)
    if spec.supports("explorer"):
        assert hasattr(module, "analysis_input") and hasattr(module, "restrict")
    assert ("AUC" in spec.stat_names) is spec.supports("roc")


def test_kitti_explorer_holds_each_class_to_its_threshold():
    first = get_spec("kitti").explorer_ious[0]
    assert first.thresholds(KITTI_CLASSES) == (0.7, 0.5, 0.5)
    assert set(first.per_class) == set(KITTI_CLASSES)
    assert get_spec("coco").explorer_ious[0].thresholds(("person",)) == 0.5


def test_directions_come_from_the_spec():
    kaist = get_spec("kaist")
    assert not kaist.higher_is_better("MR_night") and kaist.higher_is_better("AP50_night")
    assert kaist.higher_is_better("AUC")


def test_unknown_protocol_names_the_known_ones():
    with pytest.raises(evaluator.UnknownProtocol, match="coco, voc07, voc12, kitti, kaist"):
        get_spec("yolo")
