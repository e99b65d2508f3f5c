"""URL canonicalisation: one spelling per article."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.scrape.urls import canonicalize_url, has_url_scheme, is_http_url


@pytest.mark.parametrize("raw, expected", [
    ("HTTP://Example.COM/News/Story", "http://example.com/News/Story"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("http://example.com:8080/a", "http://example.com:8080/a"),
    ("https://example.com/a#comments", "https://example.com/a"),
    ("https://example.com/a/", "https://example.com/a"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com/", "https://example.com/"),
    ("https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
    ("https://example.com/a?b=2&a=1&fbclid=x&gclid=y", "https://example.com/a?a=1&b=2"),
    ("https://example.com/a?mc_cid=1&mc_eid=2&ocid=3&cmpid=4&id=7", "https://example.com/a?id=7"),
    ("https://example.com/a?UTM_Campaign=x&q=", "https://example.com/a?q="),
    ("  https://example.com/a  \n", "https://example.com/a"),
    ("https://www.example.com./a", "https://www.example.com/a"),
])
def test_canonical_spelling(raw, expected):
    assert canonicalize_url(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "ftp://example.com/a", "mailto:x@example.com", "/local/path.xml",
                                 "javascript:alert(1)", "http://", "http://example.com:notaport/"])
def test_not_http_gives_none(raw):
    assert canonicalize_url(raw) is None


def test_tracking_variants_of_one_story_collapse():
    variants = [
        "https://example.com/story?utm_source=twitter",
        "https://EXAMPLE.com/story/?utm_source=newsletter&utm_medium=email#top",
        "https://example.com:443/story?fbclid=abc",
    ]
    assert len({canonicalize_url(v) for v in variants}) == 1


def test_scheme_helpers():
    assert is_http_url("https://example.com/x") and not is_http_url("file:///etc/passwd")
    assert has_url_scheme("ftp://x/y") and not has_url_scheme("C:\\feeds\\a.xml") and not has_url_scheme("feeds/a.xml")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_never_raises_and_is_idempotent(text):
    for candidate in (text, "http://example.com/" + text, "https://h.example/?" + text):
        once = canonicalize_url(candidate)
        assert once is None or canonicalize_url(once) == once
