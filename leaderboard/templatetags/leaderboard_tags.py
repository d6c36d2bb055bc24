from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from leaderboard import glossary, selectors
from leaderboard.markup import render_markdown

register = template.Library()


@register.filter
def metric(value: Any) -> str:
    """A metric as shown in tables: four decimals, or an em dash when not available."""
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value):.4f}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def stat(stats: dict[str, Any] | None, name: str) -> str:
    return metric((stats or {}).get(name))


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> str:
    """Host-written Markdown as sanitised HTML."""
    return mark_safe(render_markdown(text or ""))  # nh3 has removed everything unsafe


@register.filter
def explain(name: str) -> str:
    """The glossary's one-line explanation of a metric, for a tooltip."""
    return glossary.explain(str(name))


@register.filter
def glossary_anchor(name: str) -> str:
    return glossary.anchor(str(name))


@register.simple_tag
def direction(track: Any, name: str) -> str:
    """An arrow saying which way is better for stat ``name`` on ``track``."""
    higher = selectors.stat_higher_is_better(track, str(name))
    arrow, words = ("↑", "higher is better") if higher else ("↓", "lower is better")
    return format_html('<span class="direction" title="{}" aria-label="{}">{}</span>', words, words, arrow)
