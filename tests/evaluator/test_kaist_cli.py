"""``python -m evaluator --protocol kaist`` on the real files and on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import PROJECT_ROOT, shared_file
from tests.evaluator.test_kaist_parity import SCRIPT_MR


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evaluator", "--protocol", "kaist", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_prints_miss_rates_as_json():
    done = run_cli(
        "--ground-truth",
        str(shared_file("kaist-daynight/KAIST_annotation.json")),
        "--results",
        str(shared_file("kaist-daynight/detections/MBNet_result.txt")),
        "--json",
    )
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    assert output["protocol"] == "kaist" and output["primary"] == "MR_all"
    assert list(output["stats"]) == ["MR_all", "MR_day", "MR_night", "AP50_all", "AP50_day", "AP50_night"]
    for subset, expected in SCRIPT_MR.items():
        assert abs(output["stats"][f"MR_{subset}"] - expected) <= 1e-9


def test_cli_reports_bad_lines_and_exits_non_zero(tmp_path):
    results = tmp_path / "bad.txt"
    results.write_text("1,10,10,20,50,0.9\n2253,10,10,20,50,0.9\n3,10,10,20\n")
    done = run_cli(
        "--ground-truth", str(shared_file("kaist-daynight/KAIST_annotation.json")), "--results", str(results)
    )
    assert done.returncode == 2
    assert "bad.txt, line 2: image id 2253 is outside 1..2252" in done.stderr
    assert "bad.txt, line 3: expected 6 comma-separated values" in done.stderr
    assert "Traceback" not in done.stderr
