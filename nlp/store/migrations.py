"""The one owner of the schema: ordered, append-only migrations.

Never edit an applied migration; add a new function at the end. Dates are ISO 8601 strings in UTC
("2026-01-02T14:30:00Z"), so they sort and compare as text.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("narrative")


@migrations()
def m001_feeds_fetches_articles(db: Database) -> None:
    db["feeds"].create(
        {
            "id": int, "url": str, "title": str, "site": str, "etag": str, "last_modified": str,
            "last_fetched_utc": str, "last_status": str, "last_error": str, "added_utc": str,
        },
        pk="id", not_null={"url"},
    )
    db["feeds"].create_index(["url"], unique=True)
    db["fetches"].create(
        {
            "id": int, "feed_id": int, "url": str, "started_utc": str, "ended_utc": str,
            "http_status": int, "bytes": int, "attempt": int, "error_class": str, "error_message": str,
            "items_seen": int, "items_new": int, "items_updated": int, "items_duplicate": int,
        },
        pk="id", foreign_keys=[("feed_id", "feeds", "id")],
    )
    db["fetches"].create_index(["feed_id", "started_utc"])
    _create_articles(db)


def _create_articles(db: Database) -> None:
    db["articles"].create(
        {
            "id": str, "feed_id": int, "guid": str, "url": str, "title": str, "summary": str,
            "text": str, "author": str, "published_utc": str, "fetched_utc": str, "updated_utc": str,
            "date_flags": str, "content_hash": str, "language": str, "text_source": str,
        },
        pk="id", not_null={"fetched_utc"}, foreign_keys=[("feed_id", "feeds", "id")],
    )
    db["articles"].create_index(["url"])
    db["articles"].create_index(["guid"])
    db["articles"].create_index(["content_hash"])
    db["articles"].create_index(["published_utc"])
    db["articles"].enable_fts(["title", "summary", "text"], create_triggers=True, tokenize="porter")


@migrations()
def m002_extraction(db: Database) -> None:
    db["extraction_runs"].create(
        {
            "id": int, "pipeline_version": str, "model_name": str, "model_digest": str, "config": str,
            "device": str, "started_utc": str, "ended_utc": str, "status": str,
            "n_articles": int, "n_mentions": int, "n_themes": int,
        },
        pk="id",
    )
    article_fk = [("article_id", "articles", "id"), ("run_id", "extraction_runs", "id")]
    # One row per extracted article: the marker that makes extraction incremental.
    db["article_extractions"].create(
        {
            "article_id": str, "run_id": int, "pipeline_version": str, "extracted_utc": str,
            "sentiment_label": str, "sentiment_score": float, "p_negative": float,
            "p_neutral": float, "p_positive": float, "story_id": str, "is_first_in_story": int,
        },
        pk="article_id", foreign_keys=article_fk,
    )
    db["mentions"].create(
        {
            "id": int, "article_id": str, "run_id": int, "symbol": str, "start": int, "end": int,
            "text": str, "method": str, "confidence": float,
        },
        pk="id", foreign_keys=article_fk,
    )
    db["mentions"].create_index(["article_id"])
    db["mentions"].create_index(["symbol"])
    db["article_tickers"].create(
        {
            "article_id": str, "symbol": str, "run_id": int, "n_mentions": int, "relevance": float,
            "first_position": float, "sentence_share": float, "sentiment_label": str,
            "sentiment_score": float,
        },
        pk=("article_id", "symbol"), foreign_keys=article_fk,
    )
    db["article_tickers"].create_index(["symbol"])
    db["article_themes"].create(
        {
            "article_id": str, "theme": str, "run_id": int, "score": float, "rule_score": float,
            "model_score": float,
        },
        pk=("article_id", "theme"), foreign_keys=article_fk,
    )
    db["article_themes"].create_index(["theme"])
    db["evidence"].create(
        {
            "id": int, "article_id": str, "run_id": int, "kind": str, "label": str, "start": int,
            "end": int, "text": str, "method": str,
        },
        pk="id", foreign_keys=article_fk,
    )
    db["evidence"].create_index(["article_id"])


@migrations()
def m003_human_labels(db: Database) -> None:
    # Human corrections are their own source: extraction never writes here, exports prefer them.
    db["human_labels"].create(
        {
            "article_id": str, "kind": str, "value": str, "source": str, "annotator": str,
            "imported_utc": str,
        },
        pk=("article_id", "kind"), foreign_keys=[("article_id", "articles", "id")],
    )


@migrations()
def m004_extraction_stories(db: Database) -> None:
    # The article's content stamp (content hash and text source, see nlp/store/extraction.py) at
    # extraction time: an article whose text changed is extracted again.
    db["article_extractions"].add_column("content_hash", str)
    # Why a run ended badly, and which process ran it (a 'running' run whose process is gone
    # was killed: the next run marks it 'interrupted').
    db["extraction_runs"].add_column("error", str)
    db["extraction_runs"].add_column("pid", int)
    db["extraction_runs"].add_column("n_evidence", int)
    db["extraction_runs"].add_column("n_batches", int)
    # MinHash signature per article, and its story (independent of the pipeline version).
    db["article_signatures"].create(
        {
            "article_id": str, "text_hash": str, "published_utc": str, "signature": bytes,
            "story_id": str, "is_first_in_story": int,
        },
        pk="article_id", foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_signatures"].create_index(["story_id"])
    # LSH band keys: articles sharing a key are near-duplicate candidates.
    db["signature_bands"].create(
        {"bucket": int, "article_id": str},
        pk=("bucket", "article_id"), foreign_keys=[("article_id", "articles", "id")],
    )
    db["signature_bands"].create_index(["article_id"])


_THEME_COUNT_COLUMNS = (
    "n_articles INTEGER NOT NULL, n_novel INTEGER NOT NULL, n_positive INTEGER NOT NULL, "
    "n_negative INTEGER NOT NULL, n_neutral INTEGER NOT NULL, sentiment_sum REAL NOT NULL, "
    "sentiment_n INTEGER NOT NULL"
)


@migrations()
def m005_theme_index_and_prices(db: Database) -> None:
    # Derived caches of the extraction tables (refresh_theme_aggregates keeps them current, a rebuild
    # recomputes them), so no foreign keys: they must never block deleting or re-extracting articles.
    # The trading session an aggregated article was counted in, so a re-extraction can find its old cell.
    db.execute(
        "CREATE TABLE article_sessions (article_id TEXT PRIMARY KEY, session_date TEXT NOT NULL, "
        "feed_id INTEGER NOT NULL) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX idx_article_sessions_session ON article_sessions (session_date)")
    # Counts per theme x ticker ('' = all articles of the theme) x session x source; the primary key
    # order serves a timeline (theme, ticker, date range) as one range scan.
    db.execute(
        f"CREATE TABLE theme_aggregates (theme TEXT NOT NULL, ticker TEXT NOT NULL, session_date TEXT NOT NULL, "
        f"feed_id INTEGER NOT NULL, {_THEME_COUNT_COLUMNS}, "
        f"PRIMARY KEY (theme, ticker, session_date, feed_id)) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX idx_theme_aggregates_session ON theme_aggregates (session_date)")
    # All extracted articles per ticker ('' = all) x session x source: the denominator of attention.
    db.execute(
        f"CREATE TABLE session_totals (ticker TEXT NOT NULL, session_date TEXT NOT NULL, "
        f"feed_id INTEGER NOT NULL, {_THEME_COUNT_COLUMNS}, "
        f"PRIMARY KEY (ticker, session_date, feed_id)) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX idx_session_totals_session ON session_totals (session_date)")
    db.execute(
        "CREATE TABLE prices (symbol TEXT NOT NULL, date TEXT NOT NULL, close REAL NOT NULL, adj_close REAL, "
        "volume REAL, source TEXT, loaded_utc TEXT, PRIMARY KEY (symbol, date)) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX idx_prices_date ON prices (date)")


@migrations()
def m006_theme_index_incremental(db: Database) -> None:
    # Incremental upkeep: each aggregated article's counted state (session, source, sentiment, themes,
    # tickers as compact JSON), so a re-extraction subtracts exactly what it added instead of
    # recomputing whole sessions. Replaces article_sessions. Sentiment sums become integer millionths
    # (exact under add and subtract). The aggregates are derived: cleared here, `narrative reindex`
    # rebuilds them from the extraction tables.
    db.execute("DROP TABLE IF EXISTS article_sessions")
    db.execute(
        "CREATE TABLE index_articles (article_id TEXT PRIMARY KEY, session_date TEXT NOT NULL, "
        "feed_id INTEGER NOT NULL, state TEXT NOT NULL) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX idx_index_articles_session ON index_articles (session_date)")
    for table in ("theme_aggregates", "session_totals"):
        db.execute(f"DELETE FROM {table}")
        db.execute(f"ALTER TABLE {table} RENAME COLUMN sentiment_sum TO sentiment_micros")
