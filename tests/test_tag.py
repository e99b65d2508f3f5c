"""Tagging records: input validation, the output format, batching with a classifier, the CLI."""

from __future__ import annotations

import io
import json

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from nlp.errors import NarrativeError
from nlp.tagging.mentions import Mention
from nlp.tagging.tag import (
    build_tag_text, find_unreadable_date, iter_jsonl, parse_jsonl_line, parse_record, tag_record, tag_records,
)

if not Doc.has_extension("mentions"):
    Doc.set_extension("mentions", default=None)

FAKE_NAMES = {"Caterpillar": "CAT", "Eaton": "ETN"}


@Language.component("test_fake_linker")
def fake_linker(doc: Doc) -> Doc:
    """Stands in for the ticker linker: links fixed company names (the contract: doc._.mentions)."""
    mentions = []
    for token in doc:
        if token.text in FAKE_NAMES:
            mentions.append(Mention(FAKE_NAMES[token.text], token.idx, token.idx + len(token), token.text, "name", 0.9))
    doc._.mentions = mentions
    return doc


@pytest.fixture(scope="module")
def hand_nlp():
    import nlp.tagging.themes  # noqa: F401

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("test_fake_linker")
    nlp.add_pipe("narrative_theme_rules_v1")
    return nlp


RECORD = {
    "id": "a1",
    "title": "Eaton expands switchgear output",
    "text": "Eaton and Caterpillar report record orders for switchgear and gas turbines as electricity demand from data centers climbs.",
}


# --- input -----------------------------------------------------------------------------------


def test_parse_jsonl_line_valid_and_blank():
    assert parse_jsonl_line('{"id": 7, "text": "hi", "title": null}', 1)["id"] == 7
    assert parse_jsonl_line("   \n", 3) is None


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"id": "x", "text": ', "line 4: not valid JSON"),
        ("[1, 2]", "line 4: expected a JSON object"),
        ('{"text": "no id"}', "line 4: field 'id' is required"),
        ('{"id": true, "text": "t"}', "line 4: field 'id' is required"),
        ('{"id": "x"}', "line 4 (id 'x'): field 'text' is required"),
        ('{"id": "x", "text": "t", "title": 5}', "line 4 (id 'x'): field 'title' must be a string"),
        ('{"id": "x", "text": "t", "published": []}', "field 'published' must be a string"),
    ],
)
def test_parse_jsonl_line_errors_name_the_line(line, message):
    with pytest.raises(NarrativeError) as err:
        parse_jsonl_line(line, 4)
    assert message in str(err.value)


def test_build_tag_text_joins_title():
    assert build_tag_text({"text": "Body.", "title": "Head"}) == "Head\n\nBody."
    assert build_tag_text({"text": "Body.", "title": "  "}) == "Body."


def test_iter_jsonl_from_path_and_stream(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": 1, "text": "a"}\n\n{"id": 2, "text": "b"}\n')
    assert [n for n, _ in iter_jsonl(path)] == [1, 2, 3]
    assert list(iter_jsonl(io.StringIO("x\ny\n"))) == [(1, "x\n"), (2, "y\n")]
    with pytest.raises(NarrativeError, match="input file not found"):
        list(iter_jsonl(tmp_path / "missing.jsonl"))


# --- output ------------------------------------------------------------------------------------


def test_tag_record_output_format(hand_nlp):
    out = tag_record(hand_nlp, RECORD)
    assert list(out) == ["id", "tickers", "mentions", "themes", "theme_scores", "evidence"]
    assert out["id"] == "a1" and out["tickers"] == ["CAT", "ETN"]
    assert out["themes"] == ["power_demand"]
    assert 0.5 <= out["theme_scores"]["power_demand"] <= 1 and all(v > 0 for v in out["theme_scores"].values())
    text = build_tag_text(RECORD)
    for item in out["mentions"] + out["evidence"]:
        assert text[item["start"] : item["end"]] == item["text"]
    kinds = {e["kind"] for e in out["evidence"]}
    assert kinds == {"ticker", "theme"}
    assert [e["start"] for e in out["evidence"]] == sorted(e["start"] for e in out["evidence"])
    assert all(e["label"] in out["themes"] for e in out["evidence"] if e["kind"] == "theme")
    json.dumps(out)  # serialisable as a JSONL line


def test_tag_record_without_title_uses_text_offsets(hand_nlp):
    out = tag_record(hand_nlp, {"id": 2, "text": "Caterpillar rose."})
    assert out["mentions"][0]["start"] == 0 and out["themes"] == []


def test_tag_record_validates(hand_nlp):
    with pytest.raises(NarrativeError, match="field 'text' is required"):
        tag_record(hand_nlp, {"id": "x"})


def test_tag_records_batches_keep_order(hand_nlp):
    records = [{"id": i, "text": "Caterpillar rose." if i % 2 else "The Fed cut interest rates."} for i in range(7)]
    outs = list(tag_records(hand_nlp, records, batch_size=3))
    assert [o["id"] for o in outs] == list(range(7))
    assert outs[1]["tickers"] == ["CAT"] and outs[2]["themes"] == ["monetary_policy"]


def test_tag_records_with_classifier_combines_scores(hand_nlp, monkeypatch):
    import nlp.classify.annotate as annotate

    calls = []

    def fake_annotate(docs, classifier):
        calls.append(len(docs))
        return [
            {"sentiment": {"label": "positive", "score": 0.8}, "ticker_sentiment": {"ETN": {"label": "positive", "score": 0.7}},
             "theme_probs": {"power_demand": 0.9, "reshoring": 0.95},
             "sentiment_evidence": [{"label": "positive", "kind": "sentiment", "start": 0, "end": 5, "text": "Eaton",
                                     "method": "price_move"}]}
            for _ in docs
        ]

    class FakeClassifier:
        thresholds = {"power_demand": 0.5, "reshoring": 0.5}

    monkeypatch.setattr(annotate, "annotate_docs", fake_annotate)
    outs = list(tag_records(hand_nlp, [RECORD, RECORD, RECORD], classifier=FakeClassifier(), batch_size=2))
    assert calls == [2, 1]
    out = outs[0]
    assert out["sentiment"] == {"label": "positive", "score": 0.8}
    assert out["ticker_sentiment"]["ETN"]["label"] == "positive"
    assert [e["method"] for e in out["evidence"] if e["kind"] == "sentiment"] == ["price_move"]
    # Rule-weighted fusion (nlp.classify.combine): the model confirms the rule theme but cannot add
    # reshoring, which has no rule evidence and a model probability short of near certain (0.95 <
    # MODEL_ALONE); its fused score is still reported.
    assert out["themes"] == ["power_demand"] and out["theme_scores"]["reshoring"] > 0
    assert not [e for e in out["evidence"] if e["kind"] == "theme" and e["label"] == "reshoring"]


def test_parse_record_keeps_extra_fields():
    assert parse_record({"id": "x", "text": "t", "source": "feed"})["source"] == "feed"


# --- CLI --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli():
    from typer.testing import CliRunner

    from nlp.cli import app

    return CliRunner(), app


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_tag_file_to_file_skips_bad_line(cli, tmp_path):
    runner, app = cli
    src = write_lines(tmp_path / "in.jsonl", [
        json.dumps({"id": "ok1", "title": "Caterpillar (NYSE: CAT) beats", "text": "Shares rose."}),
        '{"id": "broken", "text": ',
        json.dumps({"id": "ok2", "text": "The Federal Reserve cut interest rates by a quarter point."}),
    ])
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["tag", str(src), "-o", str(out), "--no-model"])
    assert result.exit_code == 1, result.output  # the good lines are written, the bad one still fails the run
    assert "line 2: not valid JSON" in result.stderr
    assert "tagged 2 record(s), 1 bad line(s) skipped" in result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["ok1", "ok2"]
    assert "CAT" in rows[0]["tickers"] and rows[1]["themes"] == ["monetary_policy"]


def test_cli_tag_strict_stops_with_exit_2(cli, tmp_path):
    runner, app = cli
    src = write_lines(tmp_path / "in.jsonl", [json.dumps({"id": 1, "text": "a"}), '{"text": "no id"}', json.dumps({"id": 3, "text": "c"})])
    result = runner.invoke(app, ["tag", str(src), "--strict", "--no-model"])
    assert result.exit_code == 2
    assert "line 2" in result.stderr and "field 'id' is required" in result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1]


def test_find_unreadable_date():
    assert find_unreadable_date({"id": 1, "text": "a", "published": "yesterday"}) == "yesterday"
    assert find_unreadable_date({"id": 1, "text": "a", "published": "2026-03-04T14:10:00Z"}) is None
    assert find_unreadable_date({"id": 1, "text": "a", "published": "Tue, 04 Mar 2026 14:10:00 GMT"}) is None
    assert find_unreadable_date({"id": 1, "text": "a"}) is None and find_unreadable_date({"published": " "}) is None


def test_cli_tag_warns_of_an_unreadable_date_and_tags_the_record(cli):
    runner, app = cli
    line = json.dumps({"id": "d", "text": "$NVDA rallied.", "published": "yesterday"}) + "\n"
    result = runner.invoke(app, ["tag", "-", "--no-model"], input=line)
    assert result.exit_code == 0, result.output
    assert "line 1 (id 'd'): 'published' is no date we can read ('yesterday')" in result.stderr
    assert "tagged 1 record(s), 1 with an unreadable date" in result.stderr
    assert json.loads(result.stdout)["tickers"] == ["NVDA"]


def test_html_records_are_tagged_on_their_visible_text(hand_nlp):
    record = {"id": "h", "title": "<b>Eaton</b> &amp; friends",
              "text": '<p>Orders at <a href="https://example.com/etn">Eaton</a> and <i>Caterpillar</i> rose.</p>'}
    out = tag_record_html(hand_nlp, record)
    assert (out["title"], out["text"]) == ("Eaton & friends", "Orders at Eaton and Caterpillar rose.")
    full = out["title"] + "\n\n" + out["text"]  # what the offsets index into
    assert [(m["symbol"], full[m["start"]:m["end"]]) for m in out["mentions"]] == [
        ("ETN", "Eaton"), ("ETN", "Eaton"), ("CAT", "Caterpillar")]
    # read as plain text, the markup glues tags to the names and hides them
    plain = next(tag_records(hand_nlp, [record]))
    assert "text" not in plain and plain["mentions"] == []


def tag_record_html(nlp, record):
    return next(tag_records(nlp, [record], html=True))


def test_cli_tag_html_gives_back_the_text_the_offsets_index_into(cli):
    runner, app = cli
    line = json.dumps({"id": "h", "text": "<p>Shares of <b>Caterpillar Inc.</b> (NYSE: CAT) rose.</p>"}) + "\n"
    result = runner.invoke(app, ["tag", "-", "--no-model", "--html"], input=line)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["text"] == "Shares of Caterpillar Inc. (NYSE: CAT) rose." and out["tickers"] == ["CAT"]
    assert all(out["text"][m["start"]:m["end"]] == m["text"] for m in out["mentions"])


def test_cli_tag_stdin_to_stdout(cli):
    runner, app = cli
    result = runner.invoke(app, ["tag", "-", "--no-model"], input=json.dumps({"id": "s", "text": "Hello."}) + "\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id"] == "s"


def test_cli_tag_missing_input_is_one_line_error(cli, tmp_path):
    runner, app = cli
    result = runner.invoke(app, ["tag", str(tmp_path / "nope.jsonl"), "--no-model"])
    assert result.exit_code == 2 and "input file not found" in result.stderr
    assert "Traceback" not in result.output


def test_cli_themes_lists_cards(cli):
    runner, app = cli
    result = runner.invoke(app, ["themes"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["id", "label"]
    assert {line.split()[0] for line in lines[1:]} >= {"reshoring", "market_rotation", "capital_markets"}


@pytest.mark.parametrize(
    "published, day",
    [("2019-11-25T14:05:00Z", "2019-11-25"), ("Mon, 25 Nov 2019 14:05:00 GMT", "2019-11-25"), ("soon", None), (None, None)],
)
def test_the_published_day_the_linker_reads(published, day):
    from nlp.tagging.tag import build_published_date

    assert build_published_date({"published": published}) == day


def test_tag_records_pass_the_date_to_the_linker():
    from nlp.tagging.pipeline import build_pipeline
    from nlp.tagging.tag import tag_records

    records = [{"id": 1, "text": "TD Ameritrade reported record volumes.", "published": "2019-11-25T12:00:00Z"},
               {"id": 2, "text": "TD Ameritrade reported record volumes.", "published": "2021-03-01T12:00:00Z"}]
    out = list(tag_records(build_pipeline(), records))
    assert [r["tickers"] for r in out] == [[], ["SCHW"]]
