"""Issue 8: crash safety of `narrative scrape`.

- kill -9 in the middle of a run (between feeds, and inside a feed's write transaction), then run
  again: the database is intact and holds exactly what one uninterrupted run stores;
- a read-only database and a full disk end in one `Error:` line and exit 2, with nothing lost.
"""

from __future__ import annotations

import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from faultserver import FaultServer, Reply, build_rss, check_integrity

from nlp.scrape.scraper import scrape_feeds
from nlp.store import open_db

REPO = Path(__file__).resolve().parent.parent
FEEDS, ITEMS = 24, 15
BLOCKED_FEED = 12  # the first run's request for this feed waits until the test has killed the child
CLI = f"import sys; sys.path.insert(0, {str(REPO)!r}); from nlp.cli import main; sys.argv[0] = 'narrative'; main()"
# Parks inside save_articles' write transaction, after `rows` rows of the run are written but not committed.
PARK_IN_TRANSACTION = textwrap.dedent(f"""
    import sys, time
    sys.path.insert(0, {str(REPO)!r})
    import nlp.store.articles as store
    original, calls, rows = store._save_one, [], int(sys.argv.pop(1))
    def save_one(*args, **kwargs):
        outcome = original(*args, **kwargs)
        calls.append(outcome)
        if len(calls) == rows:
            print("PARKED", flush=True)
            time.sleep(120)
        return outcome
    store._save_one = save_one
    from nlp.cli import main
    sys.argv[0] = "narrative"
    main()
""")
# A read-only database as SQLite sees one (works for root too, whom file modes do not stop).
READ_ONLY = textwrap.dedent(f"""
    import sqlite3, sys
    sys.path.insert(0, {str(REPO)!r})
    connect = sqlite3.connect
    sqlite3.connect = lambda database, *a, **kw: connect(f"file:{{database}}?mode=ro", *a, **{{**kw, "uri": True}})
    from nlp.cli import main
    sys.argv[0] = "narrative"
    main()
""")


def feed_body(k: int) -> bytes:
    items = [(f"Feed {k} story {i}", f"http://example.com/f{k}/{i}",
              f"Story {i} of feed {k}: the utility said demand from data centers grew again this quarter.")
             for i in range(ITEMS)]
    return build_rss(f"Feed {k}", items)


@pytest.fixture(scope="module")
def server():
    with FaultServer(lifetime=300) as srv:
        for k in range(FEEDS):
            srv.routes[f"/feed{k}.xml"] = _route(srv, k)
        yield srv


@pytest.fixture
def site(server):
    """FEEDS feeds on a local server; `site.block` holds BLOCKED_FEED's answer while it is set."""
    server.block, server.released = threading.Event(), threading.Event()
    server.forget_requests()
    yield server
    server.released.set()


@pytest.fixture(scope="module")
def reference(server, tmp_path_factory) -> list[tuple]:
    """The articles one uninterrupted run stores."""
    path = tmp_path_factory.mktemp("reference") / "reference.db"
    db = open_db(path)
    summary = scrape_feeds(db, feed_urls(server))
    db.conn.close()
    assert summary.feeds_failed == 0 and summary.articles.new == FEEDS * ITEMS
    return article_state(path)


def _route(server, k):
    def answer(_headers):
        if k == BLOCKED_FEED and getattr(server, "block", None) and server.block.is_set():
            server.released.wait(30)
        return Reply(200, feed_body(k))
    return answer


def feed_urls(server) -> list[str]:
    return [server.url(f"/feed{k}.xml") for k in range(FEEDS)]


def article_state(db_path: Path) -> list[tuple]:
    """What must match an uninterrupted run: every article's identity and content (not fetch times)."""
    conn = sqlite3.connect(str(db_path))
    try:
        return conn.execute(
            "SELECT a.id, f.url, a.guid, a.url, a.title, a.summary, a.published_utc, a.content_hash "
            "FROM articles a JOIN feeds f ON f.id = a.feed_id ORDER BY a.id").fetchall()
    finally:
        conn.close()


def count_articles(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    conn = sqlite3.connect(str(db_path), timeout=5)
    try:
        return conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:  # no tables yet
        return 0
    finally:
        conn.close()


def run_cli(code: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, **kwargs)


def wait_for(condition, what: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def assert_rerun_completes_exactly(server, db_path: Path, reference: list[tuple]) -> None:
    assert check_integrity(db_path) == "ok"  # before anything repairs it: the killed run left it sound
    rerun = run_cli(CLI, "--db", str(db_path), "scrape", *feed_urls(server))
    assert rerun.returncode == 0, rerun.stderr
    assert check_integrity(db_path) == "ok"
    assert article_state(db_path) == reference


def test_kill_9_between_feeds_then_rerun_stores_exactly_one_run(site, reference, tmp_path):
    db_path = tmp_path / "n.db"
    site.block.set()
    child = subprocess.Popen([sys.executable, "-c", CLI, "--db", str(db_path), "scrape", *feed_urls(site)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: site.hits(f"/feed{BLOCKED_FEED}.xml") and count_articles(db_path) > 0,
                 "the child to be mid-run")
        stored_before_kill = count_articles(db_path)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    site.block.clear()
    site.released.set()
    assert child.returncode == -signal.SIGKILL
    assert 0 < stored_before_kill < FEEDS * ITEMS  # really mid-run: some feeds stored, others not
    assert_rerun_completes_exactly(site, db_path, reference)


def test_kill_9_inside_a_write_transaction_then_rerun_stores_exactly_one_run(site, reference, tmp_path):
    db_path = tmp_path / "n.db"
    parked_at = 2 * ITEMS + ITEMS // 2  # halfway through the third feed's transaction
    child = subprocess.Popen([sys.executable, "-c", PARK_IN_TRANSACTION, str(parked_at), "--db", str(db_path),
                              "scrape", "--concurrency", "4", *feed_urls(site)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "PARKED", child.stderr.read()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert count_articles(db_path) == 2 * ITEMS  # the open transaction left nothing behind
    assert_rerun_completes_exactly(site, db_path, reference)


def seeded_db(site, tmp_path: Path) -> tuple[Path, list[tuple]]:
    db_path = tmp_path / "n.db"
    db = open_db(db_path)
    assert scrape_feeds(db, feed_urls(site)[:2]).articles.new == 2 * ITEMS
    db.conn.close()
    return db_path, article_state(db_path)


def assert_one_error_line(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr


def test_read_only_database_is_one_clear_error(site, tmp_path):
    db_path, before = seeded_db(site, tmp_path)
    db_path.chmod(stat.S_IRUSR | stat.S_IRGRP)  # also read-only by mode, for users other than root
    try:
        result = run_cli(READ_ONLY, "--db", str(db_path), "scrape", *feed_urls(site))
    finally:
        db_path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert_one_error_line(result)
    assert "readonly" in result.stderr or "read-only" in result.stderr
    assert article_state(db_path) == before and check_integrity(db_path) == "ok"


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs POSIX file-size limits")
def test_full_disk_is_one_clear_error_and_loses_nothing(site, tmp_path):
    import resource

    db_path, before = seeded_db(site, tmp_path)
    room = sum(p.stat().st_size for p in tmp_path.glob("n.db*")) + 32 * 1024

    def disk_nearly_full() -> None:  # in the child: writes past `room` bytes fail as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

    result = run_cli(CLI, "--db", str(db_path), "scrape", *feed_urls(site), preexec_fn=disk_nearly_full)
    assert_one_error_line(result)
    assert article_state(db_path) == before and check_integrity(db_path) == "ok"
