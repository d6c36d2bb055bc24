"""Pure functions from stored scores to the data the pages' plots draw (static/js reads it via json_script)."""

from __future__ import annotations

from typing import Any

from . import scoring
from .models import Score, Strategy, Submission, Track, TransferScore


def entry_label(submission: Submission) -> str:
    """A method's name in plot legends, where badges cannot go."""
    return f"{submission.method_name} (simulated)" if submission.is_simulated else submission.method_name


def analyze_bar(analyze: dict | None) -> dict | None:
    """The seven APs of COCO's analyze() for all sizes: all a compared bar needs of it."""
    return {"types": analyze["types"], "ap": analyze["ap"]["all"]} if analyze else None


def compare_plot(scores: list[Score]) -> dict[str, Any]:
    """The compare page: each submission's curves, error breakdown and analyze() bar."""
    return {
        "submissions": [
            {
                "method": entry_label(score.submission),
                "curves": {k: score.curves.get(k) for k in ("kind", "recall", "overall")},
                "errors": score.explorer.get("errors"),
                "analyze": analyze_bar(score.explorer.get("coco_analyze")),
                "roc": (score.explorer.get("roc") or {}).get("overall"),
            }
            for score in scores
        ]
    }


def strategy_plot(track: Track, points: list[TransferScore]) -> dict[str, Any]:
    """The strategy page: forgetting against gain per submission, and the metric along the domains."""
    labels = dict(Strategy.choices)
    return {
        "domains": [d.name for d in track.domains.order_by("position")],
        "metric": scoring.matrix_metric(track),
        "higher_is_better": scoring.matrix_higher_is_better(track),
        # every strategy in a fixed order, so that a strategy keeps its colour on both charts and every track
        "strategies": [label for _, label in Strategy.choices],
        "points": [
            {
                "method": entry_label(p.submission),
                "strategy": labels.get(p.submission.strategy, p.submission.strategy),
                "url": p.submission.get_absolute_url(),
                "gain": p.stats.get("gain"),
                "forgetting": p.stats.get("forgetting"),
                "final_row": p.matrix[-1] if p.matrix else [],
                "first_row": p.matrix[0] if p.matrix else [],
            }
            for p in points
        ],
    }


def matrix_plot(result: TransferScore, track: Track) -> dict[str, Any]:
    """A transfer result's stage x domain matrix, as its heat map draws it, with the metric's direction."""
    return {
        "domains": result.domains,
        "matrix": result.matrix,
        "metric": scoring.matrix_metric(track),
        "higher_is_better": scoring.matrix_higher_is_better(track),
    }
