"""Extraction on Ray: the tagging (spaCy pipeline + classifier) runs on a Ray Data actor pool, the
rest stays in the driver, through the local engine's functions.

What runs where, and why:
- The driver selects pending articles exactly as the local engine does (same store query, same
  pages of ``batch_size`` by id), records the run, and writes every page through the same single
  writer (``runner.save_batch``: one transaction per page). Story/novelty assignment is sequential
  and incremental (a page's stories depend on the pages written before it), so it stays there too;
  pages are written in id order with the local engine's page boundaries, hence the same labels.
- A window of pages becomes one ``ray.data`` dataset (``from_items``); ``map_batches`` with an
  actor class (a pool of ``workers`` actors, ``num_gpus=gpus_per_worker``) tags it. Each actor loads the
  pipeline and model once, in its constructor; the pool lives for one window, so the load is paid
  once per actor per window (``window_pages`` pages), not per page.
- Only ``{"id", "text"}`` travels to the workers, and each tagging record comes back as JSON text
  (records hold variable-keyed dicts that Arrow would turn into sparse structs).
- Not yet: reading from a Parquet export (for clusters that cannot see the SQLite file) and
  writing Parquet shards; here the driver must see the database file.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Iterator, Optional

from sqlite_utils import Database

from nlp.errors import NarrativeError
from nlp.extract import runner
from nlp.extract.runner import DEFAULT_BATCH_SIZE, Progress, RunSummary
from nlp.store import extraction as store

INSTALL_HINT = "Ray is not installed: pip install 'narrative[ray]'"
# Pages per dataset: enough that every actor gets several pages per pipeline load.
PAGES_PER_WORKER = 8


def load_ray():
    """The ``ray`` module, or one clear line saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401  (the extra is ray[data])
    except ImportError:
        raise NarrativeError(INSTALL_HINT) from None
    return ray


class TagActor:
    """One Ray actor: loads the tagger once, then tags batches of ``{"id", "text"}``."""

    def __init__(self, model: Optional[str], device: str, use_model: bool, batch_size: int, quantize: Optional[str]):
        from nlp.extract.fingerprint import load_tagger

        self.tagger = load_tagger(model, device, use_model, batch_size, quantize)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        items = [{"id": str(i), "text": str(t)} for i, t in zip(batch["id"], batch["text"])]
        records = self.tagger.tag(items)
        return {"id": [r["id"] for r in records], "record": [json.dumps(r) for r in records],
                "device": [self.tagger.device] * len(records)}


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
    window_pages: Optional[int] = None,
) -> RunSummary:
    """Extract every pending article with the tagging on Ray (see the module docstring).
    ``address``: None starts or joins a local Ray, "auto" or "ray://HOST:PORT" an existing cluster."""
    ray = load_ray()
    if workers < 1:
        raise NarrativeError("--workers must be at least 1")
    db = runner._database(db)
    extra = {"engine": "ray", "workers": workers, "gpus_per_worker": gpus_per_worker, "address": address}
    plan = runner.prepare_run(db, since, limit, batch_size, model, reprocess, use_model, quantize, extra_config=extra)
    summary = plan.summary
    if use_model and summary.model_name is None:
        summary.notes.append("no trained classifier found (models/): rules only, no sentiment")
    actor_args = (model, "cuda" if gpus_per_worker else "cpu", use_model, batch_size, quantize)
    window = window_pages or PAGES_PER_WORKER * workers

    def work() -> None:
        _connect(ray, address)
        pages = store.iter_pending_articles(db, summary.pipeline_version, since=plan.since_utc,
                                            reprocess=reprocess, batch_size=batch_size, limit=limit)
        if progress:
            progress(0, summary.n_pending)
        for group in _windows(pages, window):
            tagged = _tag_window(ray, group, actor_args, workers, gpus_per_worker, batch_size)
            _save_window(db, summary, group, tagged, progress)

    return runner.run_and_record(db, summary, work)


def _connect(ray, address: Optional[str]) -> None:
    ray.data.DataContext.get_current().enable_progress_bars = False  # ours is the one progress bar
    if ray.is_initialized():
        return  # a caller (a notebook, a test) already joined a cluster
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise NarrativeError(f"cannot start or reach Ray at {address or 'a local instance'}: {exc}") from None


def _windows(pages: Iterator[list[dict]], size: int) -> Iterator[list[list[dict]]]:
    group: list[list[dict]] = []
    for page in pages:
        group.append(page)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group


def _tag_window(ray, group: list[list[dict]], actor_args: tuple, workers: int, gpus: float, batch_size: int) -> dict[str, tuple[dict, str]]:
    """id -> (tagging record, device) for every article of the window (order-free: keyed by id)."""
    items = [{"id": a["id"], "text": t} for page in group for a, t in zip(page, runner.build_page_texts(page))]
    dataset = ray.data.from_items(items).map_batches(
        TagActor, fn_constructor_args=actor_args, batch_size=batch_size, num_gpus=gpus, batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=workers),  # ``concurrency=`` is deprecated since Ray 2.51
    )
    return {row["id"]: (json.loads(row["record"]), row["device"]) for row in dataset.iter_rows()}


def _save_window(db: Database, summary: RunSummary, group: list[list[dict]], tagged: dict, progress) -> None:
    """Write the window's pages in id order through the local engine's single writer."""
    for page in group:
        texts = runner.build_page_texts(page)
        records = [tagged[a["id"]][0] for a in page]
        if summary.device is None:
            summary.device = tagged[page[0]["id"]][1]
            store.save_run_device(db, summary.run_id, summary.device, summary.model_name)
        summary.add(runner.save_batch(db, page, texts, records, summary.run_id, summary.pipeline_version))
        if progress:
            progress(summary.n_articles, summary.n_pending)
