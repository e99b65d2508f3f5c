"""Gazetteer: pure build helpers, and the committed corpora/tickers data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.errors import NarrativeError
from nlp.tagging.gazetteer import build_company, build_lowercase_symbols, build_surfaces, load_gazetteer, load_yaml
from nlp.tagging.gazetteer_records import (
    build_company_records,
    build_exchange,
    build_index_records,
    build_is_wordlike,
    build_name_variants,
    build_symbol,
    build_symbol_is_ambiguous,
)

TICKERS = Path(__file__).resolve().parent.parent / "corpora" / "tickers"
WORDS = frozenset("apple target block match gap region river power american electric".split())


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


# --- pure helpers ---------------------------------------------------------------------


@pytest.mark.parametrize("raw, expected", [("BRK-B", "BRK.B"), ("brk/b", "BRK.B"), ("BF.B", "BF.B"), ("nvda", "NVDA")])
def test_build_symbol_uses_class_share_dots(raw, expected):
    assert build_symbol(raw) == expected


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Apple Inc.", ["Apple Inc.", "Apple", "Apple Inc"]),
        ("Palantir Technologies", ["Palantir Technologies", "Palantir"]),
        ("The Walt Disney Company", ["The Walt Disney Company", "Walt Disney", "The Walt Disney Co."]),
        ("Noble Corporation", ["Noble Corporation", "Noble", "Noble Corp.", "Noble Corp"]),
        ("D. R. Horton", ["D. R. Horton", "D.R. Horton"]),
        ("Johnson & Johnson", ["Johnson & Johnson", "Johnson and Johnson"]),
        ("Wiley (publisher)", ["Wiley"]),
        ("Estée Lauder Companies", ["Estée Lauder Companies", "Estée Lauder", "Estee Lauder Companies", "Estee Lauder"]),
    ],
)
def test_build_name_variants(name, expected):
    assert build_name_variants(name) == expected


def test_build_name_variants_never_cuts_a_name_to_a_generic_word():
    # "General Motors" keeps "Motors": the remainder would be a bare adjective.
    assert build_name_variants("American Express", drop=frozenset({"American"})) == ["American Express"]
    assert "General" not in build_name_variants("General Motors", drop=frozenset({"General"}))


def test_build_is_wordlike_covers_plurals_and_every_word():
    assert build_is_wordlike("Apple", WORDS)
    assert build_is_wordlike("Regions", WORDS)  # plural of a listed word
    assert build_is_wordlike("American Electric Power", WORDS)
    assert not build_is_wordlike("Nvidia", WORDS)
    assert not build_is_wordlike("Apple Hospitality", WORDS)


@pytest.mark.parametrize("symbol, ambiguous", [("F", True), ("GS", True), ("GAP", True), ("CRM", True), ("NVDA", False)])
def test_build_symbol_is_ambiguous(symbol, ambiguous):
    assert build_symbol_is_ambiguous(symbol, WORDS, frozenset({"CRM"})) is ambiguous


def test_build_exchange_prefers_the_google_symbol_then_traded_as():
    stock = {"symbol": "CAT", "symbols": [{"google": "FRA:CAT1"}, {"google": "NYSE:CAT"}]}
    assert build_exchange(stock) == "NYSE"
    stock = {"symbol": "AMD", "symbols": [{"google": "AMD"}], "metadata": {"traded_as": "Nasdaq : AMD Nasdaq-100"}}
    assert build_exchange(stock) == "NASDAQ"
    assert build_exchange({"symbol": "X", "symbols": []}) is None


def _raw_indices():
    return {
        "S&P 500": [
            {"symbol": "GOOGL", "name": "Alphabet Inc.", "symbols": [{"google": "NASDAQ:GOOGL"}]},
            {"symbol": "GOOG", "name": "Alphabet Inc.", "symbols": [{"google": "NASDAQ:GOOG"}]},
            {"symbol": "AIZ", "name": "Arthur J. Gallagher & Co.", "symbols": []},
            {"symbol": "TGT", "name": "Target Corporation", "symbols": [{"google": "NYSE:TGT"}]},
        ],
        "NASDAQ 100": [{"symbol": "GOOGL", "name": "Alphabet Inc.", "symbols": []}],
    }


def test_build_company_records_merges_curated_data():
    curated = {
        "share_classes": {"GOOG": "GOOGL"},
        "former_symbols": {"FB": "META"},
        "overrides": {"AIZ": {"name": "Assurant, Inc."}},
        "companies": [{"symbol": "META", "name": "Meta Platforms, Inc.", "exchange": "NASDAQ", "aliases": ["Facebook"]}],
        "aliases": {"GOOGL": ["Google", "YouTube"]},
        "ambiguous_names": ["Meta"],
    }
    records = build_company_records(build_index_records(_raw_indices()), curated, WORDS)
    by_symbol = {r["symbol"]: r for r in records}
    assert [r["symbol"] for r in records] == sorted(by_symbol)  # deterministic order
    assert "GOOG" not in by_symbol and by_symbol["GOOGL"]["other_symbols"] == ["GOOG"]
    assert by_symbol["GOOGL"]["indices"] == ["NASDAQ 100", "S&P 500"]
    assert by_symbol["GOOGL"]["aliases"] == ["Google", "YouTube"]
    assert by_symbol["AIZ"]["names"][:2] == ["Assurant, Inc.", "Assurant"]
    assert by_symbol["META"]["other_symbols"] == ["FB"] and "Meta" in by_symbol["META"]["ambiguous"]
    assert by_symbol["TGT"]["ambiguous"] == ["Target"]  # an English word: needs evidence


def test_build_company_records_rejects_aliases_of_unknown_symbols():
    with pytest.raises(NarrativeError, match="NOPE"):
        build_company_records(build_index_records(_raw_indices()), {"aliases": {"NOPE": ["Nope"]}}, WORDS)


def test_build_company_records_rejects_yaml_booleans():
    # YAML 1.1 reads an unquoted ON as True: the curated file must quote it.
    with pytest.raises(NarrativeError, match="quote"):
        build_company_records({}, {"ambiguous_symbols": ["A", True]}, WORDS)


def test_build_surfaces_drops_a_name_two_companies_share_unless_curated():
    def company(symbol, names, aliases=()):
        return build_company({"symbol": symbol, "name": names[0], "names": names, "aliases": list(aliases)})

    surfaces = build_surfaces([
        company("APO", ["Apollo Global", "Apollo"]),
        company("ARI", ["Apollo Commercial", "Apollo"]),
        company("GE", ["GE Aerospace"], ["GE"]),
        company("GEHC", ["GE HealthCare", "GE"]),
    ])
    owners = {s.text: s.symbol for s in surfaces}
    assert "Apollo" not in owners
    assert owners["GE"] == "GE" and owners["GE HealthCare"] == "GEHC"


def test_load_yaml_reports_a_bad_file(tmp_path):
    with pytest.raises(NarrativeError, match="not found"):
        load_yaml(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n", encoding="utf-8")
    with pytest.raises(NarrativeError, match="bad YAML"):
        load_yaml(bad)


def test_load_gazetteer_reports_a_missing_directory(tmp_path):
    with pytest.raises(NarrativeError, match="companies.jsonl"):
        load_gazetteer(tmp_path)


# --- the committed data ---------------------------------------------------------------


def test_committed_gazetteer_covers_the_indices_and_the_seed_story(gazetteer):
    assert len(gazetteer.companies) > 1200
    for symbol in ("AAPL", "NVDA", "CAT", "GEV", "GEHC", "GE", "OKLO", "SOFI", "VST", "CEG", "BRK.B", "XYZ"):
        assert symbol in gazetteer.companies
    assert gazetteer.companies["CAT"].exchange == "NYSE"


def test_committed_gazetteer_maps_brands_classes_and_renames(gazetteer):
    owners = {s.text: s.symbol for s in gazetteer.surfaces}
    assert owners["Google"] == owners["YouTube"] == owners["Waymo"] == "GOOGL"
    assert owners["Facebook"] == owners["Instagram"] == owners["WhatsApp"] == "META"
    assert owners["AWS"] == "AMZN" and owners["Azure"] == "MSFT"
    assert owners["TSMC"] == "TSM" and owners["Novo Nordisk"] == "NVO"
    assert owners["SPDR S&P 500 ETF Trust"] == "SPY"
    assert gazetteer.symbols["GOOG"] == "GOOGL" and gazetteer.symbols["FB"] == "META"
    assert gazetteer.symbols["BRK.A"] == "BRK.B"


def test_committed_gazetteer_marks_word_names_and_symbols_ambiguous(gazetteer):
    ambiguous = {s.text for s in gazetteer.surfaces if s.ambiguous}
    assert {"Apple", "Amazon", "Meta", "Oracle", "Target", "Visa", "Shell", "Gap", "Delta", "Block", "Snap"} <= ambiguous
    assert {"Nvidia", "Alphabet", "Caterpillar", "Microsoft"}.isdisjoint(ambiguous)
    assert {"A", "ALL", "IT", "ON", "NOW", "KEY", "LOW", "F", "T", "CAT"} <= gazetteer.ambiguous_symbols
    assert "NVDA" not in gazetteer.ambiguous_symbols


def test_committed_gazetteer_lists_private_companies_and_indices(gazetteer):
    assert {"OpenAI", "SpaceX", "Anthropic", "Stripe", "xAI", "Databricks"} <= set(gazetteer.unlisted)
    assert {"S&P 500", "Nasdaq", "Russell 2000", "Dow Jones"} <= set(gazetteer.blocked)
    assert {"BTC", "SPX", "VIX"} <= gazetteer.not_tickers


def test_companies_jsonl_is_sorted_and_up_to_date_with_aliases_yaml():
    lines = (TICKERS / "companies.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["symbol"] for r in records] == sorted(r["symbol"] for r in records)
    assert all(line == json.dumps(r, ensure_ascii=False, sort_keys=True) for line, r in zip(lines, records))
    by_symbol = {r["symbol"]: r for r in records}
    curated = load_yaml(TICKERS / "aliases.yaml")
    for symbol, aliases in curated["aliases"].items():
        forms = set(by_symbol[symbol]["names"]) | set(by_symbol[symbol]["aliases"])
        assert set(aliases) <= forms, f"rebuild companies.jsonl: {symbol} aliases changed"
    for extra in curated["companies"]:
        assert by_symbol[extra["symbol"]]["name"] == extra["name"]


def test_acquired_dates_are_read_and_checked():
    import datetime

    from nlp.tagging.gazetteer import build_acquired

    assert build_acquired({"TD Ameritrade": datetime.date(2020, 10, 6), "Splunk": "2024-03-18"}) == {
        "TD Ameritrade": "2020-10-06", "Splunk": "2024-03-18"}
    with pytest.raises(NarrativeError, match="acquired"):
        build_acquired({"Splunk": "March 2024"})


def test_build_name_variants_drops_a_distinctive_only_descriptor_when_the_rest_is_distinctive():
    assert build_name_variants("Martin Marietta Materials", english=WORDS)[-1] == "Martin Marietta"
    english = WORDS | {"texas", "air"}
    assert "Texas" not in build_name_variants("Texas Instruments", english=english)
    assert "Air" not in build_name_variants("Air Products", english=english)
    assert "MP" not in build_name_variants("MP Materials Corp.", english=WORDS)


def test_build_name_variants_keeps_the_name_with_only_its_legal_form_dropped():
    assert "Employers Holdings" in build_name_variants("Employers Holdings, Inc.", drop=frozenset({"Employers"}))


def test_build_lowercase_symbols_keeps_long_unambiguous_symbols_not_stopped():
    symbols = {"NVDA": "NVDA", "GOOG": "GOOGL", "CAT": "CAT", "GE": "GE", "SMH": "SMH", "BRK.B": "BRK.B"}
    out = build_lowercase_symbols(symbols, frozenset({"CAT"}), ["smh"])
    assert out == {"nvda": "NVDA", "goog": "GOOGL"}


def test_committed_gazetteer_lowercase_symbols(gazetteer):
    lower = gazetteer.lowercase_symbols
    assert lower["nvda"] == "NVDA" and lower["jpm"] == "JPM"
    assert not {"cat", "now", "psa", "smh", "ge"} & set(lower)
