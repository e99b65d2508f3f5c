"""One self-contained HTML page: per theme, attention and tone over time with the basket's cumulative
return, top tickers, and the articles behind each spike. Pure: data in, a string out.

Everything that came from a feed is escaped (html.escape for markup, JSON with <, >, & escaped for the
chart data); links are kept only when they are http(s).
"""

from __future__ import annotations

import html
import json
import math
from typing import Any, Sequence
from urllib.parse import urlsplit

import pandas as pd

from nlp.index.theme_index import SPIKE_MIN_ARTICLES, compute_rolling_net_tone
from nlp.report.assets import CHART_JS, STYLE_CSS

ARTICLES_PER_SPIKE = 5
MAX_SPIKES = 12
TONE_WINDOW = 5


def build_theme_section(
    theme: str, index: pd.DataFrame, top_tickers: pd.DataFrame, spike_articles: pd.DataFrame,
    basket_cumulative: pd.Series | None = None, label: str | None = None,
) -> dict:
    """The data of one theme's section (JSON-ready; text is escaped later, at rendering)."""
    dates = [d.strftime("%Y-%m-%d") for d in pd.to_datetime(index["session"])] if len(index) else []
    spikes = index[index["spike"]] if len(index) else index
    spikes = spikes.sort_values("attention_z", ascending=False).head(MAX_SPIKES).sort_values("session")
    return {
        "id": theme,
        "label": label or theme.replace("_", " "),
        "timeline": {
            "dates": dates,
            "share": _floats(index.get("share")), "net_tone": _floats(index.get("net_tone")),
            "mean_sentiment": _floats(index.get("mean_sentiment")), "n_articles": _floats(index.get("n_articles")),
            "tone_smooth": _floats(compute_rolling_net_tone(index, TONE_WINDOW)) if len(index) else [],
        },
        "basket": _aligned(basket_cumulative, dates),
        "spike_dates": [d.strftime("%Y-%m-%d") for d in pd.to_datetime(spikes["session"])] if len(spikes) else [],
        "spikes": [_spike(row, spike_articles) for row in spikes.to_dict("records")] if len(spikes) else [],
        "top_tickers": top_tickers.to_dict("records") if len(top_tickers) else [],
        "n_articles": int(index["n_articles"].sum()) if len(index) else 0,
        "has_tone": bool(len(index)) and bool(index["mean_sentiment"].notna().any() or index["net_tone"].notna().any()),
    }


def _floats(values: Any) -> list[float | None]:
    if values is None:
        return []
    return [None if v is None or (isinstance(v, float) and not math.isfinite(v)) else round(float(v), 6) for v in values]


def _aligned(series: pd.Series | None, dates: list[str]) -> list[float | None] | None:
    if series is None or series.empty:
        return None
    keyed = pd.Series(series.to_numpy(), index=[pd.Timestamp(d).strftime("%Y-%m-%d") for d in series.index])
    return _floats(keyed.reindex(dates).ffill().tolist())


def _spike(row: dict, articles: pd.DataFrame) -> dict:
    day = pd.Timestamp(row["session"]).strftime("%Y-%m-%d")
    mine = articles[articles["session_date"] == day].head(ARTICLES_PER_SPIKE) if len(articles) else articles
    return {
        "session": day, "z": float(row["attention_z"]), "n_articles": int(row["n_articles"]),
        "share": float(row["share"]) if pd.notna(row["share"]) else None,
        "articles": mine.to_dict("records") if len(mine) else [],
    }


def build_overview(indexes: dict[str, pd.DataFrame]) -> dict:
    """All themes' normalised index (mean 100) on one time axis."""
    frames = {theme: frame.set_index("session")["index"] for theme, frame in indexes.items() if len(frame)}
    if not frames:
        return {"dates": [], "series": []}
    table = pd.DataFrame(frames).sort_index()
    return {
        "dates": [d.strftime("%Y-%m-%d") for d in pd.to_datetime(table.index)],
        "series": [{"name": theme, "values": _floats(table[theme].tolist())} for theme in table.columns],
    }


def build_report_html(
    sections: Sequence[dict], overview: dict | None = None, title: str = "narrative report",
    generated: str = "", join_summary: pd.DataFrame | None = None, notes: Sequence[str] = (),
) -> str:
    """The whole page as one string: inline CSS, inline JS, data as escaped JSON; no network."""
    payload = {"themes": [_chart_data(s) for s in sections], "overview": overview or {"dates": [], "series": []}}
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>", f"<style>{STYLE_CSS}</style></head><body>",
        f"<header><h1>{_e(title)}</h1><p>{_e(generated)}</p></header><main>",
        "<noscript><p>The charts need JavaScript; the tables below do not.</p></noscript>",
        _overview_html(overview), _nav_html(sections),
        *[_section_html(s) for s in sections], _join_html(join_summary), _notes_html(notes),
        "</main>", f'<script type="application/json" id="report-data">{_json_for_script(payload)}</script>',
        f"<script>{CHART_JS}</script>", "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _json_for_script(payload: dict) -> str:
    text = json.dumps(payload, ensure_ascii=True, allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _chart_data(section: dict) -> dict:
    keys = ("id", "timeline", "basket", "spike_dates")
    return {key: section[key] for key in keys}


def safe_url(url: Any) -> str | None:
    """The URL if it is http(s), else None (a javascript: link in a feed must not become clickable)."""
    text = str(url or "").strip()
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return None
    return text if scheme in {"http", "https"} else None


def _overview_html(overview: dict | None) -> str:
    if not overview or not overview.get("dates"):
        return ""
    return ('<h2>All themes</h2><p class="muted">Normalised attention index (EPU-style: share of each source\'s '
            'articles, standardised per source, mean 100).</p><div class="chart-host" id="overview"></div>')


def _nav_html(sections: Sequence[dict]) -> str:
    if not sections:
        return "<p>No theme has extracted articles yet: run <code>narrative extract</code>.</p>"
    buttons = "".join(f'<button data-theme="{_e(s["id"])}">{_e(s["label"])}</button>' for s in sections)
    return f"<nav>{buttons}</nav>"


def _section_html(section: dict) -> str:
    sid = _e(section["id"])
    basket = "" if section["basket"] else '<p class="muted">No priced tickers tagged with this theme: no basket line.</p>'
    return "\n".join([
        f'<section class="theme" id="theme-{sid}"><h2>{_e(section["label"])}</h2>',
        f'<p class="muted">{section["n_articles"]} articles. Red dots: spikes (attention z-score &gt; 2 against the '
        f'previous 20 sessions, at least {SPIKE_MIN_ARTICLES} articles).</p>',
        f'<h3>Attention and the theme basket</h3><div class="chart-host" id="attention-{sid}"></div>{basket}',
        f'<h3>Tone</h3><div class="chart-host" id="tone-{sid}"></div>' if section["has_tone"] else
        '<h3>Tone</h3><p class="muted">No sentiment yet: these articles were extracted without a classifier.</p>',
        '<div class="grid2">', _tickers_html(section["top_tickers"]), _spikes_html(section["spikes"]), "</div>",
        "</section>",
    ])


def _tickers_html(tickers: list[dict]) -> str:
    if not tickers:
        return '<div><h3>Top tickers</h3><p class="muted">No tickers yet.</p></div>'
    top = max(int(t["n_articles"]) for t in tickers) or 1
    rows = "".join(
        f'<tr><td>{_e(t["ticker"])}</td><td class="num">{int(t["n_articles"])}</td>'
        f'<td><span class="bar" style="width:{int(100 * int(t["n_articles"]) / top)}px"></span></td>'
        f'<td class="num">{_number(t.get("mean_sentiment"))}</td></tr>'
        for t in tickers
    )
    return ('<div><h3>Top tickers</h3><table><tr><th>Ticker</th><th class="num">Articles</th><th></th>'
            f'<th class="num">Mean sentiment</th></tr>{rows}</table></div>')


def _number(value: Any, digits: int = 2) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "-"
    return f"{number:+.{digits}f}" if math.isfinite(number) else "-"


def _spikes_html(spikes: list[dict]) -> str:
    if not spikes:
        return '<div><h3>Spikes and their articles</h3><p class="muted">No spike (z &gt; 2) yet.</p></div>'
    blocks = [_spike_html(s) for s in spikes]
    return f'<div><h3>Spikes and their articles</h3>{"".join(blocks)}</div>'


def _spike_html(spike: dict) -> str:
    share = "" if spike["share"] is None else f", {100 * spike['share']:.1f}% of articles"
    items = "".join(_article_html(a) for a in spike["articles"]) or '<li class="muted">articles not available</li>'
    return (f'<div class="spike" id="spike-{_e(spike["session"])}"><span class="when">{_e(spike["session"])}</span> '
            f'<span class="muted">z = {spike["z"]:.1f}, {spike["n_articles"]} articles{share}</span><ul>{items}</ul></div>')


def _article_html(article: dict) -> str:
    title = _e(article.get("title") or "(untitled)")
    url = safe_url(article.get("url"))
    link = f'<a href="{_e(url)}" rel="noopener noreferrer nofollow" target="_blank">{title}</a>' if url else title
    when = str(article.get("published_utc") or "")[:16].replace("T", " ")
    meta = " · ".join(_e(v) for v in (when and f"{when} UTC",
                                       article.get("source"), article.get("sentiment_label")) if v)
    return f'<li>{link} <span class="muted">{meta}</span></li>'


def _join_html(summary: pd.DataFrame | None) -> str:
    if summary is None or summary.empty:
        return ""
    header = "".join(f"<th>{_e(c)}</th>" for c in summary.columns)
    rows = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in summary.itertuples(index=False))
    return ('<h2>Join with returns</h2><p class="muted">r(lag k): correlation of the index at t with the return of '
            'period t+k (k = +1: the index leads). OLS t: Newey-West t-statistic of forward returns on the index. '
            f'CAR: mean abnormal return after spikes.</p><table><tr>{header}</tr>{rows}</table>')


def _notes_html(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    return "<h3>Notes</h3><ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>"
