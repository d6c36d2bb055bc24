"""The registry of scoring protocols.

Each protocol is a module exposing::

    NAME: str                     # "coco", "voc07", ...
    STAT_NAMES: tuple[str, ...]   # keys of Evaluation.stats, in display order
    PRIMARY: str                  # the stat leaderboards rank by
    HIGHER_IS_BETTER: bool
    RESULT_FORMATS: tuple[str, ...]  # upload formats it accepts, e.g. ("coco-json",)
    def load_ground_truth(path) -> GroundTruth-like object (protocol specific)
    def load_results(path, gt) -> Results-like object; raises InvalidInput
    def evaluate(gt, results) -> evaluator.types.Evaluation

Modules are imported lazily so that a worker only pays for what it scores.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import UnknownProtocol

_MODULES = {
    "coco": "evaluator.protocols.coco",
    "voc07": "evaluator.protocols.voc07",
    "voc12": "evaluator.protocols.voc12",
    "kitti": "evaluator.protocols.kitti",
    "kaist": "evaluator.protocols.kaist",
}

PROTOCOL_NAMES: tuple[str, ...] = tuple(_MODULES)


def get_protocol(name: str) -> ModuleType:
    try:
        module_name = _MODULES[name]
    except KeyError:
        known = ", ".join(PROTOCOL_NAMES)
        raise UnknownProtocol(f"unknown protocol {name!r}; expected one of {known}") from None
    return importlib.import_module(module_name)
