"""Gold data for the tagger and the comparisons that score `narrative tag` output against it.

Gold sources:
- the development set ``corpora/eval/dev.jsonl`` (hand-labelled tickers and themes);
- cashtag texts from ``twitter_financial_news_{sentiment,topic}``: gold = the cashtags whose symbol is in
  the gazetteer, so they measure the *cashtag method only* (names in the same tweets are not labelled);
- the Seeking Alpha per-symbol feed, whose items list tickers as ``<category type="symbol">``: weak gold
  (titles only, and the categories include companies the title does not name), so only recall is meaningful.
``parse_*``/``build_*``/``evaluate_*`` are pure; ``load_*`` read files.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from nlp.errors import NarrativeError
from nlp.evaluate.metrics import PRF, compute_macro_f1, compute_method_prf, compute_per_label, compute_set_prf

CASHTAG = re.compile(r"(?<![\w$])\$([A-Za-z]{1,5}(?:\.[A-Za-z])?)(?![\w])")
TWITTER_FILES = (
    "twitter_financial_news_sentiment/sent_train.csv", "twitter_financial_news_sentiment/sent_valid.csv",
    "twitter_financial_news_topic/topic_train.csv", "twitter_financial_news_topic/topic_valid.csv",
)
SEEKINGALPHA_FILE = "rss_feeds_financial/crawinsight_seekingalpha.xml"


# --- gold (pure parsing) ----------------------------------------------------------------------


def extract_cashtags(text: str) -> list[str]:
    """Upper-cased symbols of the cashtags in a text, in order, without repeats ("$nvda" -> NVDA)."""
    seen: dict[str, None] = {}
    for match in CASHTAG.finditer(text):
        seen.setdefault(match.group(1).upper(), None)
    return list(seen)


def build_cashtag_records(texts: Iterable[str], known_symbols: Mapping[str, str], prefix: str = "tw") -> list[dict]:
    """Records for texts with at least one cashtag; gold = cashtags known to the gazetteer (canonical)."""
    records, seen = [], set()
    for text in texts:
        tags = extract_cashtags(text)
        if not tags or text in seen:
            continue
        seen.add(text)
        gold = sorted({known_symbols[t] for t in tags if t in known_symbols})
        records.append({"id": f"{prefix}{len(records)}", "text": text, "tickers": gold})
    return records


def parse_csv_texts(raw: str, column: str = "text") -> list[str]:
    return [row[column] for row in csv.DictReader(io.StringIO(raw)) if row.get(column)]


def parse_seekingalpha_feed(xml_text: str) -> list[dict]:
    """Items of an RSS feed with ``<category type="symbol">`` tags -> {id, title, text, tickers}."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise NarrativeError(f"Seeking Alpha feed is not valid XML ({exc})") from exc
    records = []
    for item in root.iter("item"):
        symbols = sorted({(c.text or "").strip().upper() for c in item.findall("category") if c.get("type") == "symbol"} - {""})
        title = (item.findtext("title") or "").strip()
        description = re.sub(r"<[^>]+>", " ", item.findtext("description") or "").strip()
        if symbols and title:
            rid = (item.findtext("guid") or f"sa{len(records)}").strip()
            records.append({"id": f"sa{rid}", "title": title, "text": description, "tickers": symbols})
    return records


# --- gold (I/O) -----------------------------------------------------------------------------------


def load_dev_set(path: Path) -> list[dict]:
    """The JSONL development set; a bad line is an error naming it."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise NarrativeError(f"{path}: line {lineno}: not valid JSON ({exc.msg})") from exc
    return rows


def load_twitter_cashtag_records(data_dir: Path, known_symbols: Mapping[str, str]) -> list[dict] | None:
    """Cashtag records from the shared Twitter datasets, or None when none of the files is there."""
    texts: list[str] = []
    found = False
    for name in TWITTER_FILES:
        path = Path(data_dir) / name
        if path.is_file():
            found = True
            texts += parse_csv_texts(path.read_text(encoding="utf-8", errors="replace"))
    return build_cashtag_records(texts, known_symbols) if found else None


def load_seekingalpha_records(data_dir: Path) -> list[dict] | None:
    path = Path(data_dir) / SEEKINGALPHA_FILE
    if not path.is_file():
        return None
    return parse_seekingalpha_feed(path.read_text(encoding="utf-8", errors="replace"))


# --- comparisons (pure) -------------------------------------------------------------------------


def build_symbol_sets(outputs: Sequence[Mapping], method: str | None = None) -> list[set[str]]:
    """Per output record: its tickers, or only those found by ``method``."""
    if method is None:
        return [set(o.get("tickers") or ()) for o in outputs]
    return [{m["symbol"] for m in o.get("mentions") or () if m["method"] == method} for o in outputs]


def build_method_sets(outputs: Sequence[Mapping]) -> list[dict[str, set[str]]]:
    out = []
    for o in outputs:
        by_method: dict[str, set[str]] = {}
        for m in o.get("mentions") or ():
            by_method.setdefault(m["method"], set()).add(m["symbol"])
        out.append(by_method)
    return out


def evaluate_tickers(gold_records: Sequence[Mapping], outputs: Sequence[Mapping]) -> dict:
    """{"overall": PRF, "by_method": {method: PRF}} of document-level ticker sets."""
    gold = [set(r.get("tickers") or ()) for r in gold_records]
    return {
        "overall": compute_set_prf(gold, build_symbol_sets(outputs)),
        "by_method": compute_method_prf(gold, build_method_sets(outputs)),
    }


def evaluate_themes(gold_records: Sequence[Mapping], outputs: Sequence[Mapping], theme_ids: Iterable[str]) -> dict:
    """{"per_theme": {id: PRF}, "micro": PRF, "macro_f1": float} over the given theme ids."""
    ids = list(theme_ids)
    keep = set(ids)
    gold = [set(r.get("themes") or ()) & keep for r in gold_records]
    pred = [set(o.get("themes") or ()) & keep for o in outputs]
    per_theme = compute_per_label(gold, pred, ids)
    return {"per_theme": per_theme, "micro": compute_set_prf(gold, pred), "macro_f1": compute_macro_f1(per_theme)}


def build_prf_row(name: str, prf: PRF) -> dict:
    return {"name": name, "precision": prf.precision, "recall": prf.recall, "f1": prf.f1,
            "tp": prf.tp, "fp": prf.fp, "fn": prf.fn}


def format_table(rows: Sequence[Mapping], columns: Sequence[str]) -> str:
    """A plain-text table; floats with three decimals."""
    cells = [[_cell(row.get(c, "")) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths))) for r in cells]
    return "\n".join(lines)


def _cell(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)
