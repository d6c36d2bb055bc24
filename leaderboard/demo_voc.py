"""A generated PASCAL VOC 2007-style split and simulated detectors, for the demo.

20 classes at VOC 2007's test-set frequencies, one to a few objects per image, a fifth
of them difficult (mostly the small and the heavily truncated ones), 1-based integer
pixel corners as in the XML files. Written as the devkit's layout:
``VOC2007/Annotations/<id>.xml`` and ``VOC2007/ImageSets/Main/test.txt`` in a tar.gz.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np

from evaluator.formats.voc import VOC_CLASSES
from evaluator.label_map import COCO_TO_VOC

from .demo import COCO_CATEGORIES, DetectorProfile

# Objects per class in VOC 2007 test (non-difficult and difficult together), rounded.
COUNTS = np.array(
    [311, 389, 576, 393, 657, 254, 1541, 370, 1374, 329, 299, 530, 395, 369, 5227, 592, 311, 396, 302, 361],
    dtype=np.float64,
)
FREQUENCIES = COUNTS / COUNTS.sum()
VOC_TO_COCO_ID = {voc: next(i for i, name, _ in COCO_CATEGORIES if name == coco) for coco, voc in COCO_TO_VOC.items()}


@dataclass(frozen=True)
class VocObject:
    name: str
    box: tuple[int, int, int, int]  # x1, y1, x2, y2, 1-based inclusive pixels
    difficult: bool
    truncated: bool


def generate(*, images: int, seed: int = 11) -> dict[str, tuple[tuple[int, int], list[VocObject]]]:
    """image id -> ((width, height), objects)."""
    rng = np.random.default_rng(seed)
    split = {}
    for n in range(1, images + 1):
        width, height = int(rng.choice([500, 500, 375, 353])), int(rng.choice([375, 333, 500]))
        objects = []
        for _ in range(int(rng.geometric(0.45))):
            side = float(np.clip(np.exp(rng.normal(np.log(110), 0.8)), 12, min(width, height) - 2))
            aspect = float(np.exp(rng.normal(0, 0.4)))
            w, h = int(min(side * aspect, width - 2)), int(min(side / aspect, height - 2))
            x1, y1 = int(rng.integers(1, width - w)), int(rng.integers(1, height - h))
            truncated = bool(rng.random() < 0.25)
            difficult = bool((min(w, h) < 30 and rng.random() < 0.7) or (truncated and rng.random() < 0.2))
            name = VOC_CLASSES[int(rng.choice(len(VOC_CLASSES), p=FREQUENCIES))]
            objects.append(VocObject(name, (x1, y1, x1 + w, y1 + h), difficult, truncated))
        split[f"{n:06d}"] = ((width, height), objects)
    return split


def _xml(image_id: str, size: tuple[int, int], objects: list[VocObject]) -> str:
    parts = [
        f"<annotation><folder>VOC2007</folder><filename>{image_id}.jpg</filename>",
        f"<size><width>{size[0]}</width><height>{size[1]}</height><depth>3</depth></size>",
    ]
    for obj in objects:
        x1, y1, x2, y2 = obj.box
        parts.append(
            f"<object><name>{escape(obj.name)}</name><pose>Unspecified</pose><truncated>{int(obj.truncated)}</truncated>"
            f"<difficult>{int(obj.difficult)}</difficult><bndbox><xmin>{x1}</xmin><ymin>{y1}</ymin>"
            f"<xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>"
        )
    parts.append("</annotation>")
    return "".join(parts)


def to_tar(split: dict) -> bytes:
    """The split as a tar.gz; the same split always gives the same bytes (no timestamps)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped, tarfile.open(fileobj=zipped, mode="w") as archive:

        def add(name: str, text: str) -> None:
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))

        for image_id, (size, objects) in split.items():
            add(f"VOC2007/Annotations/{image_id}.xml", _xml(image_id, size, objects))
        add("VOC2007/ImageSets/Main/test.txt", "\n".join(split) + "\n")
    return buffer.getvalue()


def _detections(split: dict, profile: DetectorProfile, seed: int, shift: float = 0.0):
    """(image id, class, score, x1, y1, x2, y2) as ``profile`` would detect; ``shift`` in [0, 1]
    weakens it as a model trained on another dataset would be."""
    rng = np.random.default_rng(seed)
    for image_id, ((width, height), objects) in split.items():
        for obj in objects:
            x1, y1, x2, y2 = obj.box
            w, h = x2 - x1 + 1, y2 - y1 + 1
            size_score = min(np.sqrt(w * h) / 96.0, 1.0)
            recall = (profile.recall_small + (profile.recall_large - profile.recall_small) * size_score) * (
                1 - 0.45 * shift
            )
            if rng.random() > recall:
                continue
            jitter = rng.normal(0, profile.jitter * (1 + shift), 4) * [w, h, w, h]
            bx1, by1 = max(1.0, x1 + jitter[0]), max(1.0, y1 + jitter[1])
            bx2, by2 = min(float(width), x2 + jitter[2]), min(float(height), y2 + jitter[3])
            if bx2 <= bx1 + 1 or by2 <= by1 + 1:
                continue
            name = obj.name
            if rng.random() < profile.confusion * (1 + 2 * shift):
                name = VOC_CLASSES[int(rng.integers(len(VOC_CLASSES)))]
            score = float(np.clip(rng.beta(5, 2) * (0.6 + 0.4 * size_score), 0.01, 0.999))
            yield image_id, name, score, bx1, by1, bx2, by2
        for _ in range(int(rng.poisson(profile.background_per_image * (1 + shift)))):
            w, h = float(rng.uniform(20, width / 2)), float(rng.uniform(20, height / 2))
            x, y = float(rng.uniform(1, width - w)), float(rng.uniform(1, height - h))
            name = VOC_CLASSES[int(rng.integers(len(VOC_CLASSES)))]
            yield image_id, name, float(rng.beta(2, 5)), x, y, x + w, y + h


def devkit_results(split: dict, profile: DetectorProfile, *, seed: int) -> bytes:
    """A zip of the devkit's per-class files ``comp4_det_test_<class>.txt``."""
    lines: dict[str, list[str]] = {name: [] for name in VOC_CLASSES}
    for image_id, name, score, x1, y1, x2, y2 in _detections(split, profile, seed):
        lines[name].append(f"{image_id} {score:.4f} {x1:.1f} {y1:.1f} {x2:.1f} {y2:.1f}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in lines.items():
            archive.writestr(f"comp4_det_test_{name}.txt", "\n".join(rows) + ("\n" if rows else ""))
    return buffer.getvalue()


def coco_category_results(split: dict, profile: DetectorProfile, *, seed: int, shift: float) -> list[dict]:
    """COCO results JSON in COCO's category ids, as a COCO-trained detector reports on VOC images."""
    records = []
    for image_id, name, score, x1, y1, x2, y2 in _detections(split, profile, seed, shift):
        x, y = x1 - 1.0, y1 - 1.0  # VOC pixel k covers [k-1, k] on COCO's continuous axis
        records.append(
            {
                "image_id": image_id,
                "category_id": VOC_TO_COCO_ID[name],
                "bbox": [round(x, 2), round(y, 2), round(x2 - x, 2), round(y2 - y, 2)],
                "score": round(score, 4),
            }
        )
    return records
