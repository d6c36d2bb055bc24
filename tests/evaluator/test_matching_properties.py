"""Properties every protocol's matching must have, checked on random small problems (hypothesis)."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import evaluator

IMAGES = 4  # image 4 never holds an object


def boxes(draw, n):
    out = []
    for _ in range(n):
        x, y = draw(st.integers(0, 60)), draw(st.integers(0, 60))
        w, h = draw(st.integers(4, 40)), draw(st.integers(4, 40))
        out.append([float(x), float(y), float(w), float(h)])
    return out


@st.composite
def problems(draw):
    objects = draw(st.integers(1, 12))
    gt = {
        "images": [{"id": i, "width": 100, "height": 100} for i in range(1, IMAGES + 1)],
        "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
        "annotations": [
            {"id": k + 1, "image_id": draw(st.integers(1, IMAGES - 1)), "category_id": draw(st.integers(1, 2)),
             "bbox": b, "area": b[2] * b[3], "iscrowd": 0}
            for k, b in enumerate(boxes(draw, objects))
        ],
    }  # fmt: skip  # one record's fields together
    count = draw(st.integers(1, 15))
    scores = draw(st.lists(st.integers(1, 10_000), min_size=count, max_size=count, unique=True))
    dets = [
        {
            "image_id": draw(st.integers(1, IMAGES)),
            "category_id": draw(st.integers(1, 2)),
            "bbox": b,
            "score": s / 10_000,
        }
        for b, s in zip(boxes(draw, count), scores, strict=True)
    ]
    return gt, dets, draw(st.permutations(range(count)))


def score(folder: Path, gt: dict, dets: list, protocol: str = "coco") -> dict:
    (folder / "gt.json").write_text(json.dumps(gt))
    (folder / "dets.json").write_text(json.dumps(dets))
    return dict(evaluator.evaluate_files(folder / "gt.json", folder / "dets.json", protocol=protocol).stats)


def same(a: dict, b: dict) -> bool:
    return all((math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_permuting_detections_with_distinct_scores_changes_nothing(problem):
    gt, dets, order = problem
    with tempfile.TemporaryDirectory() as tmp:
        assert same(score(Path(tmp), gt, dets), score(Path(tmp), gt, [dets[i] for i in order]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(1, 10_000))
def test_a_detection_on_an_image_without_objects_never_raises_ap(problem, extra_score):
    gt, dets, _ = problem
    extra = {
        "image_id": IMAGES,
        "category_id": 1,
        "bbox": [10.0, 10.0, 20.0, 20.0],
        "score": extra_score / 10_000 + 1e-7,
    }
    with tempfile.TemporaryDirectory() as tmp:
        before = score(Path(tmp), gt, dets)
        after = score(Path(tmp), gt, [*dets, extra])
    for name in ("AP", "AP50", "AP75"):
        assert math.isnan(before[name]) or after[name] <= before[name] + 1e-12, name
