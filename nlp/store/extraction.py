"""SQL for extraction: pending articles (keyset-paged), run bookkeeping, per-batch label writes,
and the stored MinHash signatures that make story detection incremental.

Labels are replaced, not versioned: an article has exactly one set of rows in mentions,
article_tickers, article_themes and evidence, from the run named in article_extractions.run_id.
The callers wrap one batch in one ``write_transaction``, so a crash leaves either the old labels
or the new ones, never a mix. ``extraction_runs`` keeps the history of every run.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, Sequence

from sqlite_utils import Database

from nlp.store.db import write_transaction

LABEL_TABLES = ("mentions", "article_tickers", "article_themes", "evidence")
_CHUNK = 500


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _insert_rows(db: Database, table: str, rows: Sequence[dict], verb: str = "insert") -> None:
    """executemany of rows that share their keys (several times faster than insert_all here)."""
    if not rows:
        return
    columns = list(rows[0])
    sql = f"{verb} into {table} ({', '.join(f'[{c}]' for c in columns)}) values ({', '.join('?' * len(columns))})"
    db.conn.executemany(sql, [[row[c] for c in columns] for row in rows])


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# -- pending articles ---------------------------------------------------------------------------

# What the extraction marker remembers of the text (in its content_hash column): the scraper's
# content hash plus the text's source, because a full text fetched later replaces articles.text
# (and text_source) without changing content_hash. Both are short columns: comparing them never
# reads article bodies, so counting pending articles stays cheap on a large database.
CONTENT_STAMP = "coalesce(a.content_hash, '') || ':' || coalesce(a.text_source, '')"
_PENDING_SELECT = f"""
select a.id, a.title, coalesce(nullif(a.text, ''), a.summary, '') as body,
       coalesce(a.published_utc, a.fetched_utc) as published_utc, {CONTENT_STAMP} as content_hash
from articles a
left join article_extractions e on e.article_id = a.id
"""


def _pending_where(pipeline_version: str, since: str | None, reprocess: bool) -> tuple[list[str], list[Any]]:
    clauses, params = [], []
    if not reprocess:
        # Not extracted yet, extracted by another pipeline version, or its text changed since.
        clauses.append(
            f"(e.article_id is null or e.pipeline_version is not ? or e.content_hash is not ({CONTENT_STAMP}))"
        )
        params.append(pipeline_version)
    if since:
        clauses.append("coalesce(a.published_utc, a.fetched_utc) >= ?")
        params.append(since)
    return clauses, params


def count_pending_articles(db: Database, pipeline_version: str, since: str | None = None, reprocess: bool = False) -> int:
    clauses, params = _pending_where(pipeline_version, since, reprocess)
    where = f"where {' and '.join(clauses)}" if clauses else ""
    return db.execute(f"select count(*) from articles a left join article_extractions e on e.article_id = a.id {where}", params).fetchone()[0]


def count_articles(db: Database) -> int:
    return db.execute("select count(*) from articles").fetchone()[0]


def iter_pending_articles(
    db: Database,
    pipeline_version: str,
    *,
    since: str | None = None,
    reprocess: bool = False,
    batch_size: int = 64,
    limit: int | None = None,
) -> Iterator[list[dict]]:
    """Pages of pending articles in id order (keyset pagination: memory is one page).

    Each page is fetched whole before it is yielded, so the caller may write between pages;
    the id cursor means articles written by the caller are never read again in this pass.
    """
    after, left = "", limit
    while left is None or left > 0:
        clauses, params = _pending_where(pipeline_version, since, reprocess)
        clauses.insert(0, "a.id > ?")
        size = batch_size if left is None else min(batch_size, left)
        sql = f"{_PENDING_SELECT} where {' and '.join(clauses)} order by a.id limit ?"
        cursor = db.execute(sql, [after, *params, size])
        columns = [c[0] for c in cursor.description]
        page = [dict(zip(columns, row)) for row in cursor.fetchall()]
        if not page:
            return
        yield page
        after = page[-1]["id"]
        left = None if left is None else left - len(page)


# -- runs ---------------------------------------------------------------------------------------


def save_run_start(db: Database, run: dict) -> int:
    row = {
        "pipeline_version": run["pipeline_version"], "model_name": run.get("model_name"),
        "model_digest": run.get("model_digest"), "config": json.dumps(run.get("config", {}), sort_keys=True),
        "device": run.get("device"), "started_utc": utc_now(), "status": "running", "pid": run.get("pid"),
        "n_articles": 0, "n_mentions": 0, "n_themes": 0, "n_evidence": 0, "n_batches": 0,
    }
    with write_transaction(db):
        return db["extraction_runs"].insert(row).last_pk


def save_run_device(db: Database, run_id: int, device: str, model_name: str | None) -> None:
    with write_transaction(db):
        db["extraction_runs"].update(run_id, {"device": device, "model_name": model_name})


def save_run_end(db: Database, run_id: int, status: str, error: str | None = None) -> None:
    with write_transaction(db):
        db["extraction_runs"].update(run_id, {"status": status, "ended_utc": utc_now(), "error": error})


def save_run_counts(db: Database, run_id: int, counts: dict[str, int]) -> None:
    """Add one batch's counts to the run (call inside the batch's transaction)."""
    sets = ", ".join(f"{k} = coalesce({k}, 0) + ?" for k in counts)
    db.execute(f"update extraction_runs set {sets} where id = ?", [*counts.values(), run_id])


def mark_dead_runs_interrupted(db: Database, is_alive: Callable[[int | None], bool]) -> list[int]:
    """Runs left 'running' by a process that no longer exists (killed) become 'interrupted'."""
    rows = db.execute("select id, pid from extraction_runs where status = 'running'").fetchall()
    dead = [run_id for run_id, pid in rows if not is_alive(pid)]
    if dead:
        with write_transaction(db):
            for run_id in dead:
                db["extraction_runs"].update(run_id, {"status": "interrupted", "error": "process ended without finishing"})
    return dead


def load_run(db: Database, run_id: int) -> dict:
    row = db["extraction_runs"].get(run_id)
    return dict(row, config=json.loads(row["config"] or "{}"))


def load_runs(db: Database, limit: int = 20) -> list[dict]:
    return list(db.query("select * from extraction_runs order by id desc limit ?", [limit]))


# -- labels -------------------------------------------------------------------------------------


def delete_article_labels(db: Database, article_ids: Sequence[str]) -> None:
    for chunk in _chunks(list(article_ids)):
        marks = ",".join("?" * len(chunk))
        for table in LABEL_TABLES:
            db.execute(f"delete from {table} where article_id in ({marks})", list(chunk))


def save_article_labels(db: Database, batch: dict[str, list[dict]]) -> None:
    """Replace the labels of a batch's articles: delete their old rows, insert the new ones.

    ``batch`` maps table name -> rows; ``article_extractions`` rows name the articles.
    Call inside ``write_transaction`` so the replacement is atomic.
    """
    markers = batch["article_extractions"]
    delete_article_labels(db, [m["article_id"] for m in markers])
    _insert_rows(db, "article_extractions", markers, "insert or replace")
    for table in LABEL_TABLES:
        _insert_rows(db, table, batch.get(table) or [])


# -- story signatures ---------------------------------------------------------------------------


def load_signatures(db: Database, article_ids: Sequence[str]) -> dict[str, dict]:
    """Stored signature rows of these articles (to reuse stories when their text is unchanged)."""
    out: dict[str, dict] = {}
    for chunk in _chunks(list(article_ids)):
        marks = ",".join("?" * len(chunk))
        for row in db.query(f"select * from article_signatures where article_id in ({marks})", list(chunk)):
            out[row["article_id"]] = row
    return out


def load_story_candidates(db: Database, buckets: Sequence[int], published_from: str, published_to: str) -> list[dict]:
    """Signed articles sharing any of these LSH band keys and published in [from, to]:
    rows of article_id, published_utc, story_id, signature."""
    if not buckets:
        return []
    marks = ",".join("?" * len(buckets))
    return list(db.query(
        f"""select s.article_id, s.published_utc, s.story_id, s.signature from article_signatures s
            where s.article_id in (select article_id from signature_bands where bucket in ({marks}))
              and s.published_utc between ? and ?""",
        [*buckets, published_from, published_to],
    ))


def save_signatures(db: Database, rows: Sequence[dict], bands: dict[str, Sequence[int]]) -> None:
    """Upsert signatures and replace their band keys (call inside the batch's transaction)."""
    if not rows:
        return
    ids = [r["article_id"] for r in rows]
    for chunk in _chunks(ids):
        db.execute(f"delete from signature_bands where article_id in ({','.join('?' * len(chunk))})", list(chunk))
    _insert_rows(db, "article_signatures", rows, "insert or replace")
    band_rows = [{"bucket": k, "article_id": a} for a, keys in bands.items() for k in keys]
    _insert_rows(db, "signature_bands", band_rows, "insert or ignore")


def save_story_firsts(db: Database, story_ids: Iterable[str]) -> list[str]:
    """Flag each story's earliest-published member as its first, in the signatures and in the
    extraction markers; returns the ids of extracted articles whose flag or story changed."""
    changed: list[str] = []
    for story_id in sorted(set(story_ids)):
        members = db.execute(
            "select article_id from article_signatures where story_id = ? order by published_utc, article_id",
            [story_id],
        ).fetchall()
        if not members:
            continue
        first = members[0][0]
        db.execute(
            "update article_signatures set is_first_in_story = (article_id = ?) where story_id = ?", [first, story_id]
        )
        changed += [
            r[0]
            for r in db.execute(
                """select e.article_id from article_extractions e join article_signatures s on s.article_id = e.article_id
                   where s.story_id = ? and (e.story_id is not s.story_id or e.is_first_in_story is not s.is_first_in_story)""",
                [story_id],
            ).fetchall()
        ]
        db.execute(
            """update article_extractions set story_id = ?, is_first_in_story = (article_id = ?)
               where article_id in (select article_id from article_signatures where story_id = ?)""",
            [story_id, first, story_id],
        )
    return changed


# -- id ranges (the Ray engine) and selection by id (the Parquet import) -------------------------


def load_db_file(db: Database) -> str | None:
    """The main database file's path, or None for an in-memory database."""
    row = db.execute("pragma database_list").fetchone()
    return row[2] or None


def iter_pending_id_pages(
    db: Database, pipeline_version: str, *, since: str | None = None, reprocess: bool = False,
    batch_size: int = 256, limit: int | None = None,
) -> Iterator[list[str]]:
    """Ids only of the pending articles, in pages of ``batch_size`` by id (plans id ranges
    without reading any text; keyset pagination as ``iter_pending_articles``)."""
    after, left = "", limit
    while left is None or left > 0:
        clauses, params = _pending_where(pipeline_version, since, reprocess)
        size = batch_size if left is None else min(batch_size, left)
        sql = ("select a.id from articles a left join article_extractions e on e.article_id = a.id "
               f"where {' and '.join(['a.id > ?', *clauses])} order by a.id limit ?")
        page = [row[0] for row in db.execute(sql, [after, *params, size]).fetchall()]
        if not page:
            return
        yield page
        after = page[-1]
        left = None if left is None else left - len(page)


def load_pending_range(
    db: Database, pipeline_version: str, first_id: str, last_id: str, *, since: str | None = None,
    reprocess: bool = False, limit: int | None = None,
) -> list[dict]:
    """One page: the pending articles with ``first_id <= id <= last_id`` in id order (at most
    ``limit``), as ``iter_pending_articles`` gives them."""
    clauses, params = _pending_where(pipeline_version, since, reprocess)
    sql = f"{_PENDING_SELECT} where {' and '.join(['a.id >= ?', 'a.id <= ?', *clauses])} order by a.id limit ?"
    cursor = db.execute(sql, [first_id, last_id, *params, -1 if limit is None else limit])
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def load_pending_by_id(db: Database, pipeline_version: str, ids: Sequence[str], *, reprocess: bool = False) -> list[dict]:
    """The pending articles among ``ids`` (rows as ``iter_pending_articles`` gives them), in id order."""
    out: list[dict] = []
    for chunk in _chunks(sorted(set(ids))):
        clauses, params = _pending_where(pipeline_version, None, reprocess)
        where = " and ".join([f"a.id in ({','.join('?' * len(chunk))})", *clauses])
        cursor = db.execute(f"{_PENDING_SELECT} where {where} order by a.id", [*chunk, *params])
        columns = [c[0] for c in cursor.description]
        out += [dict(zip(columns, row)) for row in cursor.fetchall()]
    return out


def load_pending_stamps(db: Database, pipeline_version: str, ids: Sequence[str], *, reprocess: bool = False) -> dict[str, str]:
    """id -> content stamp (as the marker stores it) of the pending articles among ``ids``; reads no text."""
    out: dict[str, str] = {}
    for chunk in _chunks(sorted(set(ids))):
        clauses, params = _pending_where(pipeline_version, None, reprocess)
        where = " and ".join([f"a.id in ({','.join('?' * len(chunk))})", *clauses])
        sql = (f"select a.id, {CONTENT_STAMP} from articles a left join article_extractions e on e.article_id = a.id "
               f"where {where}")
        out.update(dict(db.execute(sql, [*chunk, *params]).fetchall()))
    return out
