"""Export labelled datasets, and bring human corrections back.

`export()` streams extracted articles page by page (constant memory) through one of the writers;
`import_labels()` stores human labels as their own source, which wins in every later export.
"""

from __future__ import annotations

import heapq
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from sqlite_utils import Database

from nlp.errors import NarrativeError
from nlp.export.labelstudio import parse_label_jsonl_line, parse_labelstudio_export
from nlp.export.records import build_export_record, parse_split_fractions, score_uncertainty
from nlp.export.writers import FORMATS, WRITERS
from nlp.store.export import (
    ExportFilter, article_ids_by_url, count_extracted, existing_article_ids, iter_export_pages,
    save_human_labels,
)

__all__ = ["export", "import_labels", "iter_export_records", "ExportFilter", "FORMATS"]


@dataclass(frozen=True)
class ExportOptions:
    min_confidence: float = 0.0
    split: str | None = None
    seed: int = 0
    uncertain: int | None = None


def iter_export_records(db: Database, flt: ExportFilter = ExportFilter(),
                        options: ExportOptions = ExportOptions()) -> Iterator[dict]:
    """Export records in (published, id) order; with `uncertain`, only the N least certain articles."""
    fractions = parse_split_fractions(options.split) if options.split else None
    pages = iter_export_pages(db, flt)
    rows: Iterator[dict] = (row for page in pages for row in page)
    if options.uncertain is not None:
        # A bounded heap keeps memory at N rows however large the database.
        scored = ((score_uncertainty(r), r["published_utc"] or "", r["id"], r) for r in rows)
        top = heapq.nlargest(options.uncertain, scored, key=lambda t: t[:3])
        rows = iter(t[3] for t in top)
    for row in rows:
        yield build_export_record(row, min_confidence=options.min_confidence, seed=options.seed,
                                  fractions=fractions)


def export(db: Database, path: str | Path | None, fmt: str = "jsonl", flt: ExportFilter = ExportFilter(),
           options: ExportOptions = ExportOptions()) -> int:
    """Write the export; returns the number of articles written."""
    if fmt not in FORMATS:
        raise NarrativeError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt in ("parquet", "hf", "spacy") and (path is None or str(path) == "-"):
        raise NarrativeError(f"--format {fmt} writes files: give an output path with -o")
    if count_extracted(db) == 0:
        raise NarrativeError("nothing to export: no article has been extracted yet (run `narrative extract`)")
    try:
        records = iter_export_records(db, flt, options)
        return WRITERS[fmt](records, Path(path) if path not in (None, "-") else None)
    except ValueError as exc:
        raise NarrativeError(str(exc)) from exc


def import_labels(db: Database, path: str | Path) -> int:
    """Store human labels from a Label Studio JSON export or a JSONL file; returns labels stored."""
    path = Path(path)
    if not path.exists():
        raise NarrativeError(f"no such file: {path}")
    labels = _load_label_file(path)
    ids = sorted({lab["article_id"] for lab in labels})
    known = existing_article_ids(db, ids)
    missing = [i for i in ids if i not in known]
    if missing:
        by_url = article_ids_by_url(db, missing)
        unknown = [i for i in missing if i not in by_url]
        if unknown:
            raise NarrativeError(f"{path}: {len(unknown)} article id(s) not in the database, e.g. {unknown[0]!r}")
        for lab in labels:
            lab["article_id"] = by_url.get(lab["article_id"], lab["article_id"])
    return save_human_labels(db, labels, source=path.name)


def _load_label_file(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8-sig")
    try:
        if text.lstrip().startswith("["):
            return parse_labelstudio_export(_load_json(text, path))
        return [lab for n, line in enumerate(text.splitlines(), start=1) if line.strip()
                for lab in parse_label_jsonl_line(line, n)]
    except ValueError as exc:
        raise NarrativeError(f"{path}: {exc}") from exc


def _load_json(text: str, path: Path) -> Sequence:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise NarrativeError(f"{path}: not valid JSON at line {exc.lineno} ({exc.msg})") from exc
