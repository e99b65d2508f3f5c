"""The Ray engine gives the local engine's labels and run bookkeeping (Ray started locally)."""

from __future__ import annotations

import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("nlp.tagging.linker")

from nlp.errors import NarrativeError  # noqa: E402

N_ARTICLES = 100
TABLES = ("mentions", "article_tickers", "article_themes", "evidence", "article_extractions")
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
    import shutil

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


def test_ray_engine_equals_local_engine(local_ray, sample_db, tmp_path):
    from nlp.extract.ray_engine import extract_with_ray
    from nlp.extract.runner import extract

    local_db, ray_db = _copy(sample_db, tmp_path, "local.db"), _copy(sample_db, tmp_path, "ray.db")
    local = extract(local_db, use_model=False, limit=N_ARTICLES, batch_size=16)
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
    again = extract_with_ray(ray_db, use_model=False, limit=10, batch_size=16, workers=1)
    assert again.n_articles == 10 and again.status == "completed"
    assert ray_db["article_extractions"].count == N_ARTICLES + 10  # incremental: the next 10, not the same again


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
