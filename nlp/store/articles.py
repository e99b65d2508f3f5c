"""SQL for articles: dedupe-aware saving, recent articles, full-text search."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import sqlite_utils

from nlp.store.db import write_transaction

ARTICLE_COLUMNS = ("id", "feed_id", "guid", "url", "title", "summary", "text", "author", "published_utc",
                   "fetched_utc", "updated_utc", "date_flags", "content_hash", "language", "text_source")
# What a re-scraped item may change in its stored row (full text fetched from the page is kept).
UPDATABLE_COLUMNS = ("title", "summary", "author", "content_hash", "language")
# Equal content merges two links only when there is a body (summary or text) of this many characters:
# a title alone is too weak a sign of the same story (a daily "Markets wrap", podcast episodes).
MIN_BODY_CHARS_FOR_CONTENT_DEDUPE = 40
_FTS_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass
class SaveCounts:
    new: int = 0
    updated: int = 0
    duplicate: int = 0
    new_ids: tuple[str, ...] = ()

    def __add__(self, other: "SaveCounts") -> "SaveCounts":
        return SaveCounts(self.new + other.new, self.updated + other.updated,
                          self.duplicate + other.duplicate, self.new_ids + other.new_ids)


def save_articles(db: sqlite_utils.Database, rows: Iterable[dict[str, Any]], now_utc: str | None = None) -> SaveCounts:
    """Insert new articles, update changed ones, skip duplicates; one short write transaction.

    - same id (canonical URL, or GUID within the feed) from another feed: a syndicated copy, duplicate;
    - same id from the same feed, same content: duplicate;
    - same id from the same feed, changed content: updated when this version is not older than the
      stored one (by the item's updated/published time), so a feed that lists an old and a new
      version of one story converges on the new one, whatever the order;
    - a new id whose content (with a real body) is already stored: duplicate.
    The stored published_utc is the earliest dated version's (first publication).
    `now_utc` is unused and kept for callers that pass it.
    """
    new_ids: list[str] = []
    counts = SaveCounts()
    written_this_batch: set[str] = set()
    with write_transaction(db):
        for row in rows:
            outcome = _save_one(db, row, row["id"] in written_this_batch)
            written_this_batch.add(row["id"])
            if outcome == "new":
                new_ids.append(row["id"])
                counts.new += 1
            elif outcome == "updated":
                counts.updated += 1
            else:
                counts.duplicate += 1
    counts.new_ids = tuple(new_ids)
    return counts


def _save_one(db: sqlite_utils.Database, row: dict[str, Any], seen_in_batch: bool) -> str:
    existing = db.execute(
        "SELECT feed_id, content_hash, COALESCE(updated_utc, published_utc), date_flags, published_utc "
        "FROM articles WHERE id = ?", [row["id"]]).fetchone()
    if existing is None:
        if _same_guid_same_content(db, row) or _content_already_stored(db, row):
            return "duplicate"
        # updated_utc: the time of the stored version (the item's updated time, else its published time).
        row = {**row, "updated_utc": row.get("updated_utc") or row.get("published_utc")}
        columns = [name for name in ARTICLE_COLUMNS if name in row]
        db.execute(f"INSERT INTO articles ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                   [row[name] for name in columns])
        return "new"
    feed_id, content_hash, stored_version, stored_flags, stored_published = existing
    if feed_id != row.get("feed_id"):
        if _is_earlier_copy(row, stored_published, stored_flags):
            _replace_with(db, row)  # the earliest copy is the original, whatever order feeds arrive in
        return "duplicate"
    _keep_earliest_published(db, row, stored_flags)
    if content_hash == row["content_hash"]:
        return "duplicate"
    version = row.get("updated_utc") or row.get("published_utc") or ""
    # Within one batch an equal-time version does not replace the one just written (no flip-flop).
    if version < (stored_version or "") or (seen_in_batch and version == stored_version):
        return "duplicate"
    _update_changed(db, row)
    return "updated"


def _is_earlier_copy(row: dict[str, Any], stored_published: str | None, stored_flags: str | None) -> bool:
    if row.get("date_flags") or not row.get("published_utc"):
        return False
    return bool(stored_flags) or row["published_utc"] < (stored_published or "")


def _replace_with(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    names = ("feed_id", "guid", "published_utc", "date_flags", "fetched_utc")
    db.execute(f"UPDATE articles SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
               [*(row.get(n) for n in names), row["id"]])
    _update_changed(db, row)


def _keep_earliest_published(db: sqlite_utils.Database, row: dict[str, Any], stored_flags: str | None) -> None:
    if row.get("date_flags") or stored_flags or not row.get("published_utc"):
        return
    db.execute("UPDATE articles SET published_utc = MIN(published_utc, ?) WHERE id = ?",
               [row["published_utc"], row["id"]])


def _update_changed(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    assignments = ", ".join(f"{name} = ?" for name in UPDATABLE_COLUMNS)
    values = [row.get(name) for name in UPDATABLE_COLUMNS]
    # Text extracted from the page (text_source "fulltext") is better than the feed's; keep it.
    keep_fulltext = (
        "text = CASE WHEN text_source = 'fulltext' THEN text ELSE ? END, "
        "text_source = CASE WHEN text_source = 'fulltext' THEN text_source ELSE ? END"
    )
    version = row.get("updated_utc") or row.get("published_utc")
    db.execute(f"UPDATE articles SET {assignments}, {keep_fulltext}, updated_utc = ? WHERE id = ?",
               [*values, row.get("text"), row.get("text_source"), version, row["id"]])


def _same_guid_same_content(db: sqlite_utils.Database, row: dict[str, Any]) -> bool:
    """The same item under a changed link. GUID alone never merges different content: some feeds
    reuse one GUID for every item, and merging those would lose articles."""
    if not row.get("guid"):
        return False
    hit = db.execute("SELECT 1 FROM articles WHERE feed_id IS ? AND guid = ? AND content_hash = ? LIMIT 1",
                     [row.get("feed_id"), row["guid"], row["content_hash"]]).fetchone()
    return hit is not None


def _content_already_stored(db: sqlite_utils.Database, row: dict[str, Any]) -> bool:
    body = row.get("text") or row.get("summary") or ""
    if len(body) < MIN_BODY_CHARS_FOR_CONTENT_DEDUPE:
        return False
    hit = db.execute("SELECT 1 FROM articles WHERE content_hash = ? LIMIT 1", [row["content_hash"]]).fetchone()
    return hit is not None


def save_article_text(db: sqlite_utils.Database, article_id: str, text: str, source: str) -> None:
    """Store the main text extracted from the article's page."""
    with write_transaction(db):
        db.execute("UPDATE articles SET text = ?, text_source = ? WHERE id = ?", [text, source, article_id])


def iter_articles_by_id(db: sqlite_utils.Database, ids: Iterable[str]) -> Iterator[dict[str, Any]]:
    for article_id in ids:
        cursor = db.execute("SELECT id, url, title FROM articles WHERE id = ?", [article_id])
        row = cursor.fetchone()
        if row:
            yield {"id": row[0], "url": row[1], "title": row[2]}


def iter_recent_articles(db: sqlite_utils.Database, limit: int = 20, feed_url: str | None = None) -> Iterator[dict[str, Any]]:
    """Newest first by published date."""
    sql = """
        SELECT a.id, a.published_utc, a.title, a.url, f.url AS feed, a.date_flags
        FROM articles a LEFT JOIN feeds f ON f.id = a.feed_id
        {where} ORDER BY a.published_utc DESC, a.id LIMIT ?
    """
    where, params = ("WHERE f.url = ?", [feed_url]) if feed_url else ("", [])
    yield from _dicts(db, sql.format(where=where), [*params, limit])


def build_fts_query(text: str) -> str | None:
    """A safe FTS5 MATCH expression: every word quoted, all required; None when there are no words.

    User input never reaches FTS5 syntax (NEAR, column filters, quotes, `*`) unescaped.
    """
    words = _FTS_TOKEN.findall(text)
    return " ".join('"' + word.replace('"', '""') + '"' for word in words) or None


def search_articles(db: sqlite_utils.Database, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Articles matching every word of `query`, best match first, with a short snippet."""
    match = build_fts_query(query)
    if match is None:
        return []
    sql = """
        SELECT a.id, a.published_utc, a.title, a.url,
               snippet(articles_fts, -1, '[', ']', ' ... ', 12) AS snippet
        FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid
        WHERE articles_fts MATCH ? ORDER BY articles_fts.rank LIMIT ?
    """
    return _dicts(db, sql, [match, limit])


def count_articles(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])


def _dicts(db: sqlite_utils.Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
