"""Scraping feeds into the store: the Python API behind `narrative scrape`, `feeds`, `articles`, `search`.

    import nlp
    summary = nlp.scrape(["https://example.com/rss.xml"], db="news.db")
    print(summary.line())

`nlp.scrape` is both this package and callable (calling it calls `scrape` below), so the API keeps
working however the package was imported.
"""

from __future__ import annotations

import sqlite3
import sys
import types
from pathlib import Path
from typing import Any, Iterable

from nlp.errors import NarrativeError


def _database(db: Any):
    """A Database as given, or opened from a path (None: the default database)."""
    from nlp.store import open_db

    if db is None or isinstance(db, (str, Path)):
        return open_db(db)
    return db


def collect_feeds(feeds: Iterable[str] = (), opml: str | Path | None = None,
                  feeds_file: str | Path | None = None) -> list:
    """Feeds named directly plus those in an OPML and/or YAML list, in that order, without repeats."""
    from nlp.scrape.feedlists import FeedSpec, load_feed_list

    specs = [feed if isinstance(feed, FeedSpec) else FeedSpec(str(feed)) for feed in feeds or ()]
    for list_file in (opml, feeds_file):
        if list_file is not None:
            specs.extend(load_feed_list(list_file))
    return specs


def scrape(
    feeds: Iterable[str] = (), db: Any = None, *, opml: str | Path | None = None,
    feeds_file: str | Path | None = None, full_text: bool = False, concurrency: int = 8,
    allow_private: bool = False, progress=None, feed_policy=None, page_policy=None,
):
    """Fetch feeds (URLs or local paths, and/or the feeds of an OPML/YAML list) into the database.

    Returns a ScrapeSummary (`.line()`, `.feeds_failed`, `.failures`, `.articles`). Raises
    NarrativeError for bad arguments (no feeds, a missing list file, concurrency < 1).
    """
    from nlp.scrape.outcomes import FEED_POLICY, PAGE_POLICY
    from nlp.scrape.scraper import scrape_feeds

    if isinstance(feeds, (str, Path)):
        feeds = [str(feeds)]
    if concurrency < 1:
        raise NarrativeError("concurrency must be at least 1")
    specs = collect_feeds(feeds, opml, feeds_file)
    if not specs:
        raise NarrativeError("no feeds given: name a FEED, or pass an OPML or YAML feed list")
    database = _database(db)
    try:
        return scrape_feeds(database, specs, full_text=full_text, concurrency=concurrency, progress=progress,
                            allow_private=allow_private, feed_policy=feed_policy or FEED_POLICY,
                            page_policy=page_policy or PAGE_POLICY)
    except sqlite3.OperationalError as exc:  # disk full, read-only file, locked past busy_timeout
        raise NarrativeError(f"database error while scraping: {exc} (articles already saved are kept)") from exc


def feeds(db: Any = None) -> list[dict]:
    """Every feed with its last status and article count."""
    from nlp.store.feeds import list_feeds

    return list_feeds(_database(db))


def articles(db: Any = None, limit: int = 20, feed: str | None = None) -> list[dict]:
    """The most recent articles (all feeds, or one feed by its URL/path)."""
    from nlp.scrape.scraper import normalize_source
    from nlp.store.articles import iter_recent_articles

    return list(iter_recent_articles(_database(db), limit, normalize_source(feed) if feed else None))


def search(query: str, db: Any = None, limit: int = 20) -> list[dict]:
    """Full-text search over title, summary and text; every word must match."""
    from nlp.store.articles import search_articles

    return search_articles(_database(db), query, limit)


class _CallableModule(types.ModuleType):
    """Lets `nlp.scrape(...)` work even after `import nlp.scrape.x` rebinds `nlp.scrape` to this package."""

    def __call__(self, *args: Any, **kwargs: Any):
        return scrape(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["scrape", "feeds", "articles", "search", "collect_feeds"]
