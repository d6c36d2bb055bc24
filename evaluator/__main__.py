"""Command line: score a results file locally with exactly the server's code.

python -m evaluator --protocol coco --ground-truth GT --results RESULTS [--json]
python -m evaluator check --kit KIT.zip --results RESULTS   (the server's check before queueing)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
from pathlib import Path

from . import PROTOCOL_NAMES, EvaluatorError, evaluate_files
from .collector import collector_paused
from .kit import check as check_file
from .kit import read_kit


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evaluator", description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", required=True, choices=PROTOCOL_NAMES)
    parser.add_argument("--ground-truth", required=True, help="file, folder or archive")
    parser.add_argument("--results", required=True, help="file, folder or archive")
    parser.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    parser.add_argument("--curves", action="store_true", help="with --json, include curve data")
    return parser


def format_table(stats: dict[str, float]) -> str:
    width = max(len(name) for name in stats)
    lines = []
    for name, value in stats.items():
        shown = "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4f}"
        lines.append(f"{name:<{width}}  {shown}")
    return "\n".join(lines)


def build_check_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evaluator check",
        description="Run the checks the server runs before queueing an upload, with only the track's starter kit.",
    )
    parser.add_argument("--kit", required=True, help="the track's starter kit zip")
    parser.add_argument("--results", required=True, help="file, folder or archive to upload")
    return parser


def check(argv: list[str]) -> int:
    args = build_check_parser().parse_args(argv)
    try:
        kit = read_kit(args.kit)
        warnings = check_file(kit, args.results)
    except EvaluatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{Path(args.results).name}: accepted by the checks of track {kit.track}")
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        with collector_paused():  # this process reads and scores one file: see evaluator.collector
            return _main(sys.argv[1:] if argv is None else argv)
    except BrokenPipeError:
        # The reader stopped early (``| head``): nothing went wrong here. Point standard output at
        # /dev/null so that the interpreter's last flush does not fail again, and exit as a tool
        # that SIGPIPE ends does (128 + 13).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE


def _main(argv: list[str]) -> int:
    if argv[:1] == ["check"]:
        return check(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        evaluation = evaluate_files(args.ground_truth, args.results, protocol=args.protocol)
    except EvaluatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(evaluation.to_dict(include_curves=args.curves), indent=2))
    else:
        print(format_table(dict(evaluation.stats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
