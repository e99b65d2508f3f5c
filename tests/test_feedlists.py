"""Feed lists: OPML and YAML, and the bundled starter list."""

from __future__ import annotations

import pytest

from nlp.errors import NarrativeError
from nlp.scrape.feedlists import FeedSpec, load_feed_list, parse_feed_yaml, parse_opml
from nlp.scrape.urls import is_http_url

OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>t</title></head><body>
  <outline text="Markets">
    <outline type="rss" text="A" title="Feed A" xmlUrl="https://a.example/rss.xml"/>
    <outline type="rss" text="B only text" xmlUrl=" https://b.example/feed "/>
  </outline>
  <outline text="no url"/>
  <outline type="rss" text="dup" xmlUrl="https://a.example/rss.xml"/>
</body></opml>"""


def test_parse_opml_nested_and_unique():
    assert parse_opml(OPML) == [FeedSpec("https://a.example/rss.xml", "Feed A"), FeedSpec("https://b.example/feed", "B only text")]


@pytest.mark.parametrize("data", [b"", b"<opml><body>", b"<rss/>",
                                  b'<!DOCTYPE opml [<!ENTITY x "y">]><opml><body><outline xmlUrl="&x;"/></body></opml>'])
def test_bad_or_unsafe_opml_is_one_clear_error(data):
    with pytest.raises(NarrativeError, match="OPML"):
        parse_opml(data)


def test_parse_yaml_forms():
    text = "feeds:\n  - https://a.example/rss\n  - {url: sample/a.xml, title: Sample A}\n"
    assert parse_feed_yaml(text) == [FeedSpec("https://a.example/rss"), FeedSpec("sample/a.xml", "Sample A")]
    assert parse_feed_yaml("- https://a.example/rss\n") == [FeedSpec("https://a.example/rss")]


@pytest.mark.parametrize("text", ["feeds: 3", "just text", "- {title: no url}", "a: [unclosed"])
def test_bad_yaml_is_one_clear_error(text):
    with pytest.raises(NarrativeError):
        parse_feed_yaml(text)


def test_load_resolves_relative_paths_against_the_list(tmp_path):
    (tmp_path / "lists").mkdir()
    listing = tmp_path / "lists" / "feeds.yaml"
    listing.write_text("- a.xml\n- https://x.example/rss\n")
    assert load_feed_list(listing) == [FeedSpec(str(tmp_path / "lists" / "a.xml")), FeedSpec("https://x.example/rss")]
    with pytest.raises(NarrativeError, match="not found"):
        load_feed_list(tmp_path / "missing.opml")


def test_bundled_starter_opml(repo_root):
    specs = load_feed_list(repo_root / "corpora" / "feeds.opml")
    assert len(specs) >= 15 and all(is_http_url(spec.url) and spec.title for spec in specs)
    hosts = {spec.url.split("/")[2] for spec in specs}
    assert {"www.sec.gov", "www.federalreserve.gov"} <= hosts
