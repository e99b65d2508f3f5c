"""Concurrency soak: scrape, extract and timeline queries at once on one database (issue 8).

    python scripts/soak.py                 # 120 s
    python scripts/soak.py --seconds 30 --db /tmp/soak.db

Three processes share one database file for the given time:
- scrape: scrapes local feeds (the bundled sample's stories, served on 127.0.0.1, new items on every
  request) again and again, so it writes all the time;
- extract: runs `nlp.extract` (rules only, no model) on whatever is pending;
- query: timelines of every theme, full-text search and recent articles, over and over.
It prints, per process, operations done, errors, the slowest operation, and the count of
"database is locked" errors; then PRAGMA integrity_check. Exit 1 on any error (a lock is one).
"""

from __future__ import annotations

import argparse
import multiprocessing
import sqlite3
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO)]

MAX_SECONDS = 600
FEEDS = 4
ITEMS_PER_REQUEST = 8
THEMES = ("blue_collar_ai", "reshoring", "regulatory_risk", "ai_capex", "power_demand", "monetary_policy",
          "market_rotation", "capital_markets")


# --- feeds that never run dry -------------------------------------------------------------------


def load_sample_stories() -> list[tuple[str, str, str, str]]:
    """(title, link, summary, published) of every story in the bundled sample feeds."""
    import feedparser

    stories = []
    for path in sorted((REPO / "corpora" / "sample").glob("*.xml")):
        for entry in feedparser.parse(path.read_bytes()).entries:
            stories.append((entry.get("title", ""), entry.get("link", ""), entry.get("summary", ""),
                            entry.get("published", "")))
    if not stories:
        raise SystemExit("no sample stories under corpora/sample")
    return stories


def build_round_feed(stories: list, feed: int, round_no: int) -> bytes:
    """ITEMS_PER_REQUEST stories, new links and text each round, so every scrape writes rows."""
    items = []
    for i in range(ITEMS_PER_REQUEST):
        title, link, summary, published = stories[(round_no * ITEMS_PER_REQUEST * FEEDS + feed * ITEMS_PER_REQUEST + i)
                                                  % len(stories)]
        items.append(f"<item><title>{escape(title)}</title><link>{escape(link)}?soak={feed}-{round_no}</link>"
                     f"<description>{escape(summary)} (soak round {round_no})</description>"
                     f"<pubDate>{escape(published)}</pubDate></item>")
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Soak {feed}</title>'
            f"<link>http://example.com/</link>{''.join(items)}</channel></rss>").encode()


def start_server(lifetime: float):
    from faultserver import FaultServer, Reply

    stories, rounds, lock = load_sample_stories(), Counter(), threading.Lock()
    server = FaultServer(lifetime=lifetime)

    def route(feed: int):
        def answer(_headers):
            with lock:
                rounds[feed] += 1
                round_no = rounds[feed]
            return Reply(200, build_round_feed(stories, feed, round_no))
        return answer

    for feed in range(FEEDS):
        server.routes[f"/soak{feed}.xml"] = route(feed)
    return server.__enter__()


# --- the workers (each in its own process, with its own connection) ---------------------------


def scrape_once(db, urls):
    from nlp.scrape.scraper import scrape_feeds

    summary = scrape_feeds(db, urls, concurrency=FEEDS)
    if summary.feeds_failed:
        raise RuntimeError("; ".join(f"{f.status}: {f.message}" for f in summary.failures))
    return summary.articles.new


def extract_once(db, _urls):
    from nlp.extract.runner import extract

    summary = extract(db, use_model=False, batch_size=16, limit=64, device="cpu")  # bounded ops
    if not summary.n_articles:
        time.sleep(0.2)  # nothing pending yet
    return summary.n_articles


def query_once(db, _urls, _state={"i": 0}):
    from nlp.index.timeline import load_timeline
    from nlp.store.articles import iter_recent_articles, search_articles

    _state["i"] += 1
    theme = THEMES[_state["i"] % len(THEMES)]
    rows = len(load_timeline(db, theme, "W"))
    rows += len(search_articles(db, "rates demand", 10)) + len(list(iter_recent_articles(db, 20)))
    return rows


def warm_up(name: str) -> None:
    """Imports and the tagging pipeline before the clock starts: the soak measures the database."""
    import nlp.scrape.scraper  # noqa: F401
    import nlp.store.articles  # noqa: F401

    if name == "extract":
        from nlp.tagging.pipeline import build_pipeline

        build_pipeline()
    if name == "query":
        import nlp.index.timeline  # noqa: F401


WORKERS = {"scrape": scrape_once, "extract": extract_once, "query": query_once}


def run_worker(name: str, db_path: str, urls: list[str], seconds: float, ready, go, results) -> None:
    from nlp.store import open_db

    ops, done, errors, locked, slowest = 0, 0, Counter(), 0, 0.0
    warm_up(name)
    db = open_db(db_path)
    step = WORKERS[name]
    ready.release()
    go.wait()
    deadline = time.time() + seconds
    while time.time() < deadline:
        started = time.perf_counter()
        try:
            done += step(db, urls) or 0
            ops += 1
        except Exception as exc:  # noqa: BLE001 - a soak counts every failure, it does not stop at one
            text = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            locked += "database is locked" in text
            errors[text] += 1
            if sum(errors.values()) == 1:
                traceback.print_exc()
            time.sleep(0.1)
        slowest = max(slowest, time.perf_counter() - started)
    db.conn.close()
    results.put({"worker": name, "ops": ops, "items": done, "errors": dict(errors), "locked": locked, "slowest": slowest})


# --- the parent --------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help=f"how long (at most {MAX_SECONDS})")
    parser.add_argument("--db", type=Path, default=None, help="database file (default: a temporary one)")
    args = parser.parse_args(argv)
    seconds = min(max(args.seconds, 1.0), MAX_SECONDS)
    with tempfile.TemporaryDirectory(prefix="narrative-soak-") as folder:
        db_path = args.db or Path(folder) / "soak.db"
        return soak(db_path, seconds)


def soak(db_path: Path, seconds: float) -> int:
    from nlp.store import open_db

    open_db(db_path).conn.close()  # migrations once, before the workers race for them
    server = start_server(lifetime=seconds + 120)
    try:
        urls = [server.url(f"/soak{feed}.xml") for feed in range(FEEDS)]
        context = multiprocessing.get_context("spawn")
        results, ready, go = context.Queue(), context.Semaphore(0), context.Event()
        workers = [context.Process(target=run_worker, args=(name, str(db_path), urls, seconds, ready, go, results))
                   for name in WORKERS]
        for worker in workers:
            worker.start()
        for _ in workers:
            if not ready.acquire(timeout=300):
                raise SystemExit("a worker did not start within 300 s")
        go.set()  # all together, from now on
        reports = [results.get(timeout=seconds + 600) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
    finally:
        server.close()
    return print_report(reports, db_path, seconds)


def print_report(reports: list[dict], db_path: Path, seconds: float) -> int:
    print(f"soak: {seconds:g}s of scrape + extract + query on one database ({db_path.name})")
    print(f"{'worker':8} | {'ops':>6} | {'rows':>7} | {'errors':>6} | {'locked':>6} | slowest op")
    for report in sorted(reports, key=lambda r: r["worker"]):
        print(f"{report['worker']:8} | {report['ops']:>6} | {report['items']:>7} | {sum(report['errors'].values()):>6} | "
              f"{report['locked']:>6} | {report['slowest']:.2f}s")
        for text, count in report["errors"].items():
            print(f"    {count} x {text}")
    conn = sqlite3.connect(str(db_path))
    integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    articles = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    conn.close()
    print(f"integrity_check: {'; '.join(integrity)}; articles stored: {articles}")
    failed = any(r["errors"] or r["locked"] for r in reports) or integrity != ["ok"] or any(r["ops"] == 0 for r in reports)
    print("FAIL" if failed else "ok: no errors, no 'database is locked'")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
