"""Returns over sessions on known prices: forward simple and log returns, same-session, excess."""

import math

import numpy as np
import pandas as pd
import pytest

from nlp.errors import NarrativeError
from nlp.prices.returns import compute_returns, parse_horizons

DAYS = pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07", "2025-01-08"])


def prices(**series) -> pd.DataFrame:
    rows = [
        {"date": d, "symbol": symbol, "close": c, "adj_close": np.nan, "volume": np.nan}
        for symbol, closes in series.items() for d, c in zip(DAYS, closes)
    ]
    return pd.DataFrame(rows)


def row(frame, symbol, day):
    return frame[(frame["symbol"] == symbol) & (frame["date"] == pd.Timestamp(day))].iloc[0]


def test_forward_returns_run_from_close_t_to_close_t_plus_h():
    out = compute_returns(prices(AAA=[100, 110, 121, 60.5, 60.5], SPY=[100, 101, 102, 103, 104]), (1, 2))
    first = row(out, "AAA", "2025-01-02")
    assert first["ret_1"] == pytest.approx(0.10)
    assert first["logret_1"] == pytest.approx(math.log(1.10))
    assert first["ret_2"] == pytest.approx(0.21)
    assert first["excess_1"] == pytest.approx(0.10 - 0.01)
    assert first["excess_2"] == pytest.approx(0.21 - 0.02)
    assert math.isnan(first["ret_0"])  # no close before the first session
    third = row(out, "AAA", "2025-01-06")
    assert third["ret_0"] == pytest.approx(0.10)  # close 01-03 -> close 01-06, across the weekend
    assert third["ret_1"] == pytest.approx(-0.5)
    last = row(out, "AAA", "2025-01-08")
    assert math.isnan(last["ret_1"]) and math.isnan(last["ret_2"])


def test_equal_weighted_benchmark_is_the_universe_mean():
    out = compute_returns(prices(AAA=[100, 110, 110, 110, 110], BBB=[100, 90, 90, 90, 90]), (1,), "equal")
    first = row(out, "AAA", "2025-01-02")
    assert first["excess_1"] == pytest.approx(0.10 - 0.0)
    assert row(out, "BBB", "2025-01-02")["excess_1"] == pytest.approx(-0.10)


def test_adjusted_close_wins_over_close():
    frame = prices(AAA=[100, 100, 100, 100, 100])
    frame["adj_close"] = [50, 55, 55, 55, 55]
    out = compute_returns(frame, (1,), None)
    assert row(out, "AAA", "2025-01-02")["ret_1"] == pytest.approx(0.10)
    assert "excess_1" not in out.columns


def test_missing_benchmark_is_a_clear_error():
    with pytest.raises(NarrativeError, match="benchmark SPY is not in the loaded prices"):
        compute_returns(prices(AAA=[1, 2, 3, 4, 5]), (1,), "SPY")


def test_horizons_parse_and_reject_nonsense():
    assert parse_horizons("20, 1,5") == (1, 5, 20)
    for bad in ("0", "a,b", ""):
        with pytest.raises(NarrativeError):
            parse_horizons(bad)
