"""Optional download of daily prices through yfinance (`pip install 'narrative[yfinance]'`)."""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from nlp.errors import NarrativeError
from nlp.prices.files import parse_price_frame

INSTALL_HINT = "yfinance is not installed: pip install 'narrative[yfinance]'"


def _import_yfinance():
    try:
        import yfinance
    except ImportError:
        raise NarrativeError(INSTALL_HINT) from None
    return yfinance


def fetch_prices_yfinance(tickers: Sequence[str], start: str | None = None, end: str | None = None) -> pd.DataFrame:
    """Daily closes (and adjusted closes) for the tickers, in the long layout of `load_price_file`."""
    symbols = sorted({t.strip().upper() for t in tickers if t and t.strip()})
    if not symbols:
        raise NarrativeError("name at least one ticker to fetch")
    yfinance = _import_yfinance()
    try:
        raw = yfinance.download(symbols, start=start, end=end, auto_adjust=False, progress=False,
                                group_by="column", threads=False)
    except Exception as exc:  # yfinance raises many network error types; the user needs one line
        raise NarrativeError(f"cannot download prices (offline or Yahoo unavailable): {type(exc).__name__}") from exc
    if raw is None or raw.empty:
        raise NarrativeError(f"no prices downloaded for {', '.join(symbols)} (offline, or unknown tickers/dates)")
    return parse_price_frame(_to_long(raw, symbols), source="yfinance")


def _to_long(raw: pd.DataFrame, symbols: list[str]) -> pd.DataFrame:
    """yfinance's (field, ticker) column frame -> date, symbol, close, adj_close, volume rows."""
    if not isinstance(raw.columns, pd.MultiIndex):
        raw = pd.concat({symbols[0]: raw}, axis=1).swaplevel(0, 1, axis=1)
    frames = []
    for symbol in raw.columns.get_level_values(1).unique():
        part = raw.xs(symbol, axis=1, level=1)
        frames.append(pd.DataFrame({
            "date": part.index, "symbol": symbol, "close": part.get("Close"),
            "adj_close": part.get("Adj Close"), "volume": part.get("Volume"),
        }).dropna(subset=["close"]))
    return pd.concat(frames, ignore_index=True)
