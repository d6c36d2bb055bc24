"""Detection scoring engine: COCO, PASCAL VOC, KITTI and KAIST protocols.

A pure library (standard library, numpy and pycocotools-compatible maths only)::

    from evaluator import load_ground_truth, load_results, evaluate
    gt = load_ground_truth("instances_val2017.json", protocol="coco")
    results = load_results("detections.json", protocol="coco", ground_truth=gt)
    evaluation = evaluate(gt, results, protocol="coco")
    evaluation.stats["AP"]
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
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


def basic_interval(values: np.ndarray, estimate: float, *, level: float = 0.95) -> tuple[float, float] | None:
    """The basic (reflected) bootstrap interval ``(2 * estimate - q_hi, 2 * estimate - q_lo)``.

    ``q_lo``/``q_hi`` are the percentiles of the finite ``values`` at the two tails.
    AP is biased upwards on a finite test set, and resampled APs sit above the
    estimate by a similar amount (an image drawn several times adds its detections
    and objects in clumps, which raises the precision read at each recall
    threshold); the percentile interval then lies above the estimate and misses the
    true AP, while the reflected one moves against the bias. None without a finite
    value.
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) == 0 or not np.isfinite(estimate):
        return None
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(2 * estimate - high), float(2 * estimate - low)


def bootstrap_interval(
    ground_truth: Any,
    results: Any,
    *,
    protocol: str,
    images: Collection[int | str] | None = None,
    resamples: int = 200,
    seed: int = 0,
    level: float = 0.95,
    estimate: float | None = None,
) -> tuple[float, float] | None:
    """A basic bootstrap interval over images for the protocol's primary metric (:func:`basic_interval`).

    ``estimate`` is the primary metric on the same images, computed when not given.
    None for protocols without a bootstrap (see each protocol's ``bootstrap``).
    """
    module = get_protocol(protocol)
    if not hasattr(module, "bootstrap"):
        return None
    if images is not None:
        ground_truth, results = module.restrict(ground_truth, results, frozenset(images))
    if estimate is None:
        estimate = module.evaluate(ground_truth, results).stats.get(module.PRIMARY, float("nan"))
    values = module.bootstrap(ground_truth, results, resamples=resamples, seed=seed)
    return basic_interval(values, float(estimate), level=level)


def match(ground_truth: Any, results: Any, *, protocol: str) -> Any:
    """The protocol's matching of ``results``, to share between :func:`evaluate_subsets` and
    the analysis of the same submission (``restrict(images)`` gives a subset's); None for
    protocols that do not share one."""
    shared: Any = getattr(get_protocol(protocol), "Matches", None)
    # KAIST has a Matches of its own (its miss-rate matching), not one to share: only a class with `of` is.
    return shared.of(ground_truth, results) if hasattr(shared, "of") else None


def evaluate_subsets(
    ground_truth: Any,
    results: Any,
    *,
    protocol: str,
    subsets: Mapping[str, Collection[int | str] | None],
    resamples: int = 200,
    seed: int = 0,
    level: float = 0.95,
    matches: Any = None,
) -> dict[str, tuple[Evaluation, tuple[float, float] | None]]:
    """The evaluation and bootstrap interval of each named subset of images (None: all).

    Protocols that can (COCO) match once (or take ``matches`` from :func:`match`) and
    derive every subset from those matches.
    """
    module = get_protocol(protocol)
    if hasattr(module, "evaluate_subsets"):
        return module.evaluate_subsets(
            ground_truth, results, subsets, resamples=resamples, seed=seed, level=level, matches=matches
        )
    out = {}
    for name, images in subsets.items():
        evaluation = evaluate(ground_truth, results, protocol=protocol, images=images)
        interval = bootstrap_interval(
            ground_truth,
            results,
            protocol=protocol,
            images=images,
            resamples=resamples,
            seed=seed,
            level=level,
            estimate=evaluation.stats.get(module.PRIMARY, float("nan")),
        )
        out[name] = (evaluation, interval)
    return out


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
    "basic_interval",
    "bootstrap_interval",
    "evaluate",
    "evaluate_files",
    "evaluate_subsets",
    "get_protocol",
    "image_ids",
    "load_ground_truth",
    "load_results",
    "match",
]
