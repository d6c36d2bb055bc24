"""Detection scoring engine: COCO, PASCAL VOC, KITTI and KAIST protocols.

A pure library (standard library, numpy and pycocotools-compatible maths only)::

    from evaluator import load_ground_truth, load_results, evaluate
    gt = load_ground_truth("instances_val2017.json", protocol="coco")
    results = load_results("detections.json", protocol="coco", ground_truth=gt)
    evaluation = evaluate(gt, results, protocol="coco")
    evaluation.stats["AP"]
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from .errors import EvaluatorError, InvalidInput, Problem, UnknownProtocol
from .protocols import PROTOCOL_NAMES, get_protocol
from .types import ClassResult, Evaluation

__version__ = "0.1.0"


def load_ground_truth(path: str | Path, *, protocol: str) -> Any:
    """Load a split's ground truth from a file, a folder or an archive."""
    return get_protocol(protocol).load_ground_truth(Path(path))


def load_results(path: str | Path, *, protocol: str, ground_truth: Any) -> Any:
    """Parse and validate a results upload against ``ground_truth``.

    Raises :class:`InvalidInput` listing up to 20 problems.
    """
    return get_protocol(protocol).load_results(Path(path), ground_truth)


def image_ids(ground_truth: Any, *, protocol: str) -> tuple[int | str, ...]:
    """The ids of the split's images, in the split's order."""
    return tuple(get_protocol(protocol).image_ids(ground_truth))


def evaluate(
    ground_truth: Any, results: Any, *, protocol: str, images: Collection[int | str] | None = None
) -> Evaluation:
    """Score parsed results against parsed ground truth.

    With ``images``, score only those images of the split (for example its public
    part): ground truth and detections of the other images are left out.
    """
    module = get_protocol(protocol)
    if images is not None:
        ground_truth, results = module.restrict(ground_truth, results, frozenset(images))
    return module.evaluate(ground_truth, results)


def bootstrap_interval(
    ground_truth: Any,
    results: Any,
    *,
    protocol: str,
    images: Collection[int | str] | None = None,
    resamples: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """A percentile bootstrap interval over images for the protocol's primary metric.

    None for protocols without a bootstrap (see each protocol's ``bootstrap``).
    """
    module = get_protocol(protocol)
    if not hasattr(module, "bootstrap"):
        return None
    if images is not None:
        ground_truth, results = module.restrict(ground_truth, results, frozenset(images))
    values = module.bootstrap(ground_truth, results, resamples=resamples, seed=seed)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return None
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def evaluate_files(ground_truth_path: str | Path, results_path: str | Path, *, protocol: str) -> Evaluation:
    """Load both inputs and score them: the whole pipeline in one call."""
    gt = load_ground_truth(ground_truth_path, protocol=protocol)
    results = load_results(results_path, protocol=protocol, ground_truth=gt)
    return evaluate(gt, results, protocol=protocol)


__all__ = [
    "PROTOCOL_NAMES",
    "ClassResult",
    "Evaluation",
    "EvaluatorError",
    "InvalidInput",
    "Problem",
    "UnknownProtocol",
    "__version__",
    "bootstrap_interval",
    "evaluate",
    "evaluate_files",
    "get_protocol",
    "image_ids",
    "load_ground_truth",
    "load_results",
]
