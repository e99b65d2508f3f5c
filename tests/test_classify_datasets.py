"""The written business-news sentiment set: its parser, the shipped file, and the training mix."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from nlp.classify.datasets import (
    Example,
    build_replay_mix,
    load_sentiment_training_set,
    load_written_sentiment,
    parse_written_sentiment,
)
from nlp.errors import NarrativeError
from nlp.settings import CORPORA_DIR

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = CORPORA_DIR / "sentiment" / "written_news.jsonl"


def jsonl(*rows: dict) -> str:
    return "\n".join(json.dumps(r) for r in rows) + "\n"


@pytest.fixture(scope="module")
def shipped_rows() -> list[dict]:
    return [json.loads(line) for line in SHIPPED.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_parse_labels_and_first_verbatim_target_span():
    raw = jsonl(
        {"text": "Net sales decreased by 5 percent.", "label": "negative"},
        {"text": "Acme Oyj beat Acme Oyj's rival Bolt.", "label": "positive", "target": "Acme Oyj", "target_label": "positive"},
        {"text": "Bolt lost the order to Acme.", "label": "negative", "target": "Acme", "target_label": "positive"},
    ) + "\n   \n"
    plain, first, other = parse_written_sentiment(raw)
    assert (plain.label, plain.spans, plain.source) == ("negative", [], "written")
    assert first.spans == [(0, 8, "positive")]
    assert other.label == "negative" and other.spans == [(23, 27, "positive")]
    assert other.text[23:27] == "Acme"


def test_target_match_is_case_sensitive():
    [ex] = parse_written_sentiment(jsonl({"text": "acme and Acme", "label": "neutral", "target": "Acme", "target_label": "neutral"}))
    assert ex.spans == [(9, 13, "neutral")]


@pytest.mark.parametrize("row, message", [
    ({"text": "Profit rose.", "label": "bullish"}, "line 1 has label 'bullish'"),
    ({"text": "Profit rose.", "label": None}, "line 1 has label None"),
    ({"text": "  ", "label": "neutral"}, "line 1 needs a non-empty text"),
    ({"text": "Acme grew.", "label": "positive", "target": "Bolt", "target_label": "positive"}, "does not occur verbatim"),
    ({"text": "Acme grew.", "label": "positive", "target": "Acme"}, "needs both target and a target_label"),
    ({"text": "Acme grew.", "label": "positive", "target_label": "positive"}, "needs both target and a target_label"),
    ({"text": "Acme grew.", "label": "positive", "target": "Acme", "target_label": "good"}, "needs both target and a target_label"),
])
def test_malformed_rows_raise_with_the_line(row, message):
    with pytest.raises(NarrativeError, match=message):
        parse_written_sentiment(jsonl(row))


def test_bad_json_names_the_line():
    with pytest.raises(NarrativeError, match="line 2 is not valid JSON"):
        parse_written_sentiment(jsonl({"text": "Fine.", "label": "neutral"}) + "{not json\n")
    with pytest.raises(NarrativeError, match="line 1 is not a JSON object"):
        parse_written_sentiment("[1, 2]\n")


def test_shipped_file_size_and_label_balance(shipped_rows):
    labels = Counter(r["label"] for r in shipped_rows)
    assert set(labels) == {"negative", "neutral", "positive"}
    assert len(shipped_rows) >= 2500
    share = {k: v / len(shipped_rows) for k, v in labels.items()}
    assert 0.40 <= share["neutral"] <= 0.50
    assert 0.28 <= share["positive"] <= 0.38
    assert 0.17 <= share["negative"] <= 0.27


def test_shipped_file_has_no_duplicate_texts(shipped_rows):
    texts = [r["text"].strip().lower() for r in shipped_rows]
    assert len(set(texts)) == len(texts)
    assert all("{" not in t and "}" not in t for t in texts)  # no unfilled frame slots


def test_shipped_targets_occur_verbatim_and_opposite_fortunes_are_present(shipped_rows):
    targeted = [r for r in shipped_rows if "target" in r]
    assert all(r["target"] in r["text"] and r["target_label"] in {"negative", "neutral", "positive"} for r in targeted)
    assert len(targeted) >= 400
    opposite = [r for r in targeted if {r["label"], r["target_label"]} == {"positive", "negative"}]
    assert len(opposite) >= 150  # two companies with opposite fortunes, target on the other one
    examples = load_written_sentiment(CORPORA_DIR)
    assert len(examples) == len(shipped_rows)
    for ex, row in zip(examples, shipped_rows):
        if "target" in row:
            (start, end, label), = ex.spans
            assert ex.text[start:end] == row["target"] and label == row["target_label"]


def test_missing_written_set_is_a_clear_error(tmp_path):
    with pytest.raises(NarrativeError, match="no written sentiment set"):
        load_written_sentiment(tmp_path)


def test_training_mix_includes_the_written_set(tmp_path):
    data = tmp_path / "data"
    (data / "twitter_financial_news_sentiment").mkdir(parents=True)
    (data / "twitter_financial_news_sentiment" / "sent_train.csv").write_text('text,label\n"$ACME up",1\n', encoding="utf-8")
    (data / "sentfin_1.0").mkdir()
    titles = [f"Headline number {i}" for i in range(40)]  # some land on the train side of the split
    rows = "".join(f"{i},{t},\"{{'Headline': 'neutral'}}\",3\n" for i, t in enumerate(titles))
    (data / "sentfin_1.0" / "SEntFiN.csv").write_text("S No.,Title,Decisions,Words\n" + rows, encoding="utf-8")
    corpora = tmp_path / "corpora"
    (corpora / "sentiment").mkdir(parents=True)
    (corpora / "sentiment" / "written_news.jsonl").write_text(jsonl({"text": "Orders rose.", "label": "positive"}), encoding="utf-8")
    mix = load_sentiment_training_set(data, corpora)
    sources = Counter(ex.source for ex in mix)
    assert sources["twitter"] == 1 and sources["written"] == 1 and sources["sentfin"] >= 1
    default = load_sentiment_training_set(data)  # the repository's corpora/ by default
    assert Counter(ex.source for ex in default)["written"] == len(load_written_sentiment(CORPORA_DIR))
    only_written = load_sentiment_training_set(data, corpora, sources=("written",))
    assert [ex.source for ex in only_written] == ["written"]
    with pytest.raises(NarrativeError, match="unknown sentiment source"):
        load_sentiment_training_set(data, corpora, sources=("fpb",))


def test_replay_mix_keeps_new_data_and_a_seeded_sample_of_the_old():
    new = [Example(f"new {i}", "positive") for i in range(3)]
    old = [Example(f"old {i}", "neutral") for i in range(10)]
    mix = build_replay_mix(new, old, 4, seed=1)
    assert mix[:3] == new and len(mix) == 7 and all(ex in old for ex in mix[3:])
    assert mix == build_replay_mix(new, old, 4, seed=1)
    assert len(build_replay_mix(new, old, 50, seed=1)) == 13


def test_regenerating_gives_the_shipped_file(tmp_path, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("make_written_sentiment", ROOT / "scripts" / "make_written_sentiment.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    out = tmp_path / "written_news.jsonl"
    assert module.main(["--out", str(out)]) == 0
    assert out.read_bytes() == SHIPPED.read_bytes(), "regenerate with scripts/make_written_sentiment.py"
