"""The explorer of a subset of images, taken from the whole split's matchings, equals the
explorer of that subset scored on its own (ground truth and detections restricted first)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

import evaluator
from evaluator.subsets import public_image_ids
from leaderboard import demo, demo_kitti, demo_voc
from leaderboard.explorer import explorer_data, explorer_subsets
from tests.conftest import shared_file


def _coco(tmp_path: Path):
    gt = evaluator.load_ground_truth(shared_file("coco-val2014-100/instances_val2014_100.json"), protocol="coco")
    path = shared_file("coco-val2014-100/instances_val2014_fakebbox100_results.json")
    return gt, evaluator.load_results(path, protocol="coco", ground_truth=gt)


def _coco_demo(tmp_path: Path):
    split = demo.generate_ground_truth(seed=7, images=120)
    (tmp_path / "gt.json").write_bytes(demo.to_json_bytes(split))
    (tmp_path / "results.json").write_bytes(
        demo.to_json_bytes(demo.simulate_detections(split, demo.PROFILES[1], seed=2))
    )
    gt = evaluator.load_ground_truth(tmp_path / "gt.json", protocol="coco")
    return gt, evaluator.load_results(tmp_path / "results.json", protocol="coco", ground_truth=gt)


def _voc(tmp_path: Path):
    split = demo_voc.generate(images=80)
    (tmp_path / "gt.tar").write_bytes(demo_voc.to_tar(split))
    (tmp_path / "results.zip").write_bytes(demo_voc.devkit_results(split, demo.PROFILES[0], seed=5))
    gt = evaluator.load_ground_truth(tmp_path / "gt.tar", protocol="voc07")
    return gt, evaluator.load_results(tmp_path / "results.zip", protocol="voc07", ground_truth=gt)


def _kitti(tmp_path: Path):
    labels = demo_kitti.generate_labels(images=80)
    parsed = {name: demo_kitti.parse_labels(text) for name, text in labels.items()}
    (tmp_path / "gt.zip").write_bytes(demo_kitti.labels_zip(labels))
    (tmp_path / "results.zip").write_bytes(demo_kitti.simulate(parsed, demo.PROFILES[2], seed=4))
    gt = evaluator.load_ground_truth(tmp_path / "gt.zip", protocol="kitti")
    return gt, evaluator.load_results(tmp_path / "results.zip", protocol="kitti", ground_truth=gt)


def _kaist(tmp_path: Path):
    gt = evaluator.load_ground_truth(shared_file("kaist-daynight/KAIST_annotation.json"), protocol="kaist")
    path = shared_file("kaist-daynight/detections/MBNet_result.txt")
    return gt, evaluator.load_results(path, protocol="kaist", ground_truth=gt)


@pytest.mark.parametrize(
    ("protocol", "load"),
    [("coco", _coco), ("coco", _coco_demo), ("voc07", _voc), ("kitti", _kitti), ("kaist", _kaist)],
    ids=["coco", "coco-demo", "voc07", "kitti", "kaist"],
)
def test_each_subset_equals_the_subset_scored_alone(tmp_path, protocol, load):
    gt, results = load(tmp_path)
    ids = evaluator.image_ids(gt, protocol=protocol)
    subsets = {
        "full": None,
        "public": public_image_ids(ids, seed="explorer-subsets", fraction=0.5),
        "few": list(ids[1:8]),
        "none": [],
    }
    matches = evaluator.match(gt, results, protocol=protocol)
    shared = explorer_subsets(protocol, gt, results, subsets, matches)
    # as the worker runs it: analyze()'s C75 and C50 taken from each subset's evaluation
    scored = evaluator.evaluate_subsets(gt, results, protocol=protocol, subsets=subsets, resamples=2, matches=matches)
    evaluations = {name: evaluation for name, (evaluation, _) in scored.items()}
    with_evaluations = explorer_subsets(protocol, gt, results, subsets, matches, evaluations)
    module = evaluator.get_protocol(protocol)
    for name, images in subsets.items():
        alone_gt, alone_results = (gt, results) if images is None else module.restrict(gt, results, frozenset(images))
        alone = explorer_data(
            protocol, alone_gt, alone_results, None, evaluator.match(alone_gt, alone_results, protocol=protocol)
        )
        assert orjson.dumps(shared[name]) == orjson.dumps(alone), name
        assert orjson.dumps(with_evaluations[name]) == orjson.dumps(alone), name
