"""Aligning the theme index with returns, with no look-ahead: pure functions.

The index value of a period is known at the close of its last session t (an article published after
that close belongs to the next session). It is paired with returns that start at that close:
`ret_h` = close t -> close t+h. Membership of a theme basket at t uses article counts up to t only.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from nlp.errors import NarrativeError

SIGNALS = ("index", "share", "mean_sentiment", "net_tone", "attention_z", "spike")


def compute_series_returns(returns: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """One symbol's rows of a long returns frame, indexed by date."""
    rows = returns[returns["symbol"] == symbol]
    if rows.empty:
        raise NarrativeError(f"no returns for {symbol}")
    return rows.drop(columns="symbol").set_index("date").sort_index()


def build_return_panels(returns: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Forward-return columns of a long returns frame as wide (date x symbol) panels, pivoted once."""
    columns = [c for c in returns.columns if c.split("_")[0] in {"ret", "logret", "excess"} and not c.endswith("_0")]
    wide = returns.pivot(index="date", columns="symbol", values=columns)
    return {column: wide[column] for column in columns}


def compute_basket_returns(
    ticker_counts: pd.DataFrame, returns: pd.DataFrame, window: int = 60, top_n: int = 10,
    panels: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Equal-weighted returns of the theme's basket, indexed by date.

    At each session t the basket holds the `top_n` tickers with the most theme articles over the last
    `window` sessions up to t (known at the close of t). Forward returns at t (`ret_h`, `excess_h`)
    average the members' forward returns; the same-session return at t (`ret_0`) is the return of the
    basket formed at t-1, so a cumulative return never uses a membership decided after the fact.
    `panels` (from `build_return_panels`) saves re-pivoting the returns for every theme.
    """
    panels = panels if panels is not None else build_return_panels(returns)
    if "ret_1" not in panels:
        raise NarrativeError("basket returns need 1-session forward returns (ret_1)")
    members = compute_basket_members(ticker_counts, returns, window, top_n)
    basket = pd.DataFrame(index=members.index)
    for column, wide in panels.items():
        held = wide.reindex(index=members.index, columns=members.columns).where(members)
        basket[column] = held.mean(axis=1, skipna=True)
    basket["n_members"] = members.sum(axis=1).astype(int)
    basket["ret_0"] = basket["ret_1"].shift(1)
    if "excess_1" in basket:
        basket["excess_0"] = basket["excess_1"].shift(1)
    return basket


def compute_basket_members(ticker_counts: pd.DataFrame, returns: pd.DataFrame, window: int, top_n: int) -> pd.DataFrame:
    """Boolean (date x ticker): in the basket at the close of that date."""
    dates = pd.DatetimeIndex(sorted(returns["date"].unique())).astype("datetime64[ns]")
    priced = sorted(set(returns["symbol"].unique()) & set(ticker_counts["ticker"].unique()))
    if ticker_counts.empty or not priced:
        return pd.DataFrame(False, index=dates, columns=pd.Index([], dtype=object))
    counts = ticker_counts.assign(session_date=pd.to_datetime(ticker_counts["session_date"]).astype("datetime64[ns]"))
    wide = counts.pivot_table(index="session_date", columns="ticker", values="n_articles", aggfunc="sum")
    wide = wide.reindex(columns=priced).fillna(0)
    # Counts on sessions without prices still count toward the next priced session's window.
    timeline = wide.index.union(dates)
    recent = wide.reindex(timeline, fill_value=0).rolling(window, min_periods=1).sum().reindex(dates).fillna(0)
    rank = recent.rank(axis=1, method="first", ascending=False)
    return (rank <= top_n) & (recent > 0)


def build_join_frame(index: pd.DataFrame, returns: pd.DataFrame, horizons: Sequence[int]) -> pd.DataFrame:
    """One row per index period: its signals, the step return into it, and the forward returns after it.

    `index`: compute_theme_index output (joined on `session`, the period's last session, never on the
    period's start). `returns`: one series indexed by date with ret_0 (and excess_0), ret_h, excess_h.
    `ret_step` is the series' return from the previous period's session to this one (for daily
    periods the same-session return); forward columns are close t -> close t+h.
    """
    frame = index[["period", "session", *[s for s in SIGNALS if s in index.columns]]].copy()
    frame["session"] = pd.to_datetime(frame["session"]).astype("datetime64[ns]")
    returns = returns.sort_index()
    for prefix in ("ret", "excess"):
        if f"{prefix}_0" in returns:
            frame[f"{prefix}_step"] = _step_returns(returns[f"{prefix}_0"], frame["session"])
    for h in horizons:
        for prefix in ("ret", "logret", "excess"):
            column = f"{prefix}_{h}"
            if column in returns:
                frame[column] = returns[column].reindex(frame["session"]).to_numpy()
    return frame.reset_index(drop=True)


def _step_returns(same_session: pd.Series, sessions: pd.Series) -> np.ndarray:
    """Compounded same-session returns between consecutive index sessions."""
    wealth = (1.0 + same_session.fillna(0.0)).cumprod()
    known = same_session.notna().cumsum()
    level = wealth.reindex(sessions).to_numpy()
    seen = known.reindex(sessions).to_numpy()
    step = level / np.roll(level, 1) - 1.0
    moved = seen - np.roll(seen, 1)
    step[0] = np.nan
    return np.where(moved > 0, step, np.nan)


def compute_cumulative_return(same_session: pd.Series) -> pd.Series:
    """Growth of 1 invested at the start (as a return: 0.12 = +12%)."""
    return (1.0 + same_session.fillna(0.0)).cumprod() - 1.0
