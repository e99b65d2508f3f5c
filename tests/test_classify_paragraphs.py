"""Labelled paragraphs as training data (nlp/classify/paragraphs.py): rows -> Examples with document,
span and theme labels; the splits file; rows close to a held-out set are dropped; and a paragraph
keeps its sentiment labels when it joins the theme training rows."""

from __future__ import annotations

import json

import pytest

from nlp.classify.paragraphs import (
    build_full_text,
    build_heldout_filter,
    build_paragraph_example,
    load_paragraph_examples,
    load_training_set_names,
    parse_training_sets,
)
from nlp.classify.themes_weak import (
    build_paragraph_set,
    build_theme_examples,
    build_written_set,
    is_held_out,
    join_weak_sets,
    select_calibration_rows,
)
from nlp.errors import NarrativeError

ROW = {"id": "h-1", "title": "Acme beats", "text": "Acme Corp. (NYSE: ACME) rose after Beta Inc. cut prices.",
       "themes": ["reshoring"], "sentiment": "positive", "ticker_sentiment": {"ACME": "positive", "BETA": "negative"}}


def test_full_text_is_title_blank_line_text():
    assert build_full_text(ROW) == "Acme beats\n\nAcme Corp. (NYSE: ACME) rose after Beta Inc. cut prices."
    assert build_full_text({"title": "", "text": "only text"}) == "only text"


def test_example_carries_document_span_and_theme_labels():
    text = build_full_text(ROW)
    acme, beta = text.index("Acme Corp."), text.index("Beta Inc.")
    mentions = [("ACME", acme, acme + 10), ("BETA", beta, beta + 9), ("ZZZ", 0, 4)]
    example = build_paragraph_example(ROW, mentions)
    assert example.text == text and example.label == "positive" and example.themes == ("reshoring",)
    assert example.spans == [(acme, acme + 10, "positive"), (beta, beta + 9, "negative")]  # ZZZ has no label


def test_example_reads_labels_given_as_objects_and_ignores_unknown_ones():
    row = {**ROW, "sentiment": {"label": "negative"}, "ticker_sentiment": {"ACME": {"label": "bullish"}}, "themes": []}
    example = build_paragraph_example(row, [("ACME", 12, 16)])
    assert example.label == "negative" and example.spans == [] and example.themes == ()


def test_heldout_filter_drops_same_start_and_shared_word_runs():
    keep = build_heldout_filter([{"title": "Fed holds", "text": "The Federal Reserve left its benchmark rate unchanged on Wednesday as expected."}])
    assert keep(ROW)
    assert not keep({"title": "Fed holds", "text": "Something else entirely."})
    assert not keep({"title": "Other", "text": "Again the Federal Reserve left its benchmark rate unchanged on Wednesday."})


def test_splits_file_must_list_names():
    assert parse_training_sets({"model_training": ["holdout2", "holdout3"]}) == ["holdout2", "holdout3"]
    for bad in (None, {}, {"model_training": "holdout2"}, {"model_training": [""]}):
        with pytest.raises(NarrativeError, match="model_training"):
            parse_training_sets(bad)


def test_splits_file_names_existing_sets(tmp_path):
    assert load_training_set_names(tmp_path) == []
    (tmp_path / "splits.yaml").write_text("model_training: [train1, missing]\n")
    (tmp_path / "train1.jsonl").write_text(json.dumps(ROW) + "\n")
    with pytest.raises(NarrativeError, match="missing"):
        load_training_set_names(tmp_path)


class _Mention:
    def __init__(self, symbol, start, end):
        self.symbol, self.start, self.end = symbol, start, end


class _FakeTagger:
    """Stands in for the tagging pipeline: one mention of ACME where "Acme Corp." is written."""

    def pipe(self, texts, batch_size=256):
        from types import SimpleNamespace

        for text in texts:
            at = text.find("Acme Corp.")
            yield SimpleNamespace(_=SimpleNamespace(mentions=[_Mention("ACME", at, at + 10)] if at >= 0 else []))


def test_load_keeps_training_sets_only_and_drops_rows_close_to_held_out_ones(tmp_path):
    close = {**ROW, "id": "h-2", "title": "Held story", "text": "Acme Corp. and the very same eight words in a row here today."}
    (tmp_path / "splits.yaml").write_text("model_training: [train1]\n")
    (tmp_path / "train1.jsonl").write_text(json.dumps(ROW) + "\n" + json.dumps(close) + "\n")
    (tmp_path / "test1.jsonl").write_text(json.dumps({**close, "title": "Another title"}) + "\n")
    examples = load_paragraph_examples(tmp_path, nlp=_FakeTagger())
    assert [e.text for e in examples] == [build_full_text(ROW)]
    assert examples[0].spans[0][2] == "positive" and examples[0].source == "paragraph"


def test_paragraphs_train_with_their_sentiment_and_calibrate_thresholds():
    texts = [f"Paragraph {i} about Acme Corp. and tariffs." for i in range(30)]
    rows = [build_paragraph_example({"title": "", "text": t, "themes": ["reshoring"], "sentiment": "negative",
                                     "ticker_sentiment": {}}, []) for t in texts]
    weak = join_weak_sets(build_written_set([("A written row.", {"reshoring"})]), build_paragraph_set(rows))
    examples = build_theme_examples(weak)
    paragraphs = [e for e in examples if e.source == "paragraph"]
    assert paragraphs and all(e.label == "negative" and e.themes == ("reshoring",) for e in paragraphs)
    assert len(paragraphs) == sum(not is_held_out(t) for t in texts)  # once each
    calibration = {t for t, _ in select_calibration_rows(weak)}
    assert calibration == {t for t in weak.texts if is_held_out(t)}
