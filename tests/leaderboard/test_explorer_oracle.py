"""Attack: read which uploaded box hit a hidden object from the threshold explorer (issue 14, item 4).

The attacker uploads N boxes with distinct scores, some on real objects and some not, then
reads the step of TP between consecutive thresholds: a step holding one detection tells
whether that detection hit. The explorer's rule (leaderboard/explorer.py) makes every step
hold ``MIN_DETECTIONS_PER_STEP`` detections or more, overall and per class.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import evaluator
from evaluator import analysis
from evaluator.protocols import coco
from leaderboard.explorer import MIN_DETECTIONS_PER_STEP, explorer_data
from tests.conftest import shared_file

PROBES = 44
PERSON = 1


@pytest.fixture
def attack(tmp_path):
    """PROBES boxes of one class with distinct scores: every other one on a real object, the rest
    1 px boxes in a corner."""
    path = shared_file("coco-val2014-100/instances_val2014_100.json")
    gt = evaluator.load_ground_truth(path, protocol="coco")
    annotations = [
        a for a in json.loads(path.read_text())["annotations"] if not a.get("iscrowd") and a["category_id"] == PERSON
    ]
    truth = {}
    records = []
    for n, annotation in enumerate(annotations[:PROBES]):
        hit = n % 2 == 0
        box = annotation["bbox"] if hit else [0.0, 0.0, 1.0, 1.0]
        score = round(0.02 + n * 0.02, 2)
        truth[score] = hit
        records.append(
            {"image_id": annotation["image_id"], "category_id": annotation["category_id"], "bbox": box, "score": score}
        )
    results_path = tmp_path / "probes.json"
    results_path.write_text(json.dumps(records))
    return gt, evaluator.load_results(results_path, protocol="coco", ground_truth=gt), truth


def decoded(thresholds: list[float], tp: list[int], truth: dict[float, bool]) -> dict[float, bool]:
    """What the steps of ``tp`` (ascending thresholds) tell about single probes: a step whose
    detections all hit, or all missed, gives each one's outcome away."""
    scores = np.array(sorted(truth))
    found = {}
    edges = [*thresholds, np.inf]
    for i in range(len(thresholds)):
        inside = scores[(scores >= edges[i]) & (scores < edges[i + 1])]
        step = tp[i] - (tp[i + 1] if i + 1 < len(tp) else 0)
        if len(inside) and step in (0, len(inside)):
            found.update({float(s): step == len(inside) for s in inside})
    return found


def test_the_decoding_attack_works_on_a_per_detection_sweep(attack):
    gt, results, truth = attack
    data = coco.analysis_input(gt, results)
    sweep = analysis.threshold_sweep(data, iou=0.5, scores=np.array(sorted(truth)), ignore_overlap="ioa")
    found = decoded(sweep.thresholds.tolist(), sweep.overall["tp"].astype(int).tolist(), truth)
    assert found == truth  # every probe's outcome read off


def test_the_explorer_data_gives_no_probe_away(attack):
    gt, results, truth = attack
    data = explorer_data("coco", gt, results, None)
    thresholds = data["thresholds"]
    assert thresholds == sorted(thresholds) and all(round(t / 0.05, 6).is_integer() for t in thresholds)
    for sweep in data["sweeps"].values():
        assert decoded(thresholds, sweep["overall"]["tp"], truth) == {}
        assert decoded(thresholds, sweep["classes"]["tp"][data["classes"].index("person")], truth) == {}
    assert len(data["miss_rate"]["fppi"]) <= PROBES // MIN_DETECTIONS_PER_STEP + 1


def test_every_shown_step_holds_enough_detections(tmp_path):
    gt = evaluator.load_ground_truth(shared_file("coco-val2014-100/instances_val2014_100.json"), protocol="coco")
    results = evaluator.load_results(
        shared_file("coco-val2014-100/instances_val2014_fakebbox100_results.json"), protocol="coco", ground_truth=gt
    )
    data = explorer_data("coco", gt, results, None)
    inputs = coco.analysis_input(gt, results)
    thresholds = np.array(data["thresholds"])
    assert len(thresholds) > 5

    def steps(scores: np.ndarray, changes: np.ndarray) -> np.ndarray:
        """Detections entering at each shown change, from the top threshold down."""
        entered = (scores[:, None] >= thresholds[None, :]).sum(axis=0)
        return np.diff(entered[changes][::-1], prepend=0)

    overall = steps(inputs.detections.score, np.arange(len(thresholds)))
    assert overall.min() >= MIN_DETECTIONS_PER_STEP and overall.sum() == len(inputs.detections.score)
    tp = np.array(data["sweeps"]["0.50"]["classes"]["tp"])
    fp = np.array(data["sweeps"]["0.50"]["classes"]["fp"])
    for k in range(len(data["classes"])):
        counts = tp[k] + fp[k]
        changes = np.flatnonzero(np.append(counts[:-1] != counts[1:], counts[-1] != 0))
        if len(changes) == 1:  # the class's totals only, as its AP gives them
            assert changes[0] == 0
        elif len(changes) > 1:
            assert steps(inputs.detections.score[inputs.detections.category == k], changes).min() >= (
                MIN_DETECTIONS_PER_STEP
            ), data["classes"][k]
