"""Opening a database: pragmas for safe concurrent use, then the schema's migrations."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlite_utils

from nlp.errors import NarrativeError

BUSY_TIMEOUT_MS = 30_000


def open_db(path: str | Path | None = None, *, migrate: bool = True, memory: bool = False) -> sqlite_utils.Database:
    """Open (creating if needed) a narrative database with WAL, busy_timeout and foreign keys on.

    `path=":memory:"` or `memory=True` gives an in-memory database (tests).
    """
    from nlp.settings import default_db_path
    from nlp.store.migrations import migrations

    in_memory = memory or str(path) == ":memory:"
    try:
        db = sqlite_utils.Database(memory=True) if in_memory else _open_file(Path(path or default_db_path()))
        _set_pragmas(db, wal=not in_memory)
        if migrate:
            migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        raise NarrativeError(f"cannot open database {path}: {exc}") from exc
    return db


def _open_file(path: Path) -> sqlite_utils.Database:
    if path.parent and not path.parent.exists():
        raise NarrativeError(f"database folder does not exist: {path.parent}")
    if path.is_dir():
        raise NarrativeError(f"{path} is a folder, not a database file")
    try:
        if path.exists() and path.stat().st_size and not _looks_like_sqlite(path):
            raise NarrativeError(f"not a SQLite database: {path}")
    except OSError as exc:
        raise NarrativeError(f"cannot read database {path}: {exc.strerror or exc}") from exc
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    return sqlite_utils.Database(conn)


def _looks_like_sqlite(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(16) == b"SQLite format 3\x00"


def _set_pragmas(db: sqlite_utils.Database, *, wal: bool) -> None:
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    if wal and db.journal_mode != "wal":
        db.enable_wal()
    # NORMAL is durable across application crashes in WAL mode and much faster than FULL.
    db.execute("PRAGMA synchronous = NORMAL")


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A short write transaction that takes the write lock up front (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes can fail with "database is locked" under
    concurrent writers without waiting; IMMEDIATE makes it wait on busy_timeout instead.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.execute("COMMIT")


def load_distinct_values(db: sqlite_utils.Database, table: str, column: str) -> list:
    """Distinct values of an indexed leading column by index seeks (a skip scan), not a full scan.

    `table` and `column` are the store's own constants, never user input.
    """
    rows = db.execute(
        f"""WITH RECURSIVE v(x) AS (
            SELECT MIN({column}) FROM {table}
            UNION ALL SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > v.x) FROM v
            WHERE v.x IS NOT NULL)
        SELECT x FROM v WHERE x IS NOT NULL"""
    ).fetchall()
    return [row[0] for row in rows]
