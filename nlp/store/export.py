"""SQL for exports and human labels: keyset-paged reads (constant memory) and label upserts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator

from sqlite_utils import Database

from nlp.store.db import write_transaction

PAGE_SIZE = 500


@dataclass(frozen=True)
class ExportFilter:
    """Which articles an export takes; every field optional."""

    themes: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()
    since: str | None = None
    run_id: int | None = None


_BASE = """
select a.id, a.url, a.title, coalesce(nullif(a.text, ''), a.summary, '') as body, a.published_utc,
       f.url as feed_url, e.run_id, e.pipeline_version, e.sentiment_label, e.sentiment_score,
       e.p_negative, e.p_neutral, e.p_positive, e.story_id, r.model_name, r.model_digest
from articles a
join article_extractions e on e.article_id = a.id
left join extraction_runs r on r.id = e.run_id
left join feeds f on f.id = a.feed_id
"""


def _where(flt: ExportFilter, after: tuple[str, str] | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if after:
        clauses.append("(a.published_utc, a.id) > (?, ?)")
        params += list(after)
    if flt.since:
        clauses.append("a.published_utc >= ?")
        params.append(flt.since)
    if flt.run_id is not None:
        clauses.append("e.run_id = ?")
        params.append(flt.run_id)
    if flt.themes:
        marks = ",".join("?" * len(flt.themes))
        clauses.append(
            f"(a.id in (select article_id from article_themes where theme in ({marks}))"
            " or a.id in (select article_id from human_labels where kind = 'themes'"
            f" and exists (select 1 from json_each(value) where json_each.value in ({marks}))))"
        )
        params += list(flt.themes) * 2
    if flt.tickers:
        marks = ",".join("?" * len(flt.tickers))
        clauses.append(f"a.id in (select article_id from article_tickers where symbol in ({marks}))")
        params += list(flt.tickers)
    return (" where " + " and ".join(clauses)) if clauses else "", params


def iter_export_pages(db: Database, flt: ExportFilter, page_size: int = PAGE_SIZE) -> Iterator[list[dict]]:
    """Pages of extracted articles with their labels attached, in (published, id) order."""
    after = None
    while True:
        where, params = _where(flt, after)
        # (published_utc, id) rides the published_utc index, so each page is a range seek, not a sort.
        sql = f"{_BASE}{where} order by a.published_utc, a.id limit {int(page_size)}"
        page = [dict(row) for row in db.query(sql, params)]
        if not page:
            return
        _attach_labels(db, page)
        yield page
        last = page[-1]
        after = (last["published_utc"], last["id"])


def _attach_labels(db: Database, page: list[dict]) -> None:
    by_id = {row["id"]: row for row in page}
    marks = ",".join("?" * len(by_id))
    ids = list(by_id)
    tables = {
        "mentions": f"select * from mentions where article_id in ({marks}) order by article_id, start",
        "tickers": f"select * from article_tickers where article_id in ({marks}) order by symbol",
        "themes": f"select * from article_themes where article_id in ({marks}) order by theme",
        "evidence": f"select * from evidence where article_id in ({marks}) order by article_id, start",
        "human": f"select * from human_labels where article_id in ({marks})",
    }
    for row in page:
        for key in tables:
            row[key] = []
    for key, sql in tables.items():
        for label in db.query(sql, ids):
            by_id[label["article_id"]][key].append(dict(label))


def count_extracted(db: Database) -> int:
    return next(db.query("select count(*) as n from article_extractions"))["n"]


def existing_article_ids(db: Database, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), PAGE_SIZE):
        chunk = ids[start:start + PAGE_SIZE]
        marks = ",".join("?" * len(chunk))
        found |= {r["id"] for r in db.query(f"select id from articles where id in ({marks})", chunk)}
    return found


def article_ids_by_url(db: Database, urls: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(urls), PAGE_SIZE):
        chunk = urls[start:start + PAGE_SIZE]
        marks = ",".join("?" * len(chunk))
        found |= {r["url"]: r["id"] for r in db.query(f"select id, url from articles where url in ({marks})", chunk)}
    return found


def save_human_labels(db: Database, labels: list[dict], source: str) -> int:
    """Upsert human labels: (article_id, kind) -> JSON value. Extraction never touches this table."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = [
        {
            "article_id": lab["article_id"], "kind": lab["kind"], "value": json.dumps(lab["value"]),
            "source": source, "annotator": lab.get("annotator") or "", "imported_utc": now,
        }
        for lab in labels
    ]
    with write_transaction(db):
        db["human_labels"].upsert_all(rows, pk=("article_id", "kind"))
    return len(rows)
