"""What one request costs in-process: CPU, wall time, SQL queries and bytes, per endpoint.

Runs on a database that ``benchmarks.load --keep`` left (it prints ``VAR_DIR=... DATABASE_URL=...``):
every request goes through the whole Django stack (middleware, view, template) in this one
process, anonymous, with ``Accept-Encoding: gzip`` as browsers send it, after one warm-up request.
Prints one markdown table: median CPU ms (user + system of this process), median wall ms,
queries and response bytes. With a machine shared by other jobs, CPU per request is the figure
that moves least.

    .venv/bin/python -m benchmarks.request_cost --var VAR_DIR --database DATABASE_URL [--requests 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from benchmarks.load import endpoints, environment


def measure(client, paths: list[str], requests: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for path in paths:  # warm: every path's board built once
        client.get(path, HTTP_ACCEPT_ENCODING="gzip")
    cpu, wall, size = [], [], 0
    for n in range(requests):
        path = paths[n % len(paths)]
        started_cpu, started = time.process_time(), time.perf_counter()
        response = client.get(path, HTTP_ACCEPT_ENCODING="gzip")
        body = b"".join(response) if response.streaming else response.content
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
        size = len(body)
    with CaptureQueriesContext(connection) as queries:
        client.get(paths[0], HTTP_ACCEPT_ENCODING="gzip")
    return {
        "cpu": statistics.median(cpu) * 1000,
        "wall": statistics.median(wall) * 1000,
        "queries": len(queries),
        "bytes": size,
        "encoding": response.get("Content-Encoding", ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--var", required=True, help="the VAR_DIR that benchmarks.load --keep printed")
    parser.add_argument("--database", required=True, help="the DATABASE_URL that benchmarks.load --keep printed")
    parser.add_argument("--requests", type=int, default=50, help="requests per endpoint")
    parser.add_argument("--only", nargs="*", help="only the endpoints whose name contains one of these words")
    args = parser.parse_args()
    os.environ.update(environment(Path(args.var), args.database, 0, resamples=40))
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.test import Client

    client = Client()
    print("| endpoint | CPU ms | wall ms | queries | bytes | encoding |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, paths in endpoints().items():
        if args.only and not any(word in name for word in args.only):
            continue
        r = measure(client, paths, args.requests)
        print(
            f"| {name} | {r['cpu']:.2f} | {r['wall']:.2f} | {r['queries']} | {r['bytes']:,} | {r['encoding'] or '-'} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
