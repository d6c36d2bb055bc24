"""Sustained HTTP load on the pages and the API, with the demo data grown to 10,000 submissions.

Builds a fresh database (a temporary SQLite file, or a new PostgreSQL database on the server
that DATABASE_URL names, dropped at the end), loads the generated demo benchmarks and scores
their baselines, then grows the data to --submissions submissions from --users participants
over every track. Each generated submission is a copy of a scored baseline's rows (the same
stats, per-class tables, curves and explorer data, its figures scaled a little), so pages carry
the real payloads. Then it starts gunicorn on a free loopback port (DEBUG off) and drives each
endpoint in turn with wrk (Debian: apt-get install wrk) from a second process, and prints a
markdown table: requests per second, median, 95th and 99th percentile latency, errors.

    .venv/bin/python -m benchmarks.load
    .venv/bin/python -m benchmarks.load --quick          # 2,000 submissions, 5 s per endpoint
    .venv/bin/python -m benchmarks.load --duration 30 --connections 32 --workers 4
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python -m benchmarks.load
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent

# Per thread of wrk: round-robin over the paths given after "--"; one JSON line of figures at the end.
WRK_SCRIPT = """
local paths, i = {}, 0
function init(args)
  for _, path in ipairs(args) do table.insert(paths, path) end
end
wrk.headers["Accept-Encoding"] = "gzip"  -- as browsers send it
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, '
    .. '"status": %d, "timeout": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""

# At most this many 5-second warm-up rounds per endpoint.
WARM_UP_ROUNDS = 6

# Share of the generated submissions per track; the rest of the tracks split what is left.
BIGGEST_TRACK = "demo-coco-detection"
BIGGEST_SHARE = 0.5

ADJECTIVES = ("Fast", "Deep", "Sparse", "Dense", "Robust", "Tiny", "Cascade", "Dual", "Light", "Adaptive")
ARCHITECTURES = ("R-CNN", "YOLO", "RetinaNet", "DETR", "FCOS", "SSD", "CenterNet", "ViTDet", "RTMDet")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_sql(admin_url: str, sql: str) -> None:
    import psycopg

    conninfo = urlunsplit(urlsplit(admin_url)._replace(scheme="postgresql"))
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql)


def environment(var: Path, database_url: str, port: int, resamples: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_", "DJANGO_"))}
    env.update(
        VAR_DIR=str(var),
        DATABASE_URL=database_url,
        CELERY_BROKER_URL="filesystem://localhost/",
        CELERY_BROKER_FOLDER=str(var / "broker"),
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECRET_KEY="load-test-only-secret-key-of-enough-length",
        # All the load comes from one address: the API's limits per address (120 and 600 a minute by
        # default) would answer most of it with 429. A one-second window keeps the throttles' history
        # as short as many real clients' would be, and their cache round trips stay in the figures.
        API_ANON_RATE="100000/second",
        API_USER_RATE="100000/second",
        DJANGO_SETTINGS_MODULE="leaderboard.settings",
        PYTHONUNBUFFERED="1",
        SCORING_BOOTSTRAP_RESAMPLES=str(resamples),
    )
    return env


def load_demo(images: int) -> None:
    from django.core.management import call_command

    from leaderboard import tasks
    from leaderboard.models import Submission

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    call_command("load_demo", "--skip-real", "--images", str(images), stdout=io.StringIO())
    for pk in Submission.objects.values_list("pk", flat=True):
        tasks.score_submission(pk)


def _times(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def _scaled(stats: dict, factor: float) -> dict:
    return {k: v * factor if isinstance(v, float) else v for k, v in stats.items()}


def grow(*, total: int, users: int, seed: int) -> dict[str, int]:
    """Add submissions (copies of the scored baselines, figures scaled) until there are ``total``."""
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.db.models import Subquery
    from django.utils import timezone

    from leaderboard.models import Score, Submission, Track, TransferScore

    rng = random.Random(seed)
    now = timezone.now()
    tracks = list(Track.objects.order_by("pk"))
    templates = {
        track.pk: list(
            Submission.objects.filter(track=track, status=Submission.Status.SCORED).prefetch_related(
                "scores", "transfer_scores"
            )
        )
        for track in tracks
    }
    wanted = total - Submission.objects.count()
    others = [t for t in tracks if t.slug != BIGGEST_TRACK]
    share = {t.pk: (BIGGEST_SHARE if t.slug == BIGGEST_TRACK else (1 - BIGGEST_SHARE) / len(others)) for t in tracks}

    with transaction.atomic():
        people = User.objects.bulk_create(
            User(username=f"load-{n:05d}", password="!", email=f"load-{n:05d}@example.org") for n in range(users)
        )
        # A few participants submit a lot, most a few times.
        weights = [1 / (rank + 10) for rank in range(len(people))]
        plan = []
        for track in tracks:
            count = round(wanted * share[track.pk]) if track is not tracks[-1] else wanted - len(plan)
            plan += [track] * count
        submissions, sources = [], []
        for n, track in enumerate(plan):
            template = rng.choice(templates[track.pk])
            roll = rng.random()
            status = (
                Submission.Status.SCORED
                if roll < 0.95
                else Submission.Status.FAILED
                if roll < 0.99
                else Submission.Status.QUEUED
            )
            created = now - timedelta(days=rng.uniform(0, 365))
            submissions.append(
                Submission(
                    user=rng.choices(people, weights)[0],
                    track=track,
                    method_name=f"{rng.choice(ADJECTIVES)} {rng.choice(ARCHITECTURES)} v{rng.randint(1, 9)}",
                    description="Generated for the load test.",
                    strategy=template.strategy,
                    uses_target_labels=template.uses_target_labels,
                    ms_per_image=template.ms_per_image,
                    is_hidden=rng.random() < 0.01,
                    file=f"submissions/{track.pk}/load/{n}.json",
                    original_filename=f"{n}.json",
                    sha256=hashlib.sha256(f"load-{n}".encode()).hexdigest(),
                    status=status,
                    error_message="Generated failure." if status == Submission.Status.FAILED else "",
                    attempts=1,
                    created_at=created,
                    finished_at=created + timedelta(minutes=5) if status != Submission.Status.QUEUED else None,
                )
            )
            sources.append(template)
        submissions = Submission.objects.bulk_create(submissions, batch_size=2000)

        scores, score_templates, transfers = [], [], []
        for submission, template in zip(submissions, sources, strict=True):
            if submission.status != Submission.Status.SCORED:
                continue
            factor = 1 + rng.gauss(0, 0.08)
            for score in template.scores.all():
                if not score.is_current:
                    continue
                scores.append(
                    Score(
                        submission=submission,
                        split_id=score.split_id,
                        stage=score.stage,
                        subset=score.subset,
                        protocol=score.protocol,
                        engine_version=score.engine_version,
                        ground_truth_checksum=score.ground_truth_checksum,
                        primary_value=_times(score.primary_value, factor),
                        stats=_scaled(score.stats, factor),
                        interval_low=_times(score.interval_low, factor),
                        interval_high=_times(score.interval_high, factor),
                        created_at=submission.finished_at,
                    )
                )
                score_templates.append(score.pk)
            for result in template.transfer_scores.all():
                if result.is_current:
                    transfers.append(
                        TransferScore(
                            submission=submission,
                            subset=result.subset,
                            engine_version=result.engine_version,
                            domains=result.domains,
                            matrix=result.matrix,
                            stats=_scaled(result.stats, factor),
                            primary_value=_times(result.primary_value, factor),
                            created_at=submission.finished_at,
                        )
                    )
        scores = Score.objects.bulk_create(scores, batch_size=2000)
        TransferScore.objects.bulk_create(transfers, batch_size=2000)
        # The large JSON is copied inside the database, from each template row to its copies.
        by_template: dict[int, list[int]] = {}
        for score, template_pk in zip(scores, score_templates, strict=True):
            by_template.setdefault(template_pk, []).append(score.pk)
        for template_pk, pks in by_template.items():
            source = Score.objects.filter(pk=template_pk)
            copied = {field: Subquery(source.values(field)) for field in ("per_class", "curves", "explorer")}
            for start in range(0, len(pks), 500):
                Score.objects.filter(pk__in=pks[start : start + 500]).update(**copied)
    return data_counts()


def data_counts() -> dict[str, int]:
    from leaderboard.models import Score, Submission, TransferScore

    return {
        "submissions": Submission.objects.count(),
        "scored": Submission.objects.filter(status=Submission.Status.SCORED).count(),
        "participants": Submission.objects.values("user").distinct().count(),
        "scores": Score.objects.count(),
        "transfer_scores": TransferScore.objects.count(),
    }


def database_size(connection, var: Path) -> int:
    """Bytes the database takes: the SQLite file, or PostgreSQL's pg_database_size."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
        return (var / "db.sqlite3").stat().st_size
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        # Write the bulk load's dirty pages now, not while the first endpoint is measured.
        cursor.execute("CHECKPOINT")
        cursor.execute("SELECT pg_database_size(current_database())")
        return cursor.fetchone()[0]


def endpoints() -> dict[str, list[str]]:
    from leaderboard import selectors
    from leaderboard.models import Submission, Track

    track = Track.objects.get(slug=BIGGEST_TRACK)
    rows = list(selectors.leaderboard_rows(track=track).values_list("submission_id", flat=True))
    # Twenty submissions from all over the board, so pages do not all read the same row.
    picked = rows[:: max(len(rows) // 20, 1)][:20]
    transfer = Submission.objects.filter(
        track__slug="demo-day2night-transfer", status=Submission.Status.SCORED, is_hidden=False
    ).order_by("pk")[:10]
    slug = track.slug
    return {
        "home": ["/"],
        f"track page ({slug})": [f"/tracks/{slug}/"],
        "track page (transfer)": ["/tracks/demo-day2night-transfer/"],
        "submission page (COCO, 20 ids)": [f"/submissions/{pk}/" for pk in picked],
        "submission plots.json (COCO, 20 ids)": [f"/submissions/{pk}/plots.json" for pk in picked],
        "submission page (transfer, 10 ids)": [f"/submissions/{s.pk}/" for s in transfer],
        "API leaderboard": [f"/api/v1/tracks/{slug}/leaderboard/"],
        "API submission (20 ids)": [f"/api/v1/submissions/{pk}/" for pk in picked],
        "API scores (20 ids)": [f"/api/v1/submissions/{pk}/scores/" for pk in picked],
        "leaderboard.csv": [f"/tracks/{slug}/leaderboard.csv"],
        "leaderboard.json": [f"/tracks/{slug}/leaderboard.json"],
    }


def serve(env: dict[str, str], port: int, workers: int, threads: int, var: Path) -> subprocess.Popen[bytes]:
    log = open(var / "gunicorn.log", "ab")  # noqa: SIM115 - closed with the process
    args = [sys.executable, "-m", "gunicorn", "leaderboard.wsgi", "--bind", f"127.0.0.1:{port}"]
    args += ["--workers", str(workers), "--threads", str(threads), "--timeout", "120"]
    web = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/", timeout=5)
            return web
        except OSError:
            time.sleep(0.5)
    stop(web)
    raise SystemExit(f"gunicorn did not start:\n{(var / 'gunicorn.log').read_text()[-3000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def first_response(base: str, paths: list[str]) -> tuple[int, float, int]:
    """Status, seconds and size of one unloaded request to the first path (a warm-up too)."""
    start = time.perf_counter()
    with urllib.request.urlopen(base + paths[0], timeout=120) as response:
        body = response.read()
        return response.status, time.perf_counter() - start, len(body)


def drive(base: str, paths: list[str], *, duration: int, connections: int, threads: int, script: Path) -> dict:
    args = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "60s"]
    args += ["-s", str(script), base + paths[0], "--", *paths]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith("WRK "))[4:])


def table(results: dict[str, dict]) -> str:
    lines = [
        "| endpoint | bytes | on the wire | req/s | median ms | p95 ms | p99 ms | max ms | non-2xx | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        errors = r["connect"] + r["read"] + r["write"] + r["timeout"]
        rate = r["requests"] / (r["duration_us"] / 1e6)
        lines.append(
            f"| {name} | {r['size']:,} | {r['bytes'] / max(r['requests'], 1):,.0f} | {rate:,.1f} | {r['p50'] / 1000:,.0f} | {r['p95'] / 1000:,.0f} "
            f"| {r['p99'] / 1000:,.0f} | {r['max'] / 1000:,.0f} | {r['status']} | {errors} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", "--seconds", type=int, default=20, help="seconds of load per endpoint")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smaller run: --submissions 2000 --users 600 --seconds 5 unless given, 40 bootstrap resamples",
    )
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections wrk keeps open")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk's threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument("--submissions", type=int, default=10_000, help="submissions in the grown database")
    parser.add_argument("--users", type=int, default=3_000, help="participants who made them")
    parser.add_argument("--images", type=int, default=300, help="images of the demo COCO-style split")
    parser.add_argument(
        "--database",
        default=os.environ.get("DATABASE_URL", ""),
        help="a PostgreSQL server URL (default: $DATABASE_URL); a fresh database is made on it and dropped. "
        "Without one: a temporary SQLite file.",
    )
    parser.add_argument("--only", nargs="*", help="run only the endpoints whose name contains one of these words")
    parser.add_argument("--keep", action="store_true", help="keep the database and its folder, for profiling")
    parser.add_argument(
        "--reuse",
        nargs=2,
        metavar=("VAR_DIR", "DATABASE_URL"),
        help="load a database that --keep left (as it printed them) instead of building one; it is kept",
    )
    args = parser.parse_args()
    if args.reuse:
        args.keep = True
    if args.quick:
        given = " ".join(sys.argv)
        args.submissions = args.submissions if "--submissions" in given else 2_000
        args.users = args.users if "--users" in given else 600
        args.duration = args.duration if "--seconds" in given or "--duration" in given else 5
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk).")

    var = Path(args.reuse[0]) if args.reuse else Path(tempfile.mkdtemp(prefix="lb-load-"))
    port = free_port()
    admin_url, db_name = None, None
    if args.reuse:
        database_url = args.reuse[1]
    elif args.database.startswith(("postgres://", "postgresql://")):
        admin_url, db_name = args.database, f"lb_load_{uuid.uuid4().hex[:10]}"
        database_url = urlunsplit(urlsplit(admin_url)._replace(path="/" + db_name))
        run_sql(admin_url, f'CREATE DATABASE "{db_name}"')
    else:
        database_url = f"sqlite:///{var / 'db.sqlite3'}"
    env = environment(var, database_url, port, resamples=40 if args.quick else 200)
    os.environ.update(env)
    web = None
    try:
        import django

        django.setup()
        from django.db import connection

        started = time.perf_counter()
        if args.reuse:
            counts = data_counts()
        else:
            load_demo(args.images)
            demo_seconds = time.perf_counter() - started
            counts = grow(total=args.submissions, users=args.users, seed=1)
            grow_seconds = time.perf_counter() - started - demo_seconds
        targets = endpoints()
        engine = connection.vendor
        db_size = database_size(connection, var)
        connection.close()
        built = (
            "reused" if args.reuse else f"demo loaded and scored in {demo_seconds:.0f} s, grown in {grow_seconds:.0f} s"
        )
        print(f"data: {counts} on {engine}, database {db_size / 1e6:,.0f} MB; {built}", flush=True)

        web = serve(env, port, args.workers, args.threads, var)
        base = f"http://127.0.0.1:{port}"
        script = var / "paths.lua"
        script.write_text(WRK_SCRIPT)
        results = {}
        for name, paths in targets.items():
            if args.only and not any(word in name for word in args.only):
                continue
            status, seconds, size = first_response(base, paths)
            print(f"{name}: first request {status} in {seconds * 1000:.0f} ms, {size:,} bytes", flush=True)
            # Every web process builds its own leaderboards once per change: warm them all up first,
            # in 5-second rounds until a round has no slow tail left (builds take seconds on a busy machine).
            for _ in range(WARM_UP_ROUNDS):
                warm = drive(
                    base, paths, duration=5, connections=args.connections, threads=args.wrk_threads, script=script
                )
                if warm["p99"] <= 4 * warm["p50"]:
                    break
            figures = drive(
                base,
                paths,
                duration=args.duration,
                connections=args.connections,
                threads=args.wrk_threads,
                script=script,
            )
            results[name] = {**figures, "size": size}
        print()
        print(
            f"{counts['submissions']:,} submissions ({counts['scored']:,} scored) from {counts['participants']:,} "
            f"participants on {engine} ({db_size / 1e6:,.0f} MB); gunicorn {args.workers} workers x {args.threads} threads; wrk "
            f"{args.connections} connections, {args.duration} s per endpoint"
        )
        print()
        print(table(results))
    finally:
        if web:
            stop(web)
        if args.keep:
            print(f"kept: VAR_DIR={var} DATABASE_URL={database_url}")
        elif db_name:
            from django.db import connections

            connections.close_all()
            run_sql(admin_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        if not args.keep:
            shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
