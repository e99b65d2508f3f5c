"""Issue 8: the scraper fault matrix, retries and backoff, and safe fetching of article pages.

Each fault is scraped beside a good feed into a database that already holds articles (the failing
feed's own earlier ones too): the fault must end as its error class in `fetches`, be retried only
when transient, leave the good feed and every stored row alone, and keep the file intact.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace

import pytest
from faultserver import FAULTS, MATRIX_POLICY, RETRIED_CLASSES, FaultServer, Reply, build_rss, run_fault
from typer.testing import CliRunner

from nlp.scrape import fetch
from nlp.scrape import outcomes as oc
from nlp.scrape.fulltext import fetch_article_texts
from nlp.scrape.scraper import scrape_feeds

PARAGRAPH = ("Utilities across the Midwest said on Tuesday that electricity demand from new data centers has "
             "grown faster than any forecast they published last year, and several asked regulators to approve "
             "new gas turbines and transmission lines to keep up with the load. ")
PAGE = (f"<html><head><title>Power</title></head><body><article><h1>Data centers strain the grid</h1>"
        f"<p>{PARAGRAPH}</p><p>{PARAGRAPH}</p></article></body></html>").encode()
PAGE_POLICY = replace(MATRIX_POLICY, max_bytes=32 * 1024, max_retries=0, min_host_interval=0.0, allow_private=False)


@pytest.fixture(scope="module")
def server():
    with FaultServer(lifetime=120) as srv:
        yield srv


@pytest.fixture
def site(server):
    """The server with a robots.txt and an article page; extra routes are removed afterwards."""
    server.forget_requests()
    server.routes.update({"/robots.txt": Reply(200, b"User-agent: *\nAllow: /\n"), "/news/page": Reply(200, PAGE)})
    yield server
    server.routes.clear()


# --- the fault matrix ---------------------------------------------------------------------


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_fault_is_classified_contained_and_loses_nothing(server, tmp_path, fault):
    result = run_fault(server, fault, tmp_path / "n.db")
    assert result.outcome == fault.expected
    assert result.rows_lost == 0 and result.integrity == "ok" and result.other_feeds_ok
    assert result.problems == []


def test_backoff_is_jittered_exponential_and_capped():
    policy = replace(MATRIX_POLICY, backoff_base=1.0, backoff_max=5.0)
    rng = random.Random(8)
    for attempt, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)):
        waits = [oc.compute_backoff(attempt, policy, rng) for _ in range(20)]
        assert all(ceiling * 0.5 <= wait <= ceiling for wait in waits)
        assert len(set(waits)) > 1  # jitter: retries of many feeds do not arrive together


def test_only_transient_classes_are_retried():
    assert oc.TRANSIENT_CLASSES == RETRIED_CLASSES
    assert {f.expected for f in FAULTS} >= RETRIED_CLASSES  # the matrix has a case for each


def test_429_defers_the_next_request_to_the_same_host(server, db):
    server.phase = "fault"
    policy = replace(MATRIX_POLICY, max_retries=0)
    scrape_feeds(db, [server.fault_url("http_429"), server.url("/other.xml")], feed_policy=policy, concurrency=1)
    limited, other = server.hits(server.fault_path("http_429"))[-1], server.hits("/other.xml")[-1]
    assert other - limited >= 0.9  # Retry-After: 1 holds back the whole host, not just that URL


# --- article pages (--full-text): safe by default -------------------------------------------


def pages(urls, allow_private, policy=PAGE_POLICY):
    articles = [{"id": f"a{i}", "url": url} for i, url in enumerate(urls)]
    return asyncio.run(fetch_article_texts(articles, concurrency=1, allow_private=allow_private, policy=policy))


def test_loopback_page_is_refused_without_allow_private_and_fetched_with_it(site):
    refused = pages([site.url("/news/page")], allow_private=False)[0]
    assert refused.error_class == oc.PRIVATE_ADDRESS and site.requests_for("/news/page") == []
    fetched = pages([site.url("/news/page")], allow_private=True)[0]
    assert fetched.error_class is None and "data centers" in fetched.text


@pytest.mark.parametrize("host", ["localhost", "127.1", "2130706433", "0x7f000001", "017700000001",
                                  "[::ffff:127.0.0.1]", "0.0.0.0"])
def test_loopback_in_disguise_is_refused_after_resolution(site, host):
    port = site.httpd.server_address[1]
    page = pages([f"http://{host}:{port}/news/page"], allow_private=False)[0]
    assert page.error_class == oc.PRIVATE_ADDRESS
    assert site.requests_for("/news/page") == []


def test_every_redirect_hop_is_checked(site, monkeypatch):
    """The first hop is let through as if public; its redirect to `localhost` must be refused."""
    checked, real_check = [], fetch._refuse_private

    async def first_hop_public(host, port, timeout):
        checked.append(host)
        if len(checked) > 1:
            await real_check(host, port, timeout)

    monkeypatch.setattr(fetch, "_refuse_private", first_hop_public)
    port = site.httpd.server_address[1]
    site.routes["/go"] = Reply(302, b"", {"Location": f"http://localhost:{port}/news/page"})
    client = fetch.make_client(PAGE_POLICY)

    async def one():
        async with client:
            return await fetch.fetch_url(client, site.url("/go"), PAGE_POLICY, fetch.HostGate())

    result = asyncio.run(one())
    assert checked == ["127.0.0.1", "localhost"] and result.error_class == oc.PRIVATE_ADDRESS
    assert site.requests_for("/news/page") == []


@pytest.mark.parametrize("link", ["file:///etc/passwd", "javascript:alert(1)", "ftp://127.0.0.1/a", "data:text/html,hi"])
def test_only_http_links_are_followed(site, link):
    page = pages([link], allow_private=True)[0]
    assert page.error_class == oc.BAD_SCHEME and page.text is None


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/page"])
def test_page_redirect_to_another_scheme_is_refused(site, target):
    site.routes["/news/moved"] = Reply(301, b"", {"Location": target})
    assert pages([site.url("/news/moved")], allow_private=True)[0].error_class == oc.BAD_SCHEME


def test_page_size_and_time_caps(site):
    site.routes["/news/huge"] = Reply(200, b"<html><body><p>" + b"word " * 20_000 + b"</p></body></html>", chunks=20)
    site.routes["/news/slow"] = Reply(200, PAGE, first_byte_delay=PAGE_POLICY.read_timeout * 3)
    huge, slow = pages([site.url("/news/huge"), site.url("/news/slow")], allow_private=True)
    assert (huge.error_class, slow.error_class) == (oc.TOO_LARGE, oc.TIMEOUT)


def test_page_cookies_are_not_kept(site):
    site.routes["/news/cookie"] = Reply(200, PAGE, {"Set-Cookie": "session=abc; Path=/"})
    pages([site.url("/news/cookie"), site.url("/news/page")], allow_private=True)
    assert "cookie" not in site.requests_for("/news/page")[-1]


def test_cli_full_text_refuses_loopback_unless_allow_private(site, tmp_path):
    from nlp.cli import app

    site.routes["/feed.xml"] = Reply(200, build_rss("Site", [("Grid story", site.url("/news/page"), "Grid summary.")]))
    base = ["--db", str(tmp_path / "n.db"), "scrape", site.url("/feed.xml"), "--full-text"]
    refused = CliRunner().invoke(app, base)
    assert refused.exit_code == 0 and "full text: 0 ok, 1 failed" in refused.stdout
    assert site.requests_for("/news/page") == []
    site.routes["/news/other"] = Reply(200, PAGE)
    site.routes["/feed.xml"] = Reply(200, build_rss("Site", [("Grid story 2", site.url("/news/other"), "Other.")]))
    allowed = CliRunner().invoke(app, [*base, "--allow-private"])
    assert allowed.exit_code == 0 and "full text: 1 ok, 0 failed" in allowed.stdout
