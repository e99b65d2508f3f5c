#!/usr/bin/env bash
# The main job on the bundled sample, end to end: scrape -> extract -> index -> prices -> join -> report -> export.
# Run through `make demo`, which sets up .venv first. Writes everything under $OUT (default: out/).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-out}"
mkdir -p "$OUT"
DB="$OUT/sample.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
n() { echo; echo "\$ narrative $*"; narrative --db "$DB" "$@"; }

n scrape --feeds corpora/sample/feeds.yaml
n feeds
n articles --limit 5
n search "small modular reactor" --limit 3
echo; echo "\$ head -n 2 corpora/eval/dev.jsonl | narrative tag"
head -n 2 corpora/eval/dev.jsonl | narrative tag | python -c "import json,sys; [print(json.dumps({k: r[k] for k in ('id','tickers','themes','sentiment','ticker_sentiment')})) for r in map(json.loads, sys.stdin)]"
n extract
n extract   # incremental: nothing new, no model work
n themes
n prices load corpora/sample/prices.csv
n timeline blue_collar_ai --freq W
n timeline market_rotation --freq W --from 2025-12-01
n join blue_collar_ai market_rotation power_demand --horizons 1,5,20 -o "$OUT/join.csv"
n report -o "$OUT/report.html"
n export --format jsonl --split 0.8,0.1,0.1 --seed 1 -o "$OUT/labels.jsonl"
n export --uncertain 20 --format labelstudio -o "$OUT/review.json"
echo
echo "database: $DB"
echo "report:   $OUT/report.html"
echo "join:     $OUT/join.csv"
echo "export:   $OUT/labels.jsonl, $OUT/review.json (Label Studio tasks for the 20 least certain articles)"
