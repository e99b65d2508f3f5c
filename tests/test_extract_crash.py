"""Resume after kill -9, and extraction while another process scrapes into the same database file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from test_extract import LABEL_TABLES, FakeTagger, article_row, insert_articles, table_rows

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent
COMPARED = ("article_extractions", *LABEL_TABLES, "article_signatures", "signature_bands")

# The child runs extract and parks itself at the chosen point of its third batch, so the parent
# can kill it there: inside the open write transaction, or while the batch is being tagged.
CHILD = textwrap.dedent(
    """
    import sys, time
    sys.path[:0] = [{tests!r}, {repo!r}]
    from test_extract import FakeTagger
    from nlp.store import open_db
    from nlp.store import extraction as store
    from nlp.extract.runner import extract

    def park():
        print("PARKED", flush=True)
        time.sleep(120)

    tagger = FakeTagger()
    if {where!r} == "in_transaction":
        original, seen = store.save_run_counts, []
        def save_run_counts(db, run_id, counts):
            original(db, run_id, counts)
            seen.append(1)
            if len(seen) == 3:
                park()
        store.save_run_counts = save_run_counts
    else:
        tag = tagger.tag
        def slow_tag(items):
            if len(tagger.calls) == 2:
                park()
            return tag(items)
        tagger.tag = slow_tag
    extract(open_db({db!r}), tagger=tagger, batch_size=3)
    print("FINISHED", flush=True)
    """
)


def corpus() -> list[dict]:
    base = ("Caterpillar will build a new engine plant in Ohio, adding 800 jobs, as the company leans on tax "
            "credits for domestic manufacturing and the reshoring trend in heavy industry. $CAT")
    rows = [article_row(i) for i in range(16)]
    rows += [article_row(20 + i, base + f" Update {'x' * i}.", f"2026-01-0{1 + i % 3}T10:00:00Z") for i in range(5)]
    return rows


def make_db(path: Path):
    from nlp.store import open_db

    db = open_db(path)
    insert_articles(db, corpus())
    return db


def snapshot(db) -> dict:
    return {t: table_rows(db, t) for t in COMPARED}


def run_child_until_parked(db_path: Path, where: str) -> subprocess.Popen:
    code = CHILD.format(tests=str(TESTS_DIR), repo=str(REPO), where=where, db=str(db_path))
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    if line.strip() != "PARKED":
        child.kill()
        pytest.fail(f"child did not park: {line!r} {child.stderr.read()}")
    return child


@pytest.mark.parametrize("where", ["in_transaction", "while_tagging"])
def test_kill_9_mid_run_then_rerun_equals_an_uninterrupted_run(tmp_path, where):
    from nlp.extract.runner import extract

    reference = make_db(tmp_path / "reference.db")
    extract(reference, tagger=FakeTagger(), batch_size=5)

    crashed_path = tmp_path / "crashed.db"
    make_db(crashed_path).conn.close()
    child = run_child_until_parked(crashed_path, where)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    child.stderr.close()

    from nlp.store import open_db

    db = open_db(crashed_path)
    assert db["article_extractions"].count == 6  # the two committed batches, nothing of the third
    tagger = FakeTagger()
    summary = extract(db, tagger=tagger, batch_size=4)
    assert summary.n_articles == len(corpus()) - 6
    assert not set(sum(tagger.calls, [])) & {r["article_id"] for r in db["article_extractions"].rows_where("run_id = 1")}
    assert snapshot(db) == snapshot(reference)
    for table in LABEL_TABLES:
        assert len(table_rows(db, table)) == len(set(table_rows(db, table)))
    killed = db["extraction_runs"].get(1)
    assert killed["status"] == "interrupted" and killed["n_articles"] == 6


SCRAPER = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [{repo!r}]
    import nlp
    print("STARTED", flush=True)
    summary = nlp.scrape(feeds_file="corpora/sample/feeds.yaml", db={db!r})
    print(summary.line(), flush=True)
    """
)


def test_extract_while_scrape_writes_the_same_database(tmp_path):
    """The real scraper (bundled sample feeds, local files) in one process, extract in this one."""
    from nlp.extract.runner import extract
    from nlp.store import open_db

    path = tmp_path / "shared.db"
    db = make_db(path)
    code = SCRAPER.format(repo=str(REPO), db=str(path))
    scraper = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    assert scraper.stdout.readline().strip() == "STARTED"
    rounds = 0
    while scraper.poll() is None:
        extract(db, tagger=FakeTagger(), batch_size=8)
        rounds += 1
    out, err = scraper.communicate(timeout=120)
    assert scraper.returncode == 0, err
    assert "locked" not in err + out and "0 failed" in out
    extract(db, tagger=FakeTagger(), batch_size=8)
    reader = open_db(path)
    assert rounds >= 2
    assert reader["articles"].count > len(corpus()) + 500
    assert reader["article_extractions"].count == reader["articles"].count
    assert {r["status"] for r in reader["extraction_runs"].rows} == {"completed"}
    mentions = table_rows(reader, "mentions")
    assert len(mentions) == len(set(mentions))
