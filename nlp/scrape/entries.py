"""Feed entry -> articles row. Pure: no I/O, no clock (the fetch time is passed in)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any, Mapping

from nlp.scrape.dates import DEFAULT_MAX_SKEW, format_utc, normalize_entry_date
from nlp.scrape.text import html_to_text, normalize_for_hash, tidy_text
from nlp.scrape.urls import canonicalize_url

MAX_FIELD_CHARS = 200_000  # one runaway entry must not bloat the database
TEXT_SOURCE_FEED = "feed"


def sha1_hex(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def build_article_id(canonical_url: str | None, guid: str | None, feed_id: int | None, content_hash: str) -> str:
    """Stable id: the canonical URL, else the GUID within its feed, else the content."""
    if canonical_url:
        return sha1_hex(canonical_url)
    if guid:
        return sha1_hex(f"guid:{feed_id}:{guid}")
    return sha1_hex(f"content:{content_hash}")


def compute_content_hash(title: str, summary: str, text: str) -> str:
    body = text or summary
    return sha1_hex(normalize_for_hash(title) + "\n" + normalize_for_hash(body))


def build_article_row(
    entry: Mapping[str, Any],
    feed_id: int | None,
    fetched_utc: datetime,
    *,
    feed_language: str | None = None,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
) -> dict[str, Any] | None:
    """An `articles` row for one feedparser entry (or a plain dict of the same keys).

    None when the entry has nothing to store (no title, no text and no link).
    """
    title = _clip(html_to_text(_text_value(entry.get("title"))))
    summary = _clip(html_to_text(_text_value(entry.get("summary") or entry.get("description"))))
    text = _clip(_content_text(entry))
    if text == summary:
        text = ""
    url = canonicalize_url(_text_value(entry.get("link")) or _permalink_guid(entry))
    guid = tidy_text(_text_value(entry.get("id") or entry.get("guid"))) or None
    if not (title or summary or text or url):
        return None
    content_hash = compute_content_hash(title, summary, text)
    published, flags = normalize_entry_date(_entry_date(entry), fetched_utc, max_skew)
    updated, updated_flags = normalize_entry_date(_updated_date(entry), fetched_utc, max_skew)
    return {
        "id": build_article_id(url, guid, feed_id, content_hash),
        "feed_id": feed_id,
        "guid": guid,
        "url": url,
        "title": title or None,
        "summary": summary or None,
        "text": text or None,
        "author": tidy_text(_text_value(entry.get("author"))) or None,
        "published_utc": published,
        "fetched_utc": format_utc(fetched_utc),
        "updated_utc": None if updated_flags else updated,  # when this version of the item was written
        "date_flags": ",".join(flags) or None,
        "content_hash": content_hash,
        "language": _language(entry, feed_language),
        "text_source": TEXT_SOURCE_FEED if text else None,
    }


def _text_value(value: Any) -> str:
    """Feed values are usually str; tolerate dicts ({"value": ...}), lists and None."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return _text_value(value.get("value") or value.get("href"))
    if isinstance(value, (list, tuple)):
        return _text_value(value[0]) if value else ""
    return str(value)


def _content_text(entry: Mapping[str, Any]) -> str:
    """The longest `content` block (content:encoded, atom:content) as text."""
    blocks = entry.get("content") or []
    if not isinstance(blocks, (list, tuple)):
        blocks = [blocks]
    texts = [html_to_text(_text_value(block)) for block in blocks]
    return max(texts, key=len, default="")


def _permalink_guid(entry: Mapping[str, Any]) -> str:
    guid = _text_value(entry.get("id"))
    return guid if entry.get("guidislink") else ""


def _entry_date(entry: Mapping[str, Any]) -> Any:
    for key in ("published_parsed", "updated_parsed", "created_parsed", "published", "updated", "created"):
        if entry.get(key):
            return entry[key]
    return None


def _updated_date(entry: Mapping[str, Any]) -> Any:
    # dict.get: feedparser's own .get maps a missing "updated" to "published" (with a warning).
    get = (lambda key: dict.get(entry, key)) if isinstance(entry, dict) else entry.get
    return get("updated_parsed") or get("updated")


def _language(entry: Mapping[str, Any], feed_language: str | None) -> str | None:
    value = _text_value(entry.get("language")) or feed_language or ""
    value = value.strip().replace("_", "-").lower()
    return value[:35] or None


def _clip(text: str) -> str:
    return text[:MAX_FIELD_CHARS]
