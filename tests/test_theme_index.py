"""The theme index: pure computation, and the aggregates extraction keeps current in the store."""

import math

import numpy as np
import pandas as pd
import pytest

from nlp.errors import NarrativeError
from nlp.index.levels import format_theme_levels
from nlp.index.theme_index import compute_theme_index, compute_trailing_z
from nlp.index.timeline import load_timeline
from nlp.store.index import (
    latest_theme_levels, load_known_themes, load_session_articles, load_theme_cells, load_top_tickers,
    rebuild_theme_aggregates, refresh_theme_aggregates,
)

# ---- pure ----------------------------------------------------------------------------------------


def cell(day, feed, n, total, pos=0, neg=0, sent=None):
    return {
        "session_date": day, "feed_id": feed, "n_articles": n, "n_novel": n, "n_positive": pos,
        "n_negative": neg, "n_neutral": n - pos - neg, "sentiment_sum": sent if sent is not None else 0.0,
        "sentiment_n": n, "total_articles": total,
    }


def test_counts_share_tone_and_sources_per_session():
    frame = pd.DataFrame([
        cell("2025-06-09", 1, 2, 10, pos=2, sent=1.2), cell("2025-06-09", 2, 1, 10, neg=1, sent=-0.5),
        cell("2025-06-10", 1, 0, 5), cell("2025-06-10", 2, 0, 5),
    ])
    out = compute_theme_index(frame).set_index("period")
    first = out.loc[pd.Timestamp("2025-06-09")]
    assert first["n_articles"] == 3 and first["total_articles"] == 20
    assert first["share"] == pytest.approx(3 / 20)
    assert first["mean_sentiment"] == pytest.approx(0.7 / 3)
    assert first["net_tone"] == pytest.approx((2 - 1) / 3)
    assert first["n_sources"] == 2
    quiet = out.loc[pd.Timestamp("2025-06-10")]
    assert quiet["n_articles"] == 0 and quiet["share"] == 0 and quiet["n_sources"] == 0
    assert math.isnan(quiet["net_tone"])


def test_quiet_sessions_between_data_are_filled_with_zeros():
    frame = pd.DataFrame([cell("2025-06-09", 1, 1, 4), cell("2025-06-13", 1, 1, 4)])
    out = compute_theme_index(frame)
    assert [d.strftime("%d") for d in out["period"]] == ["09", "10", "11", "12", "13"]
    assert out["n_articles"].tolist() == [1, 0, 0, 0, 1]
    assert math.isnan(out["share"].iloc[1])  # no articles at all that session: share undefined


def test_weeks_and_months_group_sessions_and_know_their_last_session():
    days = pd.bdate_range("2025-06-02", "2025-07-31")
    frame = pd.DataFrame([cell(d.strftime("%Y-%m-%d"), 1, 1, 2) for d in days if d != pd.Timestamp("2025-07-04")])
    weekly = compute_theme_index(frame, "W")
    assert weekly["period"].iloc[0] == pd.Timestamp("2025-06-02")  # labelled by the week's Monday
    assert weekly["session"].iloc[0] == pd.Timestamp("2025-06-06")
    july4 = weekly[weekly["period"] == pd.Timestamp("2025-06-30")].iloc[0]
    assert july4["session"] == pd.Timestamp("2025-07-03") and july4["n_articles"] == 4
    monthly = compute_theme_index(frame, "M")
    assert monthly["n_articles"].tolist() == [21, 22]
    assert monthly["session"].tolist() == [pd.Timestamp("2025-06-30"), pd.Timestamp("2025-07-31")]


def test_epu_index_is_standardised_per_source_with_mean_100_over_the_base():
    rng = np.random.default_rng(3)
    days = [d.strftime("%Y-%m-%d") for d in pd.bdate_range("2025-02-03", "2025-04-30")]
    rows = [cell(d, f, int(rng.integers(0, 6 * f)), 10 * f) for d in days for f in (1, 2)]
    out = compute_theme_index(pd.DataFrame(rows))
    assert out["index"].mean() == pytest.approx(100.0)
    based = compute_theme_index(pd.DataFrame(rows), base_period=("2025-03-03", "2025-03-31"))
    march = based[(based["period"] >= "2025-03-03") & (based["period"] <= "2025-03-31")]
    assert march["index"].mean() == pytest.approx(100.0)
    # Per-source standardisation: doubling one source's volume (counts and totals) changes nothing.
    doubled = pd.DataFrame(rows)
    doubled.loc[doubled["feed_id"] == 2, ["n_articles", "total_articles"]] *= 2
    assert compute_theme_index(doubled)["index"].to_numpy() == pytest.approx(out["index"].to_numpy())


def test_bad_frequency_and_empty_base_period_are_clear_errors():
    frame = pd.DataFrame([cell("2025-06-09", 1, 1, 4)])
    with pytest.raises(NarrativeError, match="unknown frequency"):
        compute_theme_index(frame, "Q")
    with pytest.raises(NarrativeError, match="base period"):
        compute_theme_index(frame, base_period=("2030-01-01", None))


def test_trailing_z_ignores_the_future():
    values = pd.Series([1.0, 2, 1, 2, 1, 2, 1, 2, 9, 1])
    z = compute_trailing_z(values, window=8, min_periods=5)
    assert z.iloc[8] > 2
    changed = values.copy()
    changed.iloc[9] = 1000
    assert compute_trailing_z(changed, window=8, min_periods=5).iloc[:9].equals(z.iloc[:9])


# ---- store ---------------------------------------------------------------------------------------

SCORES = {"positive": 0.8, "negative": -0.6, "neutral": 0.0}


def add_article(db, aid, published, feed=1, themes=(), tickers=(), label="neutral", title=None):
    db["articles"].insert({"id": aid, "feed_id": feed, "title": title or f"title {aid}", "url": f"https://x.test/{aid}",
                           "published_utc": published, "fetched_utc": published}, replace=True)
    extract_article(db, aid, themes, tickers, label)


def extract_article(db, aid, themes=(), tickers=(), label="neutral"):
    """What an extraction batch does for one article: replace its rows."""
    for table in ("article_themes", "article_tickers", "article_extractions"):
        db.execute(f"DELETE FROM {table} WHERE article_id = ?", [aid])
    db["article_extractions"].insert({"article_id": aid, "run_id": 1, "sentiment_label": label,
                                      "sentiment_score": SCORES[label], "is_first_in_story": 1})
    for theme in themes:
        db["article_themes"].insert({"article_id": aid, "theme": theme, "run_id": 1, "score": 0.9})
    for symbol in tickers:
        db["article_tickers"].insert({"article_id": aid, "symbol": symbol, "run_id": 1})


@pytest.fixture
def filled(db):
    db["feeds"].insert_all([{"id": 1, "url": "https://a.test/rss", "title": "A"}, {"id": 2, "url": "https://b.test/rss", "title": "B"}])
    db["extraction_runs"].insert({"id": 1, "pipeline_version": "test"})
    add_article(db, "a1", "2025-06-10T14:00:00Z", 1, ["reshoring"], ["CAT"], "positive")
    add_article(db, "a2", "2025-06-10T20:01:00Z", 2, ["reshoring"], ["CAT", "DE"], "negative")  # 16:01 NY -> 06-11
    add_article(db, "a3", "2025-06-10T15:00:00Z", 2, ["ai_capex"], [], "neutral")
    add_article(db, "a4", "2025-06-11T13:00:00Z", 1, [], ["DE"], "positive")
    refresh_theme_aggregates(db, ["a1", "a2", "a3", "a4"])
    return db


def snapshot(db):
    return {table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4").fetchall()
            for table in ("theme_aggregates", "session_totals")}


def test_refresh_counts_articles_in_their_session(filled):
    cells = load_theme_cells(filled, "reshoring")
    by_day = cells.groupby("session_date")[["n_articles", "total_articles"]].sum()
    assert by_day.loc["2025-06-10"].tolist() == [1, 2]  # a1 of a1, a3
    assert by_day.loc["2025-06-11"].tolist() == [1, 2]  # a2 (after the close) of a2, a4
    cat = load_theme_cells(filled, "reshoring", ticker="cat")
    assert cat["n_articles"].sum() == 2 and cat["total_articles"].sum() == 2
    assert load_known_themes(filled) == ["ai_capex", "reshoring"]


def test_refresh_is_idempotent_and_matches_a_rebuild(filled):
    before = snapshot(filled)
    refresh_theme_aggregates(filled, ["a1", "a2", "a3", "a4"])
    refresh_theme_aggregates(filled, ["a2"])
    assert snapshot(filled) == before
    rebuild_theme_aggregates(filled)
    assert snapshot(filled) == before


def test_reextraction_replaces_the_old_contribution(filled):
    extract_article(filled, "a1", ["ai_capex"], [], "negative")  # a1 loses reshoring, gains ai_capex
    refresh_theme_aggregates(filled, ["a1"])
    reshoring = load_theme_cells(filled, "reshoring").groupby("session_date")["n_articles"].sum()
    assert reshoring.get("2025-06-10", 0) == 0
    capex = load_theme_cells(filled, "ai_capex").groupby("session_date")[["n_articles", "n_negative"]].sum()
    assert capex.loc["2025-06-10"].tolist() == [2, 1]
    after = snapshot(filled)
    rebuild_theme_aggregates(filled)
    assert snapshot(filled) == after


def test_a_moved_or_unextracted_article_leaves_its_old_session(filled):
    filled.execute("UPDATE articles SET published_utc = '2025-06-12T14:00:00Z' WHERE id = 'a1'")
    refresh_theme_aggregates(filled, ["a1"])
    days = load_theme_cells(filled, "reshoring").groupby("session_date")["n_articles"].sum()
    assert days.get("2025-06-10", 0) == 0 and days.loc["2025-06-12"] == 1
    for table in ("article_themes", "article_tickers", "article_extractions"):
        filled.execute(f"DELETE FROM {table} WHERE article_id = 'a1'")
    refresh_theme_aggregates(filled, ["a1"])
    assert load_theme_cells(filled, "reshoring")["n_articles"].sum() == 1


def test_timeline_reads_the_aggregates_and_rejects_unknown_themes(filled):
    out = load_timeline(filled, "reshoring")
    assert out["n_articles"].tolist() == [1, 1]
    assert out["share"].tolist() == [0.5, 0.5]
    assert load_timeline(filled, "blue_collar_ai")["n_articles"].tolist() == [0, 0]  # a card, no articles yet
    with pytest.raises(NarrativeError, match="unknown theme 'nope'; known themes: .*reshoring"):
        load_timeline(filled, "nope")


def test_top_tickers_and_spike_articles(filled):
    top = load_top_tickers(filled, "reshoring")
    assert top["ticker"].tolist() == ["CAT", "DE"] and top["n_articles"].tolist() == [2, 1]
    articles = load_session_articles(filled, "reshoring", ["2025-06-11"])
    assert articles["article_id"].tolist() == ["a2"] and articles["source"].tolist() == ["B"]


def test_latest_levels_and_their_one_line_format(filled):
    levels = latest_theme_levels(filled, sessions=1)
    row = levels.set_index("theme").loc["reshoring"]
    assert row["share"] == 0.5 and row["previous_share"] == 0.5 and row["change"] == 0
    lines = format_theme_levels(levels)
    assert lines["reshoring"].startswith("50.0% of articles (1 in sessions 2025-06-11..2025-06-11)")
    assert "+0.0 pts" in lines["reshoring"]


def test_timeline_cli_unknown_theme_is_one_line_exit_2(tmp_path):
    from typer.testing import CliRunner

    from nlp.cli import app
    from nlp.store import open_db

    path = tmp_path / "n.db"
    open_db(path).conn.close()
    result = CliRunner().invoke(app, ["--db", str(path), "timeline", "nope"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "unknown theme 'nope'" in lines[0] and "reshoring" in lines[0]


def test_refresh_inside_the_extraction_transaction_and_unchanged_articles_write_nothing(filled):
    from nlp.store.db import write_transaction

    before = snapshot(filled)
    with write_transaction(filled):
        extract_article(filled, "a2", ["reshoring"], ["CAT", "DE"], "negative")  # same labels again
        assert refresh_theme_aggregates(filled, ["a2"]) == 0
    assert snapshot(filled) == before


def test_weeks_and_months_summed_in_sql_match_the_daily_cells(db):
    db["feeds"].insert_all([{"id": i, "url": f"https://{i}.test"} for i in (1, 2, 3)])
    db["extraction_runs"].insert({"id": 1, "pipeline_version": "test"})
    rng = np.random.default_rng(5)
    stamps = pd.date_range("2025-05-20", "2025-08-10", freq="5h", tz="UTC")
    for i, stamp in enumerate(stamps):
        themes = ["reshoring"] if rng.random() < 0.4 else []
        label = ["positive", "negative", "neutral"][int(rng.integers(0, 3))]
        add_article(db, f"w{i}", stamp.strftime("%Y-%m-%dT%H:%M:%SZ"), int(rng.integers(1, 4)), themes, ["CAT"] if rng.random() < 0.5 else [], label)
    refresh_theme_aggregates(db, [f"w{i}" for i in range(len(stamps))])
    daily = load_theme_cells(db, "reshoring")
    for freq in ("W", "M"):
        from_sql = load_timeline(db, "reshoring", freq)
        from_days = compute_theme_index(daily, freq)
        pd.testing.assert_frame_equal(from_sql, from_days)
    assert load_timeline(db, "reshoring", "D")["n_sources"].max() == 3


def test_contributions_are_exact_and_cancel():
    from nlp.index.contributions import build_article_state, compute_cell_deltas

    old = build_article_state("2025-06-10", 1, 1, "Positive", 0.1234567, ["a", "b"], [("CAT", None, None)])
    same = build_article_state("2025-06-10", 1, 1, "positive", 0.1234567, ["b", "a"], [("CAT", None, None)])
    assert compute_cell_deltas([old], [same]) == {}
    deltas = compute_cell_deltas([], [old])
    assert deltas[("", "", "2025-06-10", 1)] == [1, 1, 1, 0, 0, 123457, 1]
    assert deltas[("a", "CAT", "2025-06-10", 1)] == [1, 1, 1, 0, 0, 123457, 1]  # the ticker takes the article's tone
    moved = build_article_state("2025-06-11", 1, 0, "negative", -0.5, ["a"], [])
    change = compute_cell_deltas([old], [moved])
    assert change[("a", "", "2025-06-10", 1)] == [-1, -1, -1, 0, 0, -123457, -1]
    assert change[("a", "", "2025-06-11", 1)] == [1, 0, 0, 1, 0, -500000, 1]


def test_an_empty_index_over_extracted_articles_asks_for_reindex(filled):
    filled.execute("DELETE FROM index_articles")
    with pytest.raises(NarrativeError, match="run `narrative reindex`"):
        load_timeline(filled, "reshoring")
    rebuild_theme_aggregates(filled)
    assert load_timeline(filled, "reshoring")["n_articles"].sum() == 2


def test_articles_without_a_feed_date_stay_out_of_the_index(filled):
    add_article(filled, "u1", "2026-11-24T06:00:00Z", 1, ["reshoring"], [], "positive")
    filled.execute("UPDATE articles SET date_flags = 'missing' WHERE id = 'u1'")
    refresh_theme_aggregates(filled, ["u1"])
    assert load_timeline(filled, "reshoring")["session"].max() == pd.Timestamp("2025-06-11")
