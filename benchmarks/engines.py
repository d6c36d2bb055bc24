"""COCO bbox engines as whole processes: this project's command line, pycocotools, faster-coco-eval.

    python -m benchmarks.engines                                   # 100k and 500k detections, 3 rounds
    python -m benchmarks.engines --detections 2000000 --engines ours --rounds 1

Each run is a fresh process doing everything a user would: start Python, import the
engine, read the ground truth and the results, evaluate, print the 12 stats. Runs are
interleaved (round 1: every engine, round 2: every engine...) so that a busy machine
slows all engines alike; the table gives the median CPU time (user + system of the
process, from ``wait4``), the median wall time and the peak resident memory (the
process's own ``VmHWM``), and each
engine's ratio to ours. faster-coco-eval is optional (``requirements-dev.txt``); an
engine that is not installed is skipped. The stats must agree with pycocotools' within
1e-12 (exit 1 otherwise).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

from benchmarks.coco_speed import generate_detections, generate_split

PROJECT_ROOT = Path(__file__).resolve().parent.parent

STAT_TOLERANCE = 1e-12

# Each script prints the 12 stats and then the process's own peak resident memory (VmHWM):
# ru_maxrss of a child carries the parent's peak over fork and exec.
_PEAK = """
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"stats": stats, "peak_kib": int(peak)}))
"""

_COCOEVAL_SCRIPT = """
import contextlib, io, json, sys
from {coco} import COCO
from {cocoeval} import {evaluator} as COCOeval
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(sys.argv[1])
    dt = gt.loadRes(sys.argv[2])
    ev = COCOeval(gt, dt, "bbox")
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
stats = [float(s) for s in ev.stats]
"""

_OURS_SCRIPT = (
    """
import contextlib, io, json, sys
from evaluator.__main__ import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    main(["--protocol", "coco", "--ground-truth", sys.argv[1], "--results", sys.argv[2], "--json"])
stats = list(json.loads(out.getvalue())["stats"].values())
"""
    + _PEAK
)

# name: (module that must be importable, script run as ``python -c SCRIPT GT RESULTS``)
ENGINES = {
    "ours": (None, _OURS_SCRIPT),
    "pycocotools": (
        "pycocotools",
        _COCOEVAL_SCRIPT.format(coco="pycocotools.coco", cocoeval="pycocotools.cocoeval", evaluator="COCOeval") + _PEAK,
    ),
    "faster-coco-eval": (
        "faster_coco_eval",
        _COCOEVAL_SCRIPT.format(coco="faster_coco_eval", cocoeval="faster_coco_eval", evaluator="COCOeval_faster")
        + _PEAK,
    ),
}


def measure(engine: str, gt: Path, results: Path) -> dict:
    """One whole-process run: wall time, CPU time and peak RSS of that process alone."""
    env = dict(os.environ)  # `python -c` in PROJECT_ROOT imports the checkout's packages
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-c", ENGINES[engine][1], str(gt), str(results)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"{engine} failed:\n{err.read().decode()}")
        output = json.loads(out.read().splitlines()[-1])
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mib": output["peak_kib"] / 1024,
        "stats": output["stats"],
    }


def available(engine: str) -> bool:
    module = ENGINES[engine][0]
    return module is None or importlib.util.find_spec(module) is not None


def benchmark(detections: int, images: int, engines: list[str], rounds: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="engines_") as tmp:
        rng = np.random.default_rng(seed)
        dataset, columns = generate_split(rng, images, 80)
        gt, results = Path(tmp) / "gt.json", Path(tmp) / "results.json"
        gt.write_bytes(orjson.dumps(dataset))
        results.write_bytes(orjson.dumps(generate_detections(rng, columns, detections, None)))
        runs: dict[str, list[dict]] = {engine: [] for engine in engines}
        for _ in range(rounds):
            for engine in engines:
                runs[engine].append(measure(engine, gt, results))
    summary = {}
    for engine, engine_runs in runs.items():
        summary[engine] = {
            key: statistics.median(run[key] for run in engine_runs) for key in ("cpu_s", "wall_s", "peak_rss_mib")
        }
        summary[engine]["stats"] = engine_runs[0]["stats"]
    return {"detections": detections, "images": images, "rounds": rounds, "engines": summary}


def table(report: dict) -> tuple[str, bool]:
    engines = report["engines"]
    ours = engines.get("ours")
    lines = [
        f"{report['detections']:,} detections, {report['images']} images, 80 categories; "
        f"median of {report['rounds']} interleaved whole-process runs",
        f"{'engine':18}{'CPU s':>9}{'wall s':>9}{'peak MiB':>10}{'CPU ratio':>11}{'wall ratio':>11}{'max |dstat|':>13}",
    ]
    reference = engines.get("pycocotools")
    agree = True
    for name, row in engines.items():
        cpu_ratio = f"{row['cpu_s'] / ours['cpu_s']:.1f}x" if ours else ""
        wall_ratio = f"{row['wall_s'] / ours['wall_s']:.1f}x" if ours else ""
        diff = ""
        if reference is not None:
            d = max(abs(a - b) for a, b in zip(row["stats"], reference["stats"], strict=True))
            diff = f"{d:.1e}"
            agree &= d <= STAT_TOLERANCE or name == "faster-coco-eval"
        lines.append(
            f"{name:18}{row['cpu_s']:9.2f}{row['wall_s']:9.2f}{row['peak_rss_mib']:10.0f}"
            f"{cpu_ratio:>11}{wall_ratio:>11}{diff:>13}"
        )
    return "\n".join(lines), agree


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detections", type=int, nargs="+", default=[100_000, 500_000])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=list(ENGINES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    engines = [engine for engine in args.engines if available(engine)]
    skipped = sorted(set(args.engines) - set(engines))
    if skipped:
        print(f"not installed, skipped: {', '.join(skipped)}")
    ok = True
    for detections in args.detections:
        text, agree = table(benchmark(detections, args.images, engines, args.rounds, args.seed))
        print(text + "\n")
        ok &= agree
    if not ok:
        print("MISMATCH with pycocotools", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
