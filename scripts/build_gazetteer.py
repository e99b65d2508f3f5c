"""Build corpora/tickers/companies.jsonl from the pytickersymbols index data merged with
the curated corpora/tickers/aliases.yaml.

Run after editing aliases.yaml:  python scripts/build_gazetteer.py
Needs the build-only package `english-words` (its web2 and gcide lists decide which
names are also ordinary English words and so need evidence before they are linked).
Output is deterministic: sorted by symbol, keys sorted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nlp.tagging.gazetteer import load_yaml  # noqa: E402
from nlp.tagging.gazetteer_records import build_company_records, build_index_records  # noqa: E402

INDICES = ("S&P 500", "S&P 600", "NASDAQ 100", "S&P 100", "DOW JONES")


def fetch_index_stocks() -> dict[str, list[dict]]:
    from pytickersymbols import PyTickerSymbols

    tickers = PyTickerSymbols()
    return {name: list(tickers.get_stocks_by_index(name)) for name in INDICES}


def load_english_words() -> frozenset[str]:
    from english_words import get_english_words_set

    return frozenset(get_english_words_set(["web2", "gcide"], lower=True, alpha=True))


def save_records(records: list[dict], path: Path) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=REPO / "corpora" / "tickers")
    args = parser.parse_args()
    curated = load_yaml(args.dir / "aliases.yaml")
    base = build_index_records(fetch_index_stocks())
    records = build_company_records(base, curated, load_english_words())
    save_records(records, args.dir / "companies.jsonl")
    flagged = sum(bool(r["ambiguous"]) for r in records)
    print(f"{len(records)} companies ({len(base)} from indices), "
          f"{sum(len(r['aliases']) for r in records)} aliases, {flagged} with ambiguous names, "
          f"{sum(r['symbol_ambiguous'] for r in records)} ambiguous symbols "
          f"-> {args.dir / 'companies.jsonl'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
