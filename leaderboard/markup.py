"""Host-written Markdown turned into HTML that is safe to show: no scripts, no styles, no event handlers."""

from __future__ import annotations

import functools

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3", "h4", "hr", "li", "ol", "p",
    "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip  # a table: several entries a line
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}


@functools.lru_cache(maxsize=256)  # a pure function of the text; pages render the same texts again and again
def render_markdown(text: str) -> str:
    html = markdown.markdown(text or "", extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
