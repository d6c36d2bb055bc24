"""The worker's whole scoring of one COCO submission against the bare evaluation, in one process.

    python -m benchmarks.scoring_pipeline                    # 1000 images, 100k detections
    python -m benchmarks.scoring_pipeline --images 5000 --detections 500000

Generates a split and detections with ``coco_speed``'s generators, then times (CPU
seconds of this process, best of ``--repeat``, kernels warm):

- bare: ``load_results`` + ``evaluate`` on the full split, what the command line
  (``python -m evaluator``) does once it has the ground truth;
- pipeline: what ``leaderboard.scoring.evaluate`` does for an accuracy track, stage by
  stage: ``load_results``, one matching (``evaluator.match``), the evaluation and
  bootstrap of the full and the public split (``evaluate_subsets``) and the threshold
  explorer of both splits with COCO's analyze() (``explorer_subsets``: the public split's
  from the full split's matchings).

Both sides run with the cyclic garbage collector paused (``evaluator.collector``), as the
command line and the worker both pause it, so that neither gains on the other from it.

Both run with BLAS limited to one thread, as in the worker process (the bootstrap's
small products only burn CPU time in extra threads; the bare evaluation has none).

Bare and pipeline runs alternate, so that both see the same load on the machine.

Prints the stage table and total / bare. No database is needed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson
from threadpoolctl import threadpool_limits

import evaluator
from benchmarks.coco_speed import generate_detections, generate_split
from evaluator.collector import collector_paused
from evaluator.subsets import public_image_ids
from evaluator.warmup import warm_up
from leaderboard.explorer import explorer_subsets

PROJECT_ROOT = Path(__file__).resolve().parent.parent

PUBLIC_FRACTION = 0.5
PUBLIC_SEED = "benchmark"


class Clock:
    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self.wall: dict[str, float] = {}

    def run(self, stage: str, function, *args, **kwargs):
        cpu, wall = time.process_time(), time.perf_counter()
        value = function(*args, **kwargs)
        self.stages[stage] = self.stages.get(stage, 0.0) + time.process_time() - cpu
        self.wall[stage] = self.wall.get(stage, 0.0) + time.perf_counter() - wall
        return value


def bare(results_path: Path, gt) -> Clock:
    clock = Clock()
    results = clock.run("load_results", evaluator.load_results, results_path, protocol="coco", ground_truth=gt)
    clock.run("evaluate (full)", evaluator.evaluate, gt, results, protocol="coco")
    return clock


def pipeline(results_path: Path, gt, resamples: int) -> Clock:
    clock = Clock()
    results = clock.run("load_results", evaluator.load_results, results_path, protocol="coco", ground_truth=gt)
    public = public_image_ids(evaluator.image_ids(gt, protocol="coco"), seed=PUBLIC_SEED, fraction=PUBLIC_FRACTION)
    subsets = {"full": None, "public": public}
    matches = clock.run("match (once)", evaluator.match, gt, results, protocol="coco")
    scored = clock.run(
        f"evaluate + bootstrap, 2 splits ({resamples} resamples)",
        evaluator.evaluate_subsets,
        gt,
        results,
        protocol="coco",
        subsets=subsets,
        resamples=resamples,
        matches=matches,
    )
    evaluations = {name: evaluation for name, (evaluation, _) in scored.items()}
    clock.run("explorer (both splits)", explorer_subsets, "coco", gt, results, subsets, matches, evaluations)
    return clock


def best(runs: list[Clock]) -> Clock:
    return min(runs, key=lambda clock: sum(clock.stages.values()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--categories", type=int, default=80)
    parser.add_argument("--detections", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    threadpool_limits(limits=1)  # as the worker process (leaderboard.tasks): BLAS threads only add CPU time
    warm_up()
    with tempfile.TemporaryDirectory(prefix="scoring_pipeline_") as tmp:
        rng = np.random.default_rng(args.seed)
        dataset, columns = generate_split(rng, args.images, args.categories)
        detections = generate_detections(rng, columns, args.detections, None)
        gt_path, results_path = Path(tmp) / "gt.json", Path(tmp) / "results.json"
        gt_path.write_bytes(orjson.dumps(dataset))
        results_path.write_bytes(orjson.dumps(detections))
        gt = evaluator.load_ground_truth(gt_path, protocol="coco")
        bare_runs, pipeline_runs = [], []
        for _ in range(args.repeat):  # interleaved, so that both see the same load on the machine
            with collector_paused():  # as the command line and the worker run
                bare_runs.append(bare(results_path, gt))
            with collector_paused():
                pipeline_runs.append(pipeline(results_path, gt, args.resamples))
    base, full = best(bare_runs), best(pipeline_runs)
    print(
        f"{args.images} images, {len(dataset['annotations'])} objects, {args.detections} detections; "
        f"CPU seconds of one process, best of {args.repeat}"
    )
    print("both sides with the cyclic garbage collector paused, as the command line and the worker run")
    print(f"{'stage':48}{'CPU s':>9}{'wall s':>9}")
    for title, clock in (("bare evaluation (python -m evaluator)", base), ("worker pipeline", full)):
        print(title)
        for stage, seconds in clock.stages.items():
            print(f"  {stage:46}{seconds:9.2f}{clock.wall[stage]:9.2f}")
        print(f"  {'total':46}{sum(clock.stages.values()):9.2f}{sum(clock.wall.values()):9.2f}")
    ratio = sum(full.stages.values()) / sum(base.stages.values())
    print(f"total / bare = {ratio:.2f} (CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
