"""HTML to plain text for feed summaries: robust to broken markup, never executes anything."""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

# Elements whose content is never text a reader sees.
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg", "head", "title"})
_BLOCK_TAGS = frozenset({
    "p", "div", "br", "li", "ul", "ol", "tr", "td", "th", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "section", "article", "header", "footer", "figure", "figcaption", "hr", "dd", "dt",
})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_MARKUP_HINT = re.compile(r"<[a-zA-Z/!]|&[#a-zA-Z0-9]+;")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def html_to_text(markup: str | None) -> str:
    """Visible text of an HTML fragment (or plain text), whitespace tidied; "" for nothing."""
    if not markup:
        return ""
    if _MARKUP_HINT.search(markup):
        collector = _TextCollector()
        try:
            collector.feed(markup)
            collector.close()
            text = "".join(collector.parts)
        except Exception:  # HTMLParser is lenient, but never let odd markup stop a scrape
            text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    else:
        text = markup
    return tidy_text(text)


def tidy_text(text: str) -> str:
    """NFC, no control characters, single spaces, at most one blank line between paragraphs."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def normalize_for_hash(text: str) -> str:
    """Case- and spacing-insensitive form used for content hashes."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())
