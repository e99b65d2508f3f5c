"""Bytes -> feed entries, and the verdict: usable, or which class of unusable.

A bozo feed (feedparser's word for "not well formed") that still yields entries is usable and the
problem is kept as a note. Google News sitemaps (`<urlset>` with `<news:news>`) are read too: some
publishers offer only those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from nlp.scrape import outcomes as oc
from nlp.scrape.xmlsafe import parse_xml_safely

_BOM_AND_SPACE = b"\xef\xbb\xbf \t\r\n"
# Whitespace, processing instructions, comments and a DOCTYPE (with an internal subset) before the root.
_LEADING_JUNK = re.compile(rb"^(?:\s|<\?.*?\?>|<!--.*?-->|<!doctype[^\[>]*(?:\[.*?\])?\s*>)*", re.S | re.I)
_HTML_START = re.compile(rb"^<(?:html|head|body)[\s>]", re.I)
_SITEMAP_START = re.compile(rb"^<(?:[\w.-]+:)?urlset[\s>]", re.I)
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.S)
_ENTITY_DECL = re.compile(rb"<!ENTITY[^>]*>")
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_WIDE_ENTITY_DECLS = tuple("<!ENTITY".encode(codec) for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"))
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


@dataclass
class ParsedFeed:
    """Entries (feedparser entries or plain dicts with the same keys) and the verdict on them."""

    entries: list[Mapping[str, Any]] = field(default_factory=list)
    title: str | None = None
    link: str | None = None
    language: str | None = None
    error_class: str | None = None
    message: str | None = None   # for a usable bozo feed: what was wrong with it

    @property
    def usable(self) -> bool:
        return self.error_class is None


def parse_feed_bytes(body: bytes, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse a feed body with the HTTP headers (for the charset) and decide whether it is usable."""
    if not body or not body.strip(_BOM_AND_SPACE + b"\x00"):
        return ParsedFeed(error_class=oc.EMPTY_BODY, message="empty body")
    start = _LEADING_JUNK.sub(b"", body[:16384].lstrip(_BOM_AND_SPACE), count=1)
    if not start.strip() and len(body) <= 16384:
        return ParsedFeed(error_class=oc.EMPTY_BODY, message="no XML element in the body")
    if not _looks_like_markup_or_json(start):
        return ParsedFeed(error_class=oc.NOT_A_FEED, message="the body is neither XML nor JSON")
    if _HTML_START.match(start):
        return ParsedFeed(error_class=oc.NOT_A_FEED, message="an HTML page, not a feed")
    if _SITEMAP_START.match(start):
        return parse_news_sitemap(body)
    if any(marker in body for marker in _WIDE_ENTITY_DECLS):
        return ParsedFeed(error_class=oc.MALFORMED_XML, message="entity declarations are not accepted")
    return _parse_with_feedparser(replace_bad_char_refs(strip_entity_declarations(body)), dict(headers or {}))


def strip_entity_declarations(body: bytes) -> bytes:
    """Remove a DOCTYPE's internal subset and any entity declaration before feedparser sees the body.

    expat would expand internal entities (billion laughs) up to its amplification limit; undeclared
    references are left as text by feedparser's fallback parser instead.
    """
    if b"<!ENTITY" not in body:
        return body
    return _ENTITY_DECL.sub(b"", _DOCTYPE_SUBSET.sub(b"", body, count=1))


def replace_bad_char_refs(body: bytes) -> bytes:
    """`&#...;` naming a surrogate or a code point past U+10FFFF becomes U+FFFD.

    feedparser's fallback parser turns such a reference into chr(n) and crashes (ValueError, or a
    lone surrogate that cannot be encoded), which would lose the whole feed for one bad character.
    """
    if b"&#" not in body:
        return body
    return _CHAR_REF.sub(_checked_char_ref, body)


def _checked_char_ref(match: re.Match) -> bytes:
    hex_digits, decimal = match.groups()
    digits = hex_digits or decimal
    code = int(digits, 16 if hex_digits else 10) if len(digits) <= 8 else -1
    return match.group(0) if 0 <= code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else b"&#xFFFD;"


def _looks_like_markup_or_json(start: bytes) -> bool:
    """`<` or `{` first; UTF-16/32 bodies (BOM or NUL bytes) are left to feedparser's detection."""
    return start[:1] in (b"<", b"{") or start[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in start[:4]


def _parse_with_feedparser(body: bytes, headers: dict[str, str]) -> ParsedFeed:
    import feedparser

    try:
        result = feedparser.parse(body, response_headers=headers)
    except Exception as exc:  # noqa: BLE001 - feedparser's fallback parser breaks on some hostile markup
        return ParsedFeed(error_class=oc.MALFORMED_XML, message=f"unparseable: {type(exc).__name__}: {exc}")
    feed = result.get("feed", {})
    parsed = ParsedFeed(entries=list(result.get("entries", [])), title=feed.get("title") or None,
                        link=feed.get("link") or None, language=feed.get("language") or None)
    problem = _bozo_text(result)
    if parsed.entries:
        parsed.message = f"ingested despite: {problem}" if problem else None
    elif problem and not result.get("version"):
        parsed.error_class, parsed.message = oc.MALFORMED_XML, problem
    elif not result.get("version"):
        parsed.error_class, parsed.message = oc.NOT_A_FEED, "no RSS, Atom or RDF feed found"
    elif problem and _is_fatal(result):
        parsed.error_class, parsed.message = oc.MALFORMED_XML, problem
    else:
        parsed.message = f"feed with no entries; note: {problem}" if problem else None
    return parsed


def _bozo_text(result: Mapping[str, Any]) -> str | None:
    if not result.get("bozo"):
        return None
    exc = result.get("bozo_exception")
    return f"{type(exc).__name__}: {exc}" if exc is not None else "not well formed"


def _is_fatal(result: Mapping[str, Any]) -> bool:
    """A bozo whose only problem is the charset (feedparser recovered) is not fatal; broken XML is."""
    import feedparser

    exc = result.get("bozo_exception")
    return not isinstance(exc, (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType))


def parse_news_sitemap(body: bytes) -> ParsedFeed:
    """Entries from a Google News sitemap: `<url><loc>` with `<news:title>` and `<news:publication_date>`."""
    try:
        root = parse_xml_safely(body)
    except ValueError as exc:
        return ParsedFeed(error_class=oc.MALFORMED_XML, message=str(exc))
    entries = [entry for entry in (_sitemap_entry(url) for url in root.iter(f"{{{SITEMAP_NS}}}url")) if entry]
    if not entries:
        return ParsedFeed(error_class=oc.NOT_A_FEED, message="a sitemap without news entries")
    return ParsedFeed(entries=entries, language=entries[0].get("language"))


def _sitemap_entry(url_element) -> dict[str, Any] | None:
    news = url_element.find(f"{{{NEWS_NS}}}news")
    loc = (url_element.findtext(f"{{{SITEMAP_NS}}}loc") or "").strip()
    if news is None or not loc:
        return None
    keywords = (news.findtext(f"{{{NEWS_NS}}}keywords") or "").strip()
    return {
        "link": loc,
        "title": (news.findtext(f"{{{NEWS_NS}}}title") or "").strip(),
        "published": (news.findtext(f"{{{NEWS_NS}}}publication_date") or "").strip(),
        "language": (news.findtext(f"{{{NEWS_NS}}}publication/{{{NEWS_NS}}}language") or "").strip() or None,
        "tags": [{"term": k.strip()} for k in keywords.split(",") if k.strip()],
        "stock_tickers": (news.findtext(f"{{{NEWS_NS}}}stock_tickers") or "").strip(),
    }

