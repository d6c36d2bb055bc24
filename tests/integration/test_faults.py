"""Faults on a real stack: the broker and the database are SIGKILLed and restarted mid-scoring.

Every submission must end ``scored`` (or ``failed`` with a reason), none may stay ``queued``
or ``running``, and no score may be written twice. The shared PostgreSQL and Redis serve
other test runs, so these tests start a private Redis and a private PostgreSQL cluster
(tests/integration/private_services.py) and kill those. The worker runs the periodic
stale sweep (``--beat``) every second; a lost queued task is sent again after 3 s.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import psycopg
import pytest
import redis
import requests

from leaderboard import demo
from tests.integration.conftest import DEMO
from tests.integration.private_services import PrivatePostgres, PrivateRedis
from tests.integration.site_client import Participant
from tests.integration.stack import Stack, deployed, wait_for
from tests.integration.test_scoring_stack import IMAGES, coco_track_id, heavy_results

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TRACK = "demo-coco-detection"
HEAVY = 300_000  # detections: scoring takes seconds, long enough to pull the plug under it


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture  # overrides conftest's: on private servers that the tests may kill
def stack(private_postgres: PrivatePostgres, private_redis: PrivateRedis) -> Iterator[Stack]:
    try:
        with deployed(
            "services",
            demo=DEMO,
            database_url=private_postgres.url,
            broker_url=private_redis.url,
            env={"STALE_QUEUED_SECONDS": "3", "SCORING_BOOTSTRAP_RESAMPLES": "20"},
            beat=True,
        ) as deployment:
            yield deployment
    except BaseException:
        print(private_postgres.log()[-3000:])
        raise


def light_results(seed: int) -> bytes:
    gt_data = demo.generate_ground_truth(images=IMAGES)
    return demo.to_json_bytes(demo.simulate_detections(gt_data, demo.PROFILES[seed % len(demo.PROFILES)], seed=seed))


def sql(stack: Stack, query: str, *params: object) -> list[tuple]:
    with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True, connect_timeout=5) as conn:
        return conn.execute(query, params).fetchall()


def queued_messages(stack: Stack, server: PrivateRedis) -> int:
    """The scoring tasks waiting in the queue (the periodic sweep's own tasks left out)."""
    client = redis.Redis(port=server.port, socket_timeout=5)
    messages = [json.loads(raw) for raw in client.lrange(stack.env["CELERY_TASK_DEFAULT_QUEUE"], 0, -1)]
    return sum(message["headers"]["task"] == "leaderboard.tasks.score_submission" for message in messages)


def wait_running(participant: Participant, submission_id: int) -> None:
    wait_for(
        lambda: participant.status(submission_id)["status"] != "queued",
        timeout=90,
        interval=0.05,
        what="scoring to start",
    )
    assert participant.status(submission_id)["status"] == "running", "scoring finished before the fault"


def wait_all_finished(stack: Stack, ids: list[int], timeout: float = 180) -> dict[int, tuple[str, str]]:
    def finished() -> bool:
        rows = sql(stack, "SELECT status FROM leaderboard_submission WHERE id = ANY(%s)", ids)
        return all(status in ("scored", "failed", "cancelled") for (status,) in rows)

    wait_for(finished, timeout=timeout, interval=0.5, what=f"submissions {ids} to finish")
    rows = sql(stack, "SELECT id, status, error_message FROM leaderboard_submission WHERE id = ANY(%s)", ids)
    return {pk: (status, error) for pk, status, error in rows}


def assert_scored_once(stack: Stack, ids: list[int], *, history: int = 0) -> None:
    """Each (submission, split, stage, subset) cell has one current score and ``history`` old ones."""
    states = wait_all_finished(stack, ids)
    assert {pk: status for pk, (status, _) in states.items()} == dict.fromkeys(ids, "scored"), states
    cells = sql(
        stack,
        "SELECT submission_id, split_id, stage, subset, count(*) FILTER (WHERE is_current),"
        " count(*) FILTER (WHERE NOT is_current) FROM leaderboard_score WHERE submission_id = ANY(%s)"
        " GROUP BY 1, 2, 3, 4",
        ids,
    )
    assert sorted({(row[0], row[3]) for row in cells}) == sorted((pk, s) for pk in ids for s in ("full", "public"))
    assert all(row[4:] == (1, history) for row in cells), cells


def test_broker_restart_loses_the_queue_and_the_sweep_sends_it_again(stack, private_redis):
    gt_data = demo.generate_ground_truth(images=IMAGES)
    alice = Participant(stack, "alice")
    track_id = coco_track_id(alice)
    stack.kill_worker()  # the uploads wait in Redis

    heavy = alice.submission_id(
        alice.submit(track_id=track_id, method="Heavy", filename="heavy.json", content=heavy_results(gt_data, HEAVY))
    )
    light = [
        alice.submission_id(
            alice.submit(track_id=track_id, method=f"Light {n}", filename=f"l{n}.json", content=light_results(n))
        )
        for n in (1, 2)
    ]
    assert queued_messages(stack, private_redis) == 3
    stack.start_worker(beat=True)
    wait_running(alice, heavy)
    worker = stack.worker

    private_redis.kill()  # the queued messages and the running one's unacknowledged copy are gone
    started = time.monotonic()
    during = alice.submit(track_id=track_id, method="During", filename="d.json", content=light_results(3))
    offline = alice.submission_id(during)  # accepted, not a server error
    assert time.monotonic() - started < 30
    assert alice.status(offline)["status"] == "queued"
    assert sql(stack, "SELECT enqueued_at FROM leaderboard_submission WHERE id = %s", offline) == [(None,)]
    time.sleep(2)  # the worker and the web notice the broker is gone

    private_redis.start()  # the same port, empty: nothing persists (--save "" --appendonly no)
    assert_scored_once(stack, [heavy, *light, offline])
    # Nothing was written and then replaced: score ids run without a gap in this fresh database.
    ((count, low, high),) = sql(stack, "SELECT count(*), min(id), max(id) FROM leaderboard_score")
    assert high - low + 1 == count
    assert worker is stack.worker and worker.poll() is None, "the worker did not survive the broker restart"
    assert "Connection to broker lost" in stack.log("worker.log")

    # The site works as before: a new upload is sent at once and scored.
    after = alice.submission_id(
        alice.submit(track_id=track_id, method="After", filename="a.json", content=light_results(4))
    )
    assert alice.wait_finished(after, timeout=60)["status"] == "scored"


def test_database_restart_mid_scoring_heals_web_and_worker(stack, private_postgres):
    gt_data = demo.generate_ground_truth(images=IMAGES)
    bob = Participant(stack, "bob")
    track_id = coco_track_id(bob)
    stack.kill_worker()

    heavy = bob.submission_id(
        bob.submit(track_id=track_id, method="Heavy", filename="heavy.json", content=heavy_results(gt_data, HEAVY))
    )
    light = bob.submission_id(
        bob.submit(track_id=track_id, method="Light", filename="light.json", content=light_results(1))
    )
    stack.start_worker(beat=True)
    wait_running(bob, heavy)

    # Down while the worker scores: storing the scores fails, and so do the release, the
    # retries' claims and the sweep, until the database is back.
    private_postgres.kill()
    assert requests.get(stack.url(f"/tracks/{TRACK}/"), timeout=30).status_code == 500
    wait_for(
        lambda: "infrastructure error" in stack.log("worker.log"),
        timeout=120,
        what="the worker to fail to store its scores",
    )
    time.sleep(1)
    private_postgres.start()  # same port and data directory: crash recovery
    assert_scored_once(stack, [heavy, light])
    assert bob.status(heavy)["status"] == "scored"

    # Down while everything is idle: the web processes' and the worker's persistent connections
    # are dead, and each is checked before reuse (CONN_HEALTH_CHECKS), so nothing fails after.
    for _ in range(6):
        assert requests.get(stack.url(f"/tracks/{TRACK}/"), timeout=30).status_code == 200
    private_postgres.restart()
    codes = [requests.get(stack.url(f"/tracks/{TRACK}/"), timeout=30).status_code for _ in range(8)]
    assert codes == [200] * 8
    retries = stack.log("worker.log").count("retry:")
    after = bob.submission_id(
        bob.submit(track_id=track_id, method="After", filename="a.json", content=light_results(2))
    )
    assert bob.wait_finished(after, timeout=60)["status"] == "scored"
    assert stack.log("worker.log").count("retry:") == retries
    assert_scored_once(stack, [heavy, light, after])
    assert stack.worker.poll() is None


def test_rescore_through_broker_and_worker_faults_keeps_one_current_score_and_history(stack, private_redis):
    carol = Participant(stack, "carol")
    track_id = coco_track_id(carol)
    ids = [
        carol.submission_id(
            carol.submit(track_id=track_id, method=f"Method {n}", filename=f"m{n}.json", content=light_results(n))
        )
        for n in (1, 2)
    ]
    assert_scored_once(stack, ids)
    first = dict(sql(stack, "SELECT id, primary_value FROM leaderboard_score WHERE subset = 'full'"))

    stack.kill_worker()
    stack.manage(
        "shell",
        "-c",
        f"from leaderboard import services; from leaderboard.models import Track; "
        f"services.track_rescore(track=Track.objects.get(slug='{TRACK}'))",
    )
    assert queued_messages(stack, private_redis) == 2
    private_redis.restart()  # the rescoring tasks are lost
    stack.start_worker(beat=True)

    assert_scored_once(stack, ids, history=1)
    rows = sql(
        stack,
        "SELECT submission_id, is_current, primary_value, created_at FROM leaderboard_score WHERE subset = 'full'",
    )
    for pk in ids:
        old, new = sorted((row for row in rows if row[0] == pk), key=lambda row: row[3])
        assert (old[1], new[1]) == (False, True)
        assert old[2] == new[2] in first.values()  # same file, same engine: the same figures
