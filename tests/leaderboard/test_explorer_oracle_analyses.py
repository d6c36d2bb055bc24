"""The decoding attack of test_explorer_oracle against what the analyses add to the explorer.

The attacker pads every 0.05 band of scores with enough detections of another class that
each grid threshold is shown, then reads its person probes off the confusion matrix's
person column at each threshold, or off the person class's image-level ROC.
"""

from __future__ import annotations

import json

import numpy as np

import evaluator
from evaluator import analysis
from evaluator.protocols import coco
from evaluator.roc import image_roc
from leaderboard import explorer
from leaderboard.explorer import MIN_DETECTIONS_PER_STEP, explorer_data
from tests.conftest import shared_file
from tests.leaderboard.test_explorer_oracle import PERSON, decoded

CAR = 3
BANDS = 20


def padded_attack(tmp_path):
    path = shared_file("coco-val2014-100/instances_val2014_100.json")
    gt = evaluator.load_ground_truth(path, protocol="coco")
    data = json.loads(path.read_text())
    people, seen = [], set()
    for a in data["annotations"]:
        if not a.get("iscrowd") and a["category_id"] == PERSON and a["image_id"] not in seen:
            people.append(a)
            seen.add(a["image_id"])
    with_people = {a["image_id"] for a in data["annotations"] if a["category_id"] == PERSON}
    empty = [i["id"] for i in data["images"] if i["id"] not in with_people]
    truth, records = {}, []
    for n in range(BANDS):  # one probe in each band, each on its own image
        hit = n % 2 == 0
        score = round(0.025 + n * 0.05, 3)
        truth[score] = hit
        if hit:
            record = {"image_id": people[n]["image_id"], "bbox": people[n]["bbox"]}
        else:
            record = {"image_id": empty[n], "bbox": [0.0, 0.0, 1.0, 1.0]}
        records.append({**record, "category_id": PERSON, "score": score})
    image = data["images"][0]["id"]
    for band in range(BANDS):  # 30 car boxes in the corner of one image in every 0.05 band
        for j in range(30):
            score = round(band * 0.05 + 0.001 + j * 0.0015, 4)
            records.append({"image_id": image, "category_id": CAR, "bbox": [0.0, 0.0, 2.0, 2.0], "score": score})
    results_path = tmp_path / "padded.json"
    results_path.write_text(json.dumps(records))
    return gt, evaluator.load_results(results_path, protocol="coco", ground_truth=gt), truth


def person_column(cells: list, person: int, size: int) -> list[int]:
    column = np.zeros(size, dtype=int)
    for row, col, *counts in cells:
        if (row, col) == (person, person):
            column[: len(counts)] = counts
    return column.tolist()


def test_confusion_and_roc_give_no_probe_away(tmp_path):
    gt, results, truth = padded_attack(tmp_path)
    data = explorer_data("coco", gt, results, None)
    thresholds = data["thresholds"]
    person = data["classes"].index("person")
    assert len(thresholds) >= 15  # the padding made every band a shown threshold

    # Unheld, the person column would give the probes away: the attack is real.
    inputs = coco.analysis_input(gt, results)
    raw = analysis.confusion_sweep(inputs, iou=0.5, scores=np.array(thresholds), ignore_overlap="ioa").to_dict()
    assert decoded(thresholds, person_column(raw["cells"], person, len(thresholds)), truth) == truth
    for stored in data["confusion"].values():
        column = person_column(stored["cells"], person, len(thresholds))
        # 20 person detections make no step of 25: the column holds the class's totals only
        assert len(set(column[1:])) == 1
        read = decoded(thresholds, column, truth)
        assert sum(read[s] == truth[s] for s in read) <= len(truth) // 2 + 1  # no better than a guess

    roc = data["roc"]
    curve = roc["classes"][person]
    assert len(image_roc(inputs).per_class[person].fpr) > BANDS // 2  # unheld: a point per probed image
    assert len(curve["fpr"]) <= BANDS // MIN_DETECTIONS_PER_STEP + 2
    shown = set(zip(roc["overall"]["fpr"], roc["overall"]["tpr"], strict=True))
    assert set(zip(roc["at_thresholds"]["fpr"], roc["at_thresholds"]["tpr"], strict=True)) <= shown
    assert explorer.MIN_DETECTIONS_PER_STEP == MIN_DETECTIONS_PER_STEP
