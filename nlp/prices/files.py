"""Price files: CSV or Parquet, long (date, symbol, close[, adj_close, volume]) or wide (date + one column
per ticker), detected from the columns; every problem is one NarrativeError line naming it.

The result is always the long layout: date (datetime64, midnight), symbol (upper case), close,
adj_close (NaN when absent), volume (NaN when absent), sorted by symbol then date.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from nlp.errors import NarrativeError

PRICE_COLUMNS = ("date", "symbol", "close", "adj_close", "volume")
ALIASES = {
    "date": ("date", "datetime", "timestamp", "time", "day", "trade_date"),
    "symbol": ("symbol", "ticker", "name", "stock", "security"),
    "close": ("close", "price", "last", "close_price"),
    "adj_close": ("adj_close", "adjclose", "adjusted_close", "adj_close_price"),
    "volume": ("volume", "vol"),
}
OHLC_NAMES = {"open", "high", "low", "close", "adj_close", "volume", "dividends", "stock_splits"}
TICKER_RE = re.compile(r"^[A-Z][A-Z0-9.\-^=]{0,11}$")


def load_price_file(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet price file and return it in the long layout."""
    path = Path(path)
    if not path.is_file():
        raise NarrativeError(f"price file not found: {path}")
    raw = _read_raw(path)
    return parse_price_frame(raw, source=path.name, symbol_hint=_symbol_from_filename(path))


def _read_raw(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            return pd.read_parquet(path)
        if suffix in {".csv", ".txt", ".gz"}:
            return pd.read_csv(path, dtype=str, keep_default_na=True)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise NarrativeError(f"cannot read price file {path.name}: {str(exc).splitlines()[0]}") from exc
    raise NarrativeError(f"unsupported price file type {suffix or '(none)'} for {path.name}: use .csv or .parquet")


def _symbol_from_filename(path: Path) -> str | None:
    """"AAPL.csv" or "AAPL_data.csv" name their ticker (upper case as written); other names do not."""
    first = path.name.split(".")[0].split("_")[0]
    return first if TICKER_RE.match(first) else None


def parse_price_frame(raw: pd.DataFrame, source: str = "prices", symbol_hint: str | None = None) -> pd.DataFrame:
    """Detect the layout of a raw table and return the long layout (see module docstring)."""
    if raw.empty:
        raise NarrativeError(f"{source}: no rows")
    originals = {_normalise_name(c): str(c).strip() for c in raw.columns}
    frame = raw.rename(columns=_normalise_name)
    frame, symbol_hint = _drop_yfinance_ticker_row(frame, symbol_hint)
    columns = _detect_columns(frame, source)
    if "date" not in columns:
        raise NarrativeError(f"{source}: no date column (looked for {', '.join(ALIASES['date'])}; found {_listing(raw)})")
    if "symbol" in columns:
        long = _from_long(frame, columns, source)
    elif "close" in columns or "adj_close" in columns:
        long = _from_single_ticker(frame, columns, source, symbol_hint)
    else:
        long = _from_wide(frame, columns["date"], source, originals)
    return _validate(long, source)


def _normalise_name(name) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def _listing(raw: pd.DataFrame) -> str:
    names = [str(c) for c in raw.columns[:12]]
    return ", ".join(names) + (" ..." if len(raw.columns) > 12 else "")


def _detect_columns(frame: pd.DataFrame, source: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for field, names in ALIASES.items():
        matches = [c for c in frame.columns if c in names]
        if len(matches) > 1 and field != "close":
            raise NarrativeError(f"{source}: several {field} columns ({', '.join(matches)}); keep one")
        if matches:
            found[field] = matches[0]
    return found


def _drop_yfinance_ticker_row(frame: pd.DataFrame, hint: str | None) -> tuple[pd.DataFrame, str | None]:
    """yfinance exports carry a second header row (",AAPL,AAPL,...") naming the ticker: use and drop it."""
    first_column = frame.columns[0]
    if len(frame) and (pd.isna(frame.iloc[0][first_column]) or str(frame.iloc[0][first_column]).lower() in {"ticker", ""}):
        values = {str(v).upper() for v in frame.iloc[0].drop(first_column).dropna()}
        if len(values) == 1 and TICKER_RE.match(next(iter(values))):
            rest = frame.iloc[1:]
            if len(rest) and str(rest.iloc[0][first_column]).lower() == "date":
                # Newer exports: "Price,Close,..." / "Ticker,AAPL,..." / "Date,,,...": column 1 holds dates.
                rest = rest.iloc[1:].rename(columns={first_column: "date"})
            return rest.reset_index(drop=True), next(iter(values))
    return frame, hint


def _from_long(frame: pd.DataFrame, columns: dict[str, str], source: str) -> pd.DataFrame:
    if "close" not in columns and "adj_close" not in columns:
        raise NarrativeError(f"{source}: long layout (has {columns['symbol']}) but no close column "
                             f"(looked for {', '.join(ALIASES['close'] + ALIASES['adj_close'])})")
    out = pd.DataFrame({"date": frame[columns["date"]], "symbol": frame[columns["symbol"]]})
    for field in ("close", "adj_close", "volume"):
        out[field] = frame[columns[field]] if field in columns else np.nan
    if "close" not in columns:
        out["close"] = out["adj_close"]
    return out


def _from_single_ticker(frame, columns, source, symbol_hint) -> pd.DataFrame:
    if not symbol_hint:
        raise NarrativeError(
            f"{source}: one ticker's prices without a symbol column; add a 'symbol' column or name the file TICKER.csv"
        )
    frame = frame.assign(symbol=symbol_hint)
    return _from_long(frame, {**columns, "symbol": "symbol"}, source)


def _from_wide(frame: pd.DataFrame, date_column: str, source: str, originals: dict[str, str]) -> pd.DataFrame:
    tickers = [c for c in frame.columns if c != date_column and not c.startswith("unnamed")]
    if not tickers:
        raise NarrativeError(f"{source}: only a date column; expected close prices (long) or one column per ticker (wide)")
    ohlc = [c for c in tickers if c in OHLC_NAMES]
    if ohlc:
        raise NarrativeError(f"{source}: looks like OHLC columns ({', '.join(ohlc)}) but no close column to use")
    long = frame.melt(id_vars=[date_column], value_vars=tickers, var_name="symbol", value_name="close")
    long = long.rename(columns={date_column: "date"})
    long["symbol"] = long["symbol"].map(lambda name: originals.get(name, name))
    long = long[long["close"].notna() & (long["close"].astype(str).str.strip() != "")]
    return long.assign(adj_close=np.nan, volume=np.nan)


def _validate(long: pd.DataFrame, source: str) -> pd.DataFrame:
    out = long.copy()
    out["date"] = _parse_dates(out["date"], source)
    out["symbol"] = out["symbol"].astype(str).str.strip().str.upper()
    if (out["symbol"].isin(["", "NAN", "NONE"])).any():
        raise NarrativeError(f"{source}: {int(out['symbol'].isin(['', 'NAN', 'NONE']).sum())} rows have no symbol")
    for field in ("close", "adj_close", "volume"):
        out[field] = _parse_numbers(out[field], field, source, required=field == "close")
    if (out["close"] <= 0).any():
        bad = out[out["close"] <= 0].iloc[0]
        raise NarrativeError(f"{source}: non-positive close {bad['close']} for {bad['symbol']} on {bad['date']:%Y-%m-%d}")
    duplicated = out.duplicated(["symbol", "date"], keep=False)
    if duplicated.any():
        bad = out[duplicated].iloc[0]
        raise NarrativeError(f"{source}: {int(duplicated.sum())} rows repeat a (symbol, date), e.g. {bad['symbol']} {bad['date']:%Y-%m-%d}")
    return out.sort_values(["symbol", "date"]).reset_index(drop=True)[list(PRICE_COLUMNS)]


def _parse_dates(values: pd.Series, source: str) -> pd.Series:
    parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    if parsed.isna().any():
        bad = values[parsed.isna()]
        raise NarrativeError(f"{source}: {len(bad)} unparsable dates, e.g. {str(bad.iloc[0])!r}")
    # A daily close is a calendar date: keep the date as written (its local date), without a time.
    local = pd.to_datetime(values.astype(str).str.slice(0, 10), errors="coerce", format="%Y-%m-%d")
    dates = local.where(local.notna(), parsed.dt.tz_localize(None))
    try:
        return dates.dt.normalize().astype("datetime64[ns]")
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        raise NarrativeError(f"{source}: a date is out of range (years 1678..2261 only)") from None


def _parse_numbers(values: pd.Series, field: str, source: str, required: bool) -> pd.Series:
    text = values.astype(str).str.replace(",", "", regex=False).str.strip()
    missing = values.isna() | text.isin(["", "nan", "NaN", "None", "null"])
    numbers = pd.to_numeric(text.where(~missing), errors="coerce")
    bad = numbers.isna() & ~missing
    if bad.any():
        raise NarrativeError(f"{source}: {int(bad.sum())} non-numeric {field} values, e.g. {str(values[bad].iloc[0])!r}")
    if required and missing.any():
        raise NarrativeError(f"{source}: {int(missing.sum())} rows have no {field}")
    return numbers.astype(float)
