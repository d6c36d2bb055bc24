"""The public/private image rule and scoring a subset of a split."""

from __future__ import annotations

import math

import pytest

import evaluator
from evaluator.subsets import is_public, public_image_ids
from tests.conftest import shared_file


def test_rule_is_deterministic_and_order_free():
    ids = list(range(1000))
    public = public_image_ids(ids, seed="coco-val", fraction=0.5)
    assert public == public_image_ids(ids, seed="coco-val", fraction=0.5)
    assert sorted(public_image_ids(reversed(ids), seed="coco-val", fraction=0.5)) == public
    assert 430 < len(public) < 570
    assert public_image_ids(ids, seed="other", fraction=0.5) != public


def test_fraction_bounds():
    assert public_image_ids(range(50), seed="s", fraction=0.0) == []
    assert public_image_ids(range(50), seed="s", fraction=1.0) == list(range(50))
    with pytest.raises(ValueError):
        is_public(1, seed="s", fraction=1.5)


def test_growing_a_split_never_moves_an_image():
    small = set(public_image_ids(range(500), seed="s", fraction=0.3))
    large = set(public_image_ids(range(2000), seed="s", fraction=0.3))
    assert small == large & set(range(500))


def test_kaist_subset_equals_scoring_the_subset_alone():
    gt = evaluator.load_ground_truth(shared_file("kaist-daynight/KAIST_annotation.json"), protocol="kaist")
    results = evaluator.load_results(
        shared_file("kaist-daynight/detections/MBNet_result.txt"), protocol="kaist", ground_truth=gt
    )
    all_ids = evaluator.image_ids(gt, protocol="kaist")
    assert len(all_ids) == 2252
    day = [i for i in all_ids if i < 1455]
    whole = evaluator.evaluate(gt, results, protocol="kaist")
    only_day = evaluator.evaluate(gt, results, protocol="kaist", images=day)
    assert only_day.stats["MR_all"] == pytest.approx(whole.stats["MR_day"], abs=1e-12)
    assert math.isnan(only_day.stats["MR_night"])
    public = public_image_ids(all_ids, seed="kaist", fraction=0.5)
    part = evaluator.evaluate(gt, results, protocol="kaist", images=public)
    assert 0 < part.stats["MR_all"] < 1
