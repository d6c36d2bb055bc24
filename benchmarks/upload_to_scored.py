"""Upload to scored on the embedded default (SQLite, file-system broker) with one real worker.

    python -m benchmarks.upload_to_scored                       # 5000 images, 500k detections
    python -m benchmarks.upload_to_scored --detections 100000

Sets up a throw-away site under a temporary ``VAR_DIR`` (migrate, the generated COCO
demo track with ``--images`` images), starts ``celery worker --concurrency 1`` and waits
until it is ready (its kernels loaded), writes a COCO results file of ``--detections``
detections (``coco_speed``'s generator on the demo split), then uploads it through
``services.submission_create`` and waits for the submission to be scored. Prints the
stages from the clock of this process and the submission's timestamps: upload (check,
store, enqueue), waiting in the queue, scoring in the worker (everything the task does,
storing included) and the total wall time from upload to scored; beside the wall times, the CPU
seconds of this process for the upload and of the worker's processes (``/proc``, Linux) for the
scoring, which a busy machine changes much less.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def detections_for(gt_data: dict, count: int, seed: int) -> bytes:
    from benchmarks.coco_speed import generate_detections

    images = gt_data["images"]
    image_ids = np.array([image["id"] for image in images])
    category_ids = np.array(sorted(c["id"] for c in gt_data["categories"]))
    annotations = gt_data["annotations"]
    category = np.searchsorted(category_ids, [a["category_id"] for a in annotations])
    columns = {
        "image": np.searchsorted(image_ids, [a["image_id"] for a in annotations]),
        "category": category,
        "bbox": np.array([a["bbox"] for a in annotations], dtype=float),
        "image_ids": image_ids,
        "category_ids": category_ids,
        "weights": np.bincount(category, minlength=len(category_ids)) / len(category),
        "width": np.array([image["width"] for image in images], dtype=float),
        "height": np.array([image["height"] for image in images], dtype=float),
    }
    return orjson.dumps(generate_detections(np.random.default_rng(seed), columns, count, None))


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its children (Linux ``/proc``)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if stat.parent.name == str(pid) or fields[1] == str(pid):  # fields[1]: the parent's id
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def wait_for(path: Path, text: str, worker: subprocess.Popen, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited:\n{path.read_text(errors='replace')}")
        time.sleep(0.2)
    raise SystemExit(f"the worker did not log {text!r} within {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--detections", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    var = Path(tempfile.mkdtemp(prefix="lb-upload-"))
    os.environ.update(
        VAR_DIR=str(var),
        DATABASE_URL=f"sqlite:///{var}/db.sqlite3",
        DEBUG="false",
        SECRET_KEY="benchmark-only-secret-key-of-enough-length",
        DJANGO_SETTINGS_MODULE="leaderboard.settings",
    )
    for name in ("CELERY_BROKER_URL", "CACHE_URL"):
        os.environ.pop(name, None)  # the embedded default
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from leaderboard import demo, services
    from leaderboard.models import Submission, Track

    print(f"setting up in {var} ...", flush=True)
    call_command("migrate", verbosity=0)
    call_command("load_demo", "--skip-real", "--no-submissions", "--images", str(args.images), stdout=io.StringIO())
    track = Track.objects.get(slug="demo-coco-detection")
    user = User.objects.create_user("benchmark", password="a-long-password-for-the-benchmark")
    payload = detections_for(demo.generate_ground_truth(images=args.images), args.detections, args.seed)

    log = var / "worker.log"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "leaderboard",
        "worker",
        "--concurrency",
        "1",
        "--loglevel",
        "INFO",
    ]
    with log.open("w") as out:
        worker = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        started = time.perf_counter()
        wait_for(log, "numba kernels ready", worker)
        wait_for(log, "ready.", worker)
        ready = time.perf_counter() - started

        worker_cpu = tree_cpu_seconds(worker.pid)
        start, start_cpu = time.perf_counter(), time.process_time()
        submission = services.submission_create(
            user=user,
            track=track,
            upload=SimpleUploadedFile("results.json", payload, content_type="application/json"),
            method_name="benchmark",
        )
        uploaded, upload_cpu = time.perf_counter(), time.process_time() - start_cpu
        while True:
            submission.refresh_from_db()
            if submission.status in (Submission.Status.SCORED, Submission.Status.FAILED):
                break
            time.sleep(0.05)
        done = time.perf_counter()
        worker_cpu = tree_cpu_seconds(worker.pid) - worker_cpu
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    if submission.status != Submission.Status.SCORED:
        print(f"scoring failed: {submission.error_message}", file=sys.stderr)
        return 1

    queued = (submission.started_at - submission.enqueued_at).total_seconds()
    scoring = (submission.finished_at - submission.started_at).total_seconds()
    print(
        f"{args.images} images, {args.detections:,} detections ({len(payload) / 2**20:.0f} MiB JSON); "
        f"embedded default, one worker (ready {ready:.1f} s after start, kernels loaded)"
    )
    print(f"  {'':50}{'wall s':>8}{'CPU s':>8}")
    rows = (
        ("upload: check, store, enqueue", uploaded - start, upload_cpu),
        ("waiting in the queue", queued, None),
        ("scoring in the worker (task, storing included)", scoring, worker_cpu),
        ("upload to scored", done - start, None),
    )
    for label, seconds, cpu in rows:
        print(f"  {label:50}{seconds:8.2f}{'' if cpu is None else f'{cpu:8.2f}'}")
    print("the worker's stages again, in this process (kernels warm, ground truth not yet loaded):")
    for label, seconds, cpu in stage_times(submission):
        print(f"  {label:50}{seconds:8.2f}{cpu:8.2f}")
    return 0


def stage_times(submission) -> list[tuple[str, float, float]]:
    """What ``scoring.evaluate`` and ``services.submission_score`` do for an accuracy track, stage by stage."""
    from django.conf import settings

    import evaluator
    from evaluator.warmup import warm_up
    from leaderboard import ground_truth
    from leaderboard.explorer import explorer_subsets
    from leaderboard.models import Score

    warm_up()
    track, times = submission.track, []

    def timed(label, function, *args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        value = function(*args, **kwargs)
        times.append((label, time.perf_counter() - start, time.process_time() - cpu))
        return value

    gt = timed("load the ground truth (once per worker)", ground_truth.load, track.split)
    path = Path(submission.file.path)
    results = timed("load_results", evaluator.load_results, path, protocol=track.protocol, ground_truth=gt)
    public = timed("public image ids", ground_truth.public_image_ids, track.split, gt)
    subsets = {Score.Subset.FULL: None, Score.Subset.PUBLIC: public}
    matches = timed("match (once)", evaluator.match, gt, results, protocol=track.protocol)
    scored = timed(
        "evaluate + bootstrap, 2 splits",
        evaluator.evaluate_subsets,
        gt,
        results,
        protocol=track.protocol,
        subsets=subsets,
        resamples=settings.SCORING_BOOTSTRAP_RESAMPLES,
        matches=matches,
    )
    evaluations = {name: evaluation for name, (evaluation, _) in scored.items()}
    timed("explorer (both splits)", explorer_subsets, track.protocol, gt, results, subsets, matches, evaluations)
    for name, (evaluation, _) in scored.items():
        timed(f"to_dict ({name})", evaluation.to_dict)
    return times


if __name__ == "__main__":
    sys.exit(main())
