"""Upload through the real web server, score in a real Celery worker, read the leaderboard.

Runs on the embedded default (SQLite + file-system broker) and on PostgreSQL + Redis.
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import numpy as np
import orjson
import pytest
import requests

import evaluator
import evaluator.subsets
from leaderboard import demo
from tests.integration.conftest import DEMO_IMAGES
from tests.integration.site_client import Participant
from tests.integration.stack import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

IMAGES = DEMO_IMAGES
TRACK = "demo-coco-detection"


def coco_track_id(participant: Participant) -> int:
    """The demo COCO track's id, as the upload form offers it."""
    page = participant.http.get(participant.stack.url("/submit/"), timeout=30).text
    match = re.search(r'<option value="(\d+)"[^>]*>[^<]*Demo COCO-style detection', page)
    assert match, page
    return int(match.group(1))


def test_upload_is_scored_by_the_worker_and_ranked_exactly(stack):
    gt_data = demo.generate_ground_truth(images=IMAGES)
    alice, bob = Participant(stack, "alice"), Participant(stack, "bob")
    track_id = coco_track_id(alice)

    strong = demo.to_json_bytes(demo.simulate_detections(gt_data, demo.PROFILES[3], seed=1))
    weak = demo.to_json_bytes(demo.simulate_detections(gt_data, demo.PROFILES[0], seed=2))
    alice_id = alice.submission_id(
        alice.submit(track_id=track_id, method="Strong", filename="strong.json", content=strong)
    )
    bob_id = bob.submission_id(bob.submit(track_id=track_id, method="Weak", filename="weak.json", content=weak))
    assert alice.wait_finished(alice_id)["status"] == "scored"
    assert bob.wait_finished(bob_id)["status"] == "scored"

    board = alice.http.get(stack.url(f"/tracks/{TRACK}/leaderboard.json"), timeout=30).json()
    rows = [row for row in board["rows"] if row["method"] in ("Strong", "Weak")]
    assert [row["method"] for row in rows] == ["Strong", "Weak"]

    # The public leaderboard holds exactly what the engine gives on the split's public images.
    gt_path = stack.root / "ground_truth" / "demo-coco" / "val" / "val.json"
    gt = evaluator.load_ground_truth(gt_path, protocol="coco")
    public = evaluator.subsets.public_image_ids(
        evaluator.image_ids(gt, protocol="coco"), seed="demo-coco-val", fraction=0.5
    )
    for row, content in zip(rows, (strong, weak), strict=True):
        path = stack.root / f"{row['method']}.json"
        path.write_bytes(content)
        expected = evaluator.evaluate(
            gt, evaluator.load_results(path, protocol="coco", ground_truth=gt), protocol="coco", images=public
        )
        assert row["AP"] == expected.stats["AP"]
        assert row["AP50"] == expected.stats["AP50"]


def test_bad_files_are_refused_with_the_reason(stack):
    carol = Participant(stack, "carol")
    track_id = coco_track_id(carol)

    refused = carol.submit(
        track_id=track_id, method="Broken", filename="broken.json", content=b'[{"image_id": 1, "bbox": ['
    )
    assert "/submit/" in refused.url
    assert "broken.json" in refused.text

    unknown_image = json.dumps([{"image_id": 987654, "category_id": 1, "bbox": [1, 1, 5, 5], "score": 0.3}]).encode()
    # Image ids are checked against the track's kit before anything is saved: refused, not queued.
    refused = carol.submit(track_id=track_id, method="Off split", filename="off.json", content=unknown_image)
    assert "/submit/" in refused.url
    assert "off.json, record 1: image_id 987654 is not an image of this split" in refused.text


def test_transfer_submission_is_scored_by_the_worker_with_its_derived_metrics(stack):
    from evaluator import transfer
    from leaderboard import demo_transfer

    erin = Participant(stack, "erin")
    page = erin.http.get(stack.url("/submit/"), timeout=30).text
    match = re.search(r'<option value="(\d+)"[^>]*>Demo Day2Night', page)
    assert match, page
    per_domain = IMAGES * 2 // 3  # as load_demo sizes the Day2Night splits
    gt_data = {
        domain.name: demo_transfer.generate_domain(domain, images=per_domain, seed=20 + n)
        for n, domain in enumerate(demo_transfer.DOMAINS)
    }
    strategy = next(s for s in demo_transfer.STRATEGIES if s.key == "lwf")
    archive = demo_transfer.submission_archive(strategy, gt_data)
    submission_id = erin.submission_id(
        erin.submit(track_id=int(match.group(1)), method="My LwF", filename="lwf.zip", content=archive)
    )
    assert erin.wait_finished(submission_id)["status"] == "scored"

    board = erin.http.get(stack.url("/tracks/demo-day2night-transfer/leaderboard.json"), timeout=30).json()
    (row,) = board["rows"]
    assert row["method"] == "My LwF"

    # The same figures, computed here with the engine from the archive and the split files.
    matrix = np.full((3, 3), np.nan)
    for column, domain in enumerate(demo_transfer.DOMAINS):
        gt_path = stack.root / "ground_truth" / "demo-day2night" / domain.name / f"{domain.name}.json"
        gt = evaluator.load_ground_truth(gt_path, protocol="coco")
        public = evaluator.subsets.public_image_ids(
            evaluator.image_ids(gt, protocol="coco"), seed=f"demo-day2night-{domain.name}", fraction=0.5
        )
        for stage in (1, 2, 3):
            path = stack.root / f"stage{stage}-{domain.name}.json"
            with zipfile.ZipFile(io.BytesIO(archive)) as zf:
                path.write_bytes(zf.read(f"stage{stage}/{domain.name}.json"))
            results = evaluator.load_results(path, protocol="coco", ground_truth=gt)
            matrix[stage - 1, column] = evaluator.evaluate(gt, results, protocol="coco", images=public).stats["AP"]
    expected = transfer.transfer_metrics(
        matrix,
        parameters=list(strategy.parameters_millions),
        replay_samples=list(strategy.replay_samples),
        compute=list(strategy.gpu_hours),
        dataset_size=70000,
    )
    for name in ("target_after", "gain", "forgetting", "gap_closed", "BWT", "FWT", "SSS"):
        assert row[name] == expected[name], name
    detail = erin.http.get(stack.url(f"/submissions/{submission_id}/"), timeout=30).text
    assert "Every stage on every domain" in detail

    # The same figures through the REST API, anonymously.
    api = requests.get(stack.url("/api/v1/tracks/demo-day2night-transfer/leaderboard/"), timeout=30).json()
    (api_row,) = api["rows"]
    assert api_row["method"] == "My LwF"
    for name in ("target_after", "gain", "forgetting", "gap_closed", "BWT", "FWT"):
        assert api_row["stats"][name] == expected[name], name
    assert api_row["matrix"][2][2] == matrix[2, 2]


def heavy_results(gt_data: dict, detections: int) -> bytes:
    """Enough detections that scoring takes seconds, so the worker can be killed mid-way."""
    rng = np.random.default_rng(0)
    ids = np.array([image["id"] for image in gt_data["images"]])
    xy = rng.uniform(0, 400, (detections, 2)).round(1)
    wh = rng.uniform(5, 200, (detections, 2)).round(1)
    records = [
        {"image_id": int(i), "category_id": int(c), "bbox": [*map(float, a), *map(float, b)], "score": float(s)}
        for i, c, a, b, s in zip(
            rng.choice(ids, detections),
            rng.integers(1, 7, detections),
            xy,
            wh,
            rng.random(detections).round(5),
            strict=True,
        )
    ]
    return orjson.dumps(records)


def test_worker_killed_mid_scoring_leaves_nothing_stuck(stack):  # last: it kills the module's worker
    gt_data = demo.generate_ground_truth(images=IMAGES)
    dave = Participant(stack, "dave")
    track_id = coco_track_id(dave)
    stack.kill_worker()  # so that the upload waits in the queue until we watch

    submission_id = dave.submission_id(
        dave.submit(track_id=track_id, method="Heavy", filename="heavy.json", content=heavy_results(gt_data, 200_000))
    )
    assert dave.status(submission_id)["status"] == "queued"
    stack.start_worker()
    wait_for(
        lambda: dave.status(submission_id)["status"] != "queued", timeout=60, interval=0.02, what="scoring to start"
    )
    assert dave.status(submission_id)["status"] == "running", "scoring finished before the worker could be killed"
    stack.kill_worker()
    assert dave.status(submission_id)["status"] == "running"

    stack.start_worker(beat=True)  # a new worker, with the periodic sweep, takes it up once the lease expires
    status = dave.wait_finished(submission_id, timeout=180)
    assert status["status"] == "scored", status
    page = dave.http.get(stack.url(f"/submissions/{submission_id}/"), timeout=30).text
    assert "Heavy" in page
