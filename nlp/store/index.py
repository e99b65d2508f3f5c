"""Theme aggregates: kept current from the extraction tables, read back fast for timelines.

`theme_aggregates` and `session_totals` hold counts per (theme, ticker, session, source). Each
aggregated article's counted state is kept in `index_articles`; a refresh subtracts the old state's
contribution and adds the new one (integer arithmetic, see nlp.index.contributions), so refreshing is
idempotent, a re-extracted article replaces its old contribution, and a batch costs O(batch).
"""

from __future__ import annotations

import json
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import sqlite_utils

from nlp.index.contributions import (
    CELL_FIELDS, ArticleState, build_article_state, compute_cell_deltas, format_state, parse_state,
)
from nlp.index.theme_index import INPUT_COLUMNS
from nlp.store.db import load_distinct_values, write_transaction

CHUNK = 2_000
UNDATED_FLAG = "missing"  # nlp.scrape.dates.FLAG_MISSING
MICROS = 1_000_000
_FIELDS = ", ".join(CELL_FIELDS)
_ADD = ", ".join(f"{f} = {f} + excluded.{f}" for f in CELL_FIELDS)
_UPSERT = {
    "theme_aggregates": f"""INSERT INTO theme_aggregates (theme, ticker, session_date, feed_id, {_FIELDS})
        VALUES (?, ?, ?, ?, {", ".join("?" * len(CELL_FIELDS))})
        ON CONFLICT (theme, ticker, session_date, feed_id) DO UPDATE SET {_ADD}""",
    "session_totals": f"""INSERT INTO session_totals (ticker, session_date, feed_id, {_FIELDS})
        VALUES (?, ?, ?, {", ".join("?" * len(CELL_FIELDS))})
        ON CONFLICT (ticker, session_date, feed_id) DO UPDATE SET {_ADD}""",
}
_DROP_EMPTY = {
    "theme_aggregates": "DELETE FROM theme_aggregates WHERE theme = ? AND ticker = ? AND session_date = ? AND feed_id = ? AND n_articles <= 0",
    "session_totals": "DELETE FROM session_totals WHERE ticker = ? AND session_date = ? AND feed_id = ? AND n_articles <= 0",
}


def refresh_theme_aggregates(db: sqlite_utils.Database, article_ids: Iterable[str]) -> int:
    """Bring the aggregates in line with the current extraction rows of these articles.

    Call it inside the batch's write transaction, after the extraction rows are written (or deleted).
    Returns the number of aggregate cells changed.
    """
    ids = list(dict.fromkeys(str(i) for i in article_ids))
    changed = 0
    with write_transaction(db):
        for chunk in _chunks(ids, CHUNK):
            old = _load_states(db, chunk)
            new = _read_extracted_states(db, chunk)
            deltas = compute_cell_deltas(old.values(), new.values())
            _apply_deltas(db, deltas)
            _save_states(db, chunk, new)
            changed += len(deltas)
    return changed


def rebuild_theme_aggregates(db: sqlite_utils.Database) -> int:
    """Recompute all aggregates from the extraction tables (after an upgrade or a bulk import)."""
    with write_transaction(db):
        for table in ("index_articles", "theme_aggregates", "session_totals"):
            db.execute(f"DELETE FROM {table}")
        ids = [row[0] for row in db.execute("SELECT article_id FROM article_extractions").fetchall()]
        for chunk in _chunks(ids, CHUNK):
            new = _read_extracted_states(db, chunk)
            _apply_deltas(db, compute_cell_deltas((), new.values()))
            _save_states(db, chunk, new)
    return len(ids)


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _ids_param(ids: Sequence[str]) -> list[str]:
    return [json.dumps(list(ids))]


_IN_IDS = "IN (SELECT value FROM json_each(?))"


def _load_states(db: sqlite_utils.Database, ids: Sequence[str]) -> dict[str, ArticleState]:
    rows = db.execute(f"SELECT article_id, session_date, feed_id, state FROM index_articles WHERE article_id {_IN_IDS}",
                      _ids_param(ids)).fetchall()
    return {row[0]: parse_state(row[1], row[2], row[3]) for row in rows}


def _read_extracted_states(db: sqlite_utils.Database, ids: Sequence[str]) -> dict[str, ArticleState]:
    """The state each extracted article should count with now.

    None for unextracted articles, and none for those the feed gave no date (scrape flag "missing":
    their stored date is the fetch time, which says when we saw them, not when the news broke).
    """
    from nlp.index.sessions import compute_session_isodates

    articles = db.execute(
        f"""SELECT a.id, COALESCE(a.published_utc, a.fetched_utc), a.feed_id, e.is_first_in_story,
            e.sentiment_label, e.sentiment_score
        FROM articles a JOIN article_extractions e ON e.article_id = a.id
        WHERE a.id {_IN_IDS} AND COALESCE(a.date_flags, '') NOT LIKE '%{UNDATED_FLAG}%'""",
        _ids_param(ids),
    ).fetchall()
    themes: dict[str, list[str]] = {}
    for article_id, theme in db.execute(f"SELECT article_id, theme FROM article_themes WHERE article_id {_IN_IDS}", _ids_param(ids)):
        themes.setdefault(article_id, []).append(theme)
    tickers: dict[str, list[tuple]] = {}
    for row in db.execute(f"SELECT article_id, symbol, sentiment_label, sentiment_score FROM article_tickers WHERE article_id {_IN_IDS}",
                          _ids_param(ids)):
        tickers.setdefault(row[0], []).append(row[1:])
    sessions = compute_session_isodates([row[1] for row in articles])
    return {
        row[0]: build_article_state(day, row[2], row[3], row[4], row[5], themes.get(row[0], ()), tickers.get(row[0], ()))
        for row, day in zip(articles, sessions) if day
    }


def _apply_deltas(db: sqlite_utils.Database, deltas: dict) -> None:
    themed = [(*key, *values) for key, values in deltas.items() if key[0]]
    totals = [(*key[1:], *values) for key, values in deltas.items() if not key[0]]
    for table, rows, key_width in (("theme_aggregates", themed, 4), ("session_totals", totals, 3)):
        if rows:
            db.conn.executemany(_UPSERT[table], rows)
            db.conn.executemany(_DROP_EMPTY[table], [row[:key_width] for row in rows])


def _save_states(db: sqlite_utils.Database, ids: Sequence[str], states: dict[str, ArticleState]) -> None:
    db.execute(f"DELETE FROM index_articles WHERE article_id {_IN_IDS}", _ids_param(ids))
    db.conn.executemany(
        "INSERT INTO index_articles (article_id, session_date, feed_id, state) VALUES (?, ?, ?, ?)",
        [(article_id, s.session_date, s.feed_id, format_state(s)) for article_id, s in states.items()],
    )


# ---- reads -------------------------------------------------------------------------------------


def load_theme_cells(
    db: sqlite_utils.Database, theme: str, ticker: str | None = None, start: str | None = None,
    end: str | None = None,
) -> pd.DataFrame:
    """The input of `compute_theme_index`: three primary-key range scans, no join and no sort.

    Rows: per (session, source) all articles (in `total_articles`) and the theme's articles (in
    `n_articles`), as separate rows that the index sums; plus one row per session without a source
    carrying the tone counts. With a ticker: the ticker's articles on the theme, of the ticker's articles.
    """
    params = {"theme": theme, "ticker": (ticker or "").upper(), "lo": start or "0000", "hi": end or "9999"}
    in_range = "session_date BETWEEN :lo AND :hi"
    totals = _frame(db, f"SELECT session_date, feed_id, n_articles AS total_articles FROM session_totals "
                        f"WHERE ticker = :ticker AND {in_range}", params)
    counts = _frame(db, f"SELECT session_date, feed_id, n_articles FROM theme_aggregates "
                        f"WHERE theme = :theme AND ticker = :ticker AND {in_range}", params)
    tone = _frame(db, f"""SELECT session_date, SUM(n_novel) AS n_novel, SUM(n_positive) AS n_positive,
            SUM(n_negative) AS n_negative, SUM(n_neutral) AS n_neutral,
            SUM(sentiment_micros) / {MICROS}.0 AS sentiment_sum, SUM(sentiment_n) AS sentiment_n
        FROM theme_aggregates WHERE theme = :theme AND ticker = :ticker AND {in_range}
        GROUP BY session_date""", params)
    cells = pd.concat([totals, counts, tone.assign(feed_id=np.nan)], ignore_index=True)
    zeros = {c: 0 for c in INPUT_COLUMNS if c not in ("session_date", "feed_id")}
    return cells.reindex(columns=list(INPUT_COLUMNS)).fillna(zeros)


def _frame(db: sqlite_utils.Database, sql: str, params: dict | list | None = None) -> pd.DataFrame:
    cursor = db.execute(sql, params or [])
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    if not rows:
        return pd.DataFrame(columns=columns)
    # Column-wise numpy arrays: several times faster than DataFrame.from_records on wide reads.
    return pd.DataFrame({name: np.asarray(values) for name, values in zip(columns, zip(*rows))})


def load_known_themes(db: sqlite_utils.Database) -> list[str]:
    """Themes with aggregates, by index seeks."""
    return load_distinct_values(db, "theme_aggregates", "theme")


def load_ticker_theme_counts(
    db: sqlite_utils.Database, theme: str, start: str | None = None, end: str | None = None
) -> pd.DataFrame:
    """(session_date, ticker, n_articles) for the tickers of articles tagged with the theme."""
    return _frame(
        db,
        """SELECT session_date, ticker, SUM(n_articles) AS n_articles FROM theme_aggregates
        WHERE theme = :theme AND ticker > '' AND session_date BETWEEN :lo AND :hi
        GROUP BY session_date, ticker""",
        {"theme": theme, "lo": start or "0000", "hi": end or "9999"},
    )


def load_top_tickers(db: sqlite_utils.Database, theme: str, limit: int = 10) -> pd.DataFrame:
    """The tickers most often in the theme's articles, with their count and mean sentiment."""
    return _frame(
        db,
        f"""SELECT ticker, SUM(n_articles) AS n_articles, TOTAL(sentiment_micros) / {MICROS}.0 / NULLIF(SUM(sentiment_n), 0)
            AS mean_sentiment FROM theme_aggregates WHERE theme = :theme AND ticker > ''
        GROUP BY ticker ORDER BY n_articles DESC, ticker LIMIT :limit""",
        {"theme": theme, "limit": int(limit)},
    )


def load_session_articles(
    db: sqlite_utils.Database, theme: str, sessions: Sequence[str], per_session: int = 5
) -> pd.DataFrame:
    """The theme's top-scored articles in each given session: the evidence behind a spike."""
    return _frame(
        db,
        """SELECT * FROM (
            SELECT s.session_date, a.id AS article_id, a.title, a.url, a.published_utc,
                f.title AS source, t.score, e.sentiment_label, e.sentiment_score,
                ROW_NUMBER() OVER (PARTITION BY s.session_date ORDER BY t.score DESC, a.id) AS rank
            FROM index_articles s JOIN article_themes t ON t.article_id = s.article_id AND t.theme = :theme
            JOIN articles a ON a.id = s.article_id LEFT JOIN feeds f ON f.id = a.feed_id
            LEFT JOIN article_extractions e ON e.article_id = s.article_id
            WHERE s.session_date IN (SELECT value FROM json_each(:dates)))
        WHERE rank <= :limit ORDER BY session_date, rank""",
        {"theme": theme, "dates": json.dumps(list(sessions)), "limit": int(per_session)},
    )


def load_recent_sessions(db: sqlite_utils.Database, count: int) -> list[str]:
    """The last `count` sessions with any extracted article, newest first."""
    rows = db.execute(
        "SELECT DISTINCT session_date FROM session_totals WHERE ticker = '' ORDER BY session_date DESC LIMIT ?",
        [int(count)],
    ).fetchall()
    return [row[0] for row in rows]


def latest_theme_levels(db: sqlite_utils.Database, sessions: int = 5) -> pd.DataFrame:
    """Each theme's share of articles over the last `sessions` sessions and its change from the
    `sessions` before (columns of `nlp.index.levels.compute_theme_levels`)."""
    from nlp.index.levels import compute_theme_levels

    recent = load_recent_sessions(db, 2 * sessions)
    params = {"dates": json.dumps(recent)}
    themes = _frame(
        db,
        """SELECT theme, session_date, SUM(n_articles) AS n_articles, SUM(n_positive) AS n_positive,
            SUM(n_negative) AS n_negative FROM theme_aggregates
        WHERE ticker = '' AND session_date IN (SELECT value FROM json_each(:dates))
        GROUP BY theme, session_date""",
        params,
    )
    totals = _frame(
        db,
        """SELECT session_date, SUM(n_articles) AS total_articles FROM session_totals
        WHERE ticker = '' AND session_date IN (SELECT value FROM json_each(:dates)) GROUP BY session_date""",
        params,
    )
    return compute_theme_levels(themes, totals, recent, sessions)


def index_needs_rebuild(db: sqlite_utils.Database) -> bool:
    """True when articles are extracted but none is aggregated (an upgrade, or a bulk import)."""
    aggregated = db.execute("SELECT 1 FROM index_articles LIMIT 1").fetchone()
    extracted = db.execute("SELECT 1 FROM article_extractions LIMIT 1").fetchone()
    return bool(extracted) and not aggregated
