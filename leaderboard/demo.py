"""A small generated COCO-style benchmark and simulated detectors for the demo.

Seeded and reproducible: the same seed writes the same bytes. Pure numpy (no Django).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

# COCO's 80 categories with their ids and, approximately, their instance counts in
# train2017: a long tail from person (over a quarter of all boxes) to hair drier.
COCO_CATEGORIES = (
    (1, "person", 262465), (2, "bicycle", 7113), (3, "car", 43867), (4, "motorcycle", 8725), (5, "airplane", 5135),
    (6, "bus", 6069), (7, "train", 4571), (8, "truck", 9973), (9, "boat", 10759), (10, "traffic light", 12884),
    (11, "fire hydrant", 1865), (13, "stop sign", 1983), (14, "parking meter", 1285), (15, "bench", 9838),
    (16, "bird", 10806), (17, "cat", 4768), (18, "dog", 5508), (19, "horse", 6587), (20, "sheep", 9509),
    (21, "cow", 8147), (22, "elephant", 5513), (23, "bear", 1294), (24, "zebra", 5303), (25, "giraffe", 5131),
    (27, "backpack", 8720), (28, "umbrella", 11431), (31, "handbag", 12354), (32, "tie", 6496),
    (33, "suitcase", 6192), (34, "frisbee", 2682), (35, "skis", 6646), (36, "snowboard", 2685),
    (37, "sports ball", 6347), (38, "kite", 9076), (39, "baseball bat", 3276), (40, "baseball glove", 3747),
    (41, "skateboard", 5543), (42, "surfboard", 6126), (43, "tennis racket", 4812), (44, "bottle", 24342),
    (46, "wine glass", 7913), (47, "cup", 20650), (48, "fork", 5479), (49, "knife", 7770), (50, "spoon", 6165),
    (51, "bowl", 14358), (52, "banana", 9458), (53, "apple", 5851), (54, "sandwich", 4373), (55, "orange", 6399),
    (56, "broccoli", 7308), (57, "carrot", 7852), (58, "hot dog", 2918), (59, "pizza", 5821), (60, "donut", 7179),
    (61, "cake", 6353), (62, "chair", 38491), (63, "couch", 5779), (64, "potted plant", 8652), (65, "bed", 4192),
    (67, "dining table", 15714), (70, "toilet", 4157), (72, "tv", 5805), (73, "laptop", 4970), (74, "mouse", 2262),
    (75, "remote", 5703), (76, "keyboard", 2855), (77, "cell phone", 6434), (78, "microwave", 1673),
    (79, "oven", 3334), (80, "toaster", 225), (81, "sink", 5610), (82, "refrigerator", 2637), (84, "book", 24715),
    (85, "clock", 6334), (86, "vase", 6613), (87, "scissors", 1481), (88, "teddy bear", 4793),
    (89, "hair drier", 198), (90, "toothbrush", 1954),
)  # fmt: skip  # a table: several entries a line
CATEGORY_IDS = np.array([c[0] for c in COCO_CATEGORIES])
# COCO's supercategories, by the last category id of each (ids run in supercategory blocks).
SUPERCATEGORIES = (
    (1, "person"), (9, "vehicle"), (15, "outdoor"), (25, "animal"), (33, "accessory"), (43, "sports"),
    (51, "kitchen"), (61, "food"), (70, "furniture"), (77, "electronic"), (83, "appliance"), (90, "indoor"),
)  # fmt: skip  # a table: several entries a line


def supercategory(category_id: int) -> str:
    return next(name for last, name in SUPERCATEGORIES if category_id <= last)


CATEGORIES = tuple(c[1] for c in COCO_CATEGORIES)
FREQUENCIES = np.array([c[2] for c in COCO_CATEGORIES], dtype=np.float64)
FREQUENCIES /= FREQUENCIES.sum()
CROWD_SHARE = 0.01


def generate_ground_truth(*, seed: int = 7, images: int = 300) -> dict:
    """A COCO annotation dict: about 7 objects per image (many with one or two, a few crowded),
    COCO's 80 categories at their frequencies, roughly 40% small, 35% medium and 25% large
    boxes, and 1% crowd regions."""
    rng = np.random.default_rng(seed)
    image_records, annotations = [], []
    ann_id = 1
    for image_id in range(1, images + 1):
        width, height = int(rng.choice([640, 640, 500, 480])), int(rng.choice([480, 427, 375, 640]))
        image_records.append({"id": image_id, "width": width, "height": height, "file_name": f"{image_id:06d}.jpg"})
        # A geometric-Poisson mix: most images hold a few objects, some a crowd of them.
        for _ in range(int(rng.poisson(rng.choice([2.0, 6.0, 18.0], p=[0.45, 0.4, 0.15]))) + 1):
            # Log-normal sides (median 42 px): about 42% small, 36% medium and 22% large by area.
            side = float(np.clip(np.exp(rng.normal(np.log(42.0), 1.1)), 4.0, min(width, height) * 0.9))
            aspect = float(np.exp(rng.normal(0, 0.35)))
            w, h = min(side * aspect, width - 1.0), min(side / aspect, height - 1.0)
            x, y = float(rng.uniform(0, width - w)), float(rng.uniform(0, height - h))
            crowd = int(rng.random() < CROWD_SHARE)
            annotations.append(
                {
                    "id": ann_id,
                    "image_id": image_id,
                    "category_id": int(CATEGORY_IDS[rng.choice(len(CATEGORIES), p=FREQUENCIES)]),
                    "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)],
                    "area": round(w * h * 0.8, 2),
                    "iscrowd": crowd,
                }
            )
            ann_id += 1
    categories = [{"id": int(i), "name": name, "supercategory": supercategory(i)} for i, name, _ in COCO_CATEGORIES]
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
    duplicates: float = 0.04  # share of found objects reported twice (a weaker, shifted copy)


PROFILES = (
    DetectorProfile("SSD MobileNet v2", 0.25, 0.85, 0.12, 0.08, 3.0, 27),
    DetectorProfile("R-FCN ResNet-101", 0.45, 0.9, 0.08, 0.05, 2.0, 92),
    DetectorProfile("Faster R-CNN ResNet-101", 0.55, 0.95, 0.06, 0.04, 1.5, 106),
    DetectorProfile("Faster R-CNN Inception-ResNet v2", 0.65, 0.97, 0.045, 0.03, 1.0, 620),
)


# Share of class confusions that pick a class of the same supercategory (a cat called a dog).
SIMILAR_CONFUSIONS = 0.7


def simulate_detections(ground_truth: dict, profile: DetectorProfile, *, seed: int) -> list[dict]:
    """COCO results for ``ground_truth`` as ``profile`` would detect them.

    Every object draws the same random numbers whatever the profile, so two profiles run
    with one seed differ only by their parameters (common random numbers).
    """
    rng = np.random.default_rng(seed)
    results = []
    sizes = {img["id"]: (img["width"], img["height"]) for img in ground_truth["images"]}
    category_ids = np.array([c["id"] for c in ground_truth["categories"]])
    family = {c["id"]: c.get("supercategory") for c in ground_truth["categories"]}
    siblings = {k: [c for c in category_ids if c != k and family[k] and family[c] == family[k]] for k in family}
    index = {c: i for i, c in enumerate(category_ids)}
    for ann in ground_truth["annotations"]:
        found, confused, duplicated = rng.random(3)
        noise, shift = rng.normal(0, 1, 4), rng.normal(0, 0.15, 2)
        other, quality = rng.choice(category_ids), rng.beta(5, 2)
        near = siblings[ann["category_id"]]
        # Reuses the draws above (uniform given a confusion), so the random numbers stay common to all profiles.
        if near and confused < profile.confusion * SIMILAR_CONFUSIONS:
            other = near[index[other] % len(near)]
        x, y, w, h = ann["bbox"]
        size_score = min(np.sqrt(w * h) / 96.0, 1.0)
        recall = profile.recall_small + (profile.recall_large - profile.recall_small) * size_score
        if found > recall:
            continue
        jitter = noise * profile.jitter * [w, h, w, h]
        box = [x + jitter[0], y + jitter[1], max(w + jitter[2], 1.0), max(h + jitter[3], 1.0)]
        category = int(other) if confused < profile.confusion else ann["category_id"]
        score = float(np.clip(quality * (0.6 + 0.4 * size_score), 0.01, 0.999))
        results.append(_record(ann["image_id"], category, box, score))
        if duplicated < profile.duplicates:
            copy = [box[0] + shift[0] * w, box[1] + shift[1] * h, box[2], box[3]]
            results.append(_record(ann["image_id"], category, copy, score * 0.6))
    for image_id, (width, height) in sizes.items():
        for _ in range(int(rng.poisson(profile.background_per_image))):
            w, h = float(rng.uniform(10, width / 3)), float(rng.uniform(10, height / 3))
            box = [float(rng.uniform(0, width - w)), float(rng.uniform(0, height - h)), w, h]
            results.append(_record(image_id, int(rng.choice(category_ids)), box, float(rng.beta(2, 5))))
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
