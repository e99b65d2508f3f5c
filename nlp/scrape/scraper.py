"""Orchestration: fetch feeds concurrently, parse, dedupe into the store, record every attempt.

Network work is concurrent (asyncio); the database is written only from the event-loop thread, in
short transactions, so a crash loses at most the feed being saved and other readers are not blocked.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable

import sqlite_utils

from nlp.scrape import outcomes as oc
from nlp.scrape.dates import format_utc, utc_now
from nlp.scrape.entries import build_article_row
from nlp.scrape.feedlists import FeedSpec
from nlp.scrape.fetch import HostGate, fetch_with_retries, is_local_source, load_local_feed, make_client
from nlp.scrape.outcomes import FEED_POLICY, PAGE_POLICY, FetchPolicy, FetchResult
from nlp.scrape.parse import ParsedFeed, parse_feed_bytes
from nlp.store import articles as article_store
from nlp.store import feeds as feed_store
from nlp.store.articles import SaveCounts

# progress(stage, done, total, label): stage is "feeds" or "pages".
ProgressCallback = Callable[[str, int, int, str], None]


@dataclass
class FeedOutcome:
    """How one feed went: ok (incl. not modified) or failed with an error class."""

    source: str
    feed_id: int
    status: str                      # "ok", "not_modified" or the error class
    message: str | None = None
    counts: SaveCounts = field(default_factory=SaveCounts)
    attempts: int = 1

    @property
    def failed(self) -> bool:
        return self.status not in (feed_store.FEED_STATUS_OK, feed_store.FEED_STATUS_NOT_MODIFIED)


@dataclass
class ScrapeSummary:
    feeds: list[FeedOutcome] = field(default_factory=list)
    pages_ok: int = 0
    pages_failed: dict[str, int] = field(default_factory=dict)

    @property
    def feeds_ok(self) -> int:
        return sum(1 for outcome in self.feeds if not outcome.failed)

    @property
    def feeds_failed(self) -> int:
        return sum(1 for outcome in self.feeds if outcome.failed)

    @property
    def failures(self) -> list[FeedOutcome]:
        return [outcome for outcome in self.feeds if outcome.failed]

    @property
    def articles(self) -> SaveCounts:
        total = SaveCounts()
        for outcome in self.feeds:
            total = total + outcome.counts
        return total

    def line(self) -> str:
        counts = self.articles
        text = (f"feeds: {self.feeds_ok} ok, {self.feeds_failed} failed; articles: {counts.new} new, "
                f"{counts.updated} updated, {counts.duplicate} duplicate")
        if self.pages_ok or self.pages_failed:
            text += f"; full text: {self.pages_ok} ok, {sum(self.pages_failed.values())} failed"
        return text


def normalize_source(source: str) -> str:
    """How a feed is identified in the database: URLs as given, local paths made absolute."""
    source = source.strip()
    return source if not is_local_source(source) else str(Path(source).expanduser().resolve())


def scrape_feeds(
    db: sqlite_utils.Database, feeds: Iterable[str | FeedSpec], *, full_text: bool = False, concurrency: int = 8,
    progress: ProgressCallback | None = None, allow_private: bool = False,
    feed_policy: FetchPolicy = FEED_POLICY, page_policy: FetchPolicy = PAGE_POLICY,
) -> ScrapeSummary:
    """Scrape every feed into `db`; runs its own event loop (in a thread if one is already running)."""
    coroutine = scrape_feeds_async(db, feeds, full_text=full_text, concurrency=concurrency, progress=progress,
                                   allow_private=allow_private, feed_policy=feed_policy, page_policy=page_policy)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:  # e.g. inside Jupyter
        return pool.submit(asyncio.run, coroutine).result()


async def scrape_feeds_async(
    db: sqlite_utils.Database, feeds: Iterable[str | FeedSpec], *, full_text: bool = False, concurrency: int = 8,
    progress: ProgressCallback | None = None, allow_private: bool = False,
    feed_policy: FetchPolicy = FEED_POLICY, page_policy: FetchPolicy = PAGE_POLICY,
) -> ScrapeSummary:
    specs = _unique_specs(feeds)
    summary = ScrapeSummary()
    now = format_utc(utc_now())
    feed_ids = {spec.url: feed_store.upsert_feed(db, spec.url, spec.title, now) for spec in specs}
    semaphore = asyncio.Semaphore(max(1, concurrency))
    gate = HostGate(feed_policy.min_host_interval)
    async with make_client(feed_policy, max_connections=max(1, concurrency)) as client:

        async def fetch_one(spec: FeedSpec) -> tuple[FeedSpec, list[FetchResult], ParsedFeed | None]:
            async with semaphore:
                return await _fetch_and_parse(client, gate, feed_policy, spec, feed_store.get_feed(db, feed_ids[spec.url]))

        tasks = [asyncio.ensure_future(fetch_one(spec)) for spec in specs]
        try:
            # Fetched concurrently, stored in the order given: the same input gives the same rows and counts.
            for done, task in enumerate(tasks, 1):
                spec, attempts, parsed = await task
                summary.feeds.append(_ingest(db, feed_ids[spec.url], spec, attempts, parsed))
                if progress:
                    progress("feeds", done, len(specs), spec.url)
        finally:
            await _cancel_and_wait(tasks)
    if full_text:
        await _add_full_texts(db, summary, concurrency, allow_private, page_policy, progress)
    return summary


async def _cancel_and_wait(tasks: list[asyncio.Future]) -> None:
    """Stop fetches still in flight (a store error ended the run) while the client is still open."""
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


def _unique_specs(feeds: Iterable[str | FeedSpec]) -> list[FeedSpec]:
    seen, specs = set(), []
    for feed in feeds:
        spec = feed if isinstance(feed, FeedSpec) else FeedSpec(str(feed))
        spec = FeedSpec(normalize_source(spec.url), spec.title)
        if spec.url and spec.url not in seen:
            seen.add(spec.url)
            specs.append(spec)
    return specs


async def _fetch_and_parse(client, gate, policy, spec: FeedSpec, feed_row: dict[str, Any]):
    """All attempts at one feed and, when the last one brought a body, its parse. Never raises."""
    try:
        if is_local_source(spec.url):
            attempts = [await asyncio.to_thread(load_local_feed, spec.url, policy)]
        else:
            attempts = await fetch_with_retries(client, spec.url, policy, gate, _conditional_headers(feed_row))
        last = attempts[-1]
        if not last.ok or last.not_modified:
            return spec, attempts, None
        return spec, attempts, await asyncio.to_thread(parse_feed_bytes, last.body, last.headers)
    except Exception as exc:  # one feed's bug must not stop the others; it is recorded, not hidden
        now = format_utc(utc_now())
        failure = FetchResult(spec.url, now, now, error_class=oc.INTERNAL_ERROR, message=f"{type(exc).__name__}: {exc}")
        return spec, [failure], None


def _conditional_headers(feed_row: dict[str, Any]) -> dict[str, str]:
    headers = {}
    if feed_row.get("etag"):
        headers["If-None-Match"] = feed_row["etag"]
    if feed_row.get("last_modified"):
        headers["If-Modified-Since"] = feed_row["last_modified"]
    return headers


def _ingest(db, feed_id: int, spec: FeedSpec, attempts: list[FetchResult], parsed: ParsedFeed | None) -> FeedOutcome:
    """Record every attempt; store the entries of a usable feed; update the feed's status."""
    for attempt in attempts[:-1]:
        feed_store.record_fetch(db, _fetch_row(feed_id, attempt))
    last = attempts[-1]
    outcome = FeedOutcome(spec.url, feed_id, last.error_class or "ok", last.message, attempts=len(attempts))
    if last.not_modified:
        outcome.status = feed_store.FEED_STATUS_NOT_MODIFIED
    elif parsed is not None and not parsed.usable:
        outcome.status, outcome.message = parsed.error_class, parsed.message
    elif parsed is not None:
        outcome.counts, outcome.message = _store_entries(db, feed_id, parsed, last), parsed.message
    feed_store.record_fetch(db, _fetch_row(feed_id, last, outcome, parsed))
    feed_store.save_feed_outcome(
        db, feed_id, fetched_utc=last.ended_utc, status=outcome.status, error=outcome.message,
        etag=last.headers.get("etag"), last_modified=last.headers.get("last-modified"),
        title=parsed.title if parsed else None, site=parsed.link if parsed else None,
        validators=parsed is not None and parsed.usable)
    return outcome


def _store_entries(db, feed_id: int, parsed: ParsedFeed, fetch: FetchResult) -> SaveCounts:
    fetched = datetime.strptime(fetch.ended_utc, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=utc_now().tzinfo)
    rows = [build_article_row(entry, feed_id, fetched, feed_language=parsed.language) for entry in parsed.entries]
    return article_store.save_articles(db, [row for row in rows if row is not None])


def _fetch_row(feed_id: int, fetch: FetchResult, outcome: FeedOutcome | None = None,
               parsed: ParsedFeed | None = None) -> dict[str, Any]:
    row = {
        "feed_id": feed_id, "url": fetch.url, "started_utc": fetch.started_utc, "ended_utc": fetch.ended_utc,
        "http_status": fetch.status, "bytes": len(fetch.body), "attempt": fetch.attempt,
        "error_class": fetch.error_class, "error_message": fetch.message,
    }
    if outcome is not None and parsed is not None:
        row.update(error_class=None if parsed.usable else parsed.error_class, error_message=outcome.message,
                   items_seen=len(parsed.entries), items_new=outcome.counts.new,
                   items_updated=outcome.counts.updated, items_duplicate=outcome.counts.duplicate)
    return row


async def _add_full_texts(db, summary: ScrapeSummary, concurrency: int, allow_private: bool,
                          policy: FetchPolicy, progress: ProgressCallback | None) -> None:
    from nlp.scrape.fulltext import fetch_article_texts

    articles = list(article_store.iter_articles_by_id(db, summary.articles.new_ids))
    done = 0

    def on_page(page) -> None:
        nonlocal done
        done += 1
        if progress:
            progress("pages", done, len(articles), page.url or "")

    pages = await fetch_article_texts(articles, concurrency=concurrency, allow_private=allow_private,
                                      policy=replace(policy, allow_private=allow_private), progress=on_page)
    for page in pages:
        if page.text:
            article_store.save_article_text(db, page.article_id, page.text, "fulltext")
            summary.pages_ok += 1
        else:
            summary.pages_failed[page.error_class or oc.INTERNAL_ERROR] = (
                summary.pages_failed.get(page.error_class or oc.INTERNAL_ERROR, 0) + 1)


scrape = scrape_feeds  # the name used in the contract: scrape(db, feeds, full_text=..., ...)
