"""Statistics on a join frame: lead/lag correlations, OLS with Newey-West errors, an event study. Pure."""

from __future__ import annotations

import math
import warnings
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

LAGS = range(-5, 6)
MIN_OBSERVATIONS = 8
RESULT_COLUMNS = ("test", "horizon", "lag", "estimate", "t_stat", "p_value", "n")


def compute_lag_correlations(frame: pd.DataFrame, signal: str, target: str = "ret_step", lags: Iterable[int] = LAGS) -> pd.DataFrame:
    """Pearson and Spearman correlation of signal_t with target_{t+lag}, with two-sided p-values.

    lag 0: the same period's return (news and price move together); lag > 0: the index leads returns
    (the predictive direction, no look-ahead); lag < 0: past returns lead the index.
    """
    x = frame[signal].to_numpy(dtype=float)
    y = frame[target].to_numpy(dtype=float)
    rows = []
    for lag in lags:
        shifted = _shift(y, -lag)
        valid = np.isfinite(x) & np.isfinite(shifted)
        a, b = x[valid], shifted[valid]
        for test, (u, v) in (("pearson", (a, b)), ("spearman", (_ranks(a), _ranks(b)))):
            estimate = _pearson(u, v)
            rows.append({"test": test, "horizon": np.nan, "lag": lag, "estimate": estimate,
                         "t_stat": _correlation_t(estimate, len(a)), "p_value": _correlation_p(estimate, len(a)),
                         "n": int(len(a))})
    return pd.DataFrame(rows, columns=list(RESULT_COLUMNS))


def _shift(values: np.ndarray, periods: int) -> np.ndarray:
    """Like pandas shift: out[i] = values[i - periods], NaN where that falls outside."""
    out = np.full(len(values), np.nan)
    if abs(periods) >= len(values):
        return out
    if periods >= 0:
        out[periods:] = values[:len(values) - periods]
    else:
        out[:periods] = values[-periods:]
    return out


def _ranks(values: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(values) if len(values) else values


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < MIN_OBSERVATIONS:
        return math.nan
    da, db = a - a.mean(), b - b.mean()
    norm = math.sqrt(float(da @ da) * float(db @ db))
    return float(da @ db) / norm if norm > 0 else math.nan


def _correlation_t(r: float, n: int) -> float:
    if not np.isfinite(r) or n < 3 or abs(r) >= 1:
        return math.nan
    return r * math.sqrt((n - 2) / (1 - r * r))


def _correlation_p(r: float, n: int) -> float:
    """Two-sided p-value of r under no correlation (t with n-2 degrees of freedom)."""
    from scipy import stats

    if not np.isfinite(r) or n < 3:
        return math.nan
    if abs(r) >= 1:
        return 0.0
    return float(2 * stats.t.sf(abs(_correlation_t(r, n)), n - 2))


def newey_west_lags(n: int, horizon: int) -> int:
    """Newey-West lag length: at least h-1 for overlapping h-session returns, and the usual 4(n/100)^(2/9)."""
    return max(horizon - 1, int(math.floor(4 * (n / 100.0) ** (2.0 / 9.0))), 1)


def compute_ols_hac(frame: pd.DataFrame, signal: str, target: str, horizon: int) -> dict:
    """OLS of target (a forward return) on the standardised signal, with Newey-West (HAC) t-statistic.

    The slope is the forward return per one standard deviation of the signal.
    """
    import statsmodels.api as sm

    data = frame[[signal, target]].dropna()
    row = {"test": "ols_hac", "horizon": horizon, "lag": np.nan, "estimate": math.nan,
           "t_stat": math.nan, "p_value": math.nan, "n": len(data)}
    spread = data[signal].std(ddof=1) if len(data) > 1 else 0.0
    if len(data) < MIN_OBSERVATIONS or not spread or not np.isfinite(spread):
        return row
    x = sm.add_constant((data[signal] - data[signal].mean()) / spread)
    fit = sm.OLS(data[target].to_numpy(), x.to_numpy()).fit(
        cov_type="HAC", cov_kwds={"maxlags": newey_west_lags(len(data), horizon)}
    )
    row.update(estimate=float(fit.params[1]), t_stat=float(fit.tvalues[1]), p_value=float(fit.pvalues[1]))
    return row


def compute_spike_rows(frame: pd.DataFrame, column: str = "spike", gap: int = 5) -> list[int]:
    """Row positions of spikes (a true `spike` column), skipping any within `gap` rows of the previous
    one kept (overlapping event windows would count the same returns twice)."""
    positions, last = [], -10**9
    for position in np.flatnonzero(frame[column].fillna(False).to_numpy(dtype=bool)):
        if position - last > gap:
            positions.append(int(position))
            last = position
    return positions


def compute_event_study(
    frame: pd.DataFrame, horizons: Sequence[int], abnormal: str = "excess_step", column: str = "spike", pre: int = 5,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Abnormal returns around spikes: (per-horizon CAR rows, mean path by relative period).

    Rows are index periods (sessions for a daily index). Event at t = a spike period (its trailing
    z-score is known at the close of t). CAR
    over [t+1, t+h] is what a reader of the index could still earn; [t-pre, t] shows the run-up.
    """
    post = max(horizons)
    events = compute_spike_rows(frame, column, gap=post)
    ar = frame[abnormal].to_numpy(dtype=float)
    paths = np.array([[_at(ar, e + k) for k in range(-pre, post + 1)] for e in events]).reshape(len(events), pre + post + 1)
    windows = [(f"car_1_{h}", 1, h) for h in horizons] + [(f"car_-{pre}_0", -pre, 0)]
    rows = []
    for name, lo, hi in windows:
        cars = np.nansum(paths[:, lo + pre: hi + pre + 1], axis=1)
        # Only events whose whole window lies inside the sample (a truncated CAR would bias the mean).
        complete = np.array([e + lo >= 0 and e + hi < len(ar) for e in events], dtype=bool)
        rows.append({"test": name, "horizon": hi if lo > 0 else 0, "lag": np.nan, **_mean_t(cars[complete])})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a relative day no event reaches: NaN, said once here
        mean_ar = np.nanmean(paths, axis=0) if len(events) else np.nan
    path = pd.DataFrame({"relative": range(-pre, post + 1), "mean_ar": mean_ar})
    path["mean_car"] = path["mean_ar"].fillna(0).cumsum() if len(events) else np.nan
    return pd.DataFrame(rows, columns=list(RESULT_COLUMNS)), path


def _at(values: np.ndarray, position: int) -> float:
    return float(values[position]) if 0 <= position < len(values) else math.nan


def _mean_t(values: np.ndarray) -> dict:
    from scipy import stats

    n = int(len(values))
    if n < 2:
        return {"estimate": float(values.mean()) if n else math.nan, "t_stat": math.nan, "p_value": math.nan, "n": n}
    mean, sd = float(values.mean()), float(values.std(ddof=1))
    t = mean / (sd / math.sqrt(n)) if sd > 0 else math.nan
    p = float(2 * stats.t.sf(abs(t), n - 1)) if np.isfinite(t) else math.nan
    return {"estimate": mean, "t_stat": t, "p_value": p, "n": n}
