"""Command line: score a results file locally with exactly the server's code.

python -m evaluator --protocol coco --ground-truth GT --results RESULTS [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from . import PROTOCOL_NAMES, EvaluatorError, evaluate_files


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


def main(argv: list[str] | None = None) -> int:
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
