"""Map UTC timestamps to the NYSE trading session whose close they precede.

An article counts toward the first session whose close is strictly after its timestamp: published at
15:59 New York time it belongs to that day's session; at 16:00 or later (the closing price is set) to the
next session; on a weekend or holiday to the next session. Closes come from the maintained XNYS
calendar of `exchange_calendars`, so DST and early closes (13:00 on half days) are handled too.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

CALENDAR_NAME = "XNYS"
CALENDAR_START = "1990-01-01"
CALENDAR_YEARS_AHEAD = 2


@lru_cache(maxsize=1)
def _schedule() -> tuple[np.ndarray, pd.DatetimeIndex]:
    """(session closes as int64 UTC nanoseconds, session labels); the calendar is loaded once, lazily."""
    import exchange_calendars

    end = (pd.Timestamp.now(tz="UTC") + pd.DateOffset(years=CALENDAR_YEARS_AHEAD)).strftime("%Y-12-31")
    with warnings.catch_warnings():
        # exchange_calendars uses a pandas API that pandas 3 deprecates; not ours to fix, not the user's.
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        calendar = exchange_calendars.get_calendar(CALENDAR_NAME, start=CALENDAR_START, end=end)
    closes = calendar.schedule["close"].dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    return closes.to_numpy().astype("int64"), pd.DatetimeIndex(calendar.sessions).astype("datetime64[ns]")


def _to_utc_ns(values: Any) -> pd.Series:
    """Timestamps (strings, datetimes, naive = UTC) as a Series of naive UTC datetime64[ns]; bad -> NaT."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    stamps = pd.to_datetime(series, utc=True, errors="coerce", format="mixed")
    return stamps.dt.tz_localize(None).astype("datetime64[ns]")


def compute_sessions(timestamps: Any) -> pd.Series:
    """The trading session (naive midnight date) of each timestamp; NaT when unparsable or off-calendar."""
    closes, sessions = _schedule()
    stamps = _to_utc_ns(timestamps)
    valid = stamps.notna().to_numpy()
    ns = stamps.to_numpy().astype("int64")
    position = np.searchsorted(closes, ns, side="right")
    in_range = valid & (position < len(closes)) & (ns >= closes[0] - _ONE_YEAR_NS)
    labels = np.full(len(ns), np.datetime64("NaT"), dtype="datetime64[ns]")
    labels[in_range] = sessions.to_numpy()[position[in_range]]
    index = timestamps.index if isinstance(timestamps, pd.Series) else None
    return pd.Series(labels, index=index, name="session")


_ONE_YEAR_NS = 366 * 24 * 3600 * 10**9


def compute_session(timestamp: Any) -> pd.Timestamp | None:
    """The trading session of one timestamp (a pandas Timestamp at midnight), or None."""
    value = compute_sessions([timestamp]).iloc[0]
    return None if pd.isna(value) else pd.Timestamp(value)


def compute_session_isodates(timestamps: Any) -> list[str | None]:
    """Sessions as "YYYY-MM-DD" strings (the store's format); None where there is no session."""
    labels = compute_sessions(timestamps)
    return [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in labels]


def trading_sessions(start: Any, end: Any) -> pd.DatetimeIndex:
    """All sessions from start to end inclusive (dates)."""
    _, sessions = _schedule()
    lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    return sessions[(sessions >= lo) & (sessions <= hi)]


def last_session_on_or_before(dates: Any) -> pd.Series:
    """For each date, the last trading session on or before it (the observation time of a period)."""
    _, sessions = _schedule()
    values = pd.to_datetime(pd.Series(dates)).astype("datetime64[ns]").to_numpy()
    position = np.searchsorted(sessions.to_numpy(), values, side="right") - 1
    result = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = position >= 0
    result[ok] = sessions.to_numpy()[position[ok]]
    return pd.Series(result)
