"""The COCO bootstrap interval covers the true AP about as often as its level says.

Many independent test sets are drawn from one generator of images, objects and
detections; the "true" AP is the AP of one very large draw. A correct 95% interval
contains it in about 95% of the small test sets. The percentile interval of the same
resamples does not (about 80% here): resampled APs sit above the estimate.
"""

from __future__ import annotations

import math

import numpy as np

import evaluator
from evaluator.formats.coco import CocoGroundTruth, CocoResults

OBJECT_RATES = (2.0, 0.6, 0.15)  # objects per image of each category: a common, a middling and a rare one
DETECTED = 0.8
BACKGROUND_PER_IMAGE = 3.0
TEST_SETS = 200
IMAGES_PER_TEST_SET = 200
POPULATION_IMAGES = 60_000
RESAMPLES = 200
LEVEL = 0.95
POPULATION_SEED = 12345
FIRST_TEST_SEED = 1000


def draw(rng: np.random.Generator, images: int) -> tuple[CocoGroundTruth, CocoResults]:
    k = len(OBJECT_RATES)
    counts = rng.poisson(OBJECT_RATES, (images, k)).ravel()
    image = np.repeat(np.repeat(np.arange(images), k), counts)
    category = np.repeat(np.tile(np.arange(k), images), counts)
    n = len(image)
    side = np.exp(rng.normal(np.log(60.0), 0.6, n))
    box = np.column_stack([rng.uniform(0, 500, (n, 2)), side, side * np.exp(rng.normal(0.0, 0.3, n))])
    gt = CocoGroundTruth(
        source="generated",
        image_ids=np.arange(1, images + 1),
        image_meta=({},) * images,
        category_ids=np.arange(1, k + 1),
        category_names=tuple(f"class {i}" for i in range(k)),
        ann_image=image,
        ann_category=category,
        ann_id=np.arange(1, n + 1),
        bbox=box,
        area=box[:, 2] * box[:, 3],
        iscrowd=np.zeros(n, dtype=bool),
    )
    hit = rng.random(n) < DETECTED
    found = box[hit] + rng.normal(0.0, 0.12, (int(hit.sum()), 4)) * box[hit][:, [2, 3, 2, 3]]
    found[:, 2:] = np.abs(found[:, 2:]) + 1.0
    background_image = np.repeat(np.arange(images), rng.poisson(BACKGROUND_PER_IMAGE, images))
    m = len(background_image)
    background_side = np.exp(rng.normal(np.log(60.0), 0.6, m))
    background = np.column_stack([rng.uniform(0, 500, (m, 2)), background_side, background_side])
    background_category = rng.choice(k, m, p=np.array(OBJECT_RATES) / sum(OBJECT_RATES))
    results = CocoResults(
        source="generated",
        image_id=np.concatenate([image[hit], background_image]) + 1,
        category_id=np.concatenate([category[hit], background_category]) + 1,
        xywh=np.concatenate([found, background]),
        score=np.concatenate([rng.beta(4, 2, int(hit.sum())), rng.beta(1.5, 4, m)]),
    )
    return gt, results


def test_the_95_percent_interval_covers_the_true_ap_in_about_95_percent_of_test_sets():
    population = draw(np.random.default_rng(POPULATION_SEED), POPULATION_IMAGES)
    true_ap = evaluator.evaluate(*population, protocol="coco").stats["AP"]
    covered = 0
    for draw_index in range(TEST_SETS):
        gt, results = draw(np.random.default_rng(FIRST_TEST_SEED + draw_index), IMAGES_PER_TEST_SET)
        ((_, interval),) = evaluator.evaluate_subsets(
            gt, results, protocol="coco", subsets={"all": None}, resamples=RESAMPLES, seed=draw_index, level=LEVEL
        ).values()
        assert interval is not None
        covered += interval[0] <= true_ap <= interval[1]
    coverage = covered / TEST_SETS
    # Three binomial standard deviations of the coverage over TEST_SETS draws.
    tolerance = 3 * math.sqrt(LEVEL * (1 - LEVEL) / TEST_SETS)
    assert abs(coverage - LEVEL) <= tolerance, (coverage, tolerance)


def test_every_weight_one_gives_the_ap_exactly_and_the_interval_is_seeded():
    gt, results = draw(np.random.default_rng(7), 300)
    from evaluator.protocols import coco

    matches = coco.Matches.of(gt, results)
    curves = coco.BootstrapCurves(matches)
    ap = evaluator.evaluate(gt, results, protocol="coco").stats["AP"]
    assert curves.weighted_ap(np.ones(curves.num_images)) == ap
    low, high = evaluator.bootstrap_interval(gt, results, protocol="coco", resamples=50, seed=3)
    assert low < ap < high
    assert (low, high) == evaluator.bootstrap_interval(gt, results, protocol="coco", resamples=50, seed=3)


def test_the_public_subset_from_shared_matches_equals_scoring_the_subset_alone():
    gt, results = draw(np.random.default_rng(8), 300)
    public = [int(i) for i in gt.image_ids[::3]]
    scored = evaluator.evaluate_subsets(
        gt, results, protocol="coco", subsets={"full": None, "public": public}, resamples=30, seed=1
    )
    for name, images in (("full", None), ("public", public)):
        alone = evaluator.evaluate(gt, results, protocol="coco", images=images)
        evaluation, interval = scored[name]
        assert evaluation.stats == alone.stats
        for key, array in alone.arrays.items():
            assert np.array_equal(evaluation.arrays[key], array)
        assert interval == evaluator.bootstrap_interval(
            gt, results, protocol="coco", images=images, resamples=30, seed=1
        )


def test_resamples_computed_side_by_side_equal_each_computed_alone():
    gt, results = draw(np.random.default_rng(9), 200)
    from evaluator.protocols import coco

    curves = coco.BootstrapCurves(coco.Matches.of(gt, results))
    rng = np.random.default_rng(4)
    weights = rng.integers(0, 3, (13, curves.num_images)).astype(float)  # 13: a last block of 5 lanes
    weights[2] = 0.0  # no image drawn: NaN
    together = curves.weighted_ap_many(weights)
    alone = np.array([curves.weighted_ap_many(row[None])[0] for row in weights])
    assert np.array_equal(together, alone, equal_nan=True)
    assert np.isnan(together[2])
    single = np.array([curves.weighted_ap(row) for row in weights])
    assert np.allclose(together, single, rtol=0, atol=1e-12, equal_nan=True)


def test_the_lanes_envelope_sums_equal_the_single_curves_summed_exactly():
    from fractions import Fraction

    from evaluator.protocols import _coco_accumulate, coco

    thresholds = coco.RECALL_THRESHOLDS
    lanes = _coco_accumulate.LANES
    rng = np.random.default_rng(5)
    for trial in range(300):
        n = int(rng.integers(0, 60)) if trial else 0
        # every entry a true positive of its own image, weighing 0, 1 or 2 in each lane
        weight = rng.integers(0, 3, (n, lanes)).astype(float)
        tp = np.cumsum(weight, axis=0)
        # objects: some never found, or (recall 1 reached exactly) every one; recalls such as 7/100 hit thresholds
        npig = np.maximum(tp[-1] if n else np.zeros(lanes), 1.0) + rng.choice([0, 0, 3, 100 - n], lanes).clip(0)
        fp = np.cumsum(rng.integers(0, 4, (n, lanes)), axis=0).astype(float)
        total = tp + fp  # the weight of every row up to each entry's
        bucket = np.empty((int(npig.max()) + 1, lanes), dtype=np.int64)
        _coco_accumulate._recall_buckets(npig, thresholds, bucket)
        rows = np.arange(n)
        sums = np.zeros(lanes)
        scratch = (np.empty((n, lanes)), np.empty((n, lanes)))
        _coco_accumulate._envelope_sums(
            0, n, rows, rows, rows, 0, np.ones(n, dtype=bool), weight, total, bucket, *scratch, sums
        )
        expected = np.empty(len(thresholds))
        for lane in range(lanes):
            recall = tp[:, lane] / npig[lane]
            precision = tp[:, lane] / (fp[:, lane] + tp[:, lane] + np.spacing(1))
            _coco_accumulate._read_envelope(n, recall, precision, thresholds, expected)
            exact = sum(Fraction(value) for value in expected.tolist())
            assert abs(Fraction(sums[lane]) - exact) <= Fraction(1, 10**12), (trial, lane)


def test_detections_on_crowds_are_skipped_alike_by_the_lanes_and_the_single_curves():
    import dataclasses

    from evaluator.protocols import coco

    gt, results = draw(np.random.default_rng(11), 200)
    gt = dataclasses.replace(gt, iscrowd=np.arange(len(gt.ann_id)) % 5 == 0)
    curves = coco.BootstrapCurves(coco.Matches.of(gt, results))
    assert (~curves.marked_tp).sum() > 20  # detections on crowds: listed, neither true nor false positives
    ap = evaluator.evaluate(gt, results, protocol="coco").stats["AP"]
    ones = np.ones((1, curves.num_images))
    assert curves.weighted_ap(ones[0]) == ap
    assert abs(curves.weighted_ap_many(ones)[0] - ap) <= 1e-12
    weights = np.random.default_rng(6).integers(0, 3, (11, curves.num_images)).astype(float)
    single = np.array([curves.weighted_ap(row) for row in weights])
    assert np.allclose(curves.weighted_ap_many(weights), single, rtol=0, atol=1e-12)
