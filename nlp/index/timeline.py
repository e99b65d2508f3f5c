"""The timeline shell: read a theme's aggregates from the store and compute its index."""

from __future__ import annotations

import pandas as pd
import sqlite_utils

from nlp.errors import NarrativeError
from nlp.index.theme_index import compute_theme_index


def load_theme_card_ids() -> list[str]:
    """Ids of the theme cards shipped under corpora/themes (known even before any article is tagged)."""
    from nlp.settings import CORPORA_DIR

    return sorted(path.stem for path in (CORPORA_DIR / "themes").glob("*.yaml"))


def load_known_theme_ids(db: sqlite_utils.Database) -> list[str]:
    """Themes with aggregates in the database, and those with a card."""
    from nlp.store.index import load_known_themes

    return sorted(set(load_known_themes(db)) | set(load_theme_card_ids()))


def check_theme(db: sqlite_utils.Database, theme: str) -> str:
    """The theme id, or a NarrativeError listing the known ones."""
    from nlp.store.index import index_needs_rebuild

    if index_needs_rebuild(db):
        raise NarrativeError("articles are extracted but the theme index is empty: run `narrative reindex`")
    known = load_known_theme_ids(db)
    if theme not in known:
        raise NarrativeError(f"unknown theme {theme!r}; known themes: {', '.join(known) or '(none yet)'}")
    return theme


def load_timeline(
    db: sqlite_utils.Database, theme: str, freq: str = "D", ticker: str | None = None,
    start: str | None = None, end: str | None = None, base_period: tuple | None = None,
) -> pd.DataFrame:
    """The theme's index (see `compute_theme_index`) from the stored aggregates."""
    from nlp.store.index import load_theme_cells

    check_theme(db, theme)
    cells = load_theme_cells(db, theme, ticker, _iso(start), _iso(end))
    return compute_theme_index(cells, freq, base_period)


def _iso(value) -> str | None:
    if value is None or value == "":
        return None
    try:
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    except (ValueError, TypeError):
        raise NarrativeError(f"not a date: {value!r} (use YYYY-MM-DD)") from None


def build_timeline_records(index: pd.DataFrame) -> list[dict]:
    """JSON-ready rows: dates as YYYY-MM-DD, missing values as None."""
    records = []
    for row in index.to_dict("records"):
        out = {}
        for key, value in row.items():
            if isinstance(value, pd.Timestamp):
                out[key] = value.strftime("%Y-%m-%d")
            elif value is None or (isinstance(value, float) and value != value):
                out[key] = None
            else:
                out[key] = value.item() if hasattr(value, "item") else value
        records.append(out)
    return records


def build_timeline_csv(index: pd.DataFrame) -> str:
    frame = index.copy()
    for column in ("period", "session"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
    return frame.to_csv(index=False, float_format="%.6g")
