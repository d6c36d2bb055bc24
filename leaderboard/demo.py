"""A small generated COCO-style benchmark and simulated detectors for the demo.

Seeded and reproducible: the same seed writes the same bytes. Pure numpy (no Django).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

CATEGORIES = ("person", "car", "bicycle", "dog", "traffic light", "bus")
# Long-tailed like COCO: person dominates.
FREQUENCIES = np.array([0.45, 0.25, 0.08, 0.07, 0.1, 0.05])


def generate_ground_truth(*, seed: int = 7, images: int = 300) -> dict:
    """A COCO annotation dict: ~6 objects per image, COCO-like small/medium/large mix, some crowd."""
    rng = np.random.default_rng(seed)
    image_records, annotations = [], []
    ann_id = 1
    for image_id in range(1, images + 1):
        width, height = int(rng.choice([640, 640, 500, 480])), int(rng.choice([480, 427, 375, 640]))
        image_records.append({"id": image_id, "width": width, "height": height, "file_name": f"{image_id:06d}.jpg"})
        for _ in range(int(rng.poisson(5.5)) + 1):
            # Log-uniform sides give roughly 40% small, 35% medium, 25% large.
            side = float(np.exp(rng.uniform(np.log(8), np.log(min(width, height) * 0.9))))
            aspect = float(np.exp(rng.normal(0, 0.35)))
            w, h = min(side * aspect, width - 1.0), min(side / aspect, height - 1.0)
            x, y = float(rng.uniform(0, width - w)), float(rng.uniform(0, height - h))
            crowd = int(rng.random() < 0.01)
            annotations.append(
                {
                    "id": ann_id,
                    "image_id": image_id,
                    "category_id": int(rng.choice(len(CATEGORIES), p=FREQUENCIES)) + 1,
                    "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)],
                    "area": round(w * h * 0.8, 2),
                    "iscrowd": crowd,
                }
            )
            ann_id += 1
    categories = [{"id": i + 1, "name": name, "supercategory": "object"} for i, name in enumerate(CATEGORIES)]
    return {"images": image_records, "annotations": annotations, "categories": categories}


@dataclass(frozen=True)
class DetectorProfile:
    """How a simulated detector behaves; ``ms_per_image`` is its self-reported speed."""

    name: str
    recall_small: float
    recall_large: float
    jitter: float
    confusion: float
    background_per_image: float
    ms_per_image: float


PROFILES = (
    DetectorProfile("SSD MobileNet v2", 0.25, 0.85, 0.12, 0.08, 3.0, 27),
    DetectorProfile("R-FCN ResNet-101", 0.45, 0.9, 0.08, 0.05, 2.0, 92),
    DetectorProfile("Faster R-CNN ResNet-101", 0.55, 0.95, 0.06, 0.04, 1.5, 106),
    DetectorProfile("Faster R-CNN Inception-ResNet v2", 0.65, 0.97, 0.045, 0.03, 1.0, 620),
)


def simulate_detections(ground_truth: dict, profile: DetectorProfile, *, seed: int) -> list[dict]:
    """COCO results for ``ground_truth`` as ``profile`` would detect them."""
    rng = np.random.default_rng(seed)
    results = []
    sizes = {img["id"]: (img["width"], img["height"]) for img in ground_truth["images"]}
    for ann in ground_truth["annotations"]:
        x, y, w, h = ann["bbox"]
        size_score = min(np.sqrt(w * h) / 96.0, 1.0)
        recall = profile.recall_small + (profile.recall_large - profile.recall_small) * size_score
        if rng.random() > recall:
            continue
        jitter = rng.normal(0, profile.jitter, 4) * [w, h, w, h]
        box = [x + jitter[0], y + jitter[1], max(w + jitter[2], 1.0), max(h + jitter[3], 1.0)]
        category = ann["category_id"]
        if rng.random() < profile.confusion:
            category = int(rng.integers(1, len(CATEGORIES) + 1))
        score = float(np.clip(rng.beta(5, 2) * (0.6 + 0.4 * size_score), 0.01, 0.999))
        results.append(_record(ann["image_id"], category, box, score))
    for image_id, (width, height) in sizes.items():
        for _ in range(int(rng.poisson(profile.background_per_image))):
            w, h = float(rng.uniform(10, width / 3)), float(rng.uniform(10, height / 3))
            box = [float(rng.uniform(0, width - w)), float(rng.uniform(0, height - h)), w, h]
            results.append(_record(image_id, int(rng.integers(1, len(CATEGORIES) + 1)), box, float(rng.beta(2, 5))))
    return results


def _record(image_id: int, category_id: int, box: list[float], score: float) -> dict:
    return {
        "image_id": image_id,
        "category_id": category_id,
        "bbox": [round(float(v), 2) for v in box],
        "score": round(score, 4),
    }


def to_json_bytes(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()
