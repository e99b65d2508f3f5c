"""Pure metrics and the gold parsing/comparisons behind scripts/eval.py."""

from __future__ import annotations

import pytest

from nlp.evaluate.metrics import (
    PRF,
    compute_floor_failures,
    compute_macro_f1,
    compute_method_prf,
    compute_per_label,
    compute_prf,
    compute_set_prf,
)
from nlp.evaluate.tagging import (
    build_cashtag_records,
    evaluate_themes,
    evaluate_tickers,
    extract_cashtags,
    format_table,
    parse_csv_texts,
    parse_seekingalpha_feed,
)


def test_prf_figures():
    prf = PRF(tp=3, fp=1, fn=2)
    assert prf.precision == 0.75 and prf.recall == 0.6
    assert prf.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert prf.support == 5
    assert PRF().precision == PRF().recall == PRF().f1 == 0.0
    assert PRF(1, 0, 0) + PRF(0, 2, 3) == PRF(1, 2, 3)
    assert PRF(1, 1, 0).to_dict()["precision"] == 0.5


def test_compute_prf_and_micro_over_items():
    assert compute_prf({"A", "B"}, {"B", "C"}) == PRF(1, 1, 1)
    assert compute_set_prf([{"A"}, set(), {"B"}], [{"A"}, {"X"}, set()]) == PRF(1, 1, 1)
    with pytest.raises(ValueError):
        compute_set_prf([{"A"}], [])


def test_per_label_and_macro():
    gold = [{"a"}, {"a", "b"}, set()]
    pred = [{"a"}, {"b"}, {"c"}]
    per = compute_per_label(gold, pred)
    assert per == {"a": PRF(1, 0, 1), "b": PRF(1, 0, 0), "c": PRF(0, 1, 0)}
    assert compute_macro_f1(per) == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert compute_per_label(gold, pred, ["d"]) == {"d": PRF()}
    assert compute_macro_f1({"d": PRF()}) == 0.0


def test_method_prf_scores_each_method_alone():
    gold = [{"A", "B"}, {"C"}]
    pred = [{"cashtag": {"A"}, "name": {"B", "Z"}}, {"name": {"C"}}]
    out = compute_method_prf(gold, pred)
    assert out["cashtag"] == PRF(1, 0, 2)
    assert out["name"] == PRF(2, 1, 1)


def test_floor_failures_with_tolerance():
    floors = {"a": 0.9, "b": 0.5, "missing": 0.3}
    assert compute_floor_failures({"a": 0.895, "b": 0.7}, floors, 0.01) == []
    failures = compute_floor_failures({"a": 0.85, "b": 0.7}, floors, 0.01)
    assert len(failures) == 1 and failures[0].startswith("a = 0.8500")


def test_extract_cashtags():
    assert extract_cashtags("$nvda up, $BRK.B flat; US$5 and $5.50 no; $NVDA again") == ["NVDA", "BRK.B"]
    assert extract_cashtags("no tags here") == []


def test_build_cashtag_records_gold_is_known_symbols_only():
    known = {"AAPL": "AAPL", "GOOG": "GOOGL"}
    records = build_cashtag_records(["$AAPL $XYZ up", "$GOOG rallies", "$AAPL $XYZ up", "plain text"], known)
    assert [r["tickers"] for r in records] == [["AAPL"], ["GOOGL"]]
    assert records[0]["id"] != records[1]["id"]


def test_parse_csv_texts():
    assert parse_csv_texts('text,label\n"a, b",0\nc,1\n') == ["a, b", "c"]


FEED = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>x</title>
<item><title>Apple and Nvidia rally</title><guid>11</guid>
  <category type="symbol">AAPL</category><category type="symbol">nvda</category>
  <category type="author">Someone</category></item>
<item><title>No symbols</title><guid>12</guid></item>
</channel></rss>"""


def test_parse_seekingalpha_feed():
    records = parse_seekingalpha_feed(FEED)
    assert records == [{"id": "sa11", "title": "Apple and Nvidia rally", "text": "", "tickers": ["AAPL", "NVDA"]}]


def test_evaluate_tickers_and_themes():
    gold = [{"tickers": ["A", "B"], "themes": ["t1"]}, {"tickers": [], "themes": ["t2", "other"]}]
    outputs = [
        {"tickers": ["A"], "mentions": [{"symbol": "A", "method": "name"}], "themes": ["t1", "t2"]},
        {"tickers": ["C"], "mentions": [{"symbol": "C", "method": "cashtag"}], "themes": ["t2"]},
    ]
    tickers = evaluate_tickers(gold, outputs)
    assert tickers["overall"] == PRF(1, 1, 1)
    assert tickers["by_method"]["cashtag"] == PRF(0, 1, 2)
    themes = evaluate_themes(gold, outputs, ["t1", "t2"])
    assert themes["micro"] == PRF(2, 1, 0)
    assert themes["per_theme"]["t2"] == PRF(1, 1, 0)


def test_format_table():
    table = format_table([{"name": "x", "f1": 0.5, "tp": 3}], ["name", "f1", "tp"])
    assert table.splitlines() == ["name  f1     tp", "x     0.500   3"]
