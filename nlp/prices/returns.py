"""Returns over trading sessions: pure functions on the long price layout.

Sessions are the dates present in the price panel. At session t:
- `ret_h` / `logret_h` is the forward return from the close of t to the close of t+h (known only after
  t+h; it is what the index at t is joined with, so the index never sees its own return window);
- `ret_0` is the same-session return, close t-1 to close t (the "that day's return");
- `excess_h` / `excess_0` subtract the benchmark's return over the same window.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from nlp.errors import NarrativeError

EQUAL_WEIGHT = "equal"


def compute_price_panel(prices: pd.DataFrame) -> pd.DataFrame:
    """Wide panel (date x symbol) of adjusted closes where given, else closes."""
    if prices.empty:
        raise NarrativeError("no prices loaded (run `narrative prices load FILE` first)")
    level = prices["adj_close"].where(prices["adj_close"].notna(), prices["close"]) if "adj_close" in prices else prices["close"]
    panel = prices.assign(level=level).pivot_table(index="date", columns="symbol", values="level", aggfunc="last")
    panel.index = pd.DatetimeIndex(panel.index).astype("datetime64[ns]")
    return panel.sort_index()


def compute_forward_returns(panel: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Close t -> close t+h simple return, per symbol (NaN where a price is missing)."""
    if horizon < 1:
        raise NarrativeError(f"horizons are whole sessions >= 1, got {horizon}")
    return panel.shift(-horizon) / panel - 1.0


def compute_same_session_returns(panel: pd.DataFrame) -> pd.DataFrame:
    """Close t-1 -> close t simple return."""
    return panel / panel.shift(1) - 1.0


def compute_benchmark(returns: pd.DataFrame, benchmark: str | None) -> pd.Series | None:
    """The benchmark's return: a symbol's, or the equal-weighted mean of all loaded symbols ("equal")."""
    if benchmark is None:
        return None
    if str(benchmark).lower() == EQUAL_WEIGHT:
        return returns.mean(axis=1, skipna=True)
    symbol = str(benchmark).upper()
    if symbol not in returns.columns:
        raise NarrativeError(
            f"benchmark {symbol} is not in the loaded prices; load its prices or use --benchmark equal"
        )
    return returns[symbol]


def compute_returns(
    prices: pd.DataFrame, horizons: Sequence[int] = (1, 5, 20), benchmark: str | None = "SPY"
) -> pd.DataFrame:
    """Long frame (date, symbol, ret_0, excess_0, ret_h, logret_h, excess_h for each horizon h).

    `benchmark`: a symbol in the prices (e.g. SPY), "equal" for the equal-weighted universe of all
    loaded symbols, or None for no excess returns.
    """
    panel = compute_price_panel(prices)
    columns: dict[str, pd.DataFrame] = {}
    same = compute_same_session_returns(panel)
    columns["ret_0"] = same
    _add_excess(columns, "0", same, benchmark)
    for h in sorted({int(h) for h in horizons}):
        forward = compute_forward_returns(panel, h)
        columns[f"ret_{h}"] = forward
        columns[f"logret_{h}"] = np.log1p(forward)
        _add_excess(columns, str(h), forward, benchmark)
    return _to_long(columns)


def _add_excess(columns: dict, suffix: str, returns: pd.DataFrame, benchmark: str | None) -> None:
    bench = compute_benchmark(returns, benchmark)
    if bench is not None:
        columns[f"excess_{suffix}"] = returns.sub(bench, axis=0)


def _to_long(columns: dict[str, pd.DataFrame]) -> pd.DataFrame:
    stacked = {name: frame.stack(future_stack=True) for name, frame in columns.items()}
    long = pd.DataFrame(stacked)
    long.index.names = ["date", "symbol"]
    return long.reset_index().sort_values(["symbol", "date"]).reset_index(drop=True)


def parse_horizons(text: str | Sequence[int]) -> tuple[int, ...]:
    """"1,5,20" -> (1, 5, 20); each a whole number of sessions >= 1."""
    items = text.split(",") if isinstance(text, str) else list(text)
    try:
        horizons = tuple(sorted({int(str(item).strip()) for item in items if str(item).strip()}))
    except ValueError:
        raise NarrativeError(f"horizons must be whole numbers of sessions, like 1,5,20 (got {text!r})") from None
    if not horizons or min(horizons) < 1:
        raise NarrativeError(f"horizons must be whole numbers of sessions >= 1 (got {text!r})")
    return horizons
