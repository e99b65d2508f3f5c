"""`narrative import-results`: merge the results shards that Ray workers wrote (``extract --engine
ray --parquet-out DIR``) into the database, through the local engine's single writer.

Decisions:
- Same tables, same bookkeeping: every shard is one page and goes through ``runner.save_batch``
  (stories, labels, run counts and aggregates in one transaction), under a run row whose
  pipeline version, model and config are the shards' (the config adds ``imported_from``).
- Idempotent and resumable: a shard's article is written only while it is still pending for the
  shards' pipeline version (as ``extract`` selects) and its stored text is the text that was
  tagged (same content stamp, same SHA-1 of the tagged text); an article changed since stays
  pending. Importing again adds nothing (no run row either); an import killed midway leaves whole
  shards written and the next import writes the rest. ``reprocess`` replaces up-to-date articles too.
- A truncated, half-written or foreign shard stops the import with one line before anything is
  written: every footer and the key columns of every shard are read first. Shards are written in
  order of their first article id, as the local engine writes pages (story ids depend on the order).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Optional

from sqlite_utils import Database

from nlp.errors import NarrativeError
from nlp.extract import parquet, runner
from nlp.extract.runner import Progress, RunSummary
from nlp.extract.stories import compute_text_hash
from nlp.store import extraction as store


def import_results(db: Database | str | None, folder: str | Path, *, reprocess: bool = False,
                   progress: Optional[Progress] = None) -> RunSummary:
    """Merge every ``results-*.parquet`` shard of ``folder`` into ``db`` (see the module docstring)."""
    db, folder = runner._database(db), Path(folder)
    shards = parquet.load_shard_infos(folder)
    meta = build_import_meta([s.meta for s in shards])
    version = meta["pipeline_version"]
    n_pending = sum(_count_importable(db, version, s, reprocess) for s in shards)
    summary = RunSummary(None, "completed", version, meta.get("model_name"), meta.get("device"), n_pending=n_pending)
    if not n_pending:
        return summary
    store.mark_dead_runs_interrupted(db, runner._process_alive)
    config = {**meta.get("config", {}), "imported_from": str(folder.resolve()), "shards": len(shards),
              "import_reprocess": reprocess}
    summary.run_id = store.save_run_start(db, {
        "pipeline_version": version, "model_name": meta.get("model_name"), "model_digest": meta.get("model_digest"),
        "config": config, "device": meta.get("device"), "pid": os.getpid()})
    summary.status, summary.clock_start = "running", time.perf_counter()

    def work() -> None:
        if progress:
            progress(0, summary.n_pending)
        for shard in shards:
            rows = parquet.load_shard_rows(shard)
            stored = store.load_pending_by_id(db, version, [r["id"] for r in rows], reprocess=reprocess)
            page, texts, records = build_import_page(rows, stored)
            if page:
                summary.add(runner.save_batch(db, page, texts, records, summary.run_id, version))
            if progress:
                progress(summary.n_articles, summary.n_pending)

    return runner.run_and_record(db, summary, work)


def build_import_meta(metas: list[dict]) -> dict:
    """The run identity the shards share; shards of different pipeline versions are one line."""
    versions = sorted({m.get("pipeline_version") for m in metas})
    if len(versions) != 1 or not versions[0]:
        shown = ", ".join(str(v) for v in versions[:3])
        raise NarrativeError(f"the shards come from {len(versions)} pipeline versions ({shown}): import each run's folder on its own")
    return metas[0]


def build_import_page(rows: list[dict], stored: list[dict]) -> tuple[list[dict], list[str], list[dict]]:
    """(articles, texts, records) to write: the stored pending articles whose text is the one the
    shard's record was made from (same content stamp and same SHA-1 of the tagged text), in id order."""
    by_id = {r["id"]: r for r in rows}
    page, texts, records = [], [], []
    for article, text in zip(stored, runner.build_page_texts(stored)):
        row = by_id.get(article["id"])
        if row and row["content_hash"] == article["content_hash"] and row["text_sha1"] == compute_text_hash(text):
            page.append(article)
            texts.append(text)
            records.append(row["record"])
    return page, texts, records


def _count_importable(db: Database, version: str, shard: parquet.ShardInfo, reprocess: bool) -> int:
    keys = parquet.load_shard_keys(shard)
    stamps = store.load_pending_stamps(db, version, [k["id"] for k in keys], reprocess=reprocess)
    return sum(1 for k in keys if stamps.get(k["id"]) == k["content_hash"])
