"""Extraction runs: incremental selection, run bookkeeping, reprocess, replace-not-duplicate."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from nlp.errors import NarrativeError
from nlp.extract.fingerprint import Tagger
from nlp.extract.runner import extract, parse_since

_CASHTAG = re.compile(r"\$([A-Z]{1,5})")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
LABEL_TABLES = ("mentions", "article_tickers", "article_themes", "evidence")


class FakeTagger(Tagger):
    """Cashtags as mentions, 'reshoring' as a theme, 'rose'/'fell' as sentiment; records calls."""

    def __init__(self, digest: str = "fake-1", fail_on_call: int | None = None):
        super().__init__(self._tag, "fake-model", digest, "cpu")
        self.calls: list[list[str]] = []
        self.fail_on_call = fail_on_call

    def _tag(self, items: list[dict]) -> list[dict]:
        self.calls.append([i["id"] for i in items])
        if self.fail_on_call is not None and len(self.calls) == self.fail_on_call:
            raise RuntimeError("injected failure")
        return [tag_text(i["id"], i["text"]) for i in items]


def tag_text(article_id: str, text: str) -> dict:
    mentions = [
        {"symbol": m.group(1), "start": m.start(), "end": m.end(), "text": m.group(0), "method": "cashtag", "confidence": 1.0}
        for m in _CASHTAG.finditer(text)
    ]
    themes = ["reshoring"] if "reshoring" in text else []
    label = "positive" if "rose" in text else "negative" if "fell" in text else "neutral"
    score = {"positive": 0.8, "negative": -0.7, "neutral": 0.0}[label]
    evidence = [{"label": "reshoring", "kind": "theme", "start": text.index("reshoring"), "end": text.index("reshoring") + 9,
                 "text": "reshoring", "method": "phrase"}] if themes else []
    starts = [0] + [m.end() for m in _SENTENCE.finditer(text)]
    return {
        "id": article_id, "tickers": sorted({m["symbol"] for m in mentions}), "mentions": mentions, "themes": themes,
        "theme_scores": {t: 0.9 for t in themes}, "evidence": evidence, "sentiment": {"label": label, "score": score},
        "ticker_sentiment": {m["symbol"]: {"label": label, "score": score} for m in mentions},
        "_sentence_starts": starts, "_rule_scores": {t: 0.9 for t in themes}, "_model_probs": {t: 0.7 for t in themes},
    }


def article_row(i: int, text: str | None = None, published: str | None = None, title: str | None = None) -> dict:
    text = text or f"Story {i}: $CAT shares rose after reshoring news. Analysts at $GS were upbeat. Item {i}."
    return {
        "id": f"art-{i:05d}", "guid": f"g{i}", "url": f"https://example.test/{i}", "title": title or f"Headline {i}",
        "summary": "", "text": text, "published_utc": published or f"2026-01-{1 + i % 28:02d}T12:00:00Z",
        "fetched_utc": "2026-01-29T00:00:00Z", "content_hash": hashlib.sha1(f"{i}{text}".encode()).hexdigest(),
        "language": "en", "text_source": "feed",
    }


def insert_articles(db, rows: list[dict]) -> None:
    """Through the store's article function when it exists, else straight into the table."""
    try:
        from nlp.store.articles import save_articles
    except ModuleNotFoundError:
        db["articles"].insert_all(rows)
        return
    save_articles(db, rows)


def table_rows(db, table: str, drop: tuple[str, ...] = ("id", "run_id", "extracted_utc")) -> list[tuple]:
    rows = [tuple((k, v) for k, v in sorted(r.items()) if k not in drop) for r in db[table].rows]
    return sorted(rows, key=repr)


def test_first_run_extracts_everything_and_records_the_run(db):
    insert_articles(db, [article_row(i) for i in range(5)])
    summary = extract(db, tagger=FakeTagger(), batch_size=2)
    assert (summary.status, summary.n_articles, summary.n_batches) == ("completed", 5, 3)
    run = db["extraction_runs"].get(summary.run_id)
    assert run["status"] == "completed" and run["started_utc"] <= run["ended_utc"]
    assert (run["n_articles"], run["n_mentions"], run["n_themes"], run["n_batches"]) == (5, 10, 5, 3)
    assert run["model_name"] == "fake-model" and run["model_digest"] == "fake-1" and run["device"] == "cpu"
    assert "model:fake-1" in run["pipeline_version"]
    config = json.loads(run["config"])
    assert config["batch_size"] == 2 and config["fingerprint"]["model"] == "fake-1"
    assert db["mentions"].count == 10 and db["article_themes"].count == 5 and db["evidence"].count == 5
    for table in ("article_extractions", *LABEL_TABLES):
        assert {r["run_id"] for r in db[table].rows} == {summary.run_id}


def test_rows_carry_relevance_sentiment_and_probabilities(db):
    insert_articles(db, [article_row(1)])
    extract(db, tagger=FakeTagger())
    cat = db["article_tickers"].get(("art-00001", "CAT"))
    gs = db["article_tickers"].get(("art-00001", "GS"))
    assert cat["relevance"] > gs["relevance"] > 0
    assert cat["n_mentions"] == 1 and cat["sentiment_label"] == "positive"
    assert 0 < cat["first_position"] < gs["first_position"] < 1
    theme = db["article_themes"].get(("art-00001", "reshoring"))
    assert (theme["score"], theme["rule_score"], theme["model_score"]) == (0.9, 0.9, 0.7)
    marker = db["article_extractions"].get("art-00001")
    assert marker["sentiment_label"] == "positive" and marker["sentiment_score"] == 0.8


def test_rerun_with_nothing_new_does_no_tagging(db):
    insert_articles(db, [article_row(i) for i in range(4)])
    extract(db, tagger=FakeTagger())
    tagger = FakeTagger()
    summary = extract(db, tagger=tagger)
    assert tagger.calls == [] and summary.n_articles == 0 and summary.status == "completed"
    assert db["extraction_runs"].count == 2


def test_only_new_articles_are_extracted(db):
    insert_articles(db, [article_row(i) for i in range(3)])
    extract(db, tagger=FakeTagger())
    insert_articles(db, [article_row(i) for i in range(3, 6)])
    tagger = FakeTagger()
    summary = extract(db, tagger=tagger)
    assert summary.n_articles == 3
    assert sorted(sum(tagger.calls, [])) == ["art-00003", "art-00004", "art-00005"]


def test_changed_text_is_extracted_again(db):
    from nlp.store.articles import save_article_text

    insert_articles(db, [article_row(i) for i in range(3)])
    extract(db, tagger=FakeTagger())
    save_article_text(db, "art-00001", "Full text: $NVDA fell. $NVDA again.", "fulltext")
    tagger = FakeTagger()
    extract(db, tagger=tagger)
    assert tagger.calls == [["art-00001"]]
    assert {r["symbol"] for r in db["mentions"].rows_where("article_id = ?", ["art-00001"])} == {"NVDA"}


def test_new_pipeline_version_extracts_again_and_replaces(db):
    insert_articles(db, [article_row(i) for i in range(4)])
    extract(db, tagger=FakeTagger("fake-1"))
    before = {t: table_rows(db, t) for t in LABEL_TABLES}
    summary = extract(db, tagger=FakeTagger("fake-2"))
    assert summary.n_articles == 4
    assert {t: table_rows(db, t) for t in LABEL_TABLES} == before
    assert {r["pipeline_version"] for r in db["article_extractions"].rows} == {summary.pipeline_version}


def test_reprocess_replaces_labels_without_duplicates(db):
    insert_articles(db, [article_row(i) for i in range(5)])
    first = extract(db, tagger=FakeTagger(), batch_size=2)
    before = {t: table_rows(db, t) for t in ("article_extractions", *LABEL_TABLES)}
    second = extract(db, tagger=FakeTagger(), batch_size=3, reprocess=True)
    assert second.n_articles == 5
    assert {t: table_rows(db, t) for t in ("article_extractions", *LABEL_TABLES)} == before
    for table in ("article_extractions", *LABEL_TABLES):
        assert {r["run_id"] for r in db[table].rows} == {second.run_id}
    runs = list(db["extraction_runs"].rows)
    assert [r["id"] for r in runs] == [first.run_id, second.run_id]
    assert [r["n_articles"] for r in runs] == [5, 5]


def test_since_and_limit_select_articles(db):
    rows = [article_row(i, published=f"2026-01-{10 + i:02d}T09:00:00Z") for i in range(6)]
    insert_articles(db, rows)
    tagger = FakeTagger()
    summary = extract(db, tagger=tagger, since="2026-01-13", limit=2, batch_size=5)
    assert sum(tagger.calls, []) == ["art-00003", "art-00004"] and summary.n_pending == 2
    summary = extract(db, tagger=FakeTagger(), since="2026-01-13")
    assert summary.n_articles == 1
    assert extract(db, tagger=FakeTagger()).n_articles == 3


def test_parse_since():
    assert parse_since("2026-01-02") == "2026-01-02T00:00:00Z"
    assert parse_since("2026-01-02T10:00:00+02:00") == "2026-01-02T08:00:00Z"
    assert parse_since(None) is None
    with pytest.raises(NarrativeError, match="bad date"):
        parse_since("yesterday")


def test_failure_marks_run_failed_and_keeps_committed_batches(db):
    insert_articles(db, [article_row(i) for i in range(6)])
    with pytest.raises(RuntimeError):
        extract(db, tagger=FakeTagger(fail_on_call=2), batch_size=2)
    run = db["extraction_runs"].get(1)
    assert run["status"] == "failed" and "injected failure" in run["error"]
    assert run["n_articles"] == 2 and db["article_extractions"].count == 2
    tagger = FakeTagger()
    assert extract(db, tagger=tagger, batch_size=2).n_articles == 4
    assert len(sum(tagger.calls, [])) == 4


def test_run_left_running_by_a_dead_process_is_marked_interrupted(db):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    db["extraction_runs"].insert({"pipeline_version": "old", "status": "running", "pid": int(dead.stdout)})
    extract(db, tagger=FakeTagger())
    assert db["extraction_runs"].get(1)["status"] == "interrupted"


def test_near_duplicates_share_a_story_and_the_earliest_is_first(db):
    base = ("Caterpillar said it will build a new engine plant in Ohio, adding 800 jobs, as the company leans "
            "on tax credits for domestic manufacturing and the wider reshoring trend in heavy industry. $CAT")
    rows = [
        article_row(1, base, "2026-01-05T10:00:00Z", title="CAT to build Ohio plant"),
        article_row(2, "The Fed held rates steady and signalled two cuts later this year.", "2026-01-05T11:00:00Z"),
        article_row(3, base + " Shares rose 2%.", "2026-01-04T09:00:00Z", title="CAT to build Ohio plant"),
        article_row(4, base, "2026-01-20T10:00:00Z", title="CAT to build Ohio plant"),
    ]
    insert_articles(db, rows[:2])
    extract(db, tagger=FakeTagger())
    insert_articles(db, rows[2:])
    extract(db, tagger=FakeTagger())
    marks = {r["article_id"]: (r["story_id"], r["is_first_in_story"]) for r in db["article_extractions"].rows}
    assert marks["art-00001"] == ("art-00001", 0)  # an older copy scraped later became the first
    assert marks["art-00003"] == ("art-00001", 1)
    assert marks["art-00002"] == ("art-00002", 1)
    assert marks["art-00004"] == ("art-00004", 1)  # same text, outside the 3-day window


def test_empty_database_says_so(db):
    summary = extract(db, tagger=FakeTagger())
    assert summary.n_articles == 0 and any("no articles" in n for n in summary.notes)


def test_bad_sizes_are_clear_errors(db):
    with pytest.raises(NarrativeError, match="batch-size"):
        extract(db, tagger=FakeTagger(), batch_size=0)


def test_package_is_callable_as_the_api(db):
    import nlp
    import nlp.extract  # noqa: F401  (rebinds nlp.extract to the package)

    insert_articles(db, [article_row(1)])
    assert nlp.extract(db, tagger=FakeTagger()).n_articles == 1


# -- command line ---------------------------------------------------------------------------------


def _cli(*args: str):
    from typer.testing import CliRunner

    from nlp.cli import app

    return CliRunner().invoke(app, list(args))


def test_cli_bad_date_is_one_line_and_exit_2(tmp_path):
    result = _cli("--db", str(tmp_path / "x.db"), "extract", "--since", "last tuesday")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == ["Error: bad date 'last tuesday': use YYYY-MM-DD or an ISO 8601 date-time"]


def test_cli_missing_database_and_bad_device(tmp_path):
    result = _cli("--db", str(tmp_path / "missing.db"), "extract")
    assert result.exit_code == 2 and "no database" in result.output
    assert not (tmp_path / "missing.db").exists()
    result = _cli("--db", str(tmp_path / "missing.db"), "extract", "--device", "tpu")
    assert result.exit_code == 2 and "unknown device" in result.output


def test_cli_empty_database_says_so(tmp_path):
    from nlp.store import open_db

    open_db(tmp_path / "empty.db").conn.close()
    result = _cli("--db", str(tmp_path / "empty.db"), "extract", "--no-model")
    assert result.exit_code == 0
    assert "no articles yet" in result.output and "nothing to extract" in result.output


def test_cli_rules_only_run_extracts_and_summarises(tmp_path):
    pytest.importorskip("nlp.tagging.linker")
    from nlp.store import open_db

    db = open_db(tmp_path / "n.db")
    insert_articles(db, [article_row(1, "Caterpillar (NYSE: CAT) will build a new factory in Ohio. Shares rose.")])
    db.conn.close()
    result = _cli("--db", str(tmp_path / "n.db"), "extract", "--no-model", "--batch-size", "8")
    assert result.exit_code == 0, result.output
    assert "extracted 1 article in" in result.output and "rules only" in result.output
    db = open_db(tmp_path / "n.db")
    assert "CAT" in {r["symbol"] for r in db["mentions"].rows}
    rerun = _cli("--db", str(tmp_path / "n.db"), "extract", "--no-model")
    assert "nothing to extract" in rerun.output


def test_rules_pipeline_gives_the_labels_narrative_tag_gives(db):
    """extract and `narrative tag` share their building blocks: same mentions, themes, evidence."""
    from nlp.tagging.pipeline import build_pipeline
    from nlp.tagging.tag import tag_records

    text = ("Caterpillar (NYSE: CAT) will build a new engine factory in Ohio, bringing production back from "
            "overseas. Apple pie sales rose at the county fair. $NVDA said data center spending keeps growing.")
    insert_articles(db, [article_row(7, text, title="CAT to build Ohio plant")])
    summary = extract(db, use_model=False, batch_size=4)
    assert summary.n_articles == 1 and summary.model_name is None and "model:none" in summary.pipeline_version
    (expected,) = tag_records(build_pipeline(), [{"id": "art-00007", "title": "CAT to build Ohio plant", "text": text}])
    mentions = sorted((r["symbol"], r["start"], r["end"], r["method"]) for r in db["mentions"].rows)
    assert mentions == sorted((m["symbol"], m["start"], m["end"], m["method"]) for m in expected["mentions"])
    assert sorted(r["theme"] for r in db["article_themes"].rows) == expected["themes"]
    assert db["evidence"].count == len(expected["evidence"])
    assert {r["symbol"] for r in db["article_tickers"].rows} == set(expected["tickers"])
    assert "AAPL" not in expected["tickers"]


def test_api_accepts_a_database_path(tmp_path):
    from nlp.store import open_db

    insert_articles(open_db(tmp_path / "p.db"), [article_row(1), article_row(2)])
    assert extract(str(tmp_path / "p.db"), tagger=FakeTagger()).n_articles == 2
    assert open_db(tmp_path / "p.db")["article_extractions"].count == 2


def test_model_digest_comes_from_the_files_without_loading(tmp_path):
    from nlp.extract.fingerprint import build_pipeline_version, load_pipeline_fingerprint, resolve_model

    assert resolve_model(None, use_model=False) == (None, "none")
    with pytest.raises(NarrativeError, match="no trained classifier"):
        resolve_model(str(tmp_path), use_model=True)
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"weights v1")
    name, first = resolve_model(str(tmp_path), use_model=True)
    (tmp_path / "model.safetensors").write_bytes(b"weights v2")
    assert name == str(tmp_path) and len(first) == 64 and resolve_model(str(tmp_path), True)[1] != first
    assert resolve_model("some-plugin-name", use_model=True) == ("some-plugin-name", None)
    version = build_pipeline_version(load_pipeline_fingerprint(first))
    assert f"model:{first[:10]}" in version and "themes:" in version and "gazetteer:" in version


def test_int8_weights_are_part_of_the_pipeline_version(tmp_path):
    from nlp.extract.fingerprint import build_pipeline_version, load_pipeline_fingerprint

    plain = build_pipeline_version(load_pipeline_fingerprint("a" * 64))
    int8 = build_pipeline_version(load_pipeline_fingerprint("a" * 64, "int8"))
    assert plain != int8 and int8.endswith("+quantize:int8")
    assert build_pipeline_version(load_pipeline_fingerprint(None, "int8")).endswith("model:none")
    result = _cli("--db", str(tmp_path / "x.db"), "extract", "--quantize", "int4")
    assert result.exit_code == 2 and "unknown --quantize" in result.output
