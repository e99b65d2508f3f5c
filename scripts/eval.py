"""Evaluate the rule tagger (tickers and themes) and guard the figures against regressions.

Sources (each skipped with a note when absent):
  dev           corpora/eval/dev.jsonl: hand-labelled tickers and themes (all ticker methods, all themes).
  twitter       cashtag texts of ../shared/data/twitter_financial_news_{sentiment,topic}: gold = the cashtags
                that are in the gazetteer. This measures the cashtag method only.
  seekingalpha  ../shared/data/rss_feeds_financial/crawinsight_seekingalpha.xml: item titles with their
                <category type="symbol"> tickers. Weak gold: only recall is reported.

Prints precision / recall / F1 per ticker method and overall, per theme, micro and macro; writes nothing
unless --update-baseline. Exits 1 when a figure pinned in scripts/eval_baseline.json falls below its floor
minus the tolerance.

    python scripts/eval.py [--data-dir DIR] [--show-errors] [--update-baseline]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nlp.errors import NarrativeError  # noqa: E402
from nlp.evaluate import tagging as ev  # noqa: E402
from nlp.evaluate.metrics import compute_floor_failures  # noqa: E402

DEV_PATH = REPO / "corpora" / "eval" / "dev.jsonl"
BASELINE_PATH = Path(__file__).resolve().parent / "eval_baseline.json"
DEFAULT_TOLERANCE = 0.01
COLUMNS = ("name", "precision", "recall", "f1", "tp", "fp", "fn")


def parse_args(argv=None) -> argparse.Namespace:
    from nlp.settings import shared_data_dir

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dev", type=Path, default=DEV_PATH, help="development set JSONL")
    p.add_argument("--data-dir", type=Path, default=shared_data_dir(), help="shared public datasets (default ../shared/data)")
    p.add_argument("--themes-dir", type=Path, default=None, help="theme cards (default corpora/themes)")
    p.add_argument("--baseline", type=Path, default=BASELINE_PATH)
    p.add_argument("--update-baseline", action="store_true", help="pin the current figures as floors")
    p.add_argument("--show-errors", action="store_true", help="list the dev-set misses and false alarms")
    p.add_argument("--sources", default="dev,twitter,seekingalpha", help="comma-separated sources to run")
    return p.parse_args(argv)


def run_tagger(nlp, records: list[dict]) -> list[dict]:
    from nlp.tagging.tag import tag_records

    inputs = [{"id": r["id"], "text": r.get("text") or "", "title": r.get("title"), "published": r.get("published")}
              for r in records]
    return list(tag_records(nlp, inputs, batch_size=256))


def eval_dev(nlp, path: Path, theme_ids: list[str], show_errors: bool) -> dict[str, float]:
    if not path.is_file():
        print(f"[dev] skipped: {path} not found")
        return {}
    gold = ev.load_dev_set(path)
    outputs = run_tagger(nlp, gold)
    tickers = ev.evaluate_tickers(gold, outputs)
    themes = ev.evaluate_themes(gold, outputs, theme_ids)
    print(f"\n[dev] {len(gold)} records from {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    rows = [ev.build_prf_row(f"method:{m}", prf) for m, prf in tickers["by_method"].items()]
    rows.append(ev.build_prf_row("tickers (all methods)", tickers["overall"]))
    print("tickers (per method: that method's symbols alone against all gold)\n" + ev.format_table(rows, COLUMNS))
    rows = [ev.build_prf_row(t, prf) for t, prf in themes["per_theme"].items()]
    rows.append(ev.build_prf_row("micro", themes["micro"]))
    print("themes (rules)\n" + ev.format_table(rows, COLUMNS) + f"\nmacro F1 {themes['macro_f1']:.3f}")
    if show_errors:
        print_errors(gold, outputs, set(theme_ids))
    figures = {f"dev.tickers.{k}": getattr(tickers["overall"], k) for k in ("precision", "recall", "f1")}
    figures.update({"dev.themes.micro.f1": themes["micro"].f1, "dev.themes.macro.f1": themes["macro_f1"]})
    figures.update({f"dev.themes.{t}.f1": prf.f1 for t, prf in themes["per_theme"].items()})
    return figures


def print_errors(gold: list[dict], outputs: list[dict], theme_ids: set[str]) -> None:
    print("\nerrors (id: FN -missing / FP +extra)")
    for g, o in zip(gold, outputs):
        gt, pt = set(g.get("tickers") or ()), set(o["tickers"])
        gth, pth = set(g.get("themes") or ()) & theme_ids, set(o["themes"])
        if gt == pt and gth == pth:
            continue
        parts = [f"tickers -{sorted(gt - pt)} +{sorted(pt - gt)}" if gt != pt else ""]
        parts.append(f"themes -{sorted(gth - pth)} +{sorted(pth - gth)}" if gth != pth else "")
        print(f"- {g['id']}: {' '.join(p for p in parts if p)}")
        print(f"    {(g.get('title') or '')[:80]} | {(g.get('text') or '')[:300]}")
        for e in o["evidence"]:
            if e["kind"] == "theme" and e["label"] in pth - gth or e["kind"] == "ticker" and e["label"] in pt - gt:
                print(f"    + {e['label']}: {e['text']!r} ({e['method']})")
        scores = {t: s for t, s in o["theme_scores"].items() if t in gth - pth}
        if scores:
            print(f"    missed theme scores {scores}")


def eval_twitter(nlp, data_dir: Path, known: dict) -> dict[str, float]:
    records = ev.load_twitter_cashtag_records(data_dir, known)
    if records is None:
        print(f"\n[twitter] skipped: no twitter_financial_news_* files under {data_dir}")
        return {}
    outputs = run_tagger(nlp, records)
    gold = [set(r["tickers"]) for r in records]
    from nlp.evaluate.metrics import compute_set_prf

    universe = set(known.values())
    linked = ev.build_symbol_sets(outputs, "cashtag")
    outside = sum(len(p - universe) for p in linked)
    prf = compute_set_prf(gold, [p & universe for p in linked])
    print(f"\n[twitter] {len(records)} texts with cashtags ({sum(map(len, gold))} gold cashtags in the gazetteer); "
          "cashtag method only, scored within the gazetteer's symbols")
    print(ev.format_table([ev.build_prf_row("method:cashtag", prf)], COLUMNS))
    print(f"({outside} linked cashtags are outside the gazetteer and not scored)")
    return {"twitter.cashtag.precision": prf.precision, "twitter.cashtag.recall": prf.recall}


def eval_seekingalpha(nlp, data_dir: Path) -> dict[str, float]:
    records = ev.load_seekingalpha_records(data_dir)
    if records is None:
        print(f"\n[seekingalpha] skipped: {ev.SEEKINGALPHA_FILE} not under {data_dir}")
        return {}
    outputs = run_tagger(nlp, records)
    result = ev.evaluate_tickers(records, outputs)
    print(f"\n[seekingalpha] {len(records)} item titles; weak gold (category tickers): recall is the figure")
    rows = [ev.build_prf_row(f"method:{m}", prf) for m, prf in result["by_method"].items()]
    rows.append(ev.build_prf_row("tickers (all methods)", result["overall"]))
    print(ev.format_table(rows, COLUMNS))
    return {"seekingalpha.recall": result["overall"].recall}


def load_baseline(path: Path) -> dict:
    if not path.is_file():
        return {"tolerance": DEFAULT_TOLERANCE, "floors": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def save_baseline(path: Path, figures: dict[str, float], tolerance: float) -> None:
    floors = {k: math.floor(v * 1000) / 1000 for k, v in sorted(figures.items())}
    path.write_text(json.dumps({"tolerance": tolerance, "floors": floors}, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {len(floors)} floors to {path}")


def main(argv=None) -> int:
    args = parse_args(argv)
    from nlp.tagging.gazetteer import load_gazetteer
    from nlp.tagging.pipeline import build_pipeline
    from nlp.tagging.themes import load_theme_cards

    sources = set(args.sources.split(","))
    started = time.perf_counter()
    nlp = build_pipeline(themes_dir=args.themes_dir)
    theme_ids = [c.id for c in load_theme_cards(args.themes_dir)]
    figures: dict[str, float] = {}
    if "dev" in sources:
        figures.update(eval_dev(nlp, args.dev, theme_ids, args.show_errors))
    if "twitter" in sources:
        figures.update(eval_twitter(nlp, args.data_dir, dict(load_gazetteer().symbols)))
    if "seekingalpha" in sources:
        figures.update(eval_seekingalpha(nlp, args.data_dir))
    print(f"\n({time.perf_counter() - started:.1f} s)")
    baseline = load_baseline(args.baseline)
    if args.update_baseline:
        save_baseline(args.baseline, figures, baseline.get("tolerance", DEFAULT_TOLERANCE))
        return 0
    failures = compute_floor_failures(figures, baseline.get("floors", {}), baseline.get("tolerance", DEFAULT_TOLERANCE))
    for failure in failures:
        print(f"REGRESSION: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except NarrativeError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(2)
