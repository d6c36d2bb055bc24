"""Simulated detectors on real KITTI labels, for the KITTI track's baselines.

The detections are generated from the ground truth (seeded), so they are labelled as
simulated on the site. Recall falls with the object's height and occlusion, as it
does for real detectors; vans are sometimes reported as cars; background false
positives are spread over each image.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import numpy as np

from .demo import DetectorProfile

WIDTH, HEIGHT = 1242.0, 375.0
DETECTED = {
    "Car": "Car",
    "Van": "Car",
    "Pedestrian": "Pedestrian",
    "Person_sitting": "Pedestrian",
    "Cyclist": "Cyclist",
}


@dataclass(frozen=True)
class KittiLabel:
    kind: str
    occluded: int
    box: tuple[float, float, float, float]


def parse_labels(text: str) -> list[KittiLabel]:
    labels = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 15:
            labels.append(KittiLabel(fields[0], int(float(fields[2])), tuple(float(v) for v in fields[4:8])))
    return labels


def _line(kind: str, box: np.ndarray, score: float) -> str:
    x1, y1, x2, y2 = box
    return f"{kind} -1 -1 -10 {x1:.2f} {y1:.2f} {x2:.2f} {y2:.2f} -1 -1 -1 -1000 -1000 -1000 -10 {score:.4f}"


def simulate(labels: dict[str, list[KittiLabel]], profile: DetectorProfile, *, seed: int) -> bytes:
    """A zip of per-image result files, ``<id>.txt`` in KITTI format with the score last."""
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for image_id in sorted(labels):
            lines = []
            for label in labels[image_id]:
                kind = DETECTED.get(label.kind)
                if kind is None or (label.kind == "Van" and rng.random() > profile.confusion * 3):
                    continue
                x1, y1, x2, y2 = label.box
                height = y2 - y1
                size_score = min(height / 80.0, 1.0)
                recall = profile.recall_small + (profile.recall_large - profile.recall_small) * size_score
                recall *= (1.0, 0.85, 0.55, 0.4)[min(max(label.occluded, 0), 3)]
                if rng.random() > recall:
                    continue
                w = x2 - x1
                box = np.array([x1, y1, x2, y2]) + rng.normal(0, profile.jitter * 0.6, 4) * [w, height, w, height]
                box = np.clip(box, 0, [WIDTH, HEIGHT, WIDTH, HEIGHT])
                if box[2] <= box[0] + 1 or box[3] <= box[1] + 1:
                    continue
                score = float(np.clip(rng.beta(5, 2) * (0.6 + 0.4 * size_score), 0.01, 0.999))
                lines.append(_line(kind, box, score))
            for _ in range(int(rng.poisson(profile.background_per_image))):
                h = float(rng.uniform(20, 150))
                w = h * float(rng.uniform(0.4, 2.5))
                x, y = (
                    float(rng.uniform(0, WIDTH - w)),
                    float(rng.uniform(100, HEIGHT - h)) if HEIGHT - h > 100 else 0.0,
                )
                kind = str(rng.choice(["Car", "Pedestrian", "Cyclist"], p=[0.7, 0.2, 0.1]))
                lines.append(_line(kind, np.array([x, y, x + w, y + h]), float(rng.beta(2, 5))))
            archive.writestr(f"{image_id}.txt", "\n".join(lines) + ("\n" if lines else ""))
    return buffer.getvalue()


# KITTI's training labels per type (51,865 objects): the mix the generated split follows.
TYPE_COUNTS = {
    "Car": 28742, "DontCare": 11295, "Pedestrian": 4487, "Van": 2914, "Cyclist": 1627, "Truck": 1094,
    "Misc": 973, "Tram": 511, "Person_sitting": 222,
}  # fmt: skip  # a table: several entries a line
ASPECT = {"Pedestrian": 0.4, "Person_sitting": 0.8, "Cyclist": 0.6, "Car": 1.8, "Van": 1.5, "Truck": 1.6, "Tram": 2.5}


def generate_labels(*, images: int, seed: int = 13) -> dict[str, str]:
    """image id -> label file text, KITTI's 15 columns, with truncation, occlusion and DontCare regions."""
    rng = np.random.default_rng(seed)
    names = list(TYPE_COUNTS)
    share = np.array(list(TYPE_COUNTS.values()), dtype=np.float64)
    share /= share.sum()
    labels = {}
    for n in range(images):
        lines = []
        for _ in range(int(rng.poisson(6.9))):
            kind = names[int(rng.choice(len(names), p=share))]
            height = float(np.clip(np.exp(rng.normal(np.log(45), 0.6)), 12, 300))
            width = height * ASPECT.get(kind, 1.0) * float(np.exp(rng.normal(0, 0.2)))
            x1 = float(rng.uniform(-0.2 * width, WIDTH - 0.8 * width))
            y1 = float(np.clip(HEIGHT * 0.45 - height * 0.4 + rng.normal(0, 15), 0, HEIGHT - height))
            x2 = x1 + width
            visible = (min(x2, WIDTH - 1) - max(x1, 0.0)) / width
            x1, x2 = max(x1, 0.0), min(x2, WIDTH - 1)
            if kind == "DontCare":
                lines.append(
                    f"DontCare -1 -1 -10 {x1:.2f} {y1:.2f} {x2:.2f} {y1 + height:.2f} -1 -1 -1 -1000 -1000 -1000 -10"
                )
                continue
            truncated = round(float(np.clip(1 - visible, 0, 1)), 2)
            occluded = int(rng.choice(4, p=[0.45, 0.3, 0.2, 0.05]))
            lines.append(
                f"{kind} {truncated:.2f} {occluded} {rng.uniform(-3.14, 3.14):.2f} {x1:.2f} {y1:.2f} {x2:.2f} "
                f"{y1 + height:.2f} 1.50 1.60 3.80 {rng.uniform(-15, 15):.2f} 1.70 {rng.uniform(5, 70):.2f} "
                f"{rng.uniform(-3.14, 3.14):.2f}"
            )
        labels[f"{n:06d}"] = "\n".join(lines) + ("\n" if lines else "")
    return labels


def labels_zip(labels: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for image_id, text in labels.items():
            archive.writestr(zipfile.ZipInfo(f"label_2/{image_id}.txt", date_time=(1980, 1, 1, 0, 0, 0)), text)
    return buffer.getvalue()
