"""Payload size and server time of the analysis pages on the demo data.

Loads the generated demo benchmarks into a throw-away SQLite database, scores every
baseline in-process, then requests the submission, track, compare and strategy pages
through Django's test client and prints each page's size and its median and
95th-percentile server time. Run: .venv/bin/python -m benchmarks.pages [--requests 40]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40, help="requests per page")
    parser.add_argument("--images", type=int, default=300, help="images of the demo COCO-style split")
    args = parser.parse_args()

    var = tempfile.mkdtemp(prefix="lb-pages-")
    os.environ.update(
        VAR_DIR=var,
        DATABASE_URL=f"sqlite:///{var}/db.sqlite3",
        DEBUG="false",
        ALLOWED_HOSTS="testserver",
        SECRET_KEY="benchmark-only-secret-key-of-enough-length",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leaderboard.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from leaderboard import tasks
    from leaderboard.models import Submission

    call_command("migrate", verbosity=0)
    call_command("load_demo", "--skip-real", "--images", str(args.images), stdout=io.StringIO())
    for pk in Submission.objects.values_list("pk", flat=True):
        tasks.score_submission(pk)

    coco = Submission.objects.filter(track__slug="demo-coco-detection").order_by("pk")
    transfer = Submission.objects.filter(track__slug="demo-day2night-transfer").order_by("pk")
    ids = "&".join(f"id={s.pk}" for s in coco[:3])
    pages = {
        "submission (COCO, 80 classes)": f"/submissions/{coco[0].pk}/",
        "submission (transfer)": f"/submissions/{transfer[0].pk}/",
        "track (COCO)": "/tracks/demo-coco-detection/",
        "track (transfer)": "/tracks/demo-day2night-transfer/",
        "compare (3 submissions)": f"/tracks/demo-coco-detection/compare/?{ids}",
        "strategies": "/tracks/demo-day2night-transfer/strategies/",
    }
    client = Client()
    print(f"{'page':32} {'bytes':>10} {'median ms':>10} {'p95 ms':>10}")
    for name, url in pages.items():
        timings, size = [], 0
        for _ in range(args.requests):
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            size = len(response.content)
        p95 = statistics.quantiles(timings, n=20)[-1]
        print(f"{name:32} {size:>10,} {statistics.median(timings):>10.1f} {p95:>10.1f}")


if __name__ == "__main__":
    main()
