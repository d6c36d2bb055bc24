"""The KITTI 2D object detection protocol, as the devkit's ``cpp/evaluate_object.cpp`` scores image boxes.

Classes Car (IoU > 0.7), Pedestrian and Cyclist (IoU > 0.5); three difficulties, each
its own evaluation: Easy / Moderate / Hard keep the ground truth of box height
> 40 / 25 / 25 px, occlusion <= 0 / 1 / 2 and truncation <= 0.15 / 0.30 / 0.50. Per
class and difficulty, as the devkit does (type names compared without case):

- Ground truth of the class that fails the difficulty, and of the neighbouring class
  (Van for Car, Person_sitting for Pedestrian), is *ignored*: it takes part in the
  matching but is neither a true positive nor missed. Other types play no part.
- A detection of any type whose height (truncated to whole pixels) is below the
  difficulty's minimum is an *ignored detection*; other detections of the class count,
  the rest play no part. Ignored detections take part in the matching: one matched
  to a box of the class keeps that box from being missed without making it a TP.
- Image by image, ground-truth boxes in file order each take one free detection
  with IoU > the class's threshold (no +1 pixel). First pass: the highest score,
  giving the TP scores from which ``getThresholds`` picks up to 41 score thresholds
  at evenly spaced recall. Second pass, at each threshold (detections scoring below
  it left out): the counting detection of highest IoU, else the first ignored one.
  A free counting detection is a false positive unless a DontCare region covers more
  than the IoU threshold of its area.
- Precision at each threshold, made monotone from the right over the 41 sample
  points (zero beyond the last threshold). AP (R40, the official figure since 2019) is
  the mean of points 1..40, AP_R11 (the original) the mean of points 0, 4, ..., 40.

Where a class has no counting ground truth at a difficulty, its AP is NaN (the
devkit prints 0) and ``mAP/moderate`` is the mean over the classes that have some.

Bootstrap intervals recount the matched pairs with each image weighing the number of
times it is drawn, which is exactly scoring the split with the drawn images copied.

Speed: the matching is sequential per image, but all images advance together: step
``s`` settles the ``s``-th box (among boxes with any candidate) of every image at
once, for all thresholds in one array.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..formats import kitti as kitti_format
from ..formats.kitti import CLASSES, KittiGroundTruth, KittiResults, frozen
from ..types import AnalysisInput, BoxSet, ClassResult, Evaluation

NAME = "kitti"
DIFFICULTIES = ("easy", "moderate", "hard")
STAT_NAMES = (
    *(f"{c}/{d}" for c in CLASSES for d in DIFFICULTIES),
    "mAP/moderate",
    *(f"{c}/{d}/R11" for c in CLASSES for d in DIFFICULTIES),
    "mAP/moderate/R11",
)
PRIMARY = "mAP/moderate"
HIGHER_IS_BETTER = True
RESULT_FORMATS = kitti_format.RESULT_FORMATS

MIN_HEIGHT = (40, 25, 25)
MAX_OCCLUSION = (0, 1, 2)
MAX_TRUNCATION = (0.15, 0.3, 0.5)
MIN_OVERLAP = (0.7, 0.5, 0.5)
NEIGHBOURS = ("van", "person_sitting", None)
DONT_CARE = "dontcare"
N_SAMPLE_PTS = 41
NO_DETECTION = -10000000.0
MODERATE = DIFFICULTIES.index("moderate")
_CHUNK = 1 << 22


def load_ground_truth(path: str | Path) -> KittiGroundTruth:
    return kitti_format.load_ground_truth(path)


def load_results(path: str | Path, gt: KittiGroundTruth | None) -> KittiResults:
    return kitti_format.load_results(path, gt)


def image_ids(gt: KittiGroundTruth) -> tuple[str, ...]:
    return tuple(str(i) for i in gt.image_ids)


def _id(value: int | str) -> str:
    return f"{value:06d}" if isinstance(value, (int, np.integer)) else str(value)


def restrict(
    gt: KittiGroundTruth, results: KittiResults, images: frozenset[int | str]
) -> tuple[KittiGroundTruth, KittiResults]:
    """Ground truth and detections of ``images`` only (ids as in :func:`image_ids`)."""
    wanted = np.array(sorted(_id(i) for i in images), dtype=str)
    keep_image = np.isin(gt.image_ids, wanted)
    new_index = np.cumsum(keep_image) - 1
    keep_box = keep_image[gt.box_image]
    sub_gt = replace(
        gt,
        image_ids=frozen(gt.image_ids[keep_image]),
        box_image=frozen(new_index[gt.box_image[keep_box]]),
        **{  # type: ignore[arg-type]  # mypy cannot tell which keys a ** of array columns holds
            name: frozen(getattr(gt, name)[keep_box])
            for name in (
                "type_name",
                "truncation",
                "occlusion",
                "alpha",
                "xyxy",
                "dimensions",
                "location",
                "rotation_y",
            )
        },
    )
    kept = set(sub_gt.image_ids.tolist())
    keep_det = np.isin(results.image_id, sub_gt.image_ids)
    sub_results = replace(
        results,
        files=tuple(f for f in results.files if f in kept),
        **{  # type: ignore[arg-type]  # mypy cannot tell which keys a ** of array columns holds
            name: frozen(getattr(results, name)[keep_det])
            for name in ("image_id", "category_name", "xyxy", "score", "alpha")
        },
    )
    return sub_gt, sub_results


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, eq=False)
class _Inputs:
    """Boxes ordered by image, then line. ``*_type`` are lower-case type names."""

    num_images: int
    gt_image: np.ndarray
    gt_type: np.ndarray
    gt_xyxy: np.ndarray
    truncation: np.ndarray
    occlusion: np.ndarray
    det_image: np.ndarray
    det_type: np.ndarray
    det_xyxy: np.ndarray
    score: np.ndarray


def _inputs(gt: KittiGroundTruth, results: KittiResults) -> _Inputs:
    num_images = len(gt.image_ids)
    position = np.searchsorted(gt.image_ids, results.image_id) if num_images else np.zeros(len(results), np.int64)
    position = np.minimum(position, max(num_images - 1, 0))
    known = np.zeros(len(results), dtype=bool)
    if num_images:
        known = gt.image_ids[position] == results.image_id
    rows = np.flatnonzero(known)
    rows = rows[np.argsort(position[rows], kind="stable")]
    return _Inputs(
        num_images=num_images,
        gt_image=np.asarray(gt.box_image, dtype=np.int64),
        gt_type=np.char.lower(gt.type_name) if len(gt) else gt.type_name,
        gt_xyxy=gt.xyxy,
        truncation=gt.truncation,
        occlusion=gt.occlusion,
        det_image=position[rows].astype(np.int64),
        det_type=np.char.lower(results.category_name[rows]) if len(rows) else results.category_name[rows],
        det_xyxy=results.xyxy[rows],
        score=results.score[rows],
    )


def _same_image_pairs(a_image: np.ndarray, b_image: np.ndarray, num_images: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (a, b) of the same image, sorted by a then b (both sorted by image)."""
    b_start = np.searchsorted(b_image, np.arange(num_images + 1))
    count = np.diff(b_start)[a_image]
    pair_a = np.repeat(np.arange(len(a_image)), count)
    offset = np.arange(len(pair_a)) - np.repeat(np.cumsum(count) - count, count)
    pair_b = b_start[a_image][pair_a] + offset
    return pair_a, pair_b


def _overlap(det: np.ndarray, box: np.ndarray, over_union: bool) -> np.ndarray:
    """The devkit's ``imageBoxOverlap`` (detection first): IoU, or intersection over the detection's area."""
    w = np.minimum(det[:, 2], box[:, 2]) - np.maximum(det[:, 0], box[:, 0])
    h = np.minimum(det[:, 3], box[:, 3]) - np.maximum(det[:, 1], box[:, 1])
    hit = (w > 0) & (h > 0)
    det, box, inter = det[hit], box[hit], w[hit] * h[hit]
    det_area = (det[:, 2] - det[:, 0]) * (det[:, 3] - det[:, 1])
    out = np.zeros(len(w))
    if over_union:
        box_area = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])
        out[hit] = inter / (det_area + box_area - inter)
    else:
        out[hit] = inter / det_area
    return out


def _dont_care_cover(inputs: _Inputs) -> np.ndarray:
    """float64 [D]: the largest share of each detection's area inside one DontCare region."""
    care = np.flatnonzero(inputs.gt_type == DONT_CARE)
    cover = np.zeros(len(inputs.score))
    if len(care) == 0 or len(cover) == 0:
        return cover
    pair_c, pair_d = _same_image_pairs(inputs.gt_image[care], inputs.det_image, inputs.num_images)
    for lo in range(0, len(pair_c), _CHUNK):
        c, d = care[pair_c[lo : lo + _CHUNK]], pair_d[lo : lo + _CHUNK]
        np.maximum.at(cover, d, _overlap(inputs.det_xyxy[d], inputs.gt_xyxy[c], over_union=False))
    return cover


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True, eq=False)
class _Candidates:
    """Pairs (box, detection) that may match for one class and difficulty, sorted by
    box then detection, with the steps of the image-parallel matching.

    ``steps[s]`` is ``(rows, slots)``: the boxes settled at step ``s`` (at most one
    per image, indices into ``box_valid``) and their pairs [S x K], padded with -1."""

    det: np.ndarray
    overlap: np.ndarray
    box_valid: np.ndarray
    steps: list[tuple[np.ndarray, np.ndarray]]


def _candidates(
    pair_gt: np.ndarray, pair_det: np.ndarray, overlap: np.ndarray, gt_image: np.ndarray, box_valid: np.ndarray
) -> _Candidates:
    if len(pair_gt) == 0:
        return _Candidates(pair_det, overlap, np.zeros(0, dtype=bool), [])
    starts = np.flatnonzero(np.r_[True, pair_gt[1:] != pair_gt[:-1]])
    counts = np.diff(np.r_[starts, len(pair_gt)])
    boxes = pair_gt[starts]
    image = gt_image[boxes]
    rank = np.arange(len(boxes)) - np.searchsorted(image, image, side="left")
    steps = []
    order = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[order], np.arange(int(rank.max()) + 2))
    for s in range(len(bounds) - 1):
        rows = order[bounds[s] : bounds[s + 1]]
        width = int(counts[rows].max())
        column = np.arange(width)
        slots = starts[rows][:, None] + column[None, :]
        slots = np.where(column[None, :] < counts[rows][:, None], slots, -1)
        steps.append((rows, slots))
    return _Candidates(pair_det, overlap, box_valid[boxes], steps)


def _first_pass(cand: _Candidates, local: np.ndarray, score: np.ndarray, det_counts: np.ndarray) -> np.ndarray:
    """The candidates (indices into ``score``) that are true positives when each box takes its free
    candidate of highest score."""
    assigned = np.zeros(len(score), dtype=bool)
    found = []
    for rows, slots in cand.steps:
        live = slots >= 0
        d = local[np.where(live, slots, 0)]
        s = score[d]
        free = live & ~assigned[d] & (s > NO_DETECTION)
        pick = np.argmax(np.where(free, s, -np.inf), axis=1)
        took = free[np.arange(len(rows)), pick]
        chosen = d[np.arange(len(rows)), pick]
        assigned[chosen[took]] = True
        tp = took & cand.box_valid[rows] & det_counts[chosen]
        found.append(chosen[tp])
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _second_pass(
    cand: _Candidates,
    local: np.ndarray,
    score: np.ndarray,
    det_counts: np.ndarray,
    thresholds: np.ndarray,
    box_weight: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """True positives per threshold (each box weighing ``box_weight``) and bool [T x C] of the candidates taken."""
    num_t = len(thresholds)
    assigned = np.zeros((num_t, len(score)), dtype=bool)
    tp = np.zeros(num_t, dtype=np.int64)
    for rows, slots in cand.steps:
        chunk = max(1, _CHUNK // max(1, num_t * slots.shape[1]))
        for lo in range(0, len(rows), chunk):
            r, sl = rows[lo : lo + chunk], slots[lo : lo + chunk]
            live = sl >= 0
            safe = np.where(live, sl, 0)
            d = local[safe]
            free = live[None] & ~assigned[:, d] & (score[d][None] >= thresholds[:, None, None])
            key = np.where(free, np.where(det_counts[d], cand.overlap[safe], -1.0)[None], -2.0)
            pick = np.argmax(key, axis=2)
            best = np.take_along_axis(key, pick[:, :, None], axis=2)[:, :, 0]
            chosen = d[np.arange(len(r))[None, :], pick]
            t_idx, s_idx = np.nonzero(best > -2.0)
            assigned[t_idx, chosen[t_idx, s_idx]] = True
            tp += ((best >= 0.0) & cand.box_valid[r][None, :]) @ box_weight[r]
    return tp, assigned


def get_thresholds(scores: np.ndarray, num_gt: int) -> list[float]:
    """The devkit's ``getThresholds``: scores at recall steps of 1/40, nearest from the left.

    The devkit walks the sorted scores and keeps one whenever its recall is no further
    from the current target than the next one's; each keep moves the target on by 1/40.
    Here each keep is found with one array comparison, using the devkit's own
    floating-point expressions, so the same scores are kept."""
    v = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    if len(v) == 0:
        return []
    i = np.arange(len(v))
    last = len(v) - 1
    left = (i + 1) / num_gt
    right = np.where(i < last, (i + 2) / num_gt, left)
    picked = []
    current = 0.0
    start = 0
    while start <= last:
        keep = ~((right[start:] - current) < (current - left[start:]))
        keep[-1] = True
        j = start + int(np.argmax(keep))
        picked.append(float(v[j]))
        current += 1.0 / (N_SAMPLE_PTS - 1.0)
        start = j + 1
    return picked


def _monotone(precision: list[float], count: int) -> list[float]:
    """``precision[i] = *max_element(precision.begin() + i, end)`` for ``i < count`` (NaN as C++ compares it)."""
    out = list(precision)
    for i in range(min(count, len(out))):
        largest = out[i]
        for value in out[i + 1 :]:
            if largest < value:
                largest = value
        out[i] = largest
    return out


@dataclass(frozen=True)
class _ClassCurve:
    num_gt: int
    precision: list[float]
    thresholds: list[float]

    @property
    def ap_r40(self) -> float:
        return _sum(self.precision[1:]) / 40.0 if self.num_gt else float("nan")

    @property
    def ap_r11(self) -> float:
        return _sum(self.precision[::4]) / 11.0 if self.num_gt else float("nan")


def _sum(values: list[float]) -> float:
    total = 0.0
    for value in values:
        total += value
    return total


@dataclass(frozen=True, eq=False)
class _Setting:
    """One class at one difficulty, matched once; :meth:`curve` counts it for any image weights.

    Weights are whole numbers (how often each image is drawn); an image drawn n times
    counts as n copies of it, exactly as if the split held the copies."""

    cand: _Candidates
    local: np.ndarray
    score: np.ndarray
    counts: np.ndarray
    box_image: np.ndarray
    valid_image: np.ndarray
    tp_score: np.ndarray
    tp_image: np.ndarray
    false_score: np.ndarray
    false_image: np.ndarray
    cand_false: np.ndarray
    cand_image: np.ndarray

    def curve(self, weights: np.ndarray) -> _ClassCurve:
        num_gt = int(weights[self.valid_image].sum())
        thresholds = get_thresholds(np.repeat(self.tp_score, weights[self.tp_image]), num_gt) if num_gt else []
        thresholds = thresholds[:N_SAMPLE_PTS]
        precision = [0.0] * N_SAMPLE_PTS
        if thresholds:
            t = np.array(thresholds)
            box_weight = weights[self.box_image]
            tp, assigned = _second_pass(self.cand, self.local, self.score, self.counts, t, box_weight)
            # Weight of the false detections scoring at least each threshold, from the top.
            from_top = np.append(np.cumsum(weights[self.false_image][::-1])[::-1], 0)
            fp = from_top[np.searchsorted(self.false_score, t, side="left")]
            fp = fp - (assigned & self.cand_false[None, :]) @ weights[self.cand_image]
            with np.errstate(invalid="ignore", divide="ignore"):
                values = tp / (tp + fp).astype(np.float64)
            precision[: len(t)] = values.tolist()
        return _ClassCurve(num_gt, _monotone(precision, len(thresholds)), thresholds)


def _setting(inputs: _Inputs, c: int, d: int, pairs: tuple[np.ndarray, ...], cover: np.ndarray) -> _Setting:
    name = CLASSES[c].lower()
    min_overlap = MIN_OVERLAP[c]
    boxes, pair_gt, pair_det, pair_iou = pairs
    height = inputs.gt_xyxy[boxes, 3] - inputs.gt_xyxy[boxes, 1]
    hard = (
        (inputs.occlusion[boxes] > MAX_OCCLUSION[d])
        | (inputs.truncation[boxes] > MAX_TRUNCATION[d])
        | (height <= MIN_HEIGHT[d])
    )
    box_valid = (inputs.gt_type[boxes] == name) & ~hard
    det_is_class = inputs.det_type == name
    small = np.trunc(np.abs(inputs.det_xyxy[:, 1] - inputs.det_xyxy[:, 3])) < MIN_HEIGHT[d]
    det_counts = ~small & det_is_class
    keep = (small | det_is_class)[pair_det] & (pair_iou > min_overlap)
    box_image = inputs.gt_image[boxes]
    cand = _candidates(pair_gt[keep], pair_det[keep], pair_iou[keep], box_image, box_valid)
    cand_dets, local = np.unique(cand.det, return_inverse=True)
    cand_score = inputs.score[cand_dets]
    cand_counts = det_counts[cand_dets]
    tp = _first_pass(cand, local, cand_score, cand_counts)
    false = det_counts & ~(cover > min_overlap)
    order = np.argsort(inputs.score[false], kind="stable")
    cand_image = inputs.det_image[cand_dets]
    return _Setting(
        cand=cand,
        local=local,
        score=cand_score,
        counts=cand_counts,
        box_image=box_image[np.unique(pair_gt[keep])] if len(cand.box_valid) else np.zeros(0, dtype=np.int64),
        valid_image=box_image[box_valid],
        tp_score=cand_score[tp],
        tp_image=cand_image[tp],
        false_score=inputs.score[false][order],
        false_image=inputs.det_image[false][order],
        cand_false=false[cand_dets],
        cand_image=cand_image,
    )


def _eval_class(inputs: _Inputs, c: int, pairs: tuple[np.ndarray, ...], cover: np.ndarray) -> list[_ClassCurve]:
    ones = np.ones(inputs.num_images, dtype=np.int64)
    return [_setting(inputs, c, d, pairs, cover).curve(ones) for d in range(len(DIFFICULTIES))]


def _class_pairs(inputs: _Inputs, c: int) -> tuple[np.ndarray, ...]:
    """Boxes of class ``c`` or its neighbour and all their same-image (box, detection) pairs with IoU."""
    neighbour = NEIGHBOURS[c]
    names = [CLASSES[c].lower()] + ([neighbour] if neighbour else [])
    boxes = np.flatnonzero(np.isin(inputs.gt_type, names))
    pair_gt, pair_det = _same_image_pairs(inputs.gt_image[boxes], inputs.det_image, inputs.num_images)
    iou = np.empty(len(pair_gt))
    for lo in range(0, len(pair_gt), _CHUNK):
        g, d = boxes[pair_gt[lo : lo + _CHUNK]], pair_det[lo : lo + _CHUNK]
        iou[lo : lo + _CHUNK] = _overlap(inputs.det_xyxy[d], inputs.gt_xyxy[g], over_union=True)
    return boxes, pair_gt, pair_det, iou


def evaluate_curves(gt: KittiGroundTruth, results: KittiResults) -> list[list[_ClassCurve]]:
    """[class][difficulty] curves: the devkit's ``eval_class`` for each."""
    inputs = _inputs(gt, results)
    cover = _dont_care_cover(inputs)
    return [_eval_class(inputs, c, _class_pairs(inputs, c), cover) for c in range(len(CLASSES))]


def bootstrap(gt: KittiGroundTruth, results: KittiResults, *, resamples: int = 200, seed: int = 0) -> np.ndarray:
    """``mAP/moderate`` on ``resamples`` bootstrap resamples of the images (with replacement, seeded).

    An image drawn n times counts as n copies of it, so each value is exactly what the
    devkit would give on the resampled split; with every image drawn once it is ``mAP/moderate``.
    The matching is done once; each resample only recounts it.
    """
    settings = moderate_settings(gt, results)
    num_images = gt.num_images
    rng = np.random.default_rng(seed)
    values = np.empty(resamples)
    for b in range(resamples):
        weights = np.bincount(rng.integers(0, num_images, num_images), minlength=num_images)
        values[b] = weighted_map(settings, weights)
    return values


def moderate_settings(gt: KittiGroundTruth, results: KittiResults) -> list[_Setting]:
    """The three classes at Moderate, matched: what ``mAP/moderate`` is counted from."""
    inputs = _inputs(gt, results)
    cover = _dont_care_cover(inputs)
    return [_setting(inputs, c, MODERATE, _class_pairs(inputs, c), cover) for c in range(len(CLASSES))]


def weighted_map(settings: list[_Setting], weights: np.ndarray) -> float:
    return _mean([setting.curve(weights).ap_r40 for setting in settings])


# --------------------------------------------------------------------------- results


def _mean(values: list[float]) -> float:
    valid = [v for v in values if not np.isnan(v)]
    return float(np.mean(valid)) if valid else float("nan")


def _rounded(values: list[float]) -> list[float | None]:
    return [round(float(v), 4) if np.isfinite(v) else None for v in values]


def _curves(curves: list[list[_ClassCurve]]) -> dict[str, object]:
    """Precision at the 41 recall sample points per class and difficulty, as the devkit plots it."""
    settings = [DIFFICULTIES[MODERATE]] + [d for d in DIFFICULTIES if d != DIFFICULTIES[MODERATE]]
    classes = []
    for c, name in enumerate(CLASSES):
        per = curves[c]
        moderate = per[MODERATE]
        classes.append(
            {
                "name": name,
                "min_overlap": MIN_OVERLAP[c],
                "num_gt": {d: per[i].num_gt for i, d in enumerate(DIFFICULTIES)},
                "AP": {d: per[i].ap_r40 for i, d in enumerate(DIFFICULTIES)},
                "precision": {
                    d: _rounded(per[i].precision) if per[i].num_gt else [None] * N_SAMPLE_PTS
                    for i, d in enumerate(DIFFICULTIES)
                },
                "score": _rounded(moderate.thresholds + [float("nan")] * (N_SAMPLE_PTS - len(moderate.thresholds))),
            }
        )
    overall = {}
    for i, d in enumerate(DIFFICULTIES):
        with_gt = [curves[c][i].precision for c in range(len(CLASSES)) if curves[c][i].num_gt]
        overall[d] = _rounded(np.mean(with_gt, axis=0).tolist()) if with_gt else [None] * N_SAMPLE_PTS
    return {
        "kind": "pr",
        "method": "kitti-r40",
        "iou_thresholds": settings,
        "difficulties": settings,
        "recall": [round(i / (N_SAMPLE_PTS - 1), 3) for i in range(N_SAMPLE_PTS)],
        "overall": overall,
        "classes": classes,
    }


def evaluate(gt: KittiGroundTruth, results: KittiResults) -> Evaluation:
    """Per class and difficulty AP (R40 and R11); ``arrays["precision"]`` is [class x difficulty x 41]."""
    from .. import __version__

    curves = evaluate_curves(gt, results)
    stats: dict[str, float] = {}
    for suffix, ap in (("", "ap_r40"), ("/R11", "ap_r11")):
        for c, name in enumerate(CLASSES):
            for d, difficulty in enumerate(DIFFICULTIES):
                stats[f"{name}/{difficulty}{suffix}"] = getattr(curves[c][d], ap)
        stats[f"mAP/moderate{suffix}"] = _mean([getattr(curves[c][MODERATE], ap) for c in range(len(CLASSES))])
    det_type = np.char.lower(results.category_name) if len(results) else results.category_name
    per_class = tuple(
        ClassResult(
            name=name,
            metrics={difficulty: curves[c][d].ap_r40 for d, difficulty in enumerate(DIFFICULTIES)},
            num_gt=curves[c][MODERATE].num_gt,
            num_det=int(np.count_nonzero(det_type == name.lower())),
        )
        for c, name in enumerate(CLASSES)
    )
    return Evaluation(
        protocol=NAME,
        stats={name: stats[name] for name in STAT_NAMES},
        primary=PRIMARY,
        higher_is_better=HIGHER_IS_BETTER,
        per_class=per_class,
        curves=_curves(curves),
        arrays={
            "precision": np.array([[cc.precision for cc in per] for per in curves]),
            "num_gt": np.array([[cc.num_gt for cc in per] for per in curves], dtype=np.int64),
        },
        engine_version=__version__,
    )


def analysis_input(gt: KittiGroundTruth, results: KittiResults) -> AnalysisInput:
    """Car, Pedestrian and Cyclist boxes; ignored: Van (as Car), Person_sitting (as
    Pedestrian), boxes outside Moderate, and DontCare regions (one per class).
    Detections of the three classes; those below Moderate's 25 px are ignored."""
    inputs = _inputs(gt, results)
    m = MODERATE
    height = inputs.gt_xyxy[:, 3] - inputs.gt_xyxy[:, 1]
    hard = (inputs.occlusion > MAX_OCCLUSION[m]) | (inputs.truncation > MAX_TRUNCATION[m]) | (height <= MIN_HEIGHT[m])
    image, category, xyxy, ignore = [], [], [], []
    for c, name in enumerate(CLASSES):
        own = inputs.gt_type == name.lower()
        neighbour = inputs.gt_type == NEIGHBOURS[c] if NEIGHBOURS[c] else np.zeros_like(own)
        care = inputs.gt_type == DONT_CARE
        rows = np.flatnonzero(own | neighbour | care)
        image.append(inputs.gt_image[rows])
        category.append(np.full(len(rows), c, dtype=np.int64))
        xyxy.append(inputs.gt_xyxy[rows])
        ignore.append(~own[rows] | hard[rows])
    order = np.lexsort((np.concatenate(category), np.concatenate(image)))
    det_category = np.full(len(inputs.score), -1, dtype=np.int64)
    for c, name in enumerate(CLASSES):
        det_category[inputs.det_type == name.lower()] = c
    scored = det_category >= 0
    det_height = np.trunc(np.abs(inputs.det_xyxy[:, 1] - inputs.det_xyxy[:, 3]))
    return AnalysisInput(
        image_ids=image_ids(gt),
        category_names=CLASSES,
        ground_truth=BoxSet(
            image=np.concatenate(image)[order],
            category=np.concatenate(category)[order],
            xyxy=np.concatenate(xyxy).reshape(-1, 4)[order],
            score=None,
            ignore=np.concatenate(ignore)[order],
        ),
        detections=BoxSet(
            image=inputs.det_image[scored],
            category=det_category[scored],
            xyxy=inputs.det_xyxy[scored].copy(),
            score=inputs.score[scored].copy(),
            ignore=det_height[scored] < MIN_HEIGHT[m],
        ),
    )
