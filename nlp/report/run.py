"""`narrative report`: read everything the page shows from the database, build it, write it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Sequence

import pandas as pd
import sqlite_utils

from nlp.errors import NarrativeError
from nlp.report.html import build_overview, build_report_html, build_theme_section

TOP_TICKERS = 10
HORIZONS = (1, 5, 20)


def load_report_html(
    db: sqlite_utils.Database, themes: Sequence[str] | None = None, benchmark: str = "SPY",
    title: str = "narrative: themes over time",
) -> str:
    """The report page for the given themes (default: every theme with aggregates)."""
    from nlp.index.timeline import load_timeline
    from nlp.store.index import load_known_themes

    chosen = list(themes) if themes else load_known_themes(db)
    joined, benchmark, notes = _load_join(db, chosen, benchmark)
    sections, weekly = [], {}
    for theme in chosen:
        index = joined.indexes.get(theme) if joined else None
        sections.append(_load_section(db, theme, index if index is not None else load_timeline(db, theme, "D"), joined))
        weekly[theme] = load_timeline(db, theme, "W")
    summary = None
    if joined is not None and len(joined.results):
        from nlp.join.run import build_join_summary

        summary = build_join_summary(joined.results, HORIZONS)
    generated = f"Generated {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC"
    if joined is not None:
        generated += f"; excess returns against {benchmark}"
    return build_report_html(sections, build_overview(weekly), title, generated, summary, notes)


def save_report(db: sqlite_utils.Database, path: str | Path = "report.html", **options) -> Path:
    target = Path(path)
    page = load_report_html(db, **options)
    try:
        target.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise NarrativeError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target


def _load_join(db: sqlite_utils.Database, themes: list[str], benchmark: str):
    """The join of every theme with returns (None without prices), the benchmark used, and notes."""
    from nlp.join.run import load_join_results
    from nlp.store.prices import load_price_symbols

    symbols = set(load_price_symbols(db))
    if not symbols:
        return None, benchmark, ["No prices loaded (`narrative prices load FILE`): no basket returns."]
    notes = []
    if benchmark.lower() != "equal" and benchmark.upper() not in symbols:
        notes.append(f"Benchmark {benchmark.upper()} has no prices: excess returns use the equal-weighted universe.")
        benchmark = "equal"
    if not themes:
        return None, benchmark, notes
    joined = load_join_results(db, themes, HORIZONS, benchmark)
    return joined, benchmark, notes + joined.notes


def _load_section(db: sqlite_utils.Database, theme: str, index: pd.DataFrame, joined) -> dict:
    from nlp.join.align import compute_cumulative_return
    from nlp.store.index import load_session_articles, load_top_tickers

    spike_days = [d.strftime("%Y-%m-%d") for d in pd.to_datetime(index.loc[index["spike"], "session"])] if len(index) else []
    articles = load_session_articles(db, theme, spike_days)
    basket = joined.frames.get((theme, "basket")) if joined is not None else None
    cumulative = None
    if basket is not None and len(basket):
        # ret_step of a daily join frame: the basket (formed at t-1) over session t.
        cumulative = compute_cumulative_return(basket.set_index("session")["ret_step"])
    return build_theme_section(theme, index, load_top_tickers(db, theme, TOP_TICKERS), articles, cumulative)
