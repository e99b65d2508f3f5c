"""Theme-over-time series from per-(session, source) counts: attention, tone, sources, an EPU-style index.

Input rows are (session_date, feed_id) cells of one theme (optionally one ticker) with the counts the
store keeps, plus `total_articles` (all extracted articles of that source in that session, the
denominator of attention). Rows may already be summed over a period (any session of the period as
session_date); a row with no feed_id counts toward the period's sums but not toward sources (the store
sends tone counts that way, once per period).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nlp.errors import NarrativeError
from nlp.index.sessions import last_session_on_or_before, trading_sessions

FREQUENCIES = {"D": None, "W": "W-SUN", "M": "M"}
COUNT_COLUMNS = ("n_articles", "n_novel", "n_positive", "n_negative", "n_neutral", "sentiment_sum", "sentiment_n")
INPUT_COLUMNS = ("session_date", "feed_id", *COUNT_COLUMNS, "total_articles")
Z_WINDOW = 20
Z_MIN_PERIODS = 5
INDEX_COLUMNS = (
    "period", "session", "n_articles", "total_articles", "share", "mean_sentiment", "net_tone",
    "n_sources", "n_novel", "n_positive", "n_negative", "index", "attention_z", "spike",
)
SPIKE_Z = 2.0
# One article out of one in a quiet session is a 100% share, not a narrative: a spike needs a few.
SPIKE_MIN_ARTICLES = 3


def compute_theme_index(frame: pd.DataFrame, freq: str = "D", base_period: tuple | None = None) -> pd.DataFrame:
    """One row per period (session, week or month): count, share, tone, sources, normalised index, z.

    `base_period=(start, end)` is where the EPU-style index is standardised and set to mean 100
    (default: the whole sample). `session` is the last trading session of the period, the moment at
    which the period's value is known (what the join aligns returns on).
    """
    freq = _check_freq(freq)
    _check_columns(frame)
    if frame.empty:
        return pd.DataFrame(columns=list(INDEX_COLUMNS))
    periods = _period_of_rows(frame["session_date"], freq)
    grid = _period_grid(periods, freq)
    cells = _Cells(frame, grid.get_indexer(periods), len(grid))
    out = _summary_columns(pd.DataFrame({c: cells.period_sum(c) for c in (*COUNT_COLUMNS, "total_articles")}, index=grid))
    out["n_sources"] = (cells.by_source("n_articles") > 0).sum(axis=1)
    out["index"] = compute_epu_index(cells.by_source("n_articles"), cells.by_source("total_articles"), grid, base_period)
    out["attention_z"] = compute_trailing_z(out["share"])
    out["spike"] = (out["attention_z"] > SPIKE_Z) & (out["n_articles"] >= SPIKE_MIN_ARTICLES)
    out.insert(0, "period", grid)
    out.insert(1, "session", _observation_sessions(grid, freq).to_numpy())
    return out.reset_index(drop=True)[list(INDEX_COLUMNS)]


class _Cells:
    """The input rows as numpy arrays keyed by (period position, source position): sums by bincount,
    so a five-year daily series over dozens of sources takes milliseconds, not a pandas pivot."""

    def __init__(self, frame: pd.DataFrame, period_pos: np.ndarray, n_periods: int):
        self.frame = frame
        self.period_pos = period_pos
        self.n_periods = n_periods
        self.source_pos, sources = pd.factorize(frame["feed_id"])
        self.n_sources = len(sources)

    def values(self, column: str) -> np.ndarray:
        return pd.to_numeric(self.frame[column]).fillna(0).to_numpy(dtype=float)

    def period_sum(self, column: str) -> np.ndarray:
        return np.bincount(self.period_pos, weights=self.values(column), minlength=self.n_periods)

    def by_source(self, column: str) -> np.ndarray:
        """(period x source) sums; rows without a source are left out."""
        known = self.source_pos >= 0
        flat = self.period_pos[known] * self.n_sources + self.source_pos[known]
        sums = np.bincount(flat, weights=self.values(column)[known], minlength=self.n_periods * self.n_sources)
        return sums.reshape(self.n_periods, self.n_sources)


def _check_freq(freq: str) -> str:
    key = str(freq).upper()
    if key not in FREQUENCIES:
        raise NarrativeError(f"unknown frequency {freq!r}: use D (session), W (week) or M (month)")
    return key


def _check_columns(frame: pd.DataFrame) -> None:
    missing = [c for c in INPUT_COLUMNS if c not in frame.columns]
    if missing:
        raise NarrativeError(f"theme frame lacks columns: {', '.join(missing)}")


def _period_of_rows(session_dates: pd.Series, freq: str) -> pd.DatetimeIndex:
    """Each row's period label; dates are parsed once per distinct value."""
    codes, uniques = pd.factorize(session_dates)
    days = pd.DatetimeIndex(pd.to_datetime(pd.Series(uniques))).astype("datetime64[ns]")
    if freq != "D":
        days = days.to_period(FREQUENCIES[freq]).start_time.astype("datetime64[ns]")
    return days[codes]


def _period_grid(periods: pd.DatetimeIndex, freq: str) -> pd.DatetimeIndex:
    """Every period from first to last, so quiet periods show as zeros rather than gaps."""
    first, last = periods.min(), periods.max()
    if freq == "D":
        grid = trading_sessions(first, last)
        return grid.union(pd.DatetimeIndex(periods.unique())).astype("datetime64[ns]")
    return pd.period_range(first, last, freq=FREQUENCIES[freq]).start_time.astype("datetime64[ns]")


def _observation_sessions(grid: pd.DatetimeIndex, freq: str) -> pd.Series:
    if freq == "D":
        return pd.Series(grid.to_numpy())
    period_ends = pd.PeriodIndex(grid, freq=FREQUENCIES[freq]).end_time.normalize()
    return last_session_on_or_before(period_ends)


def _summary_columns(totals: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=totals.index)
    out["n_articles"] = totals["n_articles"].astype(int)
    out["total_articles"] = totals["total_articles"].astype(int)
    out["share"] = _ratio(totals["n_articles"], totals["total_articles"])
    out["mean_sentiment"] = _ratio(totals["sentiment_sum"], totals["sentiment_n"])
    polar = totals["n_positive"] + totals["n_negative"]
    out["net_tone"] = _ratio(totals["n_positive"] - totals["n_negative"], polar)
    for column in ("n_novel", "n_positive", "n_negative"):
        out[column] = totals[column].astype(int)
    return out


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).astype(float)


def compute_epu_index(
    counts: np.ndarray, totals: np.ndarray, grid: pd.DatetimeIndex, base_period: tuple | None = None
) -> np.ndarray:
    """Baker-Bloom-Davis style, from (period x source) theme counts and all-article totals: per source,
    the share of its articles on the theme, divided by that source's standard deviation over the base
    period; averaged over sources; rescaled to mean 100 over the base period.

    Standardising per source keeps a prolific feed from dominating. Sources with no variation in the
    base period cannot be standardised and are left out; if none can, the plain share is used.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(totals > 0, counts / np.where(totals > 0, totals, 1), np.nan)
        base = _base_mask(grid, base_period)
        spread = _nanstd(shares[base])
        usable = np.isfinite(spread) & (spread > 0)
        if usable.any():
            combined = _nanmean_rows(shares[:, usable] / spread[usable])
        else:
            combined = counts.sum(axis=1) / np.where(totals.sum(axis=1) > 0, totals.sum(axis=1), np.nan)
        base_values = combined[base]
        base_mean = np.nanmean(base_values) if np.isfinite(base_values).any() else np.nan
    if not np.isfinite(base_mean) or base_mean == 0:
        return np.full(len(grid), np.nan)
    return 100.0 * combined / base_mean


def _nanstd(values: np.ndarray) -> np.ndarray:
    """Column standard deviation (ddof=1) ignoring NaN; NaN where fewer than two values."""
    n = np.isfinite(values).sum(axis=0)
    mean = np.nansum(values, axis=0) / np.where(n > 0, n, 1)
    squares = np.nansum((values - mean) ** 2, axis=0)
    return np.where(n > 1, np.sqrt(squares / np.where(n > 1, n - 1, 1)), np.nan)


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    n = np.isfinite(values).sum(axis=1)
    return np.where(n > 0, np.nansum(values, axis=1) / np.where(n > 0, n, 1), np.nan)


def _base_mask(grid: pd.DatetimeIndex, base_period: tuple | None) -> np.ndarray:
    if base_period is None:
        return np.ones(len(grid), dtype=bool)
    start, end = (pd.Timestamp(v) if v is not None else None for v in base_period)
    mask = np.ones(len(grid), dtype=bool)
    if start is not None:
        mask &= grid >= start
    if end is not None:
        mask &= grid <= end
    if not mask.any():
        raise NarrativeError(f"base period {base_period} holds no data (data runs {grid.min():%Y-%m-%d} to {grid.max():%Y-%m-%d})")
    return mask


def compute_trailing_z(values: pd.Series, window: int = Z_WINDOW, min_periods: int = Z_MIN_PERIODS) -> pd.Series:
    """z-score of each value against the previous `window` values only (no look-ahead)."""
    past = values.shift(1).rolling(window, min_periods=min_periods)
    spread = past.std(ddof=1)
    return ((values - past.mean()) / spread.where(spread > 0)).astype(float)


def compute_spikes(index: pd.DataFrame) -> pd.DataFrame:
    """The spike periods: attention z-score above SPIKE_Z against the previous periods, with at least
    SPIKE_MIN_ARTICLES articles."""
    if index.empty:
        return index
    return index[index["spike"]].reset_index(drop=True)


def compute_rolling_net_tone(index: pd.DataFrame, window: int = 5) -> pd.Series:
    """Net tone over the last `window` periods, weighting each period by its articles (a readable line
    where single sessions hold one or two articles)."""
    if index.empty:
        return pd.Series(dtype=float)
    net = (index["n_positive"] - index["n_negative"]).rolling(window, min_periods=1).sum()
    polar = (index["n_positive"] + index["n_negative"]).rolling(window, min_periods=1).sum()
    return (net / polar.where(polar > 0)).astype(float)
