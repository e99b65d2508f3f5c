"""Writers for each export format. Each takes an iterator of export records and streams it out."""

from __future__ import annotations

import csv
import json
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator

from nlp.errors import NarrativeError
from nlp.export.labelstudio import build_labeling_config, build_task

FORMATS = ("jsonl", "csv", "parquet", "hf", "spacy", "labelstudio")
BATCH_ROWS = 1_000
DOCBIN_SHARD = 5_000
CSV_COLUMNS = (
    "id", "published", "url", "feed", "title", "tickers", "themes", "sentiment_label", "sentiment_score",
    "theme_scores", "ticker_sentiment", "label_source", "run_id", "pipeline_version", "model_digest",
    "story_id", "split",
)


def load_theme_ids() -> list[str]:
    """Ids of the installed theme cards, so every theme gets a `cats` entry or a choice."""
    from nlp.settings import CORPORA_DIR

    return sorted(p.stem for p in (CORPORA_DIR / "themes").glob("*.yaml"))


@contextmanager
def _open_text(path: Path | None) -> Iterator[IO[str]]:
    if path is None or str(path) == "-":
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8", newline="") as fh:
        yield fh


def write_jsonl(records: Iterable[dict], path: Path | None) -> int:
    n = 0
    with _open_text(path) as fh:
        for n, record in enumerate(records, start=1):
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return n


def build_csv_row(record: dict) -> dict[str, Any]:
    """Flat row: lists space-joined, nested maps as JSON."""
    sentiment = record.get("sentiment") or {}
    prov = record["provenance"]
    return {
        "id": record["id"], "published": record["published"], "url": record["url"], "feed": record["feed"],
        "title": record["title"], "tickers": " ".join(record["tickers"]), "themes": " ".join(record["themes"]),
        "sentiment_label": sentiment.get("label"), "sentiment_score": sentiment.get("score"),
        "theme_scores": json.dumps(record["theme_scores"]), "ticker_sentiment": json.dumps(record["ticker_sentiment"]),
        "label_source": json.dumps(record["label_source"]), "run_id": prov["run_id"],
        "pipeline_version": prov["pipeline_version"], "model_digest": prov["model_digest"],
        "story_id": record["story_id"], "split": record.get("split"),
    }


def write_csv(records: Iterable[dict], path: Path | None) -> int:
    n = 0
    with _open_text(path) as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for n, record in enumerate(records, start=1):
            writer.writerow(build_csv_row(record))
    return n


def _arrow_schema():
    import pyarrow as pa

    string, f64, i64 = pa.string(), pa.float64(), pa.int64()
    span = [("start", i64), ("end", i64), ("text", string), ("method", string)]
    return pa.schema([
        ("id", string), ("published", string), ("url", string), ("feed", string), ("title", string),
        ("text", string), ("tickers", pa.list_(string)), ("themes", pa.list_(string)),
        ("mentions", pa.list_(pa.struct([("symbol", string), *span, ("confidence", f64)]))),
        ("evidence", pa.list_(pa.struct([("label", string), ("kind", string), *span]))),
        ("theme_scores", pa.list_(pa.struct([("theme", string), ("score", f64)]))),
        ("ticker_sentiment", pa.list_(pa.struct([("symbol", string), ("label", string), ("score", f64),
                                                  ("relevance", f64)]))),
        ("sentiment_label", string), ("sentiment_score", f64), ("label_source", string),
        ("run_id", i64), ("pipeline_version", string), ("model_name", string), ("model_digest", string),
        ("story_id", string), ("split", string),
    ])


def build_table_row(record: dict) -> dict[str, Any]:
    """The columnar (Parquet / Hugging Face) shape: maps become lists of structs."""
    sentiment = record.get("sentiment") or {}
    return {
        **{k: record[k] for k in ("id", "published", "url", "feed", "title", "text", "tickers", "themes",
                                  "mentions", "evidence", "story_id")},
        "theme_scores": [{"theme": t, "score": s} for t, s in sorted(record["theme_scores"].items())],
        "ticker_sentiment": [{"symbol": s, **v} for s, v in sorted(record["ticker_sentiment"].items())],
        "sentiment_label": sentiment.get("label"), "sentiment_score": sentiment.get("score"),
        "label_source": json.dumps(record["label_source"]), **record["provenance"], "split": record.get("split"),
    }


def write_parquet(records: Iterable[dict], path: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema, batch, n = _arrow_schema(), [], 0
    with pq.ParquetWriter(str(path), schema) as writer:
        for n, record in enumerate(records, start=1):
            batch.append(build_table_row(record))
            if len(batch) >= BATCH_ROWS:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    return n


def write_hf(records: Iterable[dict], path: Path) -> int:
    """A `datasets` DatasetDict saved to disk, one split per `split` value (or "train")."""
    try:
        from datasets import Dataset, DatasetDict
    except ImportError:
        raise NarrativeError("--format hf needs the datasets package: pip install 'narrative[hf]'") from None

    with tempfile.TemporaryDirectory() as tmp:
        shards, n = _write_parquet_by_split(records, Path(tmp)), 0
        splits = {}
        for name, file in shards.items():
            splits[name] = Dataset.from_parquet(str(file), cache_dir=str(Path(tmp) / "cache"))
            n += len(splits[name])
        DatasetDict(splits).save_to_disk(str(path))
    return n


def _write_parquet_by_split(records: Iterable[dict], folder: Path) -> dict[str, Path]:
    """One Parquet file per split, written in row groups of BATCH_ROWS (memory stays bounded)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema, writers, files, pending = _arrow_schema(), {}, {}, {}

    def flush(name: str) -> None:
        writers[name].write_table(pa.Table.from_pylist(pending[name], schema=schema))
        pending[name] = []

    try:
        for record in records:
            name = record.get("split") or "train"
            if name not in writers:
                files[name] = folder / f"{name}.parquet"
                writers[name], pending[name] = pq.ParquetWriter(str(files[name]), schema), []
            pending[name].append(build_table_row(record))
            if len(pending[name]) >= BATCH_ROWS:
                flush(name)
        for name in writers:
            if pending[name]:
                flush(name)
    finally:
        for writer in writers.values():
            writer.close()
    return files


def write_spacy(records: Iterable[dict], path: Path) -> int:
    """DocBin shards (`part-00000.spacy`, ...) with TICKER entity spans (kb_id = symbol) and theme cats."""
    import spacy
    from spacy.tokens import DocBin
    from spacy.util import filter_spans

    path.mkdir(parents=True, exist_ok=True)
    nlp, themes, n, shard = spacy.blank("en"), load_theme_ids(), 0, 0
    docbin = DocBin(store_user_data=True)
    for n, record in enumerate(records, start=1):
        doc = nlp.make_doc(record["text"])
        spans = [doc.char_span(m["start"], m["end"], label="TICKER", kb_id=m["symbol"], alignment_mode="expand")
                 for m in record["mentions"]]
        doc.ents = filter_spans([s for s in spans if s is not None])
        doc.cats = {t: float(t in record["themes"]) for t in sorted(set(themes) | set(record["themes"]))}
        doc.user_data.update({"id": record["id"], "split": record.get("split")})
        docbin.add(doc)
        if len(docbin) >= DOCBIN_SHARD:
            docbin.to_disk(path / f"part-{shard:05d}.spacy")
            docbin, shard = DocBin(store_user_data=True), shard + 1
    if len(docbin) or shard == 0:
        docbin.to_disk(path / f"part-{shard:05d}.spacy")
    return n


def write_labelstudio(records: Iterable[dict], path: Path | None) -> int:
    """A JSON list of tasks, streamed; the matching labeling config is written beside it."""
    symbols, themes, n = set(), set(), 0
    with _open_text(path) as fh:
        fh.write("[")
        for n, record in enumerate(records, start=1):
            symbols.update(m["symbol"] for m in record["mentions"])
            themes.update(record["themes"])
            fh.write(("," if n > 1 else "") + "\n" + json.dumps(build_task(record), ensure_ascii=False))
        fh.write("\n]\n")
    if path is not None and str(path) != "-":
        config = build_labeling_config(symbols, themes | set(load_theme_ids()))
        Path(path).with_suffix(".config.xml").write_text(config, encoding="utf-8")
    return n


WRITERS: dict[str, Callable[[Iterable[dict], Any], int]] = {
    "jsonl": write_jsonl, "csv": write_csv, "parquet": write_parquet, "hf": write_hf,
    "spacy": write_spacy, "labelstudio": write_labelstudio,
}
