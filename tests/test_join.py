"""The join: no index value uses information from after its return window starts; the statistics."""

import numpy as np
import pandas as pd
import pytest

from nlp.index.sessions import compute_sessions, trading_sessions
from nlp.index.theme_index import compute_theme_index
from nlp.join.align import build_join_frame, compute_basket_returns, compute_series_returns
from nlp.join.run import build_join_results
from nlp.join.stats import compute_event_study, compute_lag_correlations, compute_ols_hac
from nlp.prices.returns import compute_returns

SESSIONS = trading_sessions("2025-06-02", "2025-06-20")


def price_frame(closes: dict) -> pd.DataFrame:
    rows = [{"date": d, "symbol": s, "close": c, "adj_close": np.nan, "volume": np.nan}
            for s, series in closes.items() for d, c in zip(SESSIONS, series)]
    return pd.DataFrame(rows)


def cells_from_articles(published_utc: list[str], theme_flags: list[bool]) -> pd.DataFrame:
    """What the store does: each article to its session, then per-session counts (one source)."""
    frame = pd.DataFrame({"session_date": compute_sessions(pd.Series(published_utc)), "theme": theme_flags})
    grouped = frame.groupby("session_date")["theme"].agg(["sum", "count"]).reset_index()
    return pd.DataFrame({
        "session_date": grouped["session_date"], "feed_id": 1, "n_articles": grouped["sum"], "n_novel": grouped["sum"],
        "n_positive": 0, "n_negative": 0, "n_neutral": grouped["sum"], "sentiment_sum": 0.0, "sentiment_n": grouped["sum"],
        "total_articles": grouped["count"],
    })


def ny(text: str) -> str:
    return pd.Timestamp(text, tz="America/New_York").tz_convert("UTC").isoformat()


def test_news_after_the_close_cannot_see_the_move_it_reports():
    # A 16:01 article on Tue 06-10 reports a jump that happens in Wednesday's session (close 06-10 ->
    # close 06-11: +10%). Counted on Tuesday it would "predict" the jump; it must count on Wednesday.
    closes = [100.0] * len(SESSIONS)
    jump = list(SESSIONS).index(pd.Timestamp("2025-06-11"))
    closes = [c * (1.10 if i >= jump else 1.0) for i, c in enumerate(closes)]
    returns = compute_series_returns(compute_returns(price_frame({"AAA": closes}), (1,), None), "AAA")
    stamps = [ny(f"{d:%Y-%m-%d} 11:00") for d in SESSIONS] + [ny("2025-06-10 16:01")]
    flags = [False] * len(SESSIONS) + [True]
    frame = build_join_frame(compute_theme_index(cells_from_articles(stamps, flags)), returns, (1,))
    tagged = frame[frame["share"] > 0]
    assert tagged["session"].tolist() == [pd.Timestamp("2025-06-11")]
    assert tagged["ret_1"].tolist() == [0.0]  # it sees only what follows its own session's close
    tuesday = frame[frame["session"] == pd.Timestamp("2025-06-10")].iloc[0]
    assert tuesday["share"] == 0 and tuesday["ret_1"] == pytest.approx(0.10)


def test_forward_returns_start_at_the_close_of_the_index_session():
    rng = np.random.default_rng(7)
    closes = 100 * np.cumprod(1 + rng.normal(0, 0.02, len(SESSIONS)))
    returns = compute_series_returns(compute_returns(price_frame({"AAA": closes}), (1, 3), None), "AAA")
    # A purely reactive index: at t it equals the return of session t (close t-1 -> close t).
    same_day = pd.Series(closes).pct_change().to_numpy()
    index = pd.DataFrame({"period": SESSIONS, "session": SESSIONS, "share": same_day})
    frame = build_join_frame(index, returns, (1, 3))
    for i in range(len(SESSIONS) - 3):
        assert frame["ret_1"].iloc[i] == pytest.approx(closes[i + 1] / closes[i] - 1)
        assert frame["ret_3"].iloc[i] == pytest.approx(closes[i + 3] / closes[i] - 1)
    assert frame["ret_step"].iloc[1:].to_numpy() == pytest.approx(same_day[1:])
    # The contemporaneous return is perfectly related to this index; the forward one is not.
    assert frame["share"].corr(frame["ret_step"]) == pytest.approx(1.0)
    assert abs(frame["share"].corr(frame["ret_1"])) < 0.9


def test_weekly_index_is_joined_at_the_last_session_of_its_week():
    closes = [100 + i for i in range(len(SESSIONS))]
    returns = compute_series_returns(compute_returns(price_frame({"AAA": closes}), (1,), None), "AAA")
    stamps = [ny(f"{d:%Y-%m-%d} 10:00") for d in SESSIONS]
    weekly = compute_theme_index(cells_from_articles(stamps, [True] * len(stamps)), "W")
    frame = build_join_frame(weekly, returns, (1,))
    first = frame.iloc[0]
    assert first["session"] == pd.Timestamp("2025-06-06")  # Friday
    friday, monday = list(SESSIONS).index(pd.Timestamp("2025-06-06")), list(SESSIONS).index(pd.Timestamp("2025-06-09"))
    assert first["ret_1"] == pytest.approx(closes[monday] / closes[friday] - 1)


def test_basket_membership_uses_no_later_articles():
    rng = np.random.default_rng(1)
    closes = {s: 100 * np.cumprod(1 + rng.normal(0, 0.02, len(SESSIONS))) for s in ("AAA", "BBB", "CCC")}
    returns = compute_returns(price_frame(closes), (1, 5), "equal")
    counts = pd.DataFrame({"session_date": [SESSIONS[0], SESSIONS[3]], "ticker": ["AAA", "BBB"], "n_articles": [1, 1]})
    basket = compute_basket_returns(counts, returns, window=60, top_n=10)
    later = pd.concat([counts, pd.DataFrame({"session_date": [SESSIONS[6]], "ticker": ["CCC"], "n_articles": [5]})])
    with_later = compute_basket_returns(later, returns, window=60, top_n=10)
    cut = SESSIONS[5]
    pd.testing.assert_frame_equal(basket.loc[:cut], with_later.loc[:cut])
    aaa = compute_series_returns(returns, "AAA")
    assert basket.loc[SESSIONS[1], "ret_1"] == pytest.approx(aaa.loc[SESSIONS[1], "ret_1"])  # only AAA yet
    assert basket.loc[SESSIONS[0], "n_members"] == 1 and basket.loc[SESSIONS[3], "n_members"] == 2
    # The same-session return of t is earned by the basket formed at t-1.
    assert basket.loc[SESSIONS[4], "ret_0"] == pytest.approx(basket.loc[SESSIONS[3], "ret_1"])


def make_frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"signal": rng.normal(size=n), "noise": rng.normal(scale=0.01, size=n)})


def test_lag_correlations_find_the_lead():
    frame = make_frame()
    frame["ret_step"] = frame["signal"].shift(1) * 0.01 + frame["noise"]  # the signal leads by one period
    table = compute_lag_correlations(frame, "signal", "ret_step").set_index(["test", "lag"])
    assert table.loc[("pearson", 1), "estimate"] > 0.6
    assert table.loc[("spearman", 1), "estimate"] > 0.6
    assert abs(table.loc[("pearson", 0), "estimate"]) < 0.2
    assert table.loc[("pearson", 1), "p_value"] < 1e-6
    assert sorted(table.index.get_level_values("lag").unique()) == list(range(-5, 6))


def test_ols_hac_recovers_a_slope_and_not_a_spurious_one():
    frame = make_frame()
    frame["ret_1"] = 0.01 * (frame["signal"] - frame["signal"].mean()) / frame["signal"].std() + frame["noise"]
    row = compute_ols_hac(frame, "signal", "ret_1", 1)
    assert row["estimate"] == pytest.approx(0.01, rel=0.1) and row["t_stat"] > 5 and row["n"] == 300
    null = compute_ols_hac(frame.assign(ret_1=frame["noise"]), "signal", "ret_1", 1)
    assert abs(null["t_stat"]) < 3


def test_event_study_measures_returns_after_spikes():
    n = 200
    frame = pd.DataFrame({"spike": np.zeros(n, dtype=bool), "excess_step": np.zeros(n)})
    events = [30, 80, 130, 170]
    frame.loc[82, "spike"] = True  # within the window of the event at 80: not counted twice
    for e in events:
        frame.loc[e, "spike"] = True
        frame.loc[e + 1, "excess_step"] = 0.02 + 0.001 * e / 100  # the day after the spike
        frame.loc[e, "excess_step"] = 0.05  # same-day move: inside the run-up window, not the CAR
    cars, path = compute_event_study(frame, (1, 5), "excess_step", pre=5)
    cars = cars.set_index("test")
    assert cars.loc["car_1_1", "n"] == 4
    assert cars.loc["car_1_1", "estimate"] == pytest.approx(np.mean([0.02 + 0.001 * e / 100 for e in events]))
    assert cars.loc["car_1_1", "t_stat"] > 10
    assert cars.loc["car_-5_0", "estimate"] == pytest.approx(0.05)
    assert path.set_index("relative").loc[1, "mean_ar"] > 0.02


def test_join_results_hold_every_statistic_for_every_series():
    rng = np.random.default_rng(2)
    days = trading_sessions("2024-01-02", "2024-12-31")
    closes = {s: 100 * np.cumprod(1 + rng.normal(0, 0.01, len(days))) for s in ("AAA", "SPY")}
    prices = pd.DataFrame([{"date": d, "symbol": s, "close": c, "adj_close": np.nan, "volume": np.nan}
                           for s, series in closes.items() for d, c in zip(days, series)])
    returns = compute_returns(prices, (1, 5), "SPY")
    cells = pd.DataFrame({"session_date": days, "feed_id": 1, "n_articles": rng.integers(0, 5, len(days)),
                          "total_articles": 10, "n_positive": 1, "n_negative": 1, "n_neutral": 0,
                          "sentiment_sum": rng.normal(size=len(days)), "sentiment_n": 2})
    cells["n_novel"] = cells["n_articles"]
    index = compute_theme_index(cells)
    counts = pd.DataFrame({"session_date": days, "ticker": "AAA", "n_articles": 1})
    series = {"basket": compute_basket_returns(counts, returns), "SPY": compute_series_returns(returns, "SPY")}
    out = build_join_results("t", index, series, (1, 5)).results
    basket = out[(out["series"] == "basket") & (out["signal"] == "index") & (out["target"] == "excess")]
    assert set(basket["test"]) == {"pearson", "spearman", "ols_hac"}
    assert len(basket[basket["test"] == "pearson"]) == 11
    assert set(out.loc[out["signal"] == "spike", "test"]) == {"car_1_1", "car_1_5", "car_-5_0"}
    assert basket["n"].max() > 200


def test_correlations_and_p_values_match_scipy():
    from scipy import stats

    frame = make_frame(n=80, seed=4)
    frame["ret_step"] = frame["signal"].shift(-2) * 0.3 + frame["noise"] * 50  # some lag -2 relation
    table = compute_lag_correlations(frame, "signal", "ret_step").set_index(["test", "lag"])
    for lag in (-2, 0, 3):
        pairs = pd.DataFrame({"x": frame["signal"], "y": frame["ret_step"].shift(-lag)}).dropna()
        pearson, spearman = stats.pearsonr(pairs["x"], pairs["y"]), stats.spearmanr(pairs["x"], pairs["y"])
        assert table.loc[("pearson", lag), "estimate"] == pytest.approx(pearson[0])
        assert table.loc[("pearson", lag), "p_value"] == pytest.approx(pearson[1], rel=1e-6)
        assert table.loc[("spearman", lag), "estimate"] == pytest.approx(spearman[0])
        assert table.loc[("spearman", lag), "p_value"] == pytest.approx(spearman[1], rel=1e-6)
        assert table.loc[("pearson", lag), "n"] == len(pairs)


def test_the_api_names_stay_callable_after_their_packages_load():
    import nlp
    import nlp.join.align  # noqa: F401  (importing a submodule rebinds nlp.join to the package)
    import nlp.report.html  # noqa: F401
    from nlp.errors import NarrativeError
    from nlp.store import open_db

    assert callable(nlp.join) and callable(nlp.report)
    with pytest.raises(NarrativeError, match="no prices in the database"):
        nlp.join(db=open_db(":memory:"))
