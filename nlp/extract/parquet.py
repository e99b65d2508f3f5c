"""Parquet files of the Ray engine's cluster path: article exports (what workers read when they
cannot see the database), results shards (what workers write instead of sending rows to the
single SQLite writer), and the id ranges (pages) both are cut into.

Decisions:
- A page is ``batch_size`` consecutive pending articles by id, the local engine's batch. It is the
  unit of everything: one actor call, one results shard, one import transaction.
- Article export: ``articles-00000.parquet``, ... holding the pending articles in id order (ids
  sorted within a file, files disjoint and in name order); columns id, title, body,
  published_utc, content_hash (the content stamp the extraction marker stores); row groups of
  ``ROW_GROUP_ROWS`` rows, so reading one page decodes little. A page never spans two files.
- Results shard: ``results-<page>-<digest>.parquet``, the digest over the page's first id, last
  id and size: the same page gets the same name, so a rerun overwrites its shard instead of adding
  a copy. Columns id, content_hash, text_sha1 (of the text that was tagged: the import checks it
  against the stored text), record (the tagging record as JSON text: records hold variable-keyed
  dicts that Arrow would turn into sparse structs). The run's identity (pipeline version, config,
  model, device) and the page's range sit in the file's key-value metadata under ``narrative``.
- Every file is written under a temporary name (``.tmp-*``) and renamed: a file under its final
  name is complete; a worker killed mid-write leaves only a ``.tmp-*`` file, which readers ignore.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from nlp.errors import NarrativeError

ARTICLE_COLUMNS = ("id", "title", "body", "published_utc", "content_hash")
RESULT_COLUMNS = ("id", "content_hash", "text_sha1", "record")
ARTICLES_GLOB, RESULTS_GLOB = "articles-*.parquet", "results-*.parquet"
ARTICLES_FORMAT, RESULTS_FORMAT = "narrative-articles-1", "narrative-results-1"
META_KEY = b"narrative"
ROW_GROUP_ROWS = 1024
DEFAULT_ROWS_PER_FILE = 65_536


# -- pure: id ranges, names, tables ----------------------------------------------------------------


def build_id_ranges(ids: Sequence[str], batch_size: int, first_page: int = 0, file: str = "") -> list[dict]:
    """Sorted ids cut into pages of ``batch_size``: ``{"page", "first_id", "last_id", "n", "file",
    "start"}`` (``start``: the page's first row in ``file``; both unused for database ranges)."""
    check_sorted_ids(ids, file or "the selection")
    return [
        {"page": first_page + k, "first_id": ids[s], "last_id": ids[min(s + batch_size, len(ids)) - 1],
         "n": min(batch_size, len(ids) - s), "file": file, "start": s}
        for k, s in enumerate(range(0, len(ids), batch_size))
    ]


def check_sorted_ids(ids: Sequence[str], where: str) -> None:
    for a, b in zip(ids, ids[1:]):
        if not a < b:
            raise NarrativeError(f"article ids in {where} are not sorted and unique ({a!r} before {b!r}): "
                                 "write the export with `narrative export-articles`")


def build_shard_name(rng: dict) -> str:
    """The results shard of a page: the same page (first id, last id, size) gives the same name."""
    digest = hashlib.sha1(f"{rng['first_id']}\0{rng['last_id']}\0{rng['n']}".encode()).hexdigest()[:12]
    return f"results-{rng['page']:06d}-{digest}.parquet"


def build_articles_table(articles: Sequence[dict], meta: dict):
    import pyarrow as pa

    columns = {c: pa.array([a[c] for a in articles], pa.string()) for c in ARTICLE_COLUMNS}
    return pa.table(columns).replace_schema_metadata({META_KEY: json.dumps({"format": ARTICLES_FORMAT, **meta})})


def parse_articles_table(table) -> list[dict]:
    """Article rows as the store's pending pages give them (keys id, title, body, published_utc, content_hash)."""
    return table.select(list(ARTICLE_COLUMNS)).to_pylist()


def build_results_table(meta: dict, articles: Sequence[dict], text_sha1s: Sequence[str], records: Sequence[dict]):
    """A page's results: one row per article, the run's identity and the page's range as metadata."""
    import pyarrow as pa

    columns = {
        "id": [a["id"] for a in articles], "content_hash": [a["content_hash"] for a in articles],
        "text_sha1": list(text_sha1s), "record": [json.dumps(r) for r in records],
    }
    table = pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})
    return table.replace_schema_metadata({META_KEY: json.dumps({"format": RESULTS_FORMAT, **meta})})


def parse_results_table(table) -> list[dict]:
    """Result rows with the record parsed back from JSON."""
    rows = table.select(list(RESULT_COLUMNS)).to_pylist()
    for row in rows:
        row["record"] = json.loads(row["record"])
    return rows


def parse_table_meta(metadata: dict | None, expected_format: str, name: str) -> dict:
    """The ``narrative`` metadata of a file, or one line saying the file is not ours."""
    raw = (metadata or {}).get(META_KEY)
    meta = json.loads(raw) if raw else {}
    if meta.get("format") != expected_format:
        raise NarrativeError(f"{name} is not a narrative {expected_format.split('-')[1]} file (format {meta.get('format')!r})")
    return meta


def compute_row_group_span(sizes: Sequence[int], start: int, n: int) -> tuple[list[int], int]:
    """(row groups holding rows ``start .. start + n - 1``, offset of ``start`` in the first of them)."""
    groups, offset, first = [], 0, 0
    for index, size in enumerate(sizes):
        if offset + size > start and offset < start + n:
            if not groups:
                first = offset
            groups.append(index)
        offset += size
    return groups, start - first


# -- files -------------------------------------------------------------------------------------------


def save_table(table, path: Path, row_group_rows: int = ROW_GROUP_ROWS) -> None:
    """Write under a temporary name, then rename: the final name only ever holds a whole file."""
    import pyarrow.parquet as pq

    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        pq.write_table(table, str(tmp), row_group_size=row_group_rows, compression="zstd")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _read_error(path: Path, exc: Exception, what: str) -> NarrativeError:
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
    return NarrativeError(f"cannot read {what} {path}: corrupt or half-written ({detail})")


def load_file_meta(path: Path, expected_format: str, what: str) -> tuple[dict, int, list[int]]:
    """(narrative metadata, rows, rows per row group) from a Parquet footer."""
    import pyarrow.parquet as pq

    try:
        footer = pq.ParquetFile(str(path)).metadata
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for a bad footer
        raise _read_error(path, exc, what) from None
    meta = parse_table_meta(footer.metadata, expected_format, str(path))
    return meta, footer.num_rows, [footer.row_group(i).num_rows for i in range(footer.num_row_groups)]


def load_columns(path: Path, columns: Sequence[str], what: str, row_groups: Sequence[int] | None = None):
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(str(path))
        if row_groups is None:
            return handle.read(columns=list(columns))
        return handle.read_row_groups(list(row_groups), columns=list(columns))
    except Exception as exc:
        raise _read_error(path, exc, what) from None


def make_output_folder(folder: Path) -> Path:
    """The folder, created if needed; its parent must exist (a typo must not create a tree)."""
    if folder.exists() and not folder.is_dir():
        raise NarrativeError(f"{folder} is a file, not a folder")
    if not folder.parent.is_dir():
        raise NarrativeError(f"output folder does not exist: {folder.parent}")
    folder.mkdir(exist_ok=True)
    return folder


def list_files(folder: Path, pattern: str, what: str) -> list[Path]:
    if not folder.is_dir():
        raise NarrativeError(f"no folder {folder}")
    files = sorted(folder.glob(pattern))
    if not files:
        raise NarrativeError(f"no {what} ({pattern}) in {folder}")
    return files


# -- article exports ---------------------------------------------------------------------------------


@dataclass
class ExportSummary:
    n_articles: int
    n_files: int
    folder: Path
    pipeline_version: str


def export_articles(db, folder: str | Path, *, since: Any = None, limit: int | None = None, reprocess: bool = False,
                    model: str | None = None, use_model: bool = True, quantize: str | None = None,
                    rows_per_file: int = DEFAULT_ROWS_PER_FILE) -> ExportSummary:
    """Write the articles pending for the pipeline version these model options give (every
    selected article with ``reprocess``) as an article export for ``extract --parquet-in``."""
    from nlp.extract import runner
    from nlp.store import extraction as store

    since_utc = runner.parse_since(since)
    runner._check_sizes(1, limit)
    db = runner._database(db)
    version = load_run_identity(model, use_model, quantize)["pipeline_version"]
    pages = store.iter_pending_articles(db, version, since=since_utc, reprocess=reprocess, batch_size=1000, limit=limit)
    meta = {"pipeline_version": version, "since": since_utc, "reprocess": reprocess, "exported_utc": store.utc_now()}
    return save_articles_export(pages, Path(folder), meta, rows_per_file)


def save_articles_export(pages: Iterable[list[dict]], folder: Path, meta: dict,
                         rows_per_file: int = DEFAULT_ROWS_PER_FILE) -> ExportSummary:
    """Write pending-article pages (in id order) as ``articles-NNNNN.parquet`` files of at most
    ``rows_per_file`` rows each; ``meta`` (the pipeline version they are pending for) goes in every file."""
    if rows_per_file < 1:
        raise NarrativeError("--rows-per-file must be at least 1")
    make_output_folder(folder)
    if any(folder.glob(ARTICLES_GLOB)):
        raise NarrativeError(f"{folder} already holds an article export: choose an empty folder")
    n_files = n = 0
    for chunk in _rechunk(pages, rows_per_file):
        save_table(build_articles_table(chunk, meta), folder / f"articles-{n_files:05d}.parquet")
        n_files, n = n_files + 1, n + len(chunk)
    return ExportSummary(n, n_files, folder, meta.get("pipeline_version", ""))


def _rechunk(pages: Iterable[list[dict]], size: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for page in pages:
        for article in page:
            chunk.append(article)
            if len(chunk) == size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def load_export_ranges(folder: Path, batch_size: int) -> list[dict]:
    """The pages of an article export (reads only the id column): each file cut into pages,
    numbered across files; checks the ids are in order across files."""
    ranges: list[dict] = []
    last = None
    for path in list_files(folder, ARTICLES_GLOB, "article export files"):
        load_file_meta(path, ARTICLES_FORMAT, "article export file")
        ids = load_columns(path, ["id"], "article export file").column("id").to_pylist()
        if ids and last is not None and not last < ids[0]:
            raise NarrativeError(f"article ids overlap between export files ({path.name} starts at {ids[0]!r}): "
                                 "write the export with `narrative export-articles`")
        ranges += build_id_ranges(ids, batch_size, first_page=len(ranges), file=str(path))
        last = ids[-1] if ids else last
    return ranges


def load_export_page(rng: dict) -> list[dict]:
    """The articles of one page of an export (the row groups that hold it, sliced)."""
    path = Path(rng["file"])
    _, _, sizes = load_file_meta(path, ARTICLES_FORMAT, "article export file")
    groups, offset = compute_row_group_span(sizes, int(rng["start"]), int(rng["n"]))
    table = load_columns(path, ARTICLE_COLUMNS, "article export file", groups)
    return parse_articles_table(table.slice(offset, int(rng["n"])))


# -- results shards ----------------------------------------------------------------------------------


@dataclass
class ShardInfo:
    path: Path
    meta: dict
    n_rows: int


def save_results_shard(folder: Path, rng: dict, meta: dict, articles: Sequence[dict], text_sha1s: Sequence[str],
                       records: Sequence[dict]) -> str:
    """Write one page's results shard (overwriting the same page's shard of an earlier run); its name."""
    name = build_shard_name(rng)
    page_meta = {**meta, "page": int(rng["page"]), "first_id": rng["first_id"], "last_id": rng["last_id"], "n": len(articles)}
    save_table(build_results_table(page_meta, articles, text_sha1s, records), folder / name)
    return name


def load_shard_infos(folder: Path) -> list[ShardInfo]:
    """Every shard's footer (a truncated or foreign file fails here, before anything is written),
    sorted by first article id: the import writes in id order, as the local engine does."""
    infos = []
    for path in list_files(folder, RESULTS_GLOB, "results shards"):
        meta, n_rows, _ = load_file_meta(path, RESULTS_FORMAT, "results shard")
        infos.append(ShardInfo(path, meta, n_rows))
    return sorted(infos, key=lambda s: (s.meta.get("first_id", ""), s.path.name))


def load_shard_keys(info: ShardInfo) -> list[dict]:
    """A shard's id, content_hash and text_sha1 columns (no records)."""
    return load_columns(info.path, ["id", "content_hash", "text_sha1"], "results shard").to_pylist()


def load_shard_rows(info: ShardInfo) -> list[dict]:
    table = load_columns(info.path, RESULT_COLUMNS, "results shard")
    try:
        return parse_results_table(table)
    except ValueError as exc:  # a record that is not JSON
        raise _read_error(info.path, exc, "results shard") from None


def load_run_identity(model: str | None, use_model: bool, quantize: str | None, device: str = "auto") -> dict[str, Any]:
    """Model name and digest, fingerprint and pipeline version, from file digests (no model load)."""
    from nlp.extract.fingerprint import build_pipeline_version, load_pipeline_fingerprint, resolve_model

    name, digest = resolve_model(model, use_model)
    if digest is None:
        raise NarrativeError(f"model {model!r} must be a model directory for the Parquet path")
    fingerprint = load_pipeline_fingerprint(digest, quantize if use_model else None, device)
    return {"model_name": name, "model_digest": digest, "fingerprint": fingerprint,
            "pipeline_version": build_pipeline_version(fingerprint)}
