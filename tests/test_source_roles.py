"""Brokers named as the source of a view: found by their role words, neutral in ticker sentiment."""

from __future__ import annotations

import pytest

from nlp.classify.aggregate import compute_ticker_sentiment
from nlp.classify.source_roles import build_source_roles, find_source_symbols, load_source_roles
from nlp.errors import NarrativeError

ROLES = {"brokers": ["PIPR", "MS", "GS", "BAC"], "max_gap_words": 3,
         "after": ["analysts", "strategist", "raised its price target", "downgraded"], "before": ["according to", "analysts at"]}


@pytest.mark.parametrize(
    "text, mention, source",
    [
        ("Piper Sandler raised its price target on Vistra.", ("PIPR", 0, 13), True),
        ("Morgan Stanley chief US equity strategist Mike Wilson said", ("MS", 0, 14), True),
        ("Demand is strong, according to Goldman Sachs.", ("GS", 31, 44), True),
        ("Stocks rose, analysts at Morgan Stanley said.", ("MS", 25, 39), True),
        ("Goldman Sachs reported record equities revenue.", ("GS", 0, 13), False),  # its own news
        ("Bank of America sees net interest income rising.", ("BAC", 0, 15), False),  # its own outlook
    ],
)
def test_a_broker_is_a_source_by_its_role_words(text, mention, source):
    assert text[mention[1]:mention[2]] in {"Piper Sandler", "Morgan Stanley", "Goldman Sachs", "Bank of America"}
    assert (find_source_symbols(text, [mention], build_source_roles(ROLES)) == {mention[0]}) is source


def test_only_listed_brokers_are_sources():
    text = "Vistra analysts said demand is strong."
    assert find_source_symbols(text, [("VST", 0, 6)], build_source_roles(ROLES)) == set()


def test_a_source_is_neutral_and_not_the_main_subject():
    document = {"label": "positive", "score": 0.6}
    flat = [{"negative": 0.2, "neutral": 0.6, "positive": 0.2}]
    glad = [{"negative": 0.0, "neutral": 0.1, "positive": 0.9}]
    out = compute_ticker_sentiment({"PIPR": glad, "VST": flat}, ["PIPR", "VST"], document, main_symbol="VST",
                                   source_symbols={"PIPR"})
    assert out["PIPR"] == {"label": "neutral", "score": 0.0}
    assert out["VST"] == document  # the rated company is the story's main subject


def test_bundled_roles_load_and_a_malformed_file_is_a_clear_error(tmp_path):
    assert "GS" in load_source_roles().brokers
    with pytest.raises(NarrativeError, match="missing or malformed field"):
        build_source_roles({"brokers": ["GS"]})
    with pytest.raises(NarrativeError, match="source-role file"):
        load_source_roles(str(tmp_path / "missing.yaml"))
