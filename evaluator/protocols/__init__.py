"""The registry of scoring protocols.

Each protocol is a module (or one variant of a parametrised module, as VOC07 and VOC12 of
``voc.py``) exposing::

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

from typing import Any

from .spec import PROTOCOL_NAMES, ProtocolSpec, get_spec

__all__ = ["PROTOCOL_NAMES", "ProtocolSpec", "get_protocol", "get_spec"]


def get_protocol(name: str) -> Any:
    """The engine of protocol ``name``: its module, or the module's variant its ``spec.SPECS`` entry names."""
    return get_spec(name).engine()
