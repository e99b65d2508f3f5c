"""Extraction runs: pending articles in batches through the tagging pipeline and the classifier,
with every batch's labels written in one transaction.

Decisions (see also nlp/store/extraction.py):
- Incremental: an article is pending when it has no extraction marker, its marker carries another
  pipeline version, or its text changed since (content hash and text source). The pipeline
  version is built from file digests (tagging config, theme cards, gazetteer, model weights)
  without loading spaCy or torch, so a rerun with nothing new does no model work.
  ``reprocess`` selects every article (within ``since``/``limit``) whatever its marker says.
- Replace, not keep: a re-extracted article's old labels are deleted and the new ones inserted in
  the same transaction. Downstream counts then see each article once, with no "latest run"
  filter in every query; the history lives in ``extraction_runs`` (one row per run: version,
  model digest, config, device, times, status, counts).
- Resumable: batches are committed whole (BEGIN IMMEDIATE ... COMMIT); a killed run leaves the
  batches it committed and nothing of the one in flight, and the next run picks up exactly the
  articles still pending. Its run row, left 'running', is marked 'interrupted' by the next run.
- Bounded memory: pages of ``batch_size`` articles by id (keyset pagination); nothing holds more
  than one page.
- The model runs outside the write transaction: the write lock is held only for the writes, so
  ``scrape`` can write between batches.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Optional

from sqlite_utils import Database

from nlp.errors import NarrativeError
from nlp.extract import novelty
from nlp.extract.fingerprint import Tagger, build_pipeline_version, load_pipeline_fingerprint, load_tagger, resolve_model
from nlp.extract.rows import ArticleContext, build_article_rows, build_sentence_starts, count_rows, merge_rows
from nlp.extract.stories import save_stories
from nlp.store import extraction as store
from nlp.store.db import write_transaction

Progress = Callable[[int, int], None]
# Articles per batch (one transaction each). The classifier sorts a batch's sentences by length
# before padding; 256 articles give it enough sentences to pad little (measured 15% faster than 64
# on CPU), and a batch's text is still only a few hundred kilobytes.
DEFAULT_BATCH_SIZE = 256


@dataclass
class RunSummary:
    """What a run did; ``status`` is completed, failed or interrupted."""

    run_id: int | None
    status: str
    pipeline_version: str
    model_name: str | None
    device: str | None
    n_pending: int = 0
    n_articles: int = 0
    n_mentions: int = 0
    n_themes: int = 0
    n_evidence: int = 0
    n_batches: int = 0
    seconds: float = 0.0  # batches only: what articles/s is measured over
    load_seconds: float = 0.0  # building the pipeline and loading the model
    clock_start: float = field(default=0.0, repr=False)  # perf_counter() when the batches began
    notes: list[str] = field(default_factory=list)

    @property
    def articles_per_second(self) -> float:
        return self.n_articles / self.seconds if self.seconds > 0 else 0.0

    def add(self, counts: dict[str, int]) -> None:
        for key, value in counts.items():
            setattr(self, key, getattr(self, key) + value)


def parse_since(value: Any) -> str | None:
    """A date or datetime (object or ISO text) -> the ISO UTC string stored dates compare with."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00Z"
    text = str(value).strip()
    try:
        if len(text) == 10:
            return parse_since(date.fromisoformat(text))
        return parse_since(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise NarrativeError(f"bad date {text!r}: use YYYY-MM-DD or an ISO 8601 date-time") from None


def extract(
    db: Database | str | None = None,
    since: Any = None,
    limit: Optional[int] = None,
    device: str = "auto",
    batch_size: int = DEFAULT_BATCH_SIZE,
    model: Optional[str] = None,
    reprocess: bool = False,
    use_model: bool = True,
    progress: Optional[Progress] = None,
    tagger: Optional[Tagger] = None,
    quantize: Optional[str] = None,
) -> RunSummary:
    """Extract every pending article (see the module docstring); ``progress(done, total)`` after
    each batch. ``db`` is a Database or a path (None: the default database). ``quantize="int8"``
    runs the classifier with int8 weights on CPU (faster; part of the pipeline version).
    ``tagger`` replaces the spaCy pipeline + classifier (tests, benchmarks)."""
    db = _database(db)
    plan = prepare_run(db, since, limit, batch_size, model, reprocess, use_model, quantize, tagger,
                       load=lambda: load_tagger(model, device, use_model, batch_size, quantize), device=device)
    summary, tagger = plan.summary, plan.tagger

    def work() -> None:
        nonlocal tagger
        tagger = tagger or _load_timed(summary, model, device, use_model, batch_size, quantize)
        _use_tagger(db, summary, tagger)
        _run_batches(db, tagger, summary, plan.since_utc, limit, batch_size, reprocess, progress)

    return run_and_record(db, summary, work)


@dataclass
class RunPlan:
    """A run recorded as 'running': its summary, the selection and (when loaded early) the tagger."""

    summary: RunSummary
    since_utc: str | None
    tagger: Optional[Tagger] = None


def prepare_run(db: Database, since, limit, batch_size, model, reprocess, use_model, quantize,
                tagger: Optional[Tagger] = None, load: Optional[Callable[[], Tagger]] = None,
                extra_config: Optional[dict] = None, device: str = "auto") -> RunPlan:
    """Check the options, settle the pipeline version and record the run (shared by both engines).
    ``load`` builds the tagger when only a loaded model knows its digest (a plug-in)."""
    since_utc = parse_since(since)
    _check_sizes(batch_size, limit)
    store.mark_dead_runs_interrupted(db, _process_alive)
    model_name, model_digest = (tagger.model_name, tagger.model_digest) if tagger else resolve_model(model, use_model)
    if model_digest is None and use_model and tagger is None:
        if load is None:
            raise NarrativeError(f"model {model!r} must be a model directory for this engine")
        tagger = load()  # a plug-in: only the loaded model knows its digest
        model_digest = tagger.model_digest
    fingerprint = load_pipeline_fingerprint(model_digest, quantize if use_model else None, device)
    config = {"fingerprint": fingerprint, "since": since_utc, "limit": limit, "batch_size": batch_size,
              "reprocess": reprocess, "use_model": use_model, "quantize": quantize,
              "novelty": novelty.NoveltyConfig().describe(), **(extra_config or {})}
    summary = _start_run(db, build_pipeline_version(fingerprint), model_name, model_digest, config, tagger)
    return RunPlan(summary, since_utc, tagger)


def run_and_record(db: Database, summary: RunSummary, work: Callable[[], None]) -> RunSummary:
    """Run ``work`` when something is pending and record how the run ended (shared by both engines)."""
    try:
        if summary.n_pending:
            work()
        summary.status = "completed"
    except KeyboardInterrupt:
        summary.status = "interrupted"
        raise
    except BaseException as exc:
        summary.status = "failed"
        summary.notes.append(f"{type(exc).__name__}: {exc}")
        raise
    finally:
        summary.seconds = time.perf_counter() - summary.clock_start
        error = None if summary.status == "completed" else "; ".join(summary.notes)[:2000]
        store.save_run_end(db, summary.run_id, summary.status, error)
    return summary


def _start_run(db, version: str, model_name, model_digest, config: dict, tagger: Optional[Tagger]) -> RunSummary:
    """Count what is pending and record the run as 'running'."""
    config = dict(config)
    pending = store.count_pending_articles(db, version, config["since"], config["reprocess"])
    total = pending if config["limit"] is None else min(pending, config["limit"])
    device = tagger.device if tagger else None
    run_id = store.save_run_start(db, {"pipeline_version": version, "model_name": model_name, "model_digest": model_digest,
                                       "config": config, "device": device, "pid": os.getpid()})
    summary = RunSummary(run_id, "running", version, model_name, device, n_pending=total)
    if total == 0 and not store.count_articles(db):
        summary.notes.append("the database has no articles yet: run `narrative scrape` first")
    summary.clock_start = time.perf_counter()
    return summary


def _load_timed(summary: RunSummary, model, device, use_model, batch_size, quantize) -> Tagger:
    """Load the pipeline and model; articles/s is measured from after the load."""
    began = time.perf_counter()
    tagger = load_tagger(model, device, use_model, batch_size, quantize)
    summary.load_seconds = time.perf_counter() - began
    summary.clock_start = time.perf_counter()
    return tagger


def _use_tagger(db, summary: RunSummary, tagger: Tagger) -> None:
    summary.device, summary.model_name = tagger.device, tagger.model_name
    summary.notes += tagger.notes
    store.save_run_device(db, summary.run_id, tagger.device, tagger.model_name)


def _database(db: Any) -> Database:
    from pathlib import Path

    from nlp.store import open_db

    return open_db(db) if db is None or isinstance(db, (str, Path)) else db


def _check_sizes(batch_size: int, limit: Optional[int]) -> None:
    if batch_size < 1:
        raise NarrativeError("--batch-size must be at least 1")
    if limit is not None and limit < 0:
        raise NarrativeError("--limit must not be negative")


def _process_alive(pid: int | None) -> bool:
    """Whether a run's process still exists (a run without a pid is presumed alive)."""
    if not pid:
        return True
    if pid == os.getpid():
        return False  # a run of ours from before is not running now
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _run_batches(db, tagger: Tagger, summary: RunSummary, since_utc, limit, batch_size, reprocess, progress) -> None:
    pages = store.iter_pending_articles(
        db, summary.pipeline_version, since=since_utc, reprocess=reprocess, batch_size=batch_size, limit=limit
    )
    if progress:
        progress(0, summary.n_pending)  # the model is loaded: the clock for articles/s starts now
    for page in pages:
        counts = process_batch(db, tagger, page, summary.run_id, summary.pipeline_version)
        summary.add(counts)
        if progress:
            progress(summary.n_articles, summary.n_pending)


def process_batch(db: Database, tagger: Tagger, page: list[dict], run_id: int, version: str) -> dict[str, int]:
    """Tag one page of articles (no lock held), then write all its rows in one transaction."""
    texts = build_page_texts(page)
    records = tagger.tag([{"id": a["id"], "text": t, "published": a.get("published_utc")} for a, t in zip(page, texts)])
    return save_batch(db, page, texts, records, run_id, version)


def build_page_texts(page: list[dict]) -> list[str]:
    """The texts the tagger sees, as `narrative tag` builds them: offsets agree."""
    from nlp.tagging.tag import build_tag_text

    return [build_tag_text({"title": a["title"], "text": a["body"]}) for a in page]


def save_batch(db: Database, page: list[dict], texts: list[str], records: list[dict], run_id: int, version: str) -> dict[str, int]:
    """Stories (sequential, incremental), labels and run counts of one tagged page in one
    transaction: the single writer both engines use."""
    for article, text, record in zip(page, texts, records):
        record["_sentence_starts"] = build_sentence_starts(record.get("_sentence_starts"), text, article["title"])
    signed = [
        novelty.build_signed_article(a["id"], novelty.parse_utc_seconds(a["published_utc"]), t)
        for a, t in zip(page, texts)
    ]
    now = store.utc_now()
    with write_transaction(db):
        stories, touched = save_stories(db, signed, texts)
        rows = merge_rows([
            build_article_rows(
                ArticleContext(a["id"], len(t), a["content_hash"], run_id, version, now, stories[a["id"]]), r
            )
            for a, t, r in zip(page, texts, records)
        ])
        store.save_article_labels(db, rows)
        changed = store.save_story_firsts(db, touched)
        counts = {**count_rows(rows), "n_batches": 1}
        store.save_run_counts(db, run_id, counts)
        _refresh_aggregates(db, [a["id"] for a in page] + changed)
    return counts


def _refresh_aggregates(db: Database, article_ids: list[str]) -> None:
    """Keep the theme index current in the same transaction, when the index module is installed."""
    try:
        from nlp.store.index import refresh_theme_aggregates
    except ModuleNotFoundError as exc:
        if exc.name != "nlp.store.index":
            raise
        return
    refresh_theme_aggregates(db, article_ids)
