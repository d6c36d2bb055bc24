"""Generated Day2Night domains and simulated transfer strategies for the demo.

Three driving domains in BDD100K's categories and frame size: day (the source),
dawn/dusk, and night (the target). Night scenes hold fewer objects and fewer visible
small ones, as in BDD100K's night frames, and detectors trained on day images miss
more there and localise worse.

Each strategy is a documented guess at how the model after stage k behaves: its
``skill`` on dark images (0 = a day-only model, 1 = fully adapted) and the share of
day-time recall it has lost (``loss``). Both grow with the stage's progress p, from 0
at stage 1 (the source-only model) to 1 at the last stage.

- as-is: the source model, unchanged: no gain, no forgetting;
- fine-tuning: gains most and forgets most;
- frozen feature extraction: only the head adapts: small gain, no forgetting;
- shared latent space: aligned features: good gain, little forgetting;
- pseudo-label self-training: gains without target labels, little forgetting;
- learning without forgetting: good gain, keeps the source;
- image-to-image translation: night images made to look like day: moderate gain,
  the detector itself is unchanged, so no forgetting.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, replace

import numpy as np

from .demo import PROFILES, DetectorProfile, simulate_detections

CATEGORIES = ("pedestrian", "rider", "car", "truck", "bus", "motorcycle", "bicycle", "traffic light", "traffic sign")
FREQUENCIES = np.array([0.13, 0.01, 0.43, 0.02, 0.01, 0.005, 0.01, 0.17, 0.215])
FREQUENCIES = FREQUENCIES / FREQUENCIES.sum()


@dataclass(frozen=True)
class Domain:
    name: str
    darkness: float  # 0 day .. 1 night
    objects_per_image: float
    small_visible: float  # share of small objects that are annotated at all
    occluded: float  # share of objects marked occluded


DOMAINS = (
    Domain("day", 0.0, 11.0, 1.0, 0.35),
    Domain("dawn-dusk", 0.5, 9.5, 0.8, 0.45),
    Domain("night", 1.0, 8.0, 0.55, 0.6),
)


@dataclass(frozen=True)
class Strategy:
    key: str  # the value of leaderboard.models.Strategy
    method: str
    skill: float
    loss: float
    uses_target_labels: bool
    parameters_millions: tuple[float, float, float]
    replay_samples: tuple[int, int, int]
    gpu_hours: tuple[float, float, float]


STRATEGIES = (
    Strategy("as-is", "Day-trained Faster R-CNN, as is", 0.0, 0.0, False, (41.3,) * 3, (0, 0, 0), (30.0, 0.0, 0.0)),
    Strategy("fine-tuning", "Sequential fine-tuning", 0.9, 0.35, True, (41.3,) * 3, (0, 0, 0), (30.0, 4.0, 4.0)),
    Strategy(
        "frozen-features", "Frozen backbone, new head", 0.35, 0.0, True, (41.3, 42.1, 42.9), (0, 0, 0), (30.0, 1.0, 1.0)
    ),
    Strategy(
        "shared-latent",
        "Adversarial feature alignment",
        0.6,
        0.06,
        False,
        (41.3, 43.0, 43.0),
        (0, 0, 0),
        (30.0, 6.0, 6.0),
    ),
    Strategy(
        "pseudo-labels", "Pseudo-label self-training", 0.55, 0.04, False, (41.3,) * 3, (0, 0, 0), (30.0, 8.0, 8.0)
    ),
    Strategy("lwf", "Learning without forgetting", 0.7, 0.02, True, (41.3,) * 3, (0, 500, 1000), (30.0, 5.0, 5.0)),
    Strategy(
        "image-translation",
        "Night-to-day translation + day detector",
        0.5,
        0.0,
        False,
        (41.3, 52.6, 52.6),
        (0, 0, 0),
        (30.0, 12.0, 12.0),
    ),
)


def generate_domain(domain: Domain, *, images: int, seed: int) -> dict:
    """A COCO annotation dict of one domain: 1280x720 frames, BDD100K's categories."""
    rng = np.random.default_rng(seed)
    width, height = 1280, 720
    records, annotations = [], []
    ann_id = 1
    for image_id in range(1, images + 1):
        records.append(
            {
                "id": image_id,
                "width": width,
                "height": height,
                "file_name": f"{domain.name}-{image_id:05d}.jpg",
                "domain": domain.name,
            }
        )
        for _ in range(int(rng.poisson(domain.objects_per_image))):
            side = float(np.exp(rng.uniform(np.log(10), np.log(400))))
            if side < 32 and rng.random() > domain.small_visible:
                continue  # too dark to be labelled
            aspect = float(np.exp(rng.normal(0, 0.4)))
            w, h = min(side * aspect, width - 1.0), min(side / aspect, height - 1.0)
            x, y = float(rng.uniform(0, width - w)), float(rng.uniform(0, height - h))
            annotations.append(
                {
                    "id": ann_id,
                    "image_id": image_id,
                    "category_id": int(rng.choice(len(CATEGORIES), p=FREQUENCIES)) + 1,
                    "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)],
                    "area": round(w * h, 2),
                    "iscrowd": 0,
                    "occluded": bool(rng.random() < domain.occluded),
                }
            )
            ann_id += 1
    categories = [{"id": i + 1, "name": name, "supercategory": "driving"} for i, name in enumerate(CATEGORIES)]
    return {"images": records, "annotations": annotations, "categories": categories}


BASE = PROFILES[2]  # a Faster R-CNN-like detector trained on day images


def stage_profile(strategy: Strategy, stage: int, stages: int, domain: Domain) -> DetectorProfile:
    """How the model after ``stage`` detects on ``domain``."""
    progress = (stage - 1) / (stages - 1)
    skill = strategy.skill * progress
    loss = strategy.loss * progress
    shift = domain.darkness * (1.0 - skill)
    keep = (1.0 - 0.55 * shift) * (1.0 - loss * (1.0 - domain.darkness))
    return replace(
        BASE,
        name=f"{strategy.method} stage {stage} on {domain.name}",
        recall_small=BASE.recall_small * keep * (1.0 - 0.3 * shift),
        recall_large=BASE.recall_large * keep,
        jitter=BASE.jitter * (1.0 + 1.2 * shift + 0.8 * loss),
        background_per_image=BASE.background_per_image * (1.0 + 1.5 * shift),
    )


def submission_archive(strategy: Strategy, ground_truth: dict[str, dict], *, seed: int = 7, rows: str = "all") -> bytes:
    """A transfer submission: stage<k>/<domain>.json for every stage and domain, and efficiency.json.

    ``rows="ends"`` gives only stages 1 and N, as a participant without the full matrix would.
    """
    stages = len(DOMAINS)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for stage in range(1, stages + 1):
            if rows == "ends" and stage not in (1, stages):
                continue
            for d, domain in enumerate(DOMAINS):
                profile = stage_profile(strategy, stage, stages, domain)
                # Common random numbers: the same draws for every strategy and stage on a domain, so
                # differences between cells come from the strategies, not from sampling noise.
                dets = simulate_detections(ground_truth[domain.name], profile, seed=seed * 100 + d)
                archive.writestr(f"stage{stage}/{domain.name}.json", json.dumps(dets, separators=(",", ":")))
        efficiency = {
            "parameters_millions": list(strategy.parameters_millions),
            "replay_samples": list(strategy.replay_samples),
            "gpu_hours": list(strategy.gpu_hours),
            "training_images": 70000,
        }
        archive.writestr("efficiency.json", json.dumps(efficiency))
    return buffer.getvalue()
