"""The 7 real feed files of ../shared/data/rss_feeds_financial, served over local HTTP.

Every item is stored once; a second run sends conditional requests, gets 304s and stores nothing.
The files are publisher text: they are read from shared/, never copied into the repository.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from email.utils import formatdate

import pytest
from feedserver import TEST_POLICY, FeedServer, Reply

from nlp.scrape.scraper import scrape_feeds
from nlp.scrape.urls import canonicalize_url
from nlp.store.articles import count_articles
from nlp.store.feeds import iter_fetches

POLICY = replace(TEST_POLICY, max_bytes=1024 * 1024, read_timeout=5.0, total_timeout=20.0)
_ITEM_LINK = re.compile(rb"<item>.*?<link>\s*(.*?)\s*</link>|<url>\s*<loc>\s*(.*?)\s*</loc>", re.S)


def conditional_route(body: bytes, mtime: float):
    etag = '"' + hashlib.sha1(body).hexdigest() + '"'
    stamp = formatdate(mtime, usegmt=True)

    def route(headers):
        if headers.get("if-none-match") == etag or headers.get("if-modified-since") == stamp:
            return Reply(304)
        return Reply(200, body, {"ETag": etag, "Last-Modified": stamp, "Content-Type": "application/xml"})

    return route


def item_links(body: bytes) -> list[str]:
    """Every item's link, read with a regex (independently of the scraper's parser)."""
    links = [(a or b).decode() for a, b in _ITEM_LINK.findall(body)]
    return [canonicalize_url(link.replace("&amp;", "&")) for link in links]


@pytest.fixture
def real_feeds(shared_data):
    files = sorted((shared_data / "rss_feeds_financial").glob("*.xml"))
    if len(files) != 7:
        pytest.skip("rss_feeds_financial does not hold its 7 files")
    return files


def test_every_item_once_then_conditional_requests_and_no_new_rows(db, real_feeds):
    expected = set()
    with FeedServer() as server:
        for path in real_feeds:
            body = path.read_bytes()
            server.routes["/" + path.name] = conditional_route(body, path.stat().st_mtime)
            expected.update(item_links(body))
        urls = [server.url("/" + path.name) for path in real_feeds]

        first = scrape_feeds(db, urls, feed_policy=POLICY)
        stored = {row[0] for row in db.execute("SELECT url FROM articles")}
        assert first.feeds_failed == 0 and first.articles.new == len(expected) == count_articles(db)
        assert stored == expected

        second = scrape_feeds(db, urls, feed_policy=POLICY)
        assert second.articles.new == second.articles.updated == 0 and second.feeds_failed == 0
        assert {outcome.status for outcome in second.feeds} == {"not_modified"}
        for path in real_feeds:
            again = server.requests_for("/" + path.name)[1]
            assert again.get("if-none-match") and again.get("if-modified-since")
    assert count_articles(db) == len(expected)
    statuses = [row["http_status"] for row in iter_fetches(db)]
    assert statuses.count(200) == 7 and statuses.count(304) == 7


def test_local_files_rerun_is_all_duplicates_and_rows_are_well_formed(db, real_feeds):
    paths = [str(path) for path in real_feeds]
    first = scrape_feeds(db, paths, feed_policy=POLICY)
    second = scrape_feeds(db, paths, feed_policy=POLICY)  # no validators for files: dedupe does the work
    assert second.articles.new == 0 and second.articles.duplicate == first.articles.new == count_articles(db)
    rows = list(db.execute("SELECT published_utc, fetched_utc, title, date_flags FROM articles"))
    assert rows and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p) for p, *_ in rows)
    assert all(title and "<" not in title for _, _, title, _ in rows)
