"""The HTML report: self-contained (no network), feed text escaped, hostile links not clickable."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from nlp.index.sessions import trading_sessions
from nlp.index.theme_index import compute_theme_index
from nlp.report.html import build_overview, build_report_html, build_theme_section, safe_url

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def report_inputs(theme="reshoring", seed=0):
    rng = np.random.default_rng(seed)
    days = trading_sessions("2025-01-02", "2025-06-30")
    counts = rng.integers(0, 4, len(days))
    counts[100] = 40  # a spike
    cells = pd.DataFrame({"session_date": days, "feed_id": 1, "n_articles": counts, "n_novel": counts,
                          "n_positive": counts // 2, "n_negative": counts // 4, "n_neutral": 0,
                          "sentiment_sum": 0.1 * counts, "sentiment_n": counts, "total_articles": 50})
    index = compute_theme_index(cells)
    spike_day = days[100].strftime("%Y-%m-%d")
    articles = pd.DataFrame([{"session_date": spike_day, "article_id": "a1", "title": HOSTILE,
                              "url": "javascript:alert(1)", "published_utc": f"{spike_day}T14:00:00Z",
                              "source": "<b>Feed</b>", "sentiment_label": "negative"},
                             {"session_date": spike_day, "article_id": "a2", "title": "Plain & simple",
                              "url": "https://news.test/a?x=1&y=2", "published_utc": f"{spike_day}T15:00:00Z",
                              "source": "Wire", "sentiment_label": "positive"}])
    tickers = pd.DataFrame({"ticker": ["CAT", "<i>DE</i>"], "n_articles": [10, 4], "mean_sentiment": [0.2, None]})
    basket = pd.Series(np.linspace(0, 0.1, len(days)), index=days)
    return theme, index, tickers, articles, basket


def build_page(**extra):
    theme, index, tickers, articles, basket = report_inputs()
    section = build_theme_section(theme, index, tickers, articles, basket)
    return build_report_html([section], build_overview({theme: index}), title="t <x>", generated="now", **extra)


def test_page_is_self_contained():
    page = build_page()
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<(script|img|link|iframe)[^>]+(src|href)=", page)
    assert "@import" not in page and "url(" not in page
    assert page.count("<script") == 2  # the JSON data block and the inline chart code


def test_hostile_feed_text_is_escaped_everywhere():
    page = build_page(notes=[HOSTILE])
    assert "<script>alert" not in page
    assert "onerror=alert(1)>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;b&gt;Feed&lt;/b&gt;" in page and "&lt;i&gt;DE&lt;/i&gt;" in page
    assert 'href="javascript:' not in page
    assert 'href="https://news.test/a?x=1&amp;y=2"' in page
    assert "<title>t &lt;x&gt;</title>" in page


def test_chart_data_cannot_close_its_script_block():
    theme, index, tickers, articles, basket = report_inputs(theme="x</script><script>alert(1)//")
    section = build_theme_section(theme, index, tickers, articles, basket)
    page = build_report_html([section])
    data = page.split('<script type="application/json" id="report-data">', 1)[1].split("</script>", 1)[0]
    payload = json.loads(data)
    assert payload["themes"][0]["id"] == theme
    assert "</script>" not in data and "<" not in data


def test_sections_carry_spikes_evidence_and_the_basket():
    theme, index, tickers, articles, basket = report_inputs()
    section = build_theme_section(theme, index, tickers, articles, basket)
    spike_day = articles["session_date"].iloc[0]
    assert spike_day in section["spike_dates"]
    spike = next(s for s in section["spikes"] if s["session"] == spike_day)
    assert [a["article_id"] for a in spike["articles"]] == ["a1", "a2"]
    assert len(section["basket"]) == len(section["timeline"]["dates"])
    assert section["basket"][-1] == pytest.approx(0.1)
    assert json.dumps({k: section[k] for k in ("timeline", "basket")}, allow_nan=False)


@pytest.mark.parametrize("url, ok", [("https://a.test/x", True), ("http://a.test", True), ("javascript:alert(1)", False),
                                     (" JavaScript:alert(1)", False), ("data:text/html,x", False), ("", False), (None, False)])
def test_only_http_links_survive(url, ok):
    assert (safe_url(url) is not None) == ok


def test_an_empty_database_gives_a_page_that_says_what_to_do():
    page = build_report_html([])
    assert "narrative extract" in page and page.count("<script") == 2


def test_png_export_of_a_timeline(tmp_path):
    pytest.importorskip("matplotlib")
    from nlp.report.png import save_timeline_png

    _, index, *_ = report_inputs()
    path = save_timeline_png(index, tmp_path / "t.png", "reshoring")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
