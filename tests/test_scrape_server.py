"""Scraper against a local HTTP server: conditional GET, redirects, errors, slow and hostile answers."""

from __future__ import annotations

import gzip
from dataclasses import replace

import pytest
from feedserver import TEST_POLICY, FeedServer, Reply, rss

from nlp.scrape import outcomes as oc
from nlp.scrape.scraper import scrape_feeds
from nlp.store.articles import count_articles
from nlp.store.feeds import iter_fetches, list_feeds

ITEMS = [
    ("Fed holds rates", "http://example.com/a?utm_source=rss&id=1", "The Federal Reserve held rates steady on Wednesday, as expected."),
    ("Oil jumps", "http://example.com/b", "Crude oil prices jumped after the OPEC meeting ended without a deal."),
]
FEED = rss(ITEMS)


@pytest.fixture
def server():
    with FeedServer() as srv:
        yield srv


def run(db, server, *paths, policy=TEST_POLICY, **kwargs):
    return scrape_feeds(db, [server.url(p) for p in paths], feed_policy=policy, **kwargs)


def final_fetch(db, url):
    rows = [row for row in iter_fetches(db) if row["url"] == url]
    return rows[-1]


def test_etag_conditional_get_stores_nothing_new(db, server):
    server.routes["/etag.xml"] = lambda h: Reply(304) if h.get("if-none-match") == '"v1"' else Reply(200, FEED, {"ETag": '"v1"'})
    first = run(db, server, "/etag.xml")
    second = run(db, server, "/etag.xml")
    assert (first.articles.new, second.articles.new, second.articles.duplicate) == (2, 0, 0)
    assert server.requests_for("/etag.xml")[1]["if-none-match"] == '"v1"'
    assert second.feeds[0].status == "not_modified" and second.feeds_failed == 0
    assert final_fetch(db, server.url("/etag.xml"))["http_status"] == 304
    assert count_articles(db) == 2


def test_last_modified_conditional_get(db, server):
    stamp = "Mon, 06 Jan 2025 10:00:00 GMT"
    server.routes["/lm.xml"] = lambda h: Reply(304) if h.get("if-modified-since") == stamp else Reply(200, FEED, {"Last-Modified": stamp})
    run(db, server, "/lm.xml")
    second = run(db, server, "/lm.xml")
    assert server.requests_for("/lm.xml")[1]["if-modified-since"] == stamp
    assert second.feeds[0].status == "not_modified" and count_articles(db) == 2


def test_same_content_again_adds_no_rows_and_tracking_params_are_stripped(db, server):
    server.static("/plain.xml", FEED)
    first, second = run(db, server, "/plain.xml"), run(db, server, "/plain.xml")
    assert (first.articles.new, second.articles.new, second.articles.duplicate) == (2, 0, 2)
    urls = {row[0] for row in db.execute("SELECT url FROM articles")}
    assert urls == {"http://example.com/a?id=1", "http://example.com/b"}


def test_changed_item_updates_its_row(db, server):
    server.static("/v.xml", FEED)
    run(db, server, "/v.xml")
    server.static("/v.xml", rss([ITEMS[0], ("Oil jumps 5%", ITEMS[1][1], ITEMS[1][2])]))
    second = run(db, server, "/v.xml")
    assert (second.articles.new, second.articles.updated, second.articles.duplicate) == (0, 1, 1)
    title, updated = db.execute("SELECT title, updated_utc FROM articles WHERE url = 'http://example.com/b'").fetchone()
    assert title == "Oil jumps 5%" and updated


def test_redirect_is_followed(db, server):
    server.routes["/old.xml"] = lambda h: Reply(301, b"", {"Location": "/new.xml"})
    server.static("/new.xml", FEED)
    summary = run(db, server, "/old.xml")
    assert summary.feeds_ok == 1 and summary.articles.new == 2


@pytest.mark.parametrize("routes, start, expected", [
    ({"/loop-a": "/loop-b", "/loop-b": "/loop-a"}, "/loop-a", oc.REDIRECT_LOOP),
    ({f"/hop{i}": f"/hop{i + 1}" for i in range(10)}, "/hop0", oc.TOO_MANY_REDIRECTS),
    ({"/to-ftp": "ftp://127.0.0.1/feed.xml"}, "/to-ftp", oc.BAD_SCHEME),
    ({"/to-file": "file:///etc/passwd"}, "/to-file", oc.BAD_SCHEME),
])
def test_bad_redirects_are_classified(db, server, routes, start, expected):
    for path, target in routes.items():
        server.routes[path] = lambda h, target=target: Reply(302, b"", {"Location": target})
    summary = run(db, server, start)
    assert summary.feeds[0].status == expected
    assert final_fetch(db, server.url(start))["error_class"] == expected


def test_http_errors_recorded_and_only_transient_ones_retried(db, server):
    summary = run(db, server, "/missing.xml", "/boom.xml")  # /boom.xml: no route either -> 404, then 500 below
    assert {o.status for o in summary.feeds} == {oc.HTTP_4XX}
    server.routes["/boom.xml"] = lambda h: Reply(500, b"oops")
    run(db, server, "/boom.xml")
    assert len(server.requests_for("/missing.xml")) == 1          # 404 is final
    assert len(server.requests_for("/boom.xml")) == 1 + 2         # 404 once, then 500 tried twice
    attempts = [r["attempt"] for r in iter_fetches(db) if r["url"] == server.url("/boom.xml") and r["error_class"] == oc.HTTP_5XX]
    assert attempts == [1, 2]


def test_429_with_retry_after_then_success(db, server):
    calls = []

    def limited(headers):
        calls.append(1)
        return Reply(429, b"slow down", {"Retry-After": "0"}) if len(calls) == 1 else Reply(200, FEED)

    server.routes["/limited.xml"] = limited
    summary = run(db, server, "/limited.xml")
    assert summary.feeds_ok == 1 and summary.articles.new == 2
    classes = [r["error_class"] for r in iter_fetches(db)]
    assert classes == [oc.HTTP_429, None]


def test_retry_after_longer_than_allowed_is_not_waited_for(db, server):
    server.routes["/later.xml"] = lambda h: Reply(503, b"", {"Retry-After": "3600"})
    summary = run(db, server, "/later.xml")
    assert summary.feeds[0].status == oc.HTTP_5XX and len(server.requests_for("/later.xml")) == 1


def test_slow_answer_times_out(db, server):
    server.routes["/slow.xml"] = lambda h: Reply(200, FEED, delay=1.0)
    summary = run(db, server, "/slow.xml", policy=replace(TEST_POLICY, read_timeout=0.3, max_retries=0))
    assert summary.feeds[0].status == oc.TIMEOUT


def test_slow_drip_hits_the_total_time_limit(db, server):
    server.routes["/drip.xml"] = lambda h: Reply(200, FEED, chunks=40, drip=0.1)
    summary = run(db, server, "/drip.xml", policy=replace(TEST_POLICY, read_timeout=0.5, total_timeout=1.0, max_retries=0))
    assert summary.feeds[0].status == oc.TIMEOUT


@pytest.mark.parametrize("headers", [{}, {"Content-Length": str(10 * 64 * 1024)}])
def test_oversized_body_is_cut_off(db, server, headers):
    server.routes["/big.xml"] = lambda h: Reply(200, b"x" * (10 * 64 * 1024), headers, chunks=64)
    summary = run(db, server, "/big.xml")
    assert summary.feeds[0].status == oc.TOO_LARGE


def test_gzip_bomb_is_cut_off_while_decompressing(db, server):
    bomb = gzip.compress(b"<" * (50 * 1024 * 1024))  # 50 MiB that compress to ~50 KiB
    server.routes["/bomb.xml"] = lambda h: Reply(200, bomb, {"Content-Encoding": "gzip"}, chunks=16)
    summary = run(db, server, "/bomb.xml")
    assert summary.feeds[0].status == oc.TOO_LARGE


def test_gzip_feed_is_decoded(db, server):
    server.routes["/gz.xml"] = lambda h: Reply(200, gzip.compress(FEED), {"Content-Encoding": "gzip"})
    assert run(db, server, "/gz.xml").articles.new == 2


@pytest.mark.parametrize("body, headers, expected", [
    (b"<!DOCTYPE html><html><head><title>Home</title></head><body>Hi</body></html>", {"Content-Type": "text/html"}, oc.NOT_A_FEED),
    (b"", {}, oc.EMPTY_BODY),
    (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</tit', {}, oc.MALFORMED_XML),
    (b"hello, world", {"Content-Type": "text/plain"}, oc.NOT_A_FEED),
])
def test_unusable_bodies_are_classified(db, server, body, headers, expected):
    server.routes["/bad.xml"] = lambda h: Reply(200, body, headers)
    summary = run(db, server, "/bad.xml")
    assert summary.feeds[0].status == expected and summary.feeds_failed == 1
    assert final_fetch(db, server.url("/bad.xml"))["error_class"] == expected


def test_truncated_feed_keeps_complete_items_and_notes_the_problem(db, server):
    server.static("/cut.xml", FEED[: FEED.index(b"</channel>") - 30])
    summary = run(db, server, "/cut.xml")
    assert summary.feeds_ok == 1 and summary.articles.new >= 1
    assert "ingested despite" in final_fetch(db, server.url("/cut.xml"))["error_message"]


def test_wrong_charset_is_survived(db, server):
    body = rss([("Zürich café prices", "http://example.com/z", "Prices in Zürich cafés rose by 5% over the summer months.")])
    server.static("/charset.xml", body, Content_Type="application/rss+xml; charset=us-ascii")
    summary = run(db, server, "/charset.xml")
    assert summary.feeds_ok == 1 and summary.articles.new == 1


def test_entity_expansion_is_never_done(db, server):
    lol = "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    xxe = '<!ENTITY xxe SYSTEM "file:///etc/passwd">'
    body = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{lol}{xxe}]>'
            '<rss version="2.0"><channel><title>t</title><item><title>a &l9; &xxe; b</title>'
            '<link>http://example.com/e</link></item></channel></rss>').encode()
    server.static("/ent.xml", body)
    run(db, server, "/ent.xml")
    titles = [row[0] or "" for row in db.execute("SELECT title FROM articles")]
    assert all(len(t) < 100 and "root:" not in t for t in titles)


def test_one_bad_feed_does_not_stop_the_others_or_lose_rows(db, server):
    server.static("/good.xml", FEED)
    run(db, server, "/good.xml")
    server.routes["/good.xml"] = lambda h: Reply(500, b"down")
    server.routes["/other.xml"] = lambda h: Reply(200, rss([("Other story", "http://example.com/o", "Another story text long enough to be a real summary.")]))
    summary = run(db, server, "/good.xml", "/other.xml")
    assert (summary.feeds_ok, summary.feeds_failed, count_articles(db)) == (1, 1, 3)
    status = {f["url"]: f["last_status"] for f in list_feeds(db)}
    assert status[server.url("/good.xml")] == oc.HTTP_5XX
    assert "feeds: 1 ok, 1 failed; articles: 1 new, 0 updated, 0 duplicate" == summary.line()


def test_unreachable_port_is_a_connect_error(db):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    summary = scrape_feeds(db, [f"http://127.0.0.1:{port}/feed.xml"], feed_policy=replace(TEST_POLICY, max_retries=0))
    assert summary.feeds[0].status == oc.CONNECT_ERROR


def test_missing_local_path_and_bad_scheme(db, tmp_path):
    summary = scrape_feeds(db, [str(tmp_path / "nope.xml"), "ftp://example.com/feed.xml"], feed_policy=TEST_POLICY)
    assert sorted(o.status for o in summary.feeds) == [oc.BAD_SCHEME, oc.NOT_FOUND]


def test_user_agent_is_sent(db, server):
    server.static("/ua.xml", FEED)
    scrape_feeds(db, [server.url("/ua.xml")], feed_policy=replace(TEST_POLICY, user_agent=None))
    assert server.requests_for("/ua.xml")[0]["user-agent"].startswith("narrative/")


def test_no_cookies_are_kept_between_requests(db, server):
    server.routes["/c1.xml"] = lambda h: Reply(200, FEED, {"Set-Cookie": "session=abc; Path=/"})
    server.static("/c2.xml", FEED)
    scrape_feeds(db, [server.url("/c1.xml"), server.url("/c2.xml")], feed_policy=TEST_POLICY, concurrency=1)
    assert "cookie" not in server.requests_for("/c2.xml")[0]


def test_3xx_without_location_is_final(db, server):
    server.routes["/odd.xml"] = lambda h: Reply(300, b"choose")
    summary = run(db, server, "/odd.xml")
    assert summary.feeds[0].status == oc.UNEXPECTED_STATUS and len(server.requests_for("/odd.xml")) == 1
