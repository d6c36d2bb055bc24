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

The registry is ``spec.SPECS``: one typed :class:`~evaluator.protocols.spec.ProtocolSpec`
per protocol. Modules are imported lazily so that a worker only pays for what it scores.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .spec import PROTOCOL_NAMES, ProtocolSpec, get_spec

__all__ = ["PROTOCOL_NAMES", "ProtocolSpec", "get_protocol", "get_spec"]


def get_protocol(name: str) -> ModuleType:
    """The engine module of protocol ``name`` (its entry in ``spec.SPECS`` names it)."""
    return importlib.import_module(get_spec(name).module)
