"""The worker's warm-up leaves nothing for a participant's submission to compile.

numba compiles a kernel for each new set of argument types (a read-only array is a type
of its own), so the check runs in a fresh process: warm up, note every kernel's compiled
signatures, score a generated COCO split read from files as the worker reads them
(both splits, bootstraps, the explorer with analyze()), and compare.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys, tempfile
from pathlib import Path

import numpy as np
import orjson
from numba.core.registry import CPUDispatcher

import evaluator
from benchmarks.coco_speed import generate_detections, generate_split
from evaluator.subsets import public_image_ids
from evaluator.warmup import warm_up
from leaderboard.explorer import explorer_subsets


def compiled():
    kernels = {}
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith(("evaluator", "leaderboard")):
            for value in vars(module).values():
                if isinstance(value, CPUDispatcher):
                    kernels[value.py_func.__module__ + "." + value.py_func.__name__] = [
                        str(signature) for signature in value.signatures
                    ]
    return kernels


warm_up()
before = compiled()
rng = np.random.default_rng(3)
dataset, columns = generate_split(rng, 300, 12)
folder = Path(tempfile.mkdtemp())
(folder / "gt.json").write_bytes(orjson.dumps(dataset))
(folder / "results.json").write_bytes(orjson.dumps(generate_detections(rng, columns, 20000, None)))
gt = evaluator.load_ground_truth(folder / "gt.json", protocol="coco")
results = evaluator.load_results(folder / "results.json", protocol="coco", ground_truth=gt)
subsets = {"full": None, "public": public_image_ids(evaluator.image_ids(gt, protocol="coco"), seed="s", fraction=0.5)}
matches = evaluator.match(gt, results, protocol="coco")
scored = evaluator.evaluate_subsets(gt, results, protocol="coco", subsets=subsets, resamples=20, matches=matches)
evaluations = {name: evaluation for name, (evaluation, _) in scored.items()}
explorer_subsets("coco", gt, results, subsets, matches, evaluations)
after = compiled()
print(json.dumps({"kernels": len(before), "new": {k: v for k, v in after.items() if before.get(k) != v}}))
"""


def test_scoring_after_the_warm_up_compiles_no_kernel():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600, check=True
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["kernels"] >= 10  # the check sees the kernels at all
    assert report["new"] == {}
