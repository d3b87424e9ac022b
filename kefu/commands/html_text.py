"""HTML from email, made safe to show: a small subset of tags kept by `nh3` (the maintained
Rust `ammonia` sanitiser), and the text of it for search and for channels without HTML.

Kept: text structure (paragraphs, lists, tables, quotes, emphasis) and links (http, https,
mailto, with `rel="noopener noreferrer nofollow"`). Dropped with their content: script, style,
and anything that runs or loads (iframe, object, forms); dropped but their text kept: every
other tag. No attribute that styles or scripts survives, so no remote image can track a
reader and no `javascript:` link can run.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

SAFE_TAGS = frozenset(
    {"a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "hr", "i",
     "li", "ol", "p", "pre", "span", "strong", "table", "tbody", "td", "th", "thead", "tr",
     "u", "ul"}
)  # fmt: skip
SAFE_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan"}}
DROPPED_WITH_CONTENT = frozenset({"script", "style", "title", "head"})
_BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "hr"})


def sanitise(markup: str) -> str:
    """The HTML with only the safe subset left."""
    return nh3.clean(
        markup,
        tags=set(SAFE_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in SAFE_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The readable text of (sanitised) HTML: blocks on their own lines, spaces collapsed."""
    parser = _Text()
    parser.feed(sanitise(markup))
    parser.close()
    text = "".join(parser.parts)
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
