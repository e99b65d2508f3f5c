"""SQL for feeds and fetches: which feeds exist, what each fetch attempt ended as."""

from __future__ import annotations

from typing import Any, Iterator

import sqlite_utils

from nlp.store.db import write_transaction

FEED_STATUS_OK = "ok"
FEED_STATUS_NOT_MODIFIED = "not_modified"


def upsert_feed(db: sqlite_utils.Database, url: str, title: str | None, now_utc: str) -> int:
    """The id of the feed with this URL or path, creating it if new (a given title fills an empty one)."""
    with write_transaction(db):
        row = db.execute("SELECT id, title FROM feeds WHERE url = ?", [url]).fetchone()
        if row is None:
            cursor = db.execute("INSERT INTO feeds (url, title, added_utc) VALUES (?, ?, ?)", [url, title, now_utc])
            return int(cursor.lastrowid)
        if title and not row[1]:
            db.execute("UPDATE feeds SET title = ? WHERE id = ?", [title, row[0]])
        return int(row[0])


def get_feed(db: sqlite_utils.Database, feed_id: int) -> dict[str, Any]:
    cursor = db.execute("SELECT * FROM feeds WHERE id = ?", [feed_id])
    names = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    return dict(zip(names, row)) if row else {}


def save_feed_outcome(
    db: sqlite_utils.Database, feed_id: int, *, fetched_utc: str, status: str, error: str | None = None,
    etag: str | None = None, last_modified: str | None = None, title: str | None = None,
    site: str | None = None, validators: bool = False,
) -> None:
    """After a feed's last attempt: status and error; the cache validators only when `validators`
    (they are replaced only after a usable body was stored, so a failed parse is fetched again in full)."""
    sets = {"last_fetched_utc": fetched_utc, "last_status": status, "last_error": error}
    if validators:
        sets.update(etag=etag, last_modified=last_modified)
    if title:
        sets["title"] = title
    if site:
        sets["site"] = site
    assignments = ", ".join(f"{name} = ?" for name in sets)
    with write_transaction(db):
        db.execute(f"UPDATE feeds SET {assignments} WHERE id = ?", [*sets.values(), feed_id])


def record_fetch(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    """One row per attempt at a feed or page (the record of what happened, kept forever)."""
    columns = ["feed_id", "url", "started_utc", "ended_utc", "http_status", "bytes", "attempt",
               "error_class", "error_message", "items_seen", "items_new", "items_updated", "items_duplicate"]
    values = [row.get(name) for name in columns]
    with write_transaction(db):
        cursor = db.execute(
            f"INSERT INTO fetches ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})", values)
        return int(cursor.lastrowid)


def list_feeds(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every feed with its last status and how many articles it has."""
    sql = """
        SELECT f.id, f.url, f.title, f.last_status, f.last_error, f.last_fetched_utc,
               (SELECT COUNT(*) FROM articles a WHERE a.feed_id = f.id) AS articles
        FROM feeds f ORDER BY f.url
    """
    return _dicts(db, sql, [])


def iter_fetches(db: sqlite_utils.Database, feed_id: int | None = None) -> Iterator[dict[str, Any]]:
    where, params = ("WHERE feed_id = ?", [feed_id]) if feed_id is not None else ("", [])
    yield from _dicts(db, f"SELECT * FROM fetches {where} ORDER BY id", params)


def _dicts(db: sqlite_utils.Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
