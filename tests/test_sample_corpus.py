"""The bundled sample corpus in corpora/sample/: it parses, it is large and varied enough for the
demo and the tests that use it, its manifest agrees with its text, and it can be rebuilt exactly."""
from __future__ import annotations

import csv
import html
import importlib.util
import json
import re
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "corpora" / "sample"
SOURCE = ROOT / "corpora" / "sample_src"
THEMES = ["blue_collar_ai", "reshoring", "regulatory_risk", "ai_capex", "power_demand",
          "monetary_policy", "market_rotation", "capital_markets"]
# exchange_calendars on pandas 3 warns about an internal Series.values call; not ours to fix
SESSIONS_WARNING = "ignore:Series.values returning an ndarray"
TAG = re.compile(r"\((?:NYSE|NASDAQ|NYSE Arca|NYSEARCA|NYSE American|NYSEAMERICAN) ?: ?([A-Z][A-Z.]*)\)"
                 r"|\$([A-Z][A-Z.]*[A-Z])\b|\$([A-Z])\b")


def canonical(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if not k.startswith("utm_")]
    return urlunsplit(parts._replace(query=urlencode(query)))


def entry_text(entry) -> str:
    body = re.sub(r"<[^>]+>", " ", entry.get("summary", ""))
    return entry.title + "\n\n" + " ".join(html.unescape(body).split())


@pytest.fixture(scope="module")
def feeds() -> dict:
    return {p.name: feedparser.parse(p.read_bytes()) for p in sorted(SAMPLE.glob("*.xml"))}


@pytest.fixture(scope="module")
def manifest() -> list[dict]:
    lines = (SAMPLE / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def texts(feeds) -> dict[str, str]:
    """Canonical URL -> title and description text, from the first copy found."""
    out = {}
    for parsed in feeds.values():
        for e in parsed.entries:
            out.setdefault(canonical(e.link), entry_text(e))
    return out


def test_feeds_parse_without_bozo_in_both_formats(feeds):
    assert 5 <= len(feeds) <= 7
    for name, parsed in feeds.items():
        assert not parsed.bozo, f"{name}: {parsed.get('bozo_exception')}"
        assert parsed.entries, name
    assert {p.version for p in feeds.values()} == {"rss20", "atom10"}


def test_feed_lists_point_at_the_feed_files(feeds):
    listed = [f["url"] for f in yaml.safe_load((SAMPLE / "feeds.yaml").read_text(encoding="utf-8"))]
    outlines = re.findall(r'xmlUrl="([^"]+)"', (SAMPLE / "feeds.opml").read_text(encoding="utf-8"))
    expected = sorted(f"corpora/sample/{name}" for name in feeds)
    assert sorted(listed) == expected
    assert sorted(outlines) == expected
    assert all((ROOT / path).is_file() for path in listed)


def test_at_least_400_unique_stories_match_the_manifest(texts, manifest):
    urls = [r["url"] for r in manifest]
    assert len(urls) == len(set(urls)) >= 400
    assert set(texts) == set(urls)


def test_dates_span_six_months_inside_the_period(manifest):
    days = sorted(date.fromisoformat(r["published"][:10]) for r in manifest if r["published"])
    assert days[0] >= date(2025, 7, 1) and days[-1] <= date(2026, 1, 31)
    assert (days[-1] - days[0]).days >= 183
    assert 0 < sum(1 for r in manifest if r["published"] is None) < 20


def test_every_theme_has_at_least_25_stories_and_some_have_none(manifest):
    counts = Counter(t for r in manifest for t in r["themes"])
    assert all(counts[t] >= 25 for t in THEMES), counts
    assert set(counts) <= set(THEMES)
    share_none = sum(1 for r in manifest if not r["themes"]) / len(manifest)
    assert 0.10 <= share_none <= 0.25


def test_many_tickers_and_all_three_sentiments(manifest):
    tickers = {t for r in manifest for t in r["tickers"]}
    assert len(tickers - {"SPY", "RSP", "IWM", "QQQ"}) >= 80
    assert {r["sentiment"] for r in manifest} == {"positive", "negative", "neutral"}
    for r in manifest:
        assert sorted(r["ticker_sentiment"]) == r["tickers"]


def test_manifest_tickers_are_named_in_the_text(texts, manifest):
    companies = {c["sym"]: c for c in yaml.safe_load((SOURCE / "companies.yaml").read_text(encoding="utf-8"))}
    firms = yaml.safe_load((SOURCE / "banks.yaml").read_text(encoding="utf-8"))["firms"]
    forms = defaultdict(set)
    for sym, c in companies.items():
        forms[sym] |= {sym, c["name"], c["short"], *c.get("brands", [])}
    for f in firms:
        if f.get("sym"):
            forms[f["sym"]].add(f["name"])
    for r in manifest:
        text = texts[r["url"]]
        missing = [s for s in r["tickers"] if not any(form in text for form in forms[s])]
        assert not missing, (r["url"], missing)


def test_exchange_tags_and_cashtags_are_in_the_manifest(texts, manifest):
    for r in manifest:
        tagged = {next(g for g in m.groups() if g) for m in TAG.finditer(texts[r["url"]])}
        assert tagged <= set(r["tickers"]), (r["url"], tagged - set(r["tickers"]))


def test_ambiguous_words_stay_unlinked_in_trap_stories(texts, manifest):
    traps = {"apple pie": "AAPL", "amazon rainforest": "AMZN", "cat scan": "CAT",
             "oracle of omaha": "ORCL", "meta-analysis": "META", "price target": "TGT",
             "shell compan": "SHEL", "block of": "XYZ", "visa application": "V",
             "coach ford": "F", "mississippi": "DAL"}
    seen = Counter()
    for r in manifest:
        for phrase, sym in traps.items():
            if phrase in texts[r["url"]].lower():
                seen[phrase] += 1
                assert sym not in r["tickers"], (r["url"], phrase)
    assert set(seen) == set(traps)


def test_near_miss_theme_wording_carries_no_theme(texts, manifest):
    phrases = ["nuclear option", "pitching rotation", "AI shopping assistant", "AI chatbot in its app",
               "brands retained their pricing power", "the pricing power that its", "Transformers toys", "Transformers action figures", "power forward",
               "new restaurants", "starting grid"]
    seen = set()
    for r in manifest:
        for phrase in phrases:
            if phrase in texts[r["url"]]:
                seen.add(phrase)
                assert r["themes"] == [], (r["url"], phrase)
    assert len(seen) >= 8, seen


def test_descriptions_read_like_wire_paragraphs(feeds):
    for name, parsed in feeds.items():
        for e in parsed.entries:
            words = len(entry_text(e).split()) - len(e.title.split())
            assert 40 <= words <= 170, (name, e.title, words)


def test_syndicated_copies_and_updated_items_are_present(feeds, manifest):
    homes = defaultdict(set)
    titles = defaultdict(set)
    for name, parsed in feeds.items():
        for e in parsed.entries:
            url = canonical(e.link)
            homes[url].add(name)
            titles[(name, url)].add(e.title)
    syndicated = [u for u, names in homes.items() if len(names) > 1]
    assert len(syndicated) >= 10
    assert all(set(r["also_in"]) | {r["feed"]} == {n.removesuffix(".xml") for n in homes[r["url"]]}
               for r in manifest)
    assert any(len(t) > 1 for t in titles.values())
    assert any("utm_" in e.link for p in feeds.values() for e in p.entries)


@pytest.mark.filterwarnings(SESSIONS_WARNING)
def test_prices_cover_every_ticker_on_trading_sessions(manifest):
    import exchange_calendars as xcals

    with (SAMPLE / "prices.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["date", "symbol", "close", "volume"]
    symbols = {r["symbol"] for r in rows}
    assert {t for r in manifest for t in r["tickers"]} | {"SPY"} <= symbols
    sessions = {d.date() for d in xcals.get_calendar("XNYS", start="2025-06-01", end="2026-06-30").sessions}
    spy_days = sorted(date.fromisoformat(r["date"]) for r in rows if r["symbol"] == "SPY")
    assert set(spy_days) <= sessions
    assert spy_days[0] == date(2025, 7, 1)
    assert sum(1 for d in spy_days if d > date(2026, 1, 31)) == 30
    assert all(float(r["close"]) > 0 and int(r["volume"]) > 0 for r in rows)


def load_generator(monkeypatch):
    spec = importlib.util.spec_from_file_location("make_sample_corpus",
                                                  ROOT / "scripts" / "make_sample_corpus.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.filterwarnings(SESSIONS_WARNING)
def test_regenerating_gives_byte_identical_files(tmp_path, monkeypatch):
    assert load_generator(monkeypatch).main(["--out", str(tmp_path)]) == 0
    committed = sorted(p.name for p in SAMPLE.iterdir() if p.is_file())
    rebuilt = sorted(p.name for p in tmp_path.iterdir())
    assert rebuilt == committed
    changed = [n for n in rebuilt if (tmp_path / n).read_bytes() != (SAMPLE / n).read_bytes()]
    assert not changed, f"regenerate with scripts/make_sample_corpus.py: {changed} differ"
