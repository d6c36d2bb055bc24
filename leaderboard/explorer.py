"""Operating-point data for the threshold explorer, computed once at scoring time.

Counts only (TP, FP, FN per class and threshold; confusion cells per threshold), so
the page derives precision, recall and F1 itself and the stored data stays small.
What runs for a protocol, and at which IoUs, comes from its ProtocolSpec.

The counts must not resolve single detections, or the explorer tells which box hit a
hidden object (upload N boxes with distinct scores, read the step of TP at each
threshold). The rule: thresholds lie on a fixed grid (multiples of ``GRID_STEP`` for
scores in [0, 1], else ``GRID_POINTS`` even steps over the score range), and a threshold
is shown only where at least ``MIN_DETECTIONS_PER_STEP`` detections enter since the
previous one shown; per class, a class's counts change only where that many of its
own detections enter (else they repeat the counts of the higher threshold). The
miss-rate curve keeps one point per ``MIN_DETECTIONS_PER_STEP`` detections, the
image-level ROC one point per that many scored (image, class) pairs, and the confusion
matrix changes each predicted class's column only where the class's counts change.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

import evaluator
from evaluator import analysis, roc
from evaluator.protocols import ProtocolSpec, coco_analyze, get_spec

GRID_STEP = 0.05
GRID_POINTS = 21
MIN_DETECTIONS_PER_STEP = 25


def _grid(scores: np.ndarray) -> np.ndarray:
    """The shown thresholds, ascending; the lowest keeps every detection."""
    if len(scores) == 0:
        return np.zeros(1)
    low, high = float(scores.min()), float(scores.max())
    if low >= 0.0 and high <= 1.0:
        candidates = np.round(np.arange(0.0, 1.0 + GRID_STEP / 2, GRID_STEP), 2)
    else:
        candidates = np.unique(np.append(np.linspace(low, high, GRID_POINTS), low))
    candidates = candidates[candidates <= high]
    entered = len(scores) - np.searchsorted(np.sort(scores), candidates, side="left")
    return candidates[_kept(entered)]


def _kept(entered: np.ndarray) -> np.ndarray:
    """Which thresholds to show, given how many detections score at least each (ascending
    thresholds), so that each step adds ``MIN_DETECTIONS_PER_STEP`` detections or more; the
    lowest is always shown (what is left joins the step above it)."""
    keep = np.zeros(len(entered), dtype=bool)
    last = 0
    for i in range(len(entered) - 1, -1, -1):
        if entered[i] - last >= MIN_DETECTIONS_PER_STEP:
            keep[i], last = True, entered[i]
    shown = np.flatnonzero(keep)
    if len(shown) and shown[0] != 0 and entered[0] - entered[shown[0]] < MIN_DETECTIONS_PER_STEP:
        keep[shown[0]] = False
    keep[0] = True
    return keep


def _held(counts: np.ndarray, kept: np.ndarray, before: np.ndarray) -> np.ndarray:
    """``counts`` [N x T] held at the ``kept`` thresholds [N x T] (ascending; the lowest is
    always kept): each threshold shows the counts at the nearest kept one at or above it,
    and ``before`` [N] where there is none (above a row's first step)."""
    num_t = counts.shape[1]
    at = np.where(kept, np.arange(num_t), num_t)
    at = np.minimum.accumulate(at[:, ::-1], axis=1)[:, ::-1]  # the nearest kept index at or above
    padded = np.concatenate([counts, before.astype(counts.dtype)[:, None]], axis=1)
    return np.take_along_axis(padded, at, axis=1)


def _per_class_held(counts: dict[str, np.ndarray], kept: np.ndarray) -> dict[str, list]:
    """Each class's counts [K x T], changed only where its own detections make a step of
    ``MIN_DETECTIONS_PER_STEP`` (``kept`` [K x T], :func:`_kept` of each class; above its
    first step: no TP, no FP, every box missed)."""
    zero = np.zeros(kept.shape[0])
    before = {"tp": zero, "fp": zero, "fn": counts["tp"][:, 0] + counts["fn"][:, 0]}
    return {key: _held(values, kept, before[key]).astype(int).tolist() for key, values in counts.items()}


def _class_entered(data: Any, thresholds: np.ndarray) -> np.ndarray:
    """[K x T]: detections of each class scoring at least each threshold."""
    scores = data.detections.score if data.detections.score is not None else np.zeros(len(data.detections.category))
    return analysis.count_at_least(data.detections.category, len(data.category_names), scores, thresholds)


def _best(overall: dict[str, list], thresholds: np.ndarray) -> dict[str, float | None]:
    """The shown threshold of highest F1 (the highest on ties), from the shown counts."""
    tp, fp, fn = (np.asarray(overall[key], dtype=np.float64) for key in ("tp", "fp", "fn"))
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = tp / (tp + fp)
        recall = tp / (tp + fn)
        f1 = 2 * tp / (2 * tp + fp + fn)
    if not np.isfinite(f1).any():
        return {"threshold": None, "f1": None, "precision": None, "recall": None}
    i = len(f1) - 1 - int(np.nanargmax(f1[::-1]))
    return evaluator.types.json_safe(
        {"threshold": thresholds[i], "f1": f1[i], "precision": precision[i], "recall": recall[i]}
    )


def _coarse_miss_rate(curve: analysis.MissRateCurve) -> dict[str, Any]:
    every = np.arange(MIN_DETECTIONS_PER_STEP - 1, len(curve.fppi), MIN_DETECTIONS_PER_STEP)
    keep = np.unique(np.append(every, len(curve.fppi) - 1)) if len(curve.fppi) else every
    return replace(curve, fppi=curve.fppi[keep], miss_rate=curve.miss_rate[keep]).to_dict()


def _confusion_held(sweep: analysis.ConfusionSweep, kept: np.ndarray) -> analysis.ConfusionSweep:
    """The confusion cells with each predicted class's column changed only where that many
    of its own detections enter (as the per-class counts, ``kept`` [K x T]), so that no step
    tells which object a single detection took; the missed column follows from the held cells."""
    column = sweep.cells[:, 1] if len(sweep.cells) else np.zeros(0, dtype=np.int64)
    held = _held(sweep.counts, kept[column], np.zeros(len(column)))
    return replace(sweep, counts=held)


def explorer_data(
    protocol: str, gt: Any, results: Any, images: Collection[int | str] | None, matches: Any = None
) -> dict[str, Any]:
    """For each of the protocol's explorer IoUs, the sweep over the confidence grid and the
    confusion matrix at every grid threshold; the error breakdown at the F1-optimal
    threshold of the first IoU; the image-level ROC; the miss rate against FPPI; and,
    where the protocol has it, COCO's analyze() breakdown (``coco_analyze``).

    ``matches``: evaluator.match() of the whole split, whose COCO matching analyze() reuses.
    """
    return explorer_subsets(protocol, gt, results, {"images": images}, matches)["images"]


def explorer_subsets(
    protocol: str,
    gt: Any,
    results: Any,
    subsets: Mapping[str, Collection[int | str] | None],
    matches: Any = None,
    evaluations: Mapping[str, evaluator.Evaluation] | None = None,
) -> dict[str, dict[str, Any]]:
    """:func:`explorer_data` of each named subset of images (None: all), from one matching of
    the whole split: every matching is per image, so a subset's is the whole one restricted.

    ``evaluations``: each subset's evaluation, if at hand: analyze()'s C75 and C50 are its
    precision at IoU .75 and .50."""
    spec = get_spec(protocol)
    if not spec.supports("explorer"):
        return {name: {} for name in subsets}
    module = evaluator.get_protocol(protocol)
    data = module.analysis_input(gt, results)
    ious = [choice.thresholds(data.category_names) for choice in spec.explorer_ious]
    # One matching per IoU, by class and class-agnostic (for the confusion matrices), serves
    # every confidence threshold: see analysis.match.
    matched = analysis.match_ious(data, ious, ignore_overlap=spec.ignore_overlap)
    breakdown = None
    if spec.supports("coco_analyze"):
        breakdown = coco_analyze.breakdown_matches(
            matches if matches is not None else evaluator.match(gt, results, protocol=protocol),
            confusions_only=bool(evaluations),  # C75 and C50 from the evaluations' precision
        )
    explorers = {}
    for name, images in subsets.items():
        precision = evaluations[name].arrays["precision"] if breakdown is not None and evaluations else None
        if images is None:
            explorers[name] = _explorer(spec, data, matched, breakdown, precision)
            continue
        subset = analysis.restrict(data, images)
        explorers[name] = _explorer(
            spec,
            subset.data,
            [(subset.matches(by_class), subset.matches(agnostic)) for by_class, agnostic in matched],
            None if breakdown is None else breakdown.restrict(frozenset(images)),
            precision,
        )
    return explorers


def _explorer(
    spec: ProtocolSpec, data: Any, matched: list[tuple[Any, Any]], breakdown: Any, precision: np.ndarray | None
) -> dict[str, Any]:
    overlap = spec.ignore_overlap
    grid = _grid(data.detections.score if data.detections.score is not None else np.zeros(0))
    kept = np.array([_kept(counts) for counts in _class_entered(data, grid)], dtype=bool).reshape(-1, len(grid))
    sweeps, confusion, by_class = {}, {}, {}
    for choice, (own_class, agnostic) in zip(spec.explorer_ious, matched, strict=True):
        by_class[choice.key] = own_class
        iou = choice.thresholds(data.category_names)
        sweep = analysis.threshold_sweep(
            data, iou=iou, scores=grid, ignore_overlap=overlap, matches=by_class[choice.key], with_best=False
        )
        overall = {key: sweep.overall[key].astype(int).tolist() for key in ("tp", "fp", "fn")}
        sweeps[choice.key] = {
            "label": choice.label,
            "overall": overall,
            "classes": _per_class_held({key: sweep.per_class[key] for key in ("tp", "fp", "fn")}, kept),
            "best": _best(overall, grid),
        }
        matrices = analysis.confusion_sweep(data, iou=iou, scores=grid, ignore_overlap=overlap, matches=agnostic)
        confusion[choice.key] = _confusion_held(matrices, kept).to_dict()
    first = spec.explorer_ious[0]
    best = sweeps[first.key]["best"].get("threshold")
    errors_at = float(best) if best is not None and np.isfinite(best) else 0.0
    errors = analysis.error_breakdown(
        data,
        iou=first.thresholds(data.category_names),
        score=errors_at,
        ignore_overlap=overlap,
        matches=by_class[first.key],
    ).to_dict()
    extra: dict[str, Any] = {}
    if spec.supports("roc"):
        image_roc = roc.image_roc(data)
        # the pooled curve's shown point at or above each explorer threshold: the operating-point marker
        fpr, tpr = image_roc.overall.coarse(MIN_DETECTIONS_PER_STEP).at(grid)
        extra["roc"] = {
            **image_roc.to_dict(min_step=MIN_DETECTIONS_PER_STEP),
            "at_thresholds": evaluator.types.json_safe({"fpr": fpr, "tpr": tpr}),
        }
    if spec.supports("miss_rate"):
        curve = analysis.miss_rate_fppi(
            data, iou=0.5, ignore_overlap=overlap, matches=by_class.get("0.50"), per_class=False
        ).overall
        extra["miss_rate"] = _coarse_miss_rate(curve)
    if breakdown is not None:
        extra["coco_analyze"] = coco_analyze.breakdown(breakdown, precision)
    return {
        "thresholds": grid.tolist(),
        "classes": list(data.category_names),
        "sweeps": sweeps,
        "confusion": confusion,
        "errors": errors,
        "ignore_overlap": overlap,
        **extra,
    }


def analysis_stats(protocol: str, explorer: dict[str, Any]) -> dict[str, float | None]:
    """The stats the analyses add to a score (the ROC's AUCs), ranked like the protocol's own."""
    spec = get_spec(protocol)
    if not spec.supports("roc") or "roc" not in explorer:
        return {}
    return {"AUC": explorer["roc"]["auc"], "AUC_macro": explorer["roc"]["macro_auc"]}
