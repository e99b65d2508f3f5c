"""feedparser's ill-formed and encoding test feeds go through `scrape` without a traceback.

The named cases use the BSD-licensed copies in tests/fixtures/feedparser; the sweep uses every file
in ../shared/data/feedparser_test_feeds/tests when it is there. Each file is served over local HTTP
with the `Header:` its comment names (the charset cases depend on it).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from feedserver import TEST_POLICY, FeedServer, Reply, fixture_expect, fixture_headers

from nlp.scrape import outcomes as oc
from nlp.scrape.scraper import scrape_feeds
from nlp.store.feeds import iter_fetches

FIXTURES = Path(__file__).parent / "fixtures" / "feedparser"
# Generous time limits: ~100 feeds at once on a busy machine must not turn into timeouts here.
POLICY = replace(TEST_POLICY, read_timeout=10.0, total_timeout=30.0)


def serve_and_scrape(db, files: list[Path]):
    with FeedServer() as server:
        urls = {}
        for index, path in enumerate(files):
            route = f"/{index}/{path.name}"
            body, headers = path.read_bytes(), fixture_headers(path)
            server.routes[route] = lambda _h, body=body, headers=headers: Reply(200, body, headers)
            urls[server.url(route)] = path
        summary = scrape_feeds(db, list(urls), feed_policy=POLICY)
    return summary, {urls[outcome.source]: outcome for outcome in summary.feeds}


def test_named_cases(db):
    summary, by_file = serve_and_scrape(db, sorted(FIXTURES.glob("*.xml")))
    status = {path.name: outcome.status for path, outcome in by_file.items()}
    assert status == {
        "aaa_illformed.xml": oc.MALFORMED_XML,
        "rss_empty_document.xml": oc.EMPTY_BODY,
        "always_strip_doctype.xml": "ok",
        "bozo_linenoise.xml": "ok",
        "http_text_xml_charset_overrides_encoding_2.xml": "ok",
        "rss_item_link_corrupted_ampersands.xml": "ok",
    }
    summaries = {row[0] for row in db.execute("SELECT summary FROM articles")}
    assert "This is a \xa3\u201ctest.\u201d" in summaries  # the HTTP charset (windows-1252) won
    urls = {row[0] for row in db.execute("SELECT url FROM articles")}
    assert "http://link/get?a=1&b=2" in urls
    notes = [row["error_message"] or "" for row in iter_fetches(db)]
    assert any(note.startswith("ingested despite: CharacterEncodingOverride") for note in notes)
    assert summary.feeds_failed == 2


@pytest.fixture
def all_cases(shared_data) -> list[Path]:
    root = shared_data / "feedparser_test_feeds" / "tests"
    files = sorted(p for p in root.rglob("*") if p.is_file())
    if not files:
        pytest.skip("feedparser_test_feeds is empty")
    return files


def test_every_shared_case_is_stored_or_logged(db, all_cases):
    summary, by_file = serve_and_scrape(db, all_cases)
    fetches = list(iter_fetches(db))
    assert len(by_file) == len(all_cases) == len({row["feed_id"] for row in fetches})
    assert all(row["error_class"] != oc.INTERNAL_ERROR for row in fetches)
    classes = Counter(outcome.status for outcome in by_file.values())
    assert oc.INTERNAL_ERROR not in classes
    assert set(classes) <= {"ok", oc.MALFORMED_XML, oc.EMPTY_BODY, oc.NOT_A_FEED}
    for path, outcome in by_file.items():
        if fixture_expect(path).startswith("not bozo"):
            assert not outcome.failed, f"{path.name}: {outcome.status} {outcome.message}"
    stored = sum(outcome.counts.new for outcome in by_file.values())
    assert stored == db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] > 0
    print(f"\nfeedparser cases: {len(all_cases)} files, {dict(classes)}, {stored} articles stored")
