"""Daily prices in the `prices` table (symbol, date as YYYY-MM-DD, close, adj_close, volume, source)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Sequence

import pandas as pd
import sqlite_utils

from nlp.store.db import load_distinct_values, write_transaction


def save_prices(db: sqlite_utils.Database, prices: pd.DataFrame, source: str = "file") -> int:
    """Insert or replace the rows of a long price frame; returns the number of rows written."""
    loaded = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    records = [
        (row.symbol, row.date.strftime("%Y-%m-%d"), float(row.close), _number(row.adj_close),
         _number(row.volume), source, loaded)
        for row in prices.itertuples(index=False)
    ]
    with write_transaction(db):
        db.conn.executemany(
            "INSERT OR REPLACE INTO prices (symbol, date, close, adj_close, volume, source, loaded_utc) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            records,
        )
    return len(records)


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def load_prices(
    db: sqlite_utils.Database, symbols: Sequence[str] | None = None, start: str | None = None, end: str | None = None
) -> pd.DataFrame:
    """The long price frame (date, symbol, close, adj_close, volume) for the symbols (all if None)."""
    sql = "SELECT date, symbol, close, adj_close, volume FROM prices WHERE date BETWEEN ? AND ?"
    params: list = [start or "0000", end or "9999"]
    if symbols:
        wanted = sorted({s.upper() for s in symbols})
        sql += f" AND symbol IN ({', '.join('?' * len(wanted))})"
        params += wanted
    rows = db.execute(sql + " ORDER BY symbol, date", params).fetchall()
    frame = pd.DataFrame.from_records(rows, columns=["date", "symbol", "close", "adj_close", "volume"])
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d").astype("datetime64[ns]")
    for column in ("close", "adj_close", "volume"):
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    return frame


def load_price_symbols(db: sqlite_utils.Database) -> list[str]:
    """Symbols with prices, by index seeks."""
    return load_distinct_values(db, "prices", "symbol")
