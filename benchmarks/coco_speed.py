"""COCO bbox scoring speed: this engine against pycocotools on a generated COCO-sized split.

    python -m benchmarks.coco_speed                      # 5000 images, 500k detections
    python -m benchmarks.coco_speed --detections 2000000 --skip-reference
    python -m benchmarks.coco_speed --json               # one JSON object instead of the table

Each engine runs in its own subprocess, so that its peak resident memory is its own. Ground truth is loaded before the clock starts. Ours is timed as
``load_results`` + ``evaluate`` and as ``evaluate`` alone, pycocotools as
``loadRes`` + ``evaluate`` + ``accumulate`` + ``summarize`` (and without ``loadRes``).
Numba compiles the matching kernel on its first call; that cost is measured apart in a
fresh cache directory (cold), then again from the cache, and the timed run starts warm.
The 12 stats must agree within 1e-12 and the precision / recall / scores arrays exactly;
the exit status is 1 when they do not.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STAT_TOLERANCE = 1e-12


# --------------------------------------------------------------------------- data


def generate_split(rng: np.random.Generator, images: int, categories: int) -> tuple[dict, dict]:
    """A COCO-like split: about 7.3 objects per image (skewed), long-tailed categories, 1% crowd.

    Returns the annotation dict and columns used to place detections.
    """
    weights = 1.0 / np.arange(1, categories + 1) ** 1.1
    weights = weights[rng.permutation(categories)]
    weights /= weights.sum()
    category_ids = np.sort(rng.choice(np.arange(1, 2 * categories), categories, replace=False))
    width = rng.choice([640, 640, 500, 480], images).astype(float)
    height = rng.choice([480, 427, 375, 640], images).astype(float)
    per_image = rng.poisson(rng.choice([2.0, 6.0, 18.0], images, p=[0.45, 0.4, 0.15])) + 1
    image = np.repeat(np.arange(images), per_image)
    n = len(image)
    side = np.clip(np.exp(rng.normal(np.log(42.0), 1.1, n)), 4.0, np.minimum(width, height)[image] * 0.9)
    aspect = np.exp(rng.normal(0.0, 0.35, n))
    w = np.minimum(side * aspect, width[image] - 1)
    h = np.minimum(side / aspect, height[image] - 1)
    x = rng.uniform(0, 1, n) * (width[image] - w)
    y = rng.uniform(0, 1, n) * (height[image] - h)
    bbox = np.round(np.column_stack([x, y, w, h]), 2)
    area = np.round(bbox[:, 2] * bbox[:, 3] * rng.uniform(0.45, 0.95, n), 2)
    crowd = rng.random(n) < 0.01
    category = rng.choice(categories, n, p=weights)
    image_ids = np.arange(1, images + 1) * 3
    dataset = {
        "info": {"description": "synthetic COCO-like split"},
        "images": [
            {"id": int(i), "width": int(wd), "height": int(ht)}
            for i, wd, ht in zip(image_ids.tolist(), width.tolist(), height.tolist(), strict=True)
        ],
        "categories": [{"id": int(c), "name": f"category {c}"} for c in category_ids.tolist()],
        "annotations": [
            {"id": k + 1, "image_id": i, "category_id": c, "bbox": b, "area": a, "iscrowd": int(cr)}
            for k, (i, c, b, a, cr) in enumerate(
                zip(
                    image_ids[image].tolist(),
                    category_ids[category].tolist(),
                    bbox.tolist(),
                    area.tolist(),
                    crowd.tolist(),
                    strict=True,
                )
            )
        ],
    }
    columns = {
        "image": image,
        "category": category,
        "bbox": bbox,
        "image_ids": image_ids,
        "category_ids": category_ids,
        "weights": weights,
        "width": width,
        "height": height,
    }
    return dataset, columns


def generate_detections(rng: np.random.Generator, columns: dict, count: int, score_decimals: int | None) -> list[dict]:
    """``count`` detections: jittered copies of objects (a third) and background boxes."""
    num_gt = len(columns["image"])
    num_images = len(columns["image_ids"])
    near = min(count // 3, 3 * num_gt)
    source = rng.integers(0, num_gt, near)
    gt_box = columns["bbox"][source]
    jitter = rng.normal(0, 0.08, (near, 4)) * gt_box[:, [2, 3, 2, 3]]
    near_box = gt_box + jitter
    near_box[:, 2:] = np.maximum(near_box[:, 2:], 1.0)
    near_category = columns["category"][source].copy()
    confused = rng.random(near) < 0.05
    near_category[confused] = rng.integers(0, len(columns["category_ids"]), int(confused.sum()))
    far = count - near
    far_image = rng.integers(0, num_images, far)
    fw = np.exp(rng.normal(np.log(40.0), 1.0, far))
    fh = fw * np.exp(rng.normal(0, 0.4, far))
    fw = np.minimum(fw, columns["width"][far_image] - 1)
    fh = np.minimum(fh, columns["height"][far_image] - 1)
    far_box = np.column_stack(
        [
            rng.uniform(0, 1, far) * (columns["width"][far_image] - fw),
            rng.uniform(0, 1, far) * (columns["height"][far_image] - fh),
            fw,
            fh,
        ]
    )
    far_category = rng.choice(len(columns["category_ids"]), far, p=columns["weights"])
    image = np.concatenate([columns["image"][source], far_image])
    category = np.concatenate([near_category, far_category])
    bbox = np.round(np.concatenate([near_box, far_box]), 2)
    bbox[:, 2:] = np.maximum(bbox[:, 2:], 0.01)
    score = np.concatenate([rng.beta(5, 2, near), rng.beta(1.2, 5, far)]).astype(np.float32).astype(np.float64)
    if score_decimals is not None:
        score = np.round(score, score_decimals)
    order = rng.permutation(count)
    return [
        {"image_id": i, "category_id": c, "bbox": b, "score": s}
        for i, c, b, s in zip(
            columns["image_ids"][image[order]].tolist(),
            columns["category_ids"][category[order]].tolist(),
            bbox[order].tolist(),
            score[order].tolist(),
            strict=True,
        )
    ]


def write_tiny(folder: Path) -> tuple[Path, Path]:
    """A three-image split and a few detections, for warming up the compiled kernel."""
    dataset, columns = generate_split(np.random.default_rng(1), 3, 2)
    detections = generate_detections(np.random.default_rng(2), columns, 20, None)
    gt_path, results_path = folder / "tiny_gt.json", folder / "tiny_results.json"
    gt_path.write_bytes(orjson.dumps(dataset))
    results_path.write_bytes(orjson.dumps(detections))
    return gt_path, results_path


# --------------------------------------------------------------------------- workers (one per subprocess)


def peak_rss_mib() -> float:
    """This process's peak resident memory.

    Linux's ``VmHWM`` first: ``ru_maxrss`` keeps the parent's peak across fork and exec.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**10
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def worker_warmup(args: argparse.Namespace) -> dict:
    start = time.perf_counter()
    from evaluator.protocols import coco

    imported = time.perf_counter()
    gt = coco.load_ground_truth(args.tiny_gt)
    results = coco.load_results(args.tiny_results, gt)
    coco.evaluate(gt, results)
    return {"import_s": imported - start, "first_call_s": time.perf_counter() - imported}


def worker_ours(args: argparse.Namespace) -> dict:
    from evaluator.protocols import coco

    tiny_gt = coco.load_ground_truth(args.tiny_gt)
    coco.evaluate(tiny_gt, coco.load_results(args.tiny_results, tiny_gt))
    gt = coco.load_ground_truth(args.gt)
    rss_before = peak_rss_mib()
    start = time.perf_counter()
    results = coco.load_results(args.results, gt)
    loaded = time.perf_counter()
    evaluation = coco.evaluate(gt, results)
    done = time.perf_counter()
    np.savez(args.arrays, **evaluation.arrays)
    return {
        "load_s": loaded - start,
        "evaluate_s": done - loaded,
        "total_s": done - start,
        "rss_before_mib": rss_before,
        "peak_rss_mib": peak_rss_mib(),
        "stats": [evaluation.stats[name] for name in coco.STAT_NAMES],
    }


def worker_reference(args: argparse.Namespace) -> dict:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(str(args.gt))
        rss_before = peak_rss_mib()
        start = time.perf_counter()
        coco_dt = coco_gt.loadRes(str(args.results))
        loaded = time.perf_counter()
        cocoeval = COCOeval(coco_gt, coco_dt, "bbox")
        cocoeval.evaluate()
        cocoeval.accumulate()
        cocoeval.summarize()
        done = time.perf_counter()
    np.savez(args.arrays, **{key: cocoeval.eval[key] for key in ("precision", "recall", "scores")})
    return {
        "load_s": loaded - start,
        "evaluate_s": done - loaded,
        "total_s": done - start,
        "rss_before_mib": rss_before,
        "peak_rss_mib": peak_rss_mib(),
        "stats": [float(s) for s in cocoeval.stats],
    }


WORKERS = {"warmup": worker_warmup, "ours": worker_ours, "reference": worker_reference}


def run_worker(name: str, env: dict[str, str], **paths: Path) -> dict:
    command = [sys.executable, "-m", "benchmarks.coco_speed", "--worker", name]
    for key, value in paths.items():
        command += [f"--{key.replace('_', '-')}", str(value)]
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"worker {name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- driver


def benchmark(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="coco_speed_") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        rng = np.random.default_rng(args.seed)
        dataset, columns = generate_split(rng, args.images, args.categories)
        detections = generate_detections(rng, columns, args.detections, args.score_decimals)
        gt_path, results_path = folder / "gt.json", folder / "results.json"
        gt_path.write_bytes(orjson.dumps(dataset))
        results_path.write_bytes(orjson.dumps(detections))
        tiny_gt, tiny_results = write_tiny(folder)
        generated = time.perf_counter() - started

        env = dict(os.environ, NUMBA_CACHE_DIR=str(folder / "numba_cache"))
        tiny = {"tiny_gt": tiny_gt, "tiny_results": tiny_results}
        cold = run_worker("warmup", env, **tiny)
        cached = run_worker("warmup", env, **tiny)
        ours = run_worker("ours", env, gt=gt_path, results=results_path, arrays=folder / "ours.npz", **tiny)
        reference = None
        if not args.skip_reference:
            reference = run_worker("reference", env, gt=gt_path, results=results_path, arrays=folder / "reference.npz")

        report = {
            "images": args.images,
            "categories": args.categories,
            "ground_truth": len(dataset["annotations"]),
            "crowd": sum(a["iscrowd"] for a in dataset["annotations"]),
            "detections": args.detections,
            "distinct_scores": len({d["score"] for d in detections}),
            "results_file_mib": results_path.stat().st_size / 2**20,
            "generate_s": generated,
            "import_s": cold["import_s"],
            "compile_s": cold["first_call_s"],
            "cached_first_call_s": cached["first_call_s"],
            "ours": ours,
            "reference": reference,
        }
        if reference is not None:
            report["speedup_total"] = reference["total_s"] / ours["total_s"]
            report["speedup_evaluate"] = reference["evaluate_s"] / ours["evaluate_s"]
            report["max_stat_diff"] = max(abs(a - b) for a, b in zip(ours["stats"], reference["stats"], strict=True))
            with np.load(folder / "ours.npz") as mine, np.load(folder / "reference.npz") as theirs:
                report["arrays_equal"] = all(np.array_equal(mine[k], theirs[k]) for k in theirs.files)
        return report


def table(report: dict) -> str:
    ours, ref = report["ours"], report["reference"]

    def cell(value: float | None, unit: str = "s") -> str:
        if value is None:
            return "-"
        return f"{value:.2f} {unit}" if unit == "s" else f"{value:.0f} {unit}"

    rows = [
        ("results load (loadRes)", ours["load_s"], ref and ref["load_s"], "s"),
        ("evaluate (+accumulate, summarize)", ours["evaluate_s"], ref and ref["evaluate_s"], "s"),
        ("total", ours["total_s"], ref and ref["total_s"], "s"),
        ("peak RSS", ours["peak_rss_mib"], ref and ref["peak_rss_mib"], "MiB"),
        ("  RSS before results", ours["rss_before_mib"], ref and ref["rss_before_mib"], "MiB"),
    ]
    lines = [
        f"{report['images']} images, {report['categories']} categories, {report['ground_truth']} objects "
        f"({report['crowd']} crowd), {report['detections']} detections ({report['distinct_scores']} distinct scores, "
        f"{report['results_file_mib']:.0f} MiB JSON); generated in {report['generate_s']:.1f} s",
        f"numba: import {report['import_s']:.2f} s, first call {report['compile_s']:.2f} s compiling "
        f"(cold cache), {report['cached_first_call_s']:.2f} s from cache",
        "",
        f"{'':36}{'ours':>12}{'pycocotools':>14}{'ratio':>9}",
    ]
    for label, mine, theirs, unit in rows:
        ratio = f"{theirs / mine:.1f}x" if theirs is not None and unit == "s" and mine > 0 else ""
        lines.append(f"{label:36}{cell(mine, unit):>12}{cell(theirs, unit):>14}{ratio:>9}")
    if ref is not None:
        lines.append("")
        lines.append(
            f"max |stat difference| {report['max_stat_diff']:.3g} (tolerance {STAT_TOLERANCE:g}); "
            f"precision/recall/scores arrays identical: {report['arrays_equal']}"
        )
    lines.append("stats (ours): " + " ".join(f"{s:.4f}" for s in ours["stats"]))
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--categories", type=int, default=80)
    parser.add_argument("--detections", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--score-decimals", type=int, default=None, help="round scores (more ties); default float32")
    parser.add_argument("--skip-reference", action="store_true", help="do not run pycocotools")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--worker", choices=tuple(WORKERS), help=argparse.SUPPRESS)
    for name in ("gt", "results", "arrays", "tiny-gt", "tiny-results"):
        parser.add_argument(f"--{name}", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args)))
        return 0
    report = benchmark(args)
    print(json.dumps(report, indent=2) if args.json else table(report))
    if report["reference"] is not None and not (
        report["max_stat_diff"] <= STAT_TOLERANCE and report["arrays_equal"] and math.isfinite(report["max_stat_diff"])
    ):
        print("MISMATCH with pycocotools", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
