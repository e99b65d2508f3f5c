"""The Ray engine gives the local engine's labels and run bookkeeping (Ray started locally, 2 CPUs):
rows back to the single SQLite writer, and the Parquet path (article export in, results shards out,
import-results). Each run's actor pool loads the pipeline at most once per worker."""

from __future__ import annotations

import re
import shutil

import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("nlp.tagging.linker")

from nlp.errors import NarrativeError  # noqa: E402

N_ARTICLES = 100
TABLES = ("mentions", "article_tickers", "article_themes", "evidence", "article_extractions", "article_signatures")
LOADS = re.compile(r"^ray: the pipeline was loaded (\d+) times? for (\d+) pages? \((\d+) workers?\)$")
DROP = ("id", "run_id", "extracted_utc")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    """The bundled sample feeds scraped into a database file once for the module."""
    import nlp
    from nlp.store import open_db

    path = tmp_path_factory.mktemp("ray") / "sample.db"
    nlp.scrape(feeds_file="corpora/sample/feeds.yaml", db=str(path))
    db = open_db(path)
    assert db["articles"].count >= N_ARTICLES
    db.conn.close()  # closing the last connection checkpoints the WAL into the file
    return path


def _copy(path, tmp_path, name: str):
    from nlp.store import open_db

    target = tmp_path / name
    shutil.copy(path, target)
    wal = path.with_name(path.name + "-wal")  # the scraped rows may still sit in the WAL
    if wal.exists():
        shutil.copy(wal, target.with_name(name + "-wal"))
    return open_db(target)


def _rows(db, table: str) -> list[tuple]:
    rows = [tuple((k, v) for k, v in sorted(r.items()) if k not in DROP) for r in db[table].rows]
    return sorted(rows, key=repr)


@pytest.fixture(scope="module")
def local_result(sample_db, tmp_path_factory):
    """The local engine on the first N_ARTICLES sample articles (rules only, batches of 16)."""
    from nlp.extract.runner import extract

    db = _copy(sample_db, tmp_path_factory.mktemp("local"), "local.db")
    return db, extract(db, use_model=False, limit=N_ARTICLES, batch_size=16)


def _assert_one_load_per_worker(notes: list[str], workers: int, pages: int) -> None:
    (note,) = [n for n in notes if n.startswith("ray: ")]
    loads, n_pages, n_workers = map(int, LOADS.match(note).groups())
    assert (n_pages, n_workers) == (pages, workers)
    assert 1 <= loads <= workers < pages  # once per actor for the whole run, not per page or window


def test_ray_engine_equals_local_engine(local_ray, sample_db, local_result, tmp_path):
    from nlp.extract.ray_engine import extract_with_ray

    local_db, local = local_result
    ray_db = _copy(sample_db, tmp_path, "ray.db")
    remote = extract_with_ray(ray_db, use_model=False, limit=N_ARTICLES, batch_size=16, workers=2)
    assert remote.status == "completed" and remote.n_articles == local.n_articles == N_ARTICLES
    assert remote.pipeline_version == local.pipeline_version
    assert (remote.n_mentions, remote.n_themes, remote.n_evidence, remote.n_batches) == (
        local.n_mentions, local.n_themes, local.n_evidence, local.n_batches)
    assert local.n_mentions > 0 and local.n_themes > 0
    for table in TABLES:
        assert _rows(ray_db, table) == _rows(local_db, table), table
    (run,) = ray_db["extraction_runs"].rows
    assert '"engine": "ray"' in run["config"] and run["status"] == "completed" and run["device"] == "cpu"
    assert run["n_articles"] == N_ARTICLES
    _assert_one_load_per_worker(remote.notes, 2, 7)
    again = extract_with_ray(ray_db, use_model=False, limit=N_ARTICLES, batch_size=16, workers=1, since="2100-01-01")
    assert again.n_pending == 0 and again.status == "completed"  # nothing selected: no Ray work at all


@pytest.fixture(scope="module")
def shards(local_ray, sample_db, tmp_path_factory):
    """The cluster path: export the first N_ARTICLES pending articles, tag them on Ray from the
    export, results as shards (no database opened by the run)."""
    from nlp.extract.parquet import export_articles
    from nlp.extract.ray_engine import extract_to_shards

    work = tmp_path_factory.mktemp("parquet")
    source = _copy(sample_db, work, "source.db")
    exported = export_articles(source, work / "articles", use_model=False, limit=N_ARTICLES, rows_per_file=64)
    assert (exported.n_articles, exported.n_files) == (N_ARTICLES, 2)
    summary = extract_to_shards(work / "results", parquet_in=work / "articles", use_model=False, batch_size=16, workers=2)
    return work, summary


def test_parquet_path_equals_local_engine(sample_db, local_result, shards, tmp_path):
    from nlp.extract.parquet_import import import_results

    local_db, local = local_result
    work, summary = shards
    assert summary.n_articles == N_ARTICLES and summary.pipeline_version == local.pipeline_version
    pages = 4 + 3  # 64 + 36 articles in two files, pages of 16 never across files
    assert summary.n_shards == pages == len(list((work / "results").glob("results-*.parquet")))
    _assert_one_load_per_worker(summary.notes, 2, pages)
    db = _copy(sample_db, tmp_path, "imported.db")
    imported = import_results(db, work / "results")
    assert imported.status == "completed" and imported.n_articles == N_ARTICLES and imported.n_batches == pages
    assert (imported.n_mentions, imported.n_themes, imported.n_evidence) == (local.n_mentions, local.n_themes, local.n_evidence)
    for table in TABLES:
        assert _rows(db, table) == _rows(local_db, table), table
    (run,) = db["extraction_runs"].rows
    assert run["status"] == "completed" and run["device"] == "cpu" and '"results": "parquet"' in run["config"]
    before = {t: _rows(db, t) for t in (*TABLES, "extraction_runs")}
    again = import_results(db, work / "results")
    assert again.run_id is None and again.n_articles == 0
    assert {t: _rows(db, t) for t in (*TABLES, "extraction_runs")} == before


def test_rerun_from_the_database_overwrites_the_same_shards(sample_db, shards, tmp_path):
    """The database as source, into the same folder: the same 100 articles in pages of 16 are the
    same pages as long as no page crosses a file, so only the last file's pages are renamed."""
    from nlp.extract.parquet import load_shard_infos, load_shard_rows
    from nlp.extract.ray_engine import extract_to_shards

    work, _ = shards
    folder = tmp_path / "results"
    shutil.copytree(work / "results", folder)
    before = {s.path.name: load_shard_rows(s) for s in load_shard_infos(folder)}
    db = _copy(sample_db, tmp_path, "source.db")
    summary = extract_to_shards(folder, db, use_model=False, limit=64, batch_size=16, workers=1)
    assert summary.n_shards == 4 and db["article_extractions"].count == 0  # the run writes no database rows
    after = {s.path.name: load_shard_rows(s) for s in load_shard_infos(folder)}
    assert sorted(after) == sorted(before)  # overwritten, not duplicated
    assert after == before


def test_a_corrupt_shard_is_one_line_and_the_database_is_unchanged(sample_db, shards, tmp_path):
    from nlp.extract.parquet_import import import_results

    work, _ = shards
    folder = tmp_path / "results"
    shutil.copytree(work / "results", folder)
    victim = sorted(folder.glob("results-*.parquet"))[3]
    victim.write_bytes(victim.read_bytes()[:-40])  # cut inside the footer: a half-copied file
    db = _copy(sample_db, tmp_path, "db.db")
    before = {t: _rows(db, t) for t in (*TABLES, "extraction_runs")}
    with pytest.raises(NarrativeError, match=f"^cannot read results shard .*{victim.name}: corrupt or half-written"):
        import_results(db, folder)
    assert {t: _rows(db, t) for t in (*TABLES, "extraction_runs")} == before


def test_missing_ray_is_one_clear_line(monkeypatch):
    import builtins

    from nlp.extract import ray_engine

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(NarrativeError, match=r"^Ray is not installed: pip install 'narrative\[ray\]'$"):
        ray_engine.load_ray()


def test_cli_unknown_engine_is_one_line(tmp_path):
    from typer.testing import CliRunner

    from nlp.cli import app

    result = CliRunner().invoke(app, ["--db", str(tmp_path / "x.db"), "extract", "--engine", "spark"])
    assert result.exit_code == 2 and "unknown --engine 'spark'" in result.output
