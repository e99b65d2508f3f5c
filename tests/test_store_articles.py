"""Dedupe rules of save_articles, independent of order."""

from __future__ import annotations

import itertools

from nlp.store.articles import build_fts_query, save_articles, search_articles
from nlp.store.feeds import upsert_feed

BODY = "A summary long enough to count as a real body of text for dedupe."


def row(url_id, feed_id, title, published, summary=BODY, updated=None, flags=None):
    return {"id": f"id-{url_id}", "feed_id": feed_id, "guid": None, "url": f"https://x.example/{url_id}",
            "title": title, "summary": summary, "text": None, "published_utc": published, "updated_utc": updated,
            "fetched_utc": "2026-01-10T00:00:00Z", "date_flags": flags, "content_hash": f"{title}|{summary}",
            "language": None, "text_source": None, "author": None}


def feeds(db):
    return [upsert_feed(db, f"feed{i}", None, "2026-01-01T00:00:00Z") for i in (1, 2)]


def stored(db):
    return db.execute("SELECT feed_id, title, published_utc FROM articles").fetchall()


def test_two_versions_in_one_feed_converge_on_the_newer_in_any_order(db):
    f1, _ = feeds(db)
    old = row(1, f1, "Old title", "2026-01-01T10:00:00Z")
    new = row(1, f1, "UPDATE 1-New title", "2026-01-01T12:00:00Z")
    for order in itertools.permutations([old, new]):
        db.execute("DELETE FROM articles")
        save_articles(db, list(order))
        again = save_articles(db, list(order))
        assert (again.new, again.updated) == (0, 0)
        assert stored(db) == [(f1, "UPDATE 1-New title", "2026-01-01T10:00:00Z")]


def test_syndicated_copy_keeps_the_earliest_original(db):
    f1, f2 = feeds(db)
    original = row(2, f1, "Story", "2026-01-02T09:00:00Z")
    copy = row(2, f2, "Story", "2026-01-02T11:00:00Z", summary=BODY + " First published elsewhere.")
    for order in itertools.permutations([original, copy]):
        db.execute("DELETE FROM articles")
        for item in order:
            save_articles(db, [item])
        assert stored(db) == [(f1, "Story", "2026-01-02T09:00:00Z")]


def test_same_content_under_another_url_is_a_duplicate_only_with_a_body(db):
    f1, f2 = feeds(db)
    assert save_articles(db, [row(3, f1, "Wrap", "2026-01-03T00:00:00Z")]).new == 1
    assert save_articles(db, [row(4, f2, "Wrap", "2026-01-03T00:00:00Z")]).duplicate == 1
    counts = save_articles(db, [row(5, f1, "Podcast", "2026-01-03T00:00:00Z", summary=""),
                                row(6, f1, "Podcast", "2026-01-04T00:00:00Z", summary="")])
    assert counts.new == 2


def test_fts_query_is_escaped(db):
    f1, _ = feeds(db)
    save_articles(db, [row(7, f1, "Fed holds rates", "2026-01-05T00:00:00Z")])
    assert build_fts_query('NEAR(a b) OR "x* col:y') == '"NEAR" "a" "b" "OR" "x" "col" "y"'
    assert build_fts_query("  ;;; ") is None and search_articles(db, "***") == []
    assert [r["title"] for r in search_articles(db, 'fed "rates')] == ["Fed holds rates"]
