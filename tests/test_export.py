"""Export round trips: each format loads with its own library and matches the database."""

from __future__ import annotations

import json

import pytest

from nlp.errors import NarrativeError
from nlp.export import ExportFilter, export, import_labels, iter_export_records
from nlp.export import ExportOptions
from nlp.export.labelstudio import parse_label_jsonl_line, parse_labelstudio_export
from nlp.export.records import assign_split, build_document_text, parse_split_fractions

ARTICLES = [
    ("a1", "Caterpillar lifts outlook", "Caterpillar (NYSE: CAT) raised guidance on data center demand.",
     "2026-01-05T14:00:00Z", "s1"),
    ("a2", "Caterpillar outlook, again", "Caterpillar (NYSE: CAT) raised guidance on data center demand!",
     "2026-01-05T15:00:00Z", "s1"),
    ("a3", "Fed holds rates", "The Fed held rates; Goldman Sachs (NYSE: GS) expects cuts.",
     "2026-01-06T19:00:00Z", "s3"),
]


def _mention(text: str, symbol: str, needle: str) -> dict:
    start = text.index(needle)
    return {"symbol": symbol, "start": start, "end": start + len(needle), "text": needle,
            "method": "exchange_tag", "confidence": 0.99}


def _seed(db) -> None:
    db["feeds"].insert({"id": 1, "url": "https://example.com/feed.xml", "title": "Example"})
    db["extraction_runs"].insert({"id": 7, "pipeline_version": "pv1", "model_name": "m", "model_digest": "abc"})
    for aid, title, text, published, story in ARTICLES:
        db["articles"].insert({"id": aid, "feed_id": 1, "url": f"https://example.com/{aid}", "title": title,
                               "text": text, "published_utc": published, "fetched_utc": published})
        doc = build_document_text(title, text)
        symbol, needle = ("CAT", "CAT") if aid != "a3" else ("GS", "Goldman Sachs")
        m = _mention(doc, symbol, needle)
        db["mentions"].insert({"article_id": aid, "run_id": 7, **m})
        db["article_tickers"].insert({"article_id": aid, "symbol": symbol, "run_id": 7, "n_mentions": 1,
                                      "relevance": 0.8, "sentiment_label": "positive", "sentiment_score": 0.6})
        theme = "power_demand" if aid != "a3" else "monetary_policy"
        db["article_themes"].insert({"article_id": aid, "theme": theme, "run_id": 7, "score": 0.9})
        db["article_themes"].insert({"article_id": aid, "theme": "ai_capex", "run_id": 7, "score": 0.45})
        db["evidence"].insert({"article_id": aid, "run_id": 7, "kind": "theme", "label": theme, "start": 0,
                               "end": 5, "text": doc[:5], "method": "phrase"})
        for label in ("positive", "negative"):  # only the one agreeing with the article's label is exported
            db["evidence"].insert({"article_id": aid, "run_id": 7, "kind": "sentiment", "label": label, "start": 6,
                                   "end": 10, "text": doc[6:10], "method": "price_move"})
        db["article_extractions"].insert({
            "article_id": aid, "run_id": 7, "pipeline_version": "pv1", "sentiment_label": "positive",
            "sentiment_score": 0.5, "p_negative": 0.1, "p_neutral": 0.3, "p_positive": 0.6, "story_id": story})


@pytest.fixture
def seeded(db):
    _seed(db)
    return db


def test_jsonl_records_carry_labels_spans_and_provenance(seeded, tmp_path):
    out = tmp_path / "x.jsonl"
    assert export(seeded, out, "jsonl") == 3
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == ["a1", "a2", "a3"]
    for r in records:
        for m in r["mentions"]:
            assert r["text"][m["start"]:m["end"]] == m["text"]
        assert r["provenance"] == {"run_id": 7, "pipeline_version": "pv1", "model_name": "m", "model_digest": "abc"}
    assert records[2]["tickers"] == ["GS"] and records[2]["themes"] == ["ai_capex", "monetary_policy"]
    sentiment_evidence = [e for e in records[0]["evidence"] if e["kind"] == "sentiment"]
    assert [(e["label"], e["method"]) for e in sentiment_evidence] == [("positive", "price_move")]


def test_filters_and_min_confidence(seeded):
    only_fed = list(iter_export_records(seeded, ExportFilter(themes=("monetary_policy",))))
    assert [r["id"] for r in only_fed] == ["a3"]
    assert [r["id"] for r in iter_export_records(seeded, ExportFilter(tickers=("CAT",)))] == ["a1", "a2"]
    assert [r["id"] for r in iter_export_records(seeded, ExportFilter(since="2026-01-06"))] == ["a3"]
    confident = list(iter_export_records(seeded, options=ExportOptions(min_confidence=0.5)))
    assert all("ai_capex" not in r["themes"] for r in confident)


def test_split_groups_stories_and_is_deterministic(seeded):
    opts = ExportOptions(split="0.5,0.25,0.25", seed=3)
    first = {r["id"]: r["split"] for r in iter_export_records(seeded, options=opts)}
    again = {r["id"]: r["split"] for r in iter_export_records(seeded, options=opts)}
    assert first == again and first["a1"] == first["a2"]
    assert assign_split("story", 1, (0.8, 0.1, 0.1)) == assign_split("story", 1, (0.8, 0.1, 0.1))
    with pytest.raises(ValueError):
        parse_split_fractions("0.8,0.3")


def test_csv_and_parquet_round_trip(seeded, tmp_path):
    import pandas as pd

    export(seeded, tmp_path / "x.csv", "csv")
    frame = pd.read_csv(tmp_path / "x.csv")
    assert list(frame["id"]) == ["a1", "a2", "a3"] and frame.loc[2, "tickers"] == "GS"
    export(seeded, tmp_path / "x.parquet", "parquet")
    table = pd.read_parquet(tmp_path / "x.parquet")
    assert list(table["tickers"].map(list)) == [["CAT"], ["CAT"], ["GS"]]
    assert table.loc[0, "mentions"][0]["symbol"] == "CAT"


def test_hf_dataset_loads_from_disk(seeded, tmp_path):
    datasets = pytest.importorskip("datasets")
    export(seeded, tmp_path / "hf", "hf", options=ExportOptions(split="0.5,0.5", seed=1))
    loaded = datasets.load_from_disk(str(tmp_path / "hf"))
    assert sum(len(split) for split in loaded.values()) == 3
    ids = {row["id"] for split in loaded.values() for row in split}
    assert ids == {"a1", "a2", "a3"}


def test_spacy_docbin_has_ticker_entities_and_cats(seeded, tmp_path):
    import spacy
    from spacy.tokens import DocBin

    export(seeded, tmp_path / "docs", "spacy")
    nlp = spacy.blank("en")
    docs = list(DocBin().from_disk(tmp_path / "docs" / "part-00000.spacy").get_docs(nlp.vocab))
    assert len(docs) == 3
    assert [(e.label_, e.kb_id_) for e in docs[0].ents] == [("TICKER", "CAT")]
    assert docs[2].cats["monetary_policy"] == 1.0 and docs[2].cats["power_demand"] == 0.0


def test_labelstudio_round_trip_and_human_labels_win(seeded, tmp_path):
    out = tmp_path / "tasks.json"
    export(seeded, out, "labelstudio")
    tasks = json.loads(out.read_text())
    assert (tmp_path / "tasks.config.xml").exists()
    # An annotator removes CAT from a2 and marks it negative with the reshoring theme.
    task = tasks[1]
    task["annotations"] = [{"id": 1, "completed_by": 5, "result": [
        {"from_name": "themes", "to_name": "text", "type": "choices", "value": {"choices": ["reshoring"]}},
        {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["negative"]}},
    ]}]
    corrected = tmp_path / "corrected.json"
    corrected.write_text(json.dumps([task]))
    assert import_labels(seeded, corrected) == 3
    records = {r["id"]: r for r in iter_export_records(seeded)}
    assert records["a2"]["tickers"] == [] and records["a2"]["themes"] == ["reshoring"]
    assert records["a2"]["sentiment"]["label"] == "negative"
    assert records["a2"]["label_source"]["themes"] == "human"
    assert records["a1"]["tickers"] == ["CAT"]


def test_uncertain_picks_least_sure(seeded):
    seeded["article_extractions"].update("a3", {"p_negative": 0.34, "p_neutral": 0.33, "p_positive": 0.33})
    seeded["article_themes"].delete_where("article_id != 'a3'")
    picked = list(iter_export_records(seeded, options=ExportOptions(uncertain=1)))
    assert [r["id"] for r in picked] == ["a3"]


def test_bad_label_files_name_the_line(seeded, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a1", "themes": ["reshoring"]}\n{"id": "a2", "sentiment": "great"}\n')
    with pytest.raises(NarrativeError, match="line 2"):
        import_labels(seeded, bad)
    with pytest.raises(ValueError, match="line 4"):
        parse_label_jsonl_line("{not json", 4)
    with pytest.raises(ValueError, match="task 1"):
        parse_labelstudio_export([{"data": {}}])
    unknown = tmp_path / "unknown.jsonl"
    unknown.write_text('{"id": "zz", "themes": []}\n')
    with pytest.raises(NarrativeError, match="not in the database"):
        import_labels(seeded, unknown)


def test_export_errors_are_clear(db, tmp_path):
    with pytest.raises(NarrativeError, match="nothing to export"):
        export(db, tmp_path / "x.jsonl", "jsonl")
    with pytest.raises(NarrativeError, match="unknown export format"):
        export(db, None, "xml")


def test_cli_export_and_import(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from nlp.cli import app
    from nlp.store import open_db

    path = tmp_path / "n.db"
    _seed(open_db(path))
    runner = CliRunner()
    result = runner.invoke(app, ["--db", str(path), "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("id,published")
    bad = runner.invoke(app, ["--db", str(path), "export", "--theme", "nope"])
    assert bad.exit_code == 2 and "unknown theme" in bad.output
    missing = runner.invoke(app, ["--db", str(tmp_path / "none.db"), "export"])
    assert missing.exit_code == 2 and "no database" in missing.output


def test_train_reads_only_human_sentiment_from_an_export(seeded, tmp_path):
    from nlp.classify.train import load_labelled_file

    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"id": "a3", "sentiment": "negative"}\n')
    import_labels(seeded, labels)
    out = tmp_path / "export.jsonl"
    export(seeded, out, "jsonl")
    examples = load_labelled_file(out)
    assert [(e.label, e.text.split("\n")[0]) for e in examples] == [("negative", "Fed holds rates")]
