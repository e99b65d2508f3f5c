"""Extraction on Ray: the tagging (spaCy pipeline + classifier) runs on a Ray Data actor pool; the
selection, story assignment and writes stay the local engine's.

What runs where, and why:
- One dataset per run. The driver plans the run's pages (id ranges of ``batch_size`` pending
  articles, the local engine's batches) from the ids alone; the pages are the dataset's rows.
  ``map_batches`` with an actor class (``workers`` actors, ``num_gpus=gpus_per_worker``) tags
  them; the pool lives as long as the dataset, so each actor loads the pipeline and model once
  per run. Every output row carries the id of the load that made it (drawn in the actor's
  constructor); the run's notes say how many loads served how many pages.
- Reading: from the database, by one reader actor pinned to the driver's node (the node that sees
  the file; 0 CPUs, so it never waits behind tagging actors holding every CPU; one process, not
  a task and a worker process per page); or, with ``parquet_in``,
  each actor reads its page from an article export (``narrative export-articles``) on storage
  every node sees.
- Writing: the rows come back to the driver, which writes the pages in page (= id) order through
  the local engine's single writer (``runner.save_batch``: one transaction per page; story
  assignment is sequential, so it stays there), hence the local engine's labels and bookkeeping;
  or, with ``parquet_out``, each actor writes its page as a results shard (nlp/extract/parquet.py)
  and only the shard's name comes back: no database is needed, and ``narrative import-results``
  merges the shards later (nlp/extract/parquet_import.py).
- Articles travel as JSON text and each tagging record comes back as JSON text (records hold
  variable-keyed dicts that Arrow would turn into sparse structs).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from sqlite_utils import Database

from nlp.errors import NarrativeError
from nlp.extract import novelty, parquet, runner
from nlp.extract.fingerprint import Tagger
from nlp.extract.runner import DEFAULT_BATCH_SIZE, Progress, RunSummary
from nlp.extract.stories import compute_text_hash
from nlp.store import extraction as store

INSTALL_HINT = "Ray is not installed: pip install 'narrative[ray]'"
NO_MODEL_NOTE = "no trained classifier found (models/): rules only, no sentiment"


def load_ray():
    """The ``ray`` module, or one clear line saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401  (the extra is ray[data])
    except ImportError:
        raise NarrativeError(INSTALL_HINT) from None
    return ray


class TagActor:
    """One Ray actor: loads the tagger once, then tags pages. A page arrives with its articles
    (read from the database) or as a range of an article export, which the actor reads itself."""

    def __init__(self, model: Optional[str], device: str, use_model: bool, batch_size: int, quantize: Optional[str],
                 out_dir: Optional[str] = None, meta: Optional[dict] = None):
        from nlp.extract.fingerprint import load_tagger

        self.tagger = load_tagger(model, device, use_model, batch_size, quantize)
        self.load_id = uuid.uuid4().hex  # one per pipeline load: the driver counts them
        self.out_dir, self.meta = (Path(out_dir) if out_dir else None), {**(meta or {}), "device": self.tagger.device}

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        out: dict[str, list] = {"page": [], "articles": [], "payload": [], "n": [], "device": [], "load_id": []}
        for i in range(len(batch["page"])):
            rng = {k: _plain(batch[k][i]) for k in ("page", "first_id", "last_id", "n", "file", "start")}
            articles = batch["articles"][i] if "articles" in batch else None
            row = {**tag_page(self.tagger, rng, articles, self.out_dir, self.meta), "load_id": self.load_id}
            for key in out:
                out[key].append(row[key])
        return out


def tag_page(tagger: Tagger, rng: dict, articles_json: Optional[str], out_dir: Optional[Path], meta: dict) -> dict:
    """Tag one page: its articles as JSON text (from the database reader) or, when None, read from
    the export range ``rng``. Without ``out_dir`` the records go back (JSON text) with the articles;
    with it, the page's results shard is written and only its name goes back."""
    page = json.loads(articles_json) if articles_json is not None else parquet.load_export_page(rng)
    texts = runner.build_page_texts(page)
    records = tagger.tag([{"id": a["id"], "text": t, "published": a.get("published_utc")} for a, t in zip(page, texts)]) if page else []
    row = {"page": int(rng["page"]), "n": len(page), "device": tagger.device}
    if out_dir is None:
        return {**row, "articles": articles_json if articles_json is not None else json.dumps(page), "payload": json.dumps(records)}
    name = parquet.save_results_shard(out_dir, rng, meta, page, [compute_text_hash(t) for t in texts], records) if page else ""
    return {**row, "articles": "", "payload": name}


def _plain(value: Any) -> Any:
    """A numpy scalar from a batch as the Python value."""
    return value.item() if hasattr(value, "item") else value


class DatabaseReader:
    """The one Ray actor that reads pages from the database, on the driver's node (the node that
    sees the file): it adds each page's pending articles to the batch, as JSON text."""

    def __init__(self, db_file: str, version: str, since: Optional[str], reprocess: bool):
        from nlp.store import open_db

        self.db = open_db(db_file, migrate=False)
        self.version, self.since, self.reprocess = version, since, reprocess

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        pages = [
            store.load_pending_range(self.db, self.version, str(a), str(b), since=self.since, reprocess=self.reprocess, limit=int(n))
            for a, b, n in zip(batch["first_id"], batch["last_id"], batch["n"])
        ]
        return {**{k: list(v) for k, v in batch.items()}, "articles": [json.dumps(p) for p in pages]}


# -- the run: database in, database out -----------------------------------------------------------


def extract_with_ray(
    db: Database | str | None = None,
    *,
    address: Optional[str] = None,
    workers: int = 2,
    gpus_per_worker: float = 0,
    batch_size: int = DEFAULT_BATCH_SIZE,
    model: Optional[str] = None,
    use_model: bool = True,
    since: Any = None,
    limit: Optional[int] = None,
    reprocess: bool = False,
    progress: Optional[Progress] = None,
    quantize: Optional[str] = None,
) -> RunSummary:
    """Extract every pending article with the tagging on Ray and the writes through the local
    engine's single writer (see the module docstring). ``address``: None starts or joins a
    local Ray, "auto" or "ray://HOST:PORT" an existing cluster."""
    ray = load_ray()
    _check_workers(workers)
    db = runner._database(db)
    db_file = _database_file(db)
    extra = {"engine": "ray", "workers": workers, "gpus_per_worker": gpus_per_worker, "address": address}
    plan = runner.prepare_run(db, since, limit, batch_size, model, reprocess, use_model, quantize, extra_config=extra,
                              device=_device(gpus_per_worker))
    summary = plan.summary
    if use_model and summary.model_name is None:
        summary.notes.append(NO_MODEL_NOTE)
    actor_args = (model, _device(gpus_per_worker), use_model, batch_size, quantize)

    def work() -> None:
        _connect(ray, address)
        ranges = _plan_database_ranges(db, summary.pipeline_version, plan.since_utc, reprocess, batch_size, limit)
        reader = {"db_file": db_file, "version": summary.pipeline_version, "since": plan.since_utc, "reprocess": reprocess}
        if progress:
            progress(0, summary.n_pending)
        loads: set[str] = set()
        for row in order_by_page(_tag_pages(ray, ranges, actor_args, {}, workers, gpus_per_worker, reader)):
            loads.add(row["load_id"])
            _save_page(db, summary, row, progress)
        summary.notes.append(build_load_note(loads, len(ranges), workers))

    return runner.run_and_record(db, summary, work)


def _save_page(db: Database, summary: RunSummary, row: dict, progress: Optional[Progress]) -> None:
    page, records = json.loads(row["articles"]), json.loads(row["payload"])
    if not page:
        return
    if summary.device is None:
        summary.device = row["device"]
        store.save_run_device(db, summary.run_id, summary.device, summary.model_name)
    summary.add(runner.save_batch(db, page, runner.build_page_texts(page), records, summary.run_id, summary.pipeline_version))
    if progress:
        progress(summary.n_articles, summary.n_pending)


# -- the run: results as Parquet shards --------------------------------------------------------------


@dataclass
class ShardRunSummary:
    """What a run that wrote results shards did (the database run is recorded by the import)."""

    folder: Path
    pipeline_version: str
    n_pending: int
    n_articles: int = 0
    n_shards: int = 0
    device: Optional[str] = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def articles_per_second(self) -> float:
        return self.n_articles / self.seconds if self.seconds > 0 else 0.0


def extract_to_shards(
    out_dir: str | Path,
    db: Database | str | None = None,
    *,
    parquet_in: str | Path | None = None,
    address: Optional[str] = None,
    workers: int = 2,
    gpus_per_worker: float = 0,
    batch_size: int = DEFAULT_BATCH_SIZE,
    model: Optional[str] = None,
    use_model: bool = True,
    since: Any = None,
    limit: Optional[int] = None,
    reprocess: bool = False,
    progress: Optional[Progress] = None,
    quantize: Optional[str] = None,
) -> ShardRunSummary:
    """Tag every pending article on Ray and write one results shard per page into ``out_dir``;
    the articles come from ``db`` or, with ``parquet_in``, from an article export (then no
    database is opened). Merge the shards with ``import_results``."""
    ray = load_ray()
    _check_workers(workers)
    since_utc = runner.parse_since(since)
    runner._check_sizes(batch_size, limit)
    identity = parquet.load_run_identity(model, use_model, quantize, _device(gpus_per_worker))
    version = identity["pipeline_version"]
    if parquet_in is not None:
        if since_utc or limit is not None or reprocess:
            raise NarrativeError("--since, --limit and --reprocess select articles at export time: pass them to `narrative export-articles`")
        ranges, reader = parquet.load_export_ranges(Path(parquet_in).resolve(), batch_size), None
    else:
        db = runner._database(db)
        reader = {"db_file": _database_file(db), "version": version, "since": since_utc, "reprocess": reprocess}
        ranges = _plan_database_ranges(db, version, since_utc, reprocess, batch_size, limit)
    config = build_run_config(identity["fingerprint"], since_utc, limit, batch_size, reprocess, use_model, quantize, {
        "engine": "ray", "workers": workers, "gpus_per_worker": gpus_per_worker, "address": address,
        "articles": "parquet" if parquet_in is not None else "database", "results": "parquet"})
    meta = {k: identity[k] for k in ("pipeline_version", "model_name", "model_digest")} | {"config": config}
    folder = parquet.make_output_folder(Path(out_dir).resolve())
    summary = ShardRunSummary(folder, version, sum(r["n"] for r in ranges))
    if use_model and identity["model_name"] is None:
        summary.notes.append(NO_MODEL_NOTE)
    _write_shards(ray, address, ranges, (model, _device(gpus_per_worker), use_model, batch_size, quantize),
                  {"out_dir": str(folder), "meta": meta}, workers, gpus_per_worker, reader, summary, progress)
    return summary


def _write_shards(ray, address, ranges, actor_args, actor_kwargs, workers, gpus, reader, summary: ShardRunSummary,
                  progress: Optional[Progress]) -> None:
    began = time.perf_counter()
    if ranges:
        _connect(ray, address)
        if progress:
            progress(0, summary.n_pending)
        loads: set[str] = set()
        for row in _tag_pages(ray, ranges, actor_args, actor_kwargs, workers, gpus, reader):
            loads.add(row["load_id"])
            summary.device = summary.device or row["device"]
            summary.n_articles += int(row["n"])
            summary.n_shards += 1 if row["payload"] else 0
            if progress:
                progress(summary.n_articles, summary.n_pending)
        summary.notes.append(build_load_note(loads, len(ranges), workers))
    summary.seconds = time.perf_counter() - began


def build_run_config(fingerprint: dict, since_utc, limit, batch_size, reprocess, use_model, quantize, extra: dict) -> dict:
    """The run config the local engine records (runner.prepare_run), for a run recorded at import."""
    return {"fingerprint": fingerprint, "since": since_utc, "limit": limit, "batch_size": batch_size,
            "reprocess": reprocess, "use_model": use_model, "quantize": quantize,
            "novelty": novelty.NoveltyConfig().describe(), **extra}


# -- shared -------------------------------------------------------------------------------------------


def _tag_pages(ray, ranges: list[dict], actor_args: tuple, actor_kwargs: dict, workers: int, gpus: float,
               reader: Optional[dict]) -> Iterator[dict]:
    """One dataset over every page of the run: (database read tasks on this node ->) the actor pool."""
    if not ranges:
        return iter(())
    dataset = ray.data.from_items(ranges, override_num_blocks=len(ranges))
    if reader is not None:
        dataset = dataset.map_batches(DatabaseReader, fn_constructor_kwargs=reader, batch_size=1, batch_format="numpy",
                                      num_cpus=0, compute=ray.data.ActorPoolStrategy(size=1), **_on_this_node(ray))
    dataset = dataset.map_batches(
        TagActor, fn_constructor_args=actor_args, fn_constructor_kwargs=actor_kwargs, batch_size=1,
        batch_format="numpy", num_gpus=gpus,
        compute=ray.data.ActorPoolStrategy(size=workers),  # ``concurrency=`` is deprecated since Ray 2.51
    )
    return dataset.iter_rows()


def _on_this_node(ray) -> dict:
    """map_batches arguments that pin an operator to the driver's node: the node-id label where
    Ray has label selectors (scheduling_strategy is deprecated there), else node affinity."""
    import inspect

    node = ray.get_runtime_context().get_node_id()
    if "label_selector" in inspect.signature(ray.data.Dataset.map_batches).parameters:
        return {"label_selector": {"ray.io/node-id": node}}
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    return {"scheduling_strategy": NodeAffinitySchedulingStrategy(node, soft=False)}


def _plan_database_ranges(db: Database, version: str, since_utc, reprocess: bool, batch_size: int, limit) -> list[dict]:
    """The run's pages as id ranges, from the pending ids (no text is read here)."""
    ranges: list[dict] = []
    for ids in store.iter_pending_id_pages(db, version, since=since_utc, reprocess=reprocess, batch_size=batch_size, limit=limit):
        ranges += parquet.build_id_ranges(ids, batch_size, first_page=len(ranges))
    return ranges


def order_by_page(rows: Iterable[dict]) -> Iterator[dict]:
    """Rows in page order (0, 1, 2, ...) whatever order they arrive in: the writer must write
    pages in id order, as the local engine does, for the same story ids."""
    waiting: dict[int, dict] = {}
    expected = 0
    for row in rows:
        waiting[int(row["page"])] = row
        while expected in waiting:
            yield waiting.pop(expected)
            expected += 1
    if waiting:
        raise NarrativeError(f"Ray returned pages out of sequence: page {expected} is missing")


def build_load_note(load_ids: set[str], n_pages: int, workers: int) -> str:
    loads = len(load_ids)
    return (f"ray: the pipeline was loaded {loads} time{'' if loads == 1 else 's'} for {n_pages} "
            f"page{'' if n_pages == 1 else 's'} ({workers} worker{'' if workers == 1 else 's'})")


def _device(gpus_per_worker: float) -> str:
    return "cuda" if gpus_per_worker else "cpu"


def _check_workers(workers: int) -> None:
    if workers < 1:
        raise NarrativeError("--workers must be at least 1")


def _database_file(db: Database) -> str:
    path = store.load_db_file(db)
    if not path:
        raise NarrativeError("--engine ray reads the database from Ray tasks: it needs a database file, not :memory:")
    return path


def _connect(ray, address: Optional[str]) -> None:
    ray.data.DataContext.get_current().enable_progress_bars = False  # ours is the one progress bar
    if ray.is_initialized():
        return  # a caller (a notebook, a test) already joined a cluster
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise NarrativeError(f"cannot start or reach Ray at {address or 'a local instance'}: {exc}") from None
