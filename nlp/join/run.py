"""`narrative join`: every statistic for every theme, as one tidy table (pure core + a thin loader)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import pandas as pd
import sqlite_utils

from nlp.errors import NarrativeError
from nlp.join.align import build_join_frame, build_return_panels, compute_basket_returns, compute_series_returns
from nlp.join.stats import RESULT_COLUMNS, compute_event_study, compute_lag_correlations, compute_ols_hac

JOIN_COLUMNS = ("theme", "series", "signal", "target", *RESULT_COLUMNS)
JOIN_SIGNALS = ("index", "mean_sentiment")
BASKET = "basket"


@dataclass
class JoinOutput:
    results: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    frames: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)
    indexes: dict[str, pd.DataFrame] = field(default_factory=dict)


def build_join_results(theme: str, index: pd.DataFrame, series: dict[str, pd.DataFrame], horizons: Sequence[int]) -> JoinOutput:
    """Correlations at lags -5..+5, OLS with HAC t-stats per horizon, and the spike event study,
    for each signal of the index against each return series (and its excess return where given)."""
    output = JoinOutput(pd.DataFrame(columns=list(JOIN_COLUMNS)), indexes={theme: index})
    rows: list[dict] = []
    for name, returns in series.items():
        frame = build_join_frame(index, returns, horizons)
        output.frames[(theme, name)] = frame
        targets = ["ret"] + (["excess"] if "excess_step" in frame else [])
        labels = {"theme": theme, "series": name}
        for signal in [s for s in JOIN_SIGNALS if frame[s].notna().any()]:  # no tone without a classifier
            for target in targets:
                found = compute_lag_correlations(frame, signal, f"{target}_step").to_dict("records")
                found += [compute_ols_hac(frame, signal, f"{target}_{h}", h) for h in horizons]
                rows += [{**labels, "signal": signal, "target": target, **row} for row in found]
        abnormal = "excess" if "excess_step" in frame else "ret"
        events, _ = compute_event_study(frame, horizons, abnormal=f"{abnormal}_step")
        rows += [{**labels, "signal": "spike", "target": abnormal, **row} for row in events.to_dict("records")]
    if rows:
        output.results = pd.DataFrame(rows, columns=list(JOIN_COLUMNS))
    return output


def build_theme_series(
    counts: pd.DataFrame, returns: pd.DataFrame, benchmark: str | None, top_n: int, window: int,
    panels: dict[str, pd.DataFrame] | None = None,
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The return series a theme is joined with: its basket, and the benchmark symbol itself."""
    series, notes = {}, []
    basket = compute_basket_returns(counts, returns, window=window, top_n=top_n, panels=panels)
    if basket["n_members"].sum() > 0:
        series[BASKET] = basket
    else:
        notes.append("no ticker tagged with this theme has prices: no basket")
    symbol = (benchmark or "").upper()
    if symbol and symbol != "EQUAL" and symbol in set(returns["symbol"].unique()):
        market = compute_series_returns(returns, symbol)
        series[symbol] = market.drop(columns=[c for c in market.columns if c.startswith("excess")])
    return series, notes


def load_join_results(
    db: sqlite_utils.Database, themes: Sequence[str] | None = None, horizons: Sequence[int] = (1, 5, 20),
    benchmark: str | None = "SPY", freq: str = "D", top_n: int = 10, window: int = 60,
) -> JoinOutput:
    """Read the index and prices from the database and run `build_join_results` for each theme."""
    from nlp.index.timeline import check_theme, load_timeline
    from nlp.prices.returns import compute_returns
    from nlp.store.index import load_known_themes, load_ticker_theme_counts
    from nlp.store.prices import load_prices

    prices = load_prices(db)
    if prices.empty:
        raise NarrativeError("no prices in the database: run `narrative prices load FILE` first")
    chosen = list(themes) if themes else load_known_themes(db)
    if not chosen:
        raise NarrativeError("no theme aggregates yet: run `narrative extract` first")
    returns = compute_returns(prices, sorted({1, *horizons}), benchmark)
    panels = build_return_panels(returns)
    combined = JoinOutput(pd.DataFrame(columns=list(JOIN_COLUMNS)))
    for theme in chosen:
        check_theme(db, theme)
        index = load_timeline(db, theme, freq)
        combined.indexes[theme] = index
        series, notes = build_theme_series(load_ticker_theme_counts(db, theme), returns, benchmark, top_n, window, panels)
        combined.notes += [f"{theme}: {note}" for note in notes]
        if index.empty or not series:
            continue
        part = build_join_results(theme, index, series, horizons)
        combined.results = pd.concat([combined.results, part.results], ignore_index=True) if len(combined.results) else part.results
        combined.frames.update(part.frames)
    return combined


def build_join_summary(results: pd.DataFrame, horizons: Sequence[int]) -> pd.DataFrame:
    """One screen row per (theme, series, signal, target): lead/lag correlations and OLS/event t-stats."""
    rows = []
    keys = ["theme", "series", "signal", "target"]
    for key, part in results.groupby(keys, sort=False):
        row = dict(zip(keys, key))
        for lag in (-1, 0, 1):
            hit = part[(part["test"] == "pearson") & (part["lag"] == lag)]
            row[f"r(lag {lag:+d})"] = _with_p(hit)
        for h in horizons:
            hit = part[(part["test"] == "ols_hac") & (part["horizon"] == h)]
            row[f"ols t {h}"] = _value(hit, "t_stat")
            hit = part[part["test"] == f"car_1_{h}"]
            if len(hit):
                row[f"CAR {h} (t, n)"] = _car(hit)
        rows.append(row)
    return pd.DataFrame(rows).fillna("-")


def _with_p(hit: pd.DataFrame) -> str:
    if hit.empty or pd.isna(hit["estimate"].iloc[0]):
        return "-"
    return f"{hit['estimate'].iloc[0]:+.3f} (p={hit['p_value'].iloc[0]:.3f})"


def _value(hit: pd.DataFrame, column: str) -> str:
    return "-" if hit.empty or pd.isna(hit[column].iloc[0]) else f"{hit[column].iloc[0]:+.2f}"


def _car(hit: pd.DataFrame) -> str:
    row = hit.iloc[0]
    if pd.isna(row["estimate"]):
        return f"- (n={int(row['n'])})"
    t = "-" if pd.isna(row["t_stat"]) else f"{row['t_stat']:+.2f}"
    return f"{100 * row['estimate']:+.2f}% ({t}, {int(row['n'])})"
