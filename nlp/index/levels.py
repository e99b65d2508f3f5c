"""Each theme's latest level (share of articles over the last few sessions) and its change: pure."""

from __future__ import annotations

import math

import pandas as pd

LEVEL_COLUMNS = (
    "theme", "from_session", "to_session", "n_articles", "share", "previous_share", "change", "net_tone",
)


def compute_theme_levels(
    themes: pd.DataFrame, totals: pd.DataFrame, recent: list[str], sessions: int = 5
) -> pd.DataFrame:
    """Share over the newest `sessions` of `recent` (newest first) against the `sessions` before.

    `themes`: (theme, session_date, n_articles, n_positive, n_negative); `totals`: (session_date,
    total_articles). `change` is in share points (0.02 = two points more of all articles).
    """
    if not recent or themes.empty:
        return pd.DataFrame(columns=list(LEVEL_COLUMNS))
    latest, before = set(recent[:sessions]), set(recent[sessions:2 * sessions])
    total_now = _total(totals, latest)
    total_before = _total(totals, before)
    rows = []
    for theme, cells in themes.groupby("theme", sort=True):
        now = cells[cells["session_date"].isin(latest)]
        prior = cells[cells["session_date"].isin(before)]
        share = _ratio(now["n_articles"].sum(), total_now)
        previous = _ratio(prior["n_articles"].sum(), total_before)
        polar = now["n_positive"].sum() + now["n_negative"].sum()
        rows.append({
            "theme": theme, "from_session": min(latest), "to_session": max(latest),
            "n_articles": int(now["n_articles"].sum()), "share": share, "previous_share": previous,
            "change": share - previous if before else math.nan,
            "net_tone": _ratio(now["n_positive"].sum() - now["n_negative"].sum(), polar),
        })
    return pd.DataFrame(rows, columns=list(LEVEL_COLUMNS))


def _total(totals: pd.DataFrame, sessions: set[str]) -> float:
    return float(totals.loc[totals["session_date"].isin(sessions), "total_articles"].sum())


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator) / denominator if denominator else math.nan


def format_theme_level(row: dict) -> str:
    """One line for `narrative themes`: "12.5% of articles (last 5 sessions to 2025-06-05), +2.1 pts, tone +0.24"."""
    if not row or row.get("share") is None or _missing(row.get("share")):
        return "no extracted articles yet"
    parts = [f"{100 * row['share']:.1f}% of articles ({row['n_articles']} in sessions {row['from_session']}..{row['to_session']})"]
    if not _missing(row.get("change")):
        parts.append(f"{100 * row['change']:+.1f} pts")
    if not _missing(row.get("net_tone")):
        parts.append(f"tone {row['net_tone']:+.2f}")
    return ", ".join(parts)


def format_theme_levels(levels: pd.DataFrame) -> dict[str, str]:
    """theme id -> its one-line level, for every theme in `levels`."""
    return {row["theme"]: format_theme_level(row) for row in levels.to_dict("records")}


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
