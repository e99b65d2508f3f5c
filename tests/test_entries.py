"""Feed entry -> articles row (pure)."""

from __future__ import annotations

from datetime import datetime, timezone

import feedparser
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.scrape.entries import build_article_row, sha1_hex
from nlp.scrape.parse import parse_feed_bytes
from nlp.scrape.text import html_to_text

FETCHED = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><language>en-US</language>
<item><title>Oil &amp; gas &lt;b&gt;rally&lt;/b&gt;</title>
<link>https://Example.com/oil/?utm_source=rss#x</link><guid isPermaLink="false">42</guid>
<description><![CDATA[<p>Crude rose <b>5%</b>.</p><script>evil()</script><p>Second&nbsp;para</p>]]></description>
<pubDate>Sun, 08 Mar 2026 07:23:46 -0400</pubDate><author>jane@example.com (Jane Roe)</author></item>
<item><title>No link here</title><guid>urn:x:1</guid><description>Body</description></item>
<item><description>   </description></item>
</channel></rss>"""


def entries():
    parsed = feedparser.parse(RSS)
    return parsed.entries, parsed.feed.get("language")


def test_row_fields():
    items, language = entries()
    row = build_article_row(items[0], 7, FETCHED, feed_language=language)
    assert row["url"] == "https://example.com/oil"
    assert row["id"] == sha1_hex("https://example.com/oil")
    assert row["guid"] == "42" and row["feed_id"] == 7
    assert row["title"] == "Oil & gas rally"
    assert row["summary"] == "Crude rose 5%.\n\nSecond para"
    assert "evil" not in row["summary"]
    assert row["published_utc"] == "2026-03-08T11:23:46Z" and row["date_flags"] is None
    assert row["fetched_utc"] == "2026-03-10T12:00:00Z"
    assert row["language"] == "en-us"
    assert len(row["content_hash"]) == 40


def test_guid_id_when_no_link_and_missing_date_flag():
    items, _ = entries()
    row = build_article_row(items[1], 7, FETCHED)
    assert row["url"] is None and row["id"] == sha1_hex("guid:7:urn:x:1")
    assert row["published_utc"] == "2026-03-10T12:00:00Z" and row["date_flags"] == "missing"


def test_empty_entry_gives_none():
    items, _ = entries()
    assert build_article_row(items[2], 7, FETCHED) is None


def test_content_hash_ignores_case_and_spacing_but_not_words():
    base = {"title": "Fed holds rates", "summary": "The Fed held rates.", "link": "http://a.example/1"}
    same = {"title": "FED  holds\nrates", "summary": "the fed held RATES.", "link": "http://b.example/2"}
    other = {"title": "Fed cuts rates", "summary": "The Fed held rates.", "link": "http://a.example/1"}
    hashes = [build_article_row(e, 1, FETCHED)["content_hash"] for e in (base, same, other)]
    assert hashes[0] == hashes[1] != hashes[2]


def test_content_encoded_becomes_text_and_odd_values_are_tolerated():
    entry = {"title": ["A title"], "link": {"href": "http://x.example/a"},
             "content": [{"value": "<div><p>Full body</p></div>"}], "summary": "Short",
             "published": "2026-02-01T10:00:00Z"}
    row = build_article_row(entry, None, FETCHED)
    assert (row["title"], row["url"], row["text"], row["text_source"]) == ("A title", "http://x.example/a", "Full body", "feed")
    assert row["published_utc"] == "2026-02-01T10:00:00Z"


def test_html_to_text_is_robust():
    assert html_to_text(None) == "" and html_to_text("") == ""
    assert html_to_text("plain 5 < 6 & 7 > 3") == "plain 5 < 6 & 7 > 3"
    assert html_to_text("<style>p{}</style><p>a</p><p>b") == "a\n\nb"
    assert html_to_text("<<<>>>&&&#;<p") is not None
    assert html_to_text("x\x00y\u200bz") == "xyz"


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: ("<rss><channel><item><title>" + t).encode()))
def test_parse_and_build_never_raise(body):
    parsed = parse_feed_bytes(body, {"content-type": "application/xml"})
    assert parsed.usable or parsed.error_class
    for entry in parsed.entries:
        build_article_row(entry, 1, FETCHED)
