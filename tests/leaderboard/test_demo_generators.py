"""The demo's generated splits: reproducible, and shaped like the datasets they imitate."""

from __future__ import annotations

import json

import numpy as np

from leaderboard import demo, demo_transfer, demo_voc


def sizes(coco: dict) -> np.ndarray:
    return np.array([ann["area"] for ann in coco["annotations"]])


def test_fixed_seeds_give_identical_files():
    assert demo.to_json_bytes(demo.generate_ground_truth(images=50)) == demo.to_json_bytes(
        demo.generate_ground_truth(images=50)
    )
    gt = demo.generate_ground_truth(images=50)
    assert demo.simulate_detections(gt, demo.PROFILES[0], seed=3) == demo.simulate_detections(
        gt, demo.PROFILES[0], seed=3
    )
    assert demo_voc.to_tar(demo_voc.generate(images=30)) == demo_voc.to_tar(demo_voc.generate(images=30))
    night = demo_transfer.DOMAINS[2]
    assert json.dumps(demo_transfer.generate_domain(night, images=20, seed=1)) == json.dumps(
        demo_transfer.generate_domain(night, images=20, seed=1)
    )
    assert demo.generate_ground_truth(images=50, seed=8) != gt


def test_simulated_detectors_report_some_objects_twice():
    from dataclasses import replace

    gt = demo.generate_ground_truth(images=200)
    profile = demo.PROFILES[3]
    never = demo.simulate_detections(gt, replace(profile, duplicates=0.0), seed=1)
    always = demo.simulate_detections(gt, replace(profile, duplicates=1.0), seed=1)
    usual = demo.simulate_detections(gt, profile, seed=1)
    assert len(never) < len(usual) < len(always)
    # With duplicates always on, each found object is followed by its weaker copy.
    pairs = list(zip(always[::2], always[1::2], strict=False))
    copies = [
        a["image_id"] == b["image_id"] and a["category_id"] == b["category_id"] and b["score"] < a["score"]
        for a, b in pairs
    ]
    assert sum(copies) > 0.4 * len(pairs)


def test_coco_style_split_has_cocos_shape():
    gt = demo.generate_ground_truth(images=600)
    per_image = len(gt["annotations"]) / 600
    assert 5.0 <= per_image <= 9.0  # COCO: about 7.3 objects per image
    area = sizes(gt)
    small, large = np.mean(area < 32**2), np.mean(area >= 96**2)
    assert 0.35 <= small <= 0.5 and 0.15 <= large <= 0.3  # COCO: 41% small, 24% large
    counts = np.bincount([a["category_id"] for a in gt["annotations"]], minlength=91)
    assert counts.argmax() == 1  # person, a quarter or more of all boxes
    assert 0.2 <= counts[1] / counts.sum() <= 0.35
    assert len(gt["categories"]) == 80
    crowd = np.mean([a["iscrowd"] for a in gt["annotations"]])
    assert 0.002 <= crowd <= 0.03


def test_night_scenes_hold_fewer_and_fewer_small_visible_objects():
    day, dusk, night = (demo_transfer.generate_domain(d, images=300, seed=5) for d in demo_transfer.DOMAINS)
    per_image = [len(d["annotations"]) / 300 for d in (day, dusk, night)]
    assert per_image[0] > per_image[1] > per_image[2]
    small = [np.mean(sizes(d) < 32**2) for d in (day, dusk, night)]
    assert small[0] > small[2] + 0.05
    occluded = [np.mean([a["occluded"] for a in d["annotations"]]) for d in (day, dusk, night)]
    assert occluded[0] < occluded[1] < occluded[2]


def test_voc_style_split_has_difficult_objects_and_vocs_class_mix():
    split = demo_voc.generate(images=500)
    objects = [obj for _, objs in split.values() for obj in objs]
    difficult = np.mean([obj.difficult for obj in objects])
    assert 0.08 <= difficult <= 0.3  # VOC 2007 test: 2,944 of 14,976 (20%)
    names = [obj.name for obj in objects]
    assert max(set(names), key=names.count) == "person"
    assert all(1 <= obj.box[0] < obj.box[2] and 1 <= obj.box[1] < obj.box[3] for obj in objects)
