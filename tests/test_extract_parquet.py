"""The Parquet path of the Ray engine without Ray: id ranges, shard names, tables, the article
export, and import-results (same rows as the local engine, idempotent, one line for a bad shard).
Shards are written by the same function the Ray actors call (``ray_engine.tag_page``), with a
stub tagger, in this process."""

from __future__ import annotations

import hashlib
import random
import re

import pytest

from nlp.errors import NarrativeError
from nlp.extract import parquet
from nlp.extract.fingerprint import Tagger, build_pipeline_version, load_pipeline_fingerprint
from nlp.extract.parquet_import import build_import_meta, import_results
from nlp.extract.ray_engine import build_load_note, build_run_config, order_by_page, tag_page
from nlp.extract.runner import extract

TABLES = ("mentions", "article_tickers", "article_themes", "evidence", "article_extractions", "article_signatures")
DROP = ("id", "run_id", "extracted_utc")
_CASHTAG = re.compile(r"\$([A-Z]{1,5})")


def stub_record(article_id: str, text: str) -> dict:
    """Cashtags as mentions, 'reshoring' as a theme, a float score that must survive JSON."""
    mentions = [{"symbol": m.group(1), "start": m.start(), "end": m.end(), "text": m.group(0), "method": "cashtag",
                 "confidence": 0.1 + 0.2} for m in _CASHTAG.finditer(text)]
    themes = ["reshoring"] if "reshoring" in text else []
    return {"id": article_id, "tickers": sorted({m["symbol"] for m in mentions}), "mentions": mentions, "themes": themes,
            "theme_scores": {t: 2 / 3 for t in themes}, "evidence": [], "sentiment": {"label": "neutral", "score": 0.0},
            "ticker_sentiment": {}, "_sentence_starts": [0], "_rule_scores": {t: 2 / 3 for t in themes}}


def stub_tagger() -> Tagger:
    return Tagger(lambda items: [stub_record(i["id"], i["text"]) for i in items], "stub", "stub-1", "cpu")


def article(i: int, text: str | None = None) -> dict:
    # Every third article repeats the one before it: stories with more than one member.
    body = text or f"Factory {i // 3}: $CAT and $GS back reshoring of plant {i // 3} in Ohio, with {i // 3} jobs."
    return {"id": f"a{i:04d}", "guid": f"g{i}", "url": f"https://example.test/{i}", "title": f"Plant {i // 3}", "summary": "",
            "text": body, "published_utc": f"2026-02-{1 + i % 20:02d}T10:00:00Z", "fetched_utc": "2026-03-01T00:00:00Z",
            "content_hash": hashlib.sha1(f"{i}{body}".encode()).hexdigest(), "language": "en", "text_source": "feed"}


def make_db(path, n: int = 23):
    from nlp.store import open_db

    db = open_db(path)
    db["articles"].insert_all([article(i) for i in random.Random(1).sample(range(n), n)])  # ids not in insert order
    return db


def rows(db, table: str) -> list[tuple]:
    return sorted((tuple((k, v) for k, v in sorted(r.items()) if k not in DROP) for r in db[table].rows), key=repr)


def snapshot(db) -> dict:
    return {t: rows(db, t) for t in (*TABLES, "extraction_runs")}


def write_shards(db, out, batch_size: int = 5, rows_per_file: int = 7):
    """export-articles, then every page through ``tag_page`` (what each Ray actor does)."""
    exported = parquet.export_articles(db, out / "articles", use_model=False, rows_per_file=rows_per_file)
    version = build_pipeline_version(load_pipeline_fingerprint("stub-1"))
    meta = {"pipeline_version": version, "model_name": "stub", "model_digest": "stub-1", "device": "cpu",
            "config": build_run_config({}, None, None, batch_size, False, True, None, {"engine": "ray"})}
    ranges = parquet.load_export_ranges(out / "articles", batch_size)
    tagger = stub_tagger()
    names = [tag_page(tagger, r, None, out / "results", meta)["payload"] for r in ranges]
    return exported, ranges, names


@pytest.fixture
def shards(tmp_path):
    (tmp_path / "results").mkdir()
    db = make_db(tmp_path / "db.db")
    exported, ranges, names = write_shards(db, tmp_path)
    return db, tmp_path / "results", ranges, names


# -- pure helpers ---------------------------------------------------------------------------------------


def test_id_ranges_cut_sorted_ids_into_pages():
    ranges = parquet.build_id_ranges(["a", "b", "c", "d", "e"], 2, first_page=7, file="f.parquet")
    assert [(r["page"], r["first_id"], r["last_id"], r["n"], r["start"]) for r in ranges] == [
        (7, "a", "b", 2, 0), (8, "c", "d", 2, 2), (9, "e", "e", 1, 4)]
    assert all(r["file"] == "f.parquet" for r in ranges)
    assert parquet.build_id_ranges([], 4) == []
    with pytest.raises(NarrativeError, match="not sorted and unique"):
        parquet.build_id_ranges(["b", "a"], 2)
    with pytest.raises(NarrativeError, match="not sorted and unique"):
        parquet.build_id_ranges(["a", "a"], 2)


def test_shard_name_is_the_page_and_its_range():
    rng = {"page": 3, "first_id": "a1", "last_id": "a9", "n": 9}
    name = parquet.build_shard_name(rng)
    assert re.fullmatch(r"results-000003-[0-9a-f]{12}\.parquet", name)
    assert parquet.build_shard_name(dict(rng)) == name  # a rerun of the same page overwrites it
    assert parquet.build_shard_name({**rng, "last_id": "a8"}) != name
    assert parquet.build_shard_name({**rng, "n": 8}) != name


def test_row_group_span():
    assert parquet.compute_row_group_span([3, 3, 3], 2, 4) == ([0, 1], 2)
    assert parquet.compute_row_group_span([3, 3, 3], 3, 3) == ([1], 0)
    assert parquet.compute_row_group_span([3, 3, 3], 8, 1) == ([2], 2)
    assert parquet.compute_row_group_span([1024], 256, 256) == ([0], 256)


def test_tables_round_trip():
    articles = [{"id": "x1", "title": None, "body": "Body é", "published_utc": "2026-01-01T00:00:00Z", "content_hash": "h:feed"}]
    table = parquet.build_articles_table(articles, {"pipeline_version": "v"})
    assert parquet.parse_articles_table(table) == articles
    assert parquet.parse_table_meta(table.schema.metadata, parquet.ARTICLES_FORMAT, "t")["pipeline_version"] == "v"
    record = stub_record("x1", "$CAT reshoring")
    results = parquet.build_results_table({"pipeline_version": "v"}, articles, ["sha"], [record])
    (row,) = parquet.parse_results_table(results)
    assert row == {"id": "x1", "content_hash": "h:feed", "text_sha1": "sha", "record": record}
    assert row["record"]["mentions"][0]["confidence"] == 0.1 + 0.2  # floats survive exactly
    with pytest.raises(NarrativeError, match="not a narrative results file"):
        parquet.parse_table_meta(table.schema.metadata, parquet.RESULTS_FORMAT, "t")


def test_pages_are_written_in_page_order_whatever_order_they_arrive():
    arrived = [{"page": p} for p in (2, 0, 3, 1, 4)]
    assert [r["page"] for r in order_by_page(arrived)] == [0, 1, 2, 3, 4]
    with pytest.raises(NarrativeError, match="page 1 is missing"):
        list(order_by_page([{"page": 0}, {"page": 2}]))
    assert build_load_note({"x", "y"}, 13, 2) == "ray: the pipeline was loaded 2 times for 13 pages (2 workers)"


def test_import_meta_needs_one_pipeline_version():
    assert build_import_meta([{"pipeline_version": "v"}, {"pipeline_version": "v"}])["pipeline_version"] == "v"
    with pytest.raises(NarrativeError, match="2 pipeline versions"):
        build_import_meta([{"pipeline_version": "v"}, {"pipeline_version": "w"}])


# -- the article export ---------------------------------------------------------------------------------


def test_export_writes_pending_articles_in_id_order(tmp_path):
    from nlp.store.extraction import iter_pending_articles

    db = make_db(tmp_path / "db.db", n=10)
    summary = parquet.export_articles(db, tmp_path / "exp", use_model=False, rows_per_file=4)
    assert (summary.n_articles, summary.n_files) == (10, 3)
    ranges = parquet.load_export_ranges(tmp_path / "exp", 3)
    assert [(r["n"], r["start"]) for r in ranges] == [(3, 0), (1, 3), (3, 0), (1, 3), (2, 0)]  # never across files
    assert [r["page"] for r in ranges] == list(range(5))
    exported = [a for r in ranges for a in parquet.load_export_page(r)]
    (stored,) = list(iter_pending_articles(db, summary.pipeline_version, batch_size=100))
    assert exported == stored
    with pytest.raises(NarrativeError, match="already holds an article export"):
        parquet.export_articles(db, tmp_path / "exp", use_model=False)
    limited = parquet.export_articles(db, tmp_path / "exp2", use_model=False, limit=4, since="2026-02-05")
    assert limited.n_articles == 4


def test_id_pages_and_ranges_select_what_is_still_pending(tmp_path):
    """The Ray engine's plan (pending ids by page) and its page reads are incremental like the local engine."""
    from nlp.store.extraction import iter_pending_articles, iter_pending_id_pages, load_pending_range

    db = make_db(tmp_path / "db.db")
    first = extract(db, tagger=stub_tagger(), limit=10)
    version = first.pipeline_version
    pages = list(iter_pending_id_pages(db, version, batch_size=5))
    assert [len(p) for p in pages] == [5, 5, 3] and pages[0][0] == "a0010"  # the next 13, by id
    assert list(iter_pending_id_pages(db, version, batch_size=5, limit=7))[-1] == ["a0015", "a0016"]
    (pending,) = list(iter_pending_articles(db, version, batch_size=100))
    assert [a for p in pages for a in load_pending_range(db, version, p[0], p[-1], limit=len(p))] == pending
    assert load_pending_range(db, version, "a0000", "a0009") == []
    assert len(load_pending_range(db, version, "a0000", "a0009", reprocess=True)) == 10


# -- import-results ---------------------------------------------------------------------------------------


def test_parquet_path_gives_the_local_engines_rows(tmp_path, shards):
    db, results, ranges, names = shards
    local = make_db(tmp_path / "local.db")
    expected = extract(local, tagger=stub_tagger(), batch_size=5)
    summary = import_results(db, results)
    assert summary.status == "completed" and summary.n_articles == expected.n_articles == 23
    assert summary.pipeline_version == expected.pipeline_version
    assert summary.n_batches == len(names) == len(ranges)
    for table in TABLES:
        assert rows(db, table) == rows(local, table), table
    assert len({r["story_id"] for r in db["article_extractions"].rows}) < 23  # stories were formed
    (run,) = db["extraction_runs"].rows
    assert run["status"] == "completed" and run["n_articles"] == 23 and '"imported_from"' in run["config"]


def test_import_twice_adds_nothing(shards):
    db, results, _, _ = shards
    import_results(db, results)
    before = snapshot(db)
    again = import_results(db, results)
    assert again.run_id is None and again.n_pending == 0 and again.n_articles == 0
    assert snapshot(db) == before


def test_a_truncated_shard_is_one_line_and_nothing_is_written(shards):
    db, results, _, names = shards
    shard = results / names[2]
    shard.write_bytes(shard.read_bytes()[: shard.stat().st_size // 2])
    (results / ".tmp-99-results-000009-x.parquet").write_bytes(b"half")  # a killed worker's leftover: ignored
    before = snapshot(db)
    with pytest.raises(NarrativeError, match=rf"^cannot read results shard .*{names[2]}: corrupt or half-written \(.*\)$"):
        import_results(db, results)
    assert snapshot(db) == before


def test_an_article_changed_since_it_was_tagged_stays_pending(shards):
    from nlp.store.extraction import count_pending_articles

    db, results, _, _ = shards
    db["articles"].update("a0004", {"text": "Rewritten: $AAPL.", "content_hash": "new"})
    db["articles"].update("a0005", {"title": "A new title, same content hash"})
    summary = import_results(db, results)
    assert summary.n_articles == 21
    assert count_pending_articles(db, summary.pipeline_version) == 2


def test_interrupted_import_resumes(shards, monkeypatch):
    from nlp.extract import parquet_import

    db, results, _, names = shards
    real = parquet_import.runner.save_batch
    calls = []

    def fail_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(parquet_import.runner, "save_batch", fail_third)
    with pytest.raises(KeyboardInterrupt):
        import_results(db, results)
    assert db["article_extractions"].count == 7  # the first two shards (pages of 5 and 2), whole
    monkeypatch.setattr(parquet_import.runner, "save_batch", real)
    rest = import_results(db, results)
    assert rest.n_articles == 16 and db["article_extractions"].count == 23
    assert [r["status"] for r in db["extraction_runs"].rows] == ["interrupted", "completed"]


def test_shards_of_two_pipeline_versions_are_refused(shards):
    db, results, ranges, _ = shards
    parquet.save_results_shard(results, {**ranges[0], "page": 99}, {"pipeline_version": "other"}, [], [], [])
    with pytest.raises(NarrativeError, match="2 pipeline versions"):
        import_results(db, results)
    assert db["extraction_runs"].count == 0


# -- command line -------------------------------------------------------------------------------------------


def _cli(*args):
    from typer.testing import CliRunner

    from nlp.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def test_cli_export_and_import(tmp_path, shards):
    db, results, _, _ = shards
    db_path = tmp_path / "db.db"
    imported = _cli("--db", db_path, "import-results", results)
    assert imported.exit_code == 0 and imported.output.startswith("imported 23 articles"), imported.output
    again = _cli("--db", db_path, "import-results", results)
    assert again.exit_code == 0 and again.output.startswith("nothing to import"), again.output
    exported = _cli("--db", db_path, "export-articles", tmp_path / "exp", "--no-model", "--reprocess", "--rows-per-file", 10)
    assert exported.exit_code == 0 and exported.output.startswith("exported 23 articles in 3 files"), exported.output


@pytest.mark.parametrize("args, message", [
    (["import-results", "{tmp}/nowhere"], "no folder"),
    (["import-results", "{tmp}"], "no results shards"),
    (["extract", "--parquet-out", "{tmp}/out"], "--parquet-in and --parquet-out need --engine ray"),
    (["extract", "--engine", "ray", "--parquet-in", "{tmp}"], "--parquet-in needs --parquet-out"),
])
def test_cli_parquet_errors_are_one_line(tmp_path, args, message):
    make_db(tmp_path / "db.db", n=1)
    result = _cli("--db", tmp_path / "db.db", *[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
