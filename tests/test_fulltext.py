"""--full-text: article pages fetched safely (robots.txt, private addresses) and main text extracted."""

from __future__ import annotations

from dataclasses import replace

from feedserver import TEST_POLICY, FeedServer, Reply, rss

from nlp.scrape import outcomes as oc
from nlp.scrape.fulltext import build_robots, extract_main_text
from nlp.scrape.scraper import scrape_feeds

PARAGRAPH = ("Utilities across the Midwest said on Tuesday that electricity demand from new data centers "
             "has grown faster than any forecast they published last year, and several asked regulators "
             "to approve new gas turbines and transmission lines to keep up with the load. ")
PAGE = (f"<html><head><title>Power demand</title></head><body><nav>Home | Markets | Tech</nav>"
        f"<article><h1>Data centers strain the grid</h1><p>{PARAGRAPH}</p><p>{PARAGRAPH}</p></article>"
        f"<footer>Copyright 2026</footer></body></html>").encode()
PAGE_POLICY = replace(TEST_POLICY, max_bytes=256 * 1024, min_host_interval=0.0, allow_private=False)


def test_extract_main_text_drops_boilerplate():
    text = extract_main_text(PAGE, "http://example.com/a")
    assert text and "data centers" in text and "Home | Markets" not in text
    assert extract_main_text(b"<html><body><p>short</p></body></html>") is None
    assert extract_main_text(b"\x00\xff garbage") is None


def test_robots_rules_are_parsed():
    robots = build_robots(b"User-agent: *\nDisallow: /private/\n")
    assert robots.can_fetch("narrative/0.1", "http://h/a") and not robots.can_fetch("narrative/0.1", "http://h/private/b")


def scrape_with_pages(db, server, allow_private):
    return scrape_feeds(db, [server.url("/feed.xml")], full_text=True, allow_private=allow_private,
                        feed_policy=TEST_POLICY, page_policy=PAGE_POLICY)


def setup_site(server):
    items = [("Open story", server.url("/news/open"), "Summary of the open story, long enough to count."),
             ("Hidden story", server.url("/private/hidden"), "Summary of the hidden story, long enough too."),
             ("Empty story", server.url("/news/empty"), "Summary of a story whose page has no text at all.")]
    server.static("/feed.xml", rss(items))
    server.static("/robots.txt", b"User-agent: *\nDisallow: /private/\n")
    server.static("/news/open", PAGE, Content_Type="text/html; charset=utf-8")
    server.static("/private/hidden", PAGE)
    server.static("/news/empty", b"<html><body></body></html>")


def test_pages_fetched_robots_obeyed_text_stored(db):
    with FeedServer() as server:
        setup_site(server)
        summary = scrape_with_pages(db, server, allow_private=True)
        assert server.requests_for("/private/hidden") == []
    assert summary.pages_ok == 1 and summary.pages_failed == {oc.ROBOTS_DISALLOWED: 1, oc.NO_TEXT: 1}
    text, source = db.execute("SELECT text, text_source FROM articles WHERE title = 'Open story'").fetchone()
    assert "data centers" in text and source == "fulltext"
    assert "full text: 1 ok, 2 failed" in summary.line()


def test_loopback_pages_refused_unless_allowed(db):
    with FeedServer() as server:
        setup_site(server)
        summary = scrape_with_pages(db, server, allow_private=False)
        assert server.requests_for("/news/open") == [] and summary.feeds_ok == 1
    assert summary.pages_ok == 0 and set(summary.pages_failed) == {oc.PRIVATE_ADDRESS}


def test_robots_unreachable_means_disallowed(db):
    with FeedServer() as server:
        setup_site(server)
        server.routes["/robots.txt"] = lambda h: Reply(503, b"")
        summary = scrape_with_pages(db, server, allow_private=True)
    assert summary.pages_failed == {oc.ROBOTS_DISALLOWED: 3}
