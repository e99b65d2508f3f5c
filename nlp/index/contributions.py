"""What one extracted article adds to the theme aggregates, and the change when it is re-extracted. Pure.

An article counts once in the totals of its session and source (theme ''), once per ticker it names
(theme '', that ticker), once per theme (ticker ''), and once per theme x ticker. Sentiment is summed
in integer millionths, so adding and later subtracting an article's contribution is exact and
refreshing any number of times gives the same aggregates as one rebuild.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable

CELL_FIELDS = ("n_articles", "n_novel", "n_positive", "n_negative", "n_neutral", "sentiment_micros", "sentiment_n")
LABEL_POSITION = {"positive": 2, "negative": 3, "neutral": 4}
CellKey = tuple  # (theme, ticker, session_date, feed_id); theme '' = all articles (session totals)


@dataclass(frozen=True)
class ArticleState:
    """The facts of one article that its aggregate cells depend on, as counted."""

    session_date: str
    feed_id: int
    novel: int = 1
    label: str | None = None
    micros: int | None = None
    themes: tuple[str, ...] = ()
    tickers: tuple[tuple[str, str | None, int | None], ...] = field(default=())  # (symbol, label, micros)


def to_micros(score) -> int | None:
    return None if score is None else int(round(float(score) * 1_000_000))


def build_article_state(session_date: str, feed_id, novel, label, score, themes: Iterable[str],
                        tickers: Iterable[tuple]) -> ArticleState:
    """From extraction rows; a ticker without its own sentiment takes the article's."""
    article_label = (label or "").lower() or None
    article_micros = to_micros(score)
    ticker_rows = tuple(sorted(
        (str(symbol), (t_label or "").lower() or article_label, to_micros(t_score) if t_score is not None else article_micros)
        for symbol, t_label, t_score in tickers
    ))
    return ArticleState(session_date, int(feed_id or 0), 1 if novel is None else int(bool(novel)), article_label,
                        article_micros, tuple(sorted(set(themes))), ticker_rows)


def _values(novel: int, label: str | None, micros: int | None) -> list[int]:
    values = [1, novel, 0, 0, 0, micros or 0, 0 if micros is None else 1]
    if label in LABEL_POSITION:
        values[LABEL_POSITION[label]] = 1
    return values


def compute_contributions(state: ArticleState) -> list[tuple[CellKey, list[int]]]:
    """Every (cell, counts) the article adds."""
    day, feed = state.session_date, state.feed_id
    own = _values(state.novel, state.label, state.micros)
    cells = [(("", "", day, feed), own)]
    for symbol, label, micros in state.tickers:
        cells.append((("", symbol, day, feed), _values(state.novel, label, micros)))
    for theme in state.themes:
        cells.append(((theme, "", day, feed), own))
        for symbol, label, micros in state.tickers:
            cells.append(((theme, symbol, day, feed), _values(state.novel, label, micros)))
    return cells


def compute_cell_deltas(old: Iterable[ArticleState], new: Iterable[ArticleState]) -> dict[CellKey, list[int]]:
    """new minus old, per cell; cells whose change is all zeros are left out (nothing to write)."""
    deltas: dict[CellKey, list[int]] = {}
    for sign, states in ((-1, old), (1, new)):
        for state in states:
            for key, values in compute_contributions(state):
                total = deltas.setdefault(key, [0] * len(CELL_FIELDS))
                for i, v in enumerate(values):
                    total[i] += sign * v
    return {key: values for key, values in deltas.items() if any(values)}


def format_state(state: ArticleState) -> str:
    return json.dumps([state.novel, state.label, state.micros, list(state.themes), [list(t) for t in state.tickers]],
                      separators=(",", ":"))


def parse_state(session_date: str, feed_id: int, text: str) -> ArticleState:
    novel, label, micros, themes, tickers = json.loads(text)
    return ArticleState(session_date, int(feed_id), novel, label, micros, tuple(themes), tuple(tuple(t) for t in tickers))
