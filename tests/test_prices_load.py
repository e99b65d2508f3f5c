"""Price files: long, wide, Parquet, yfinance and per-ticker exports; bad files give one clear error."""

import pandas as pd
import pytest

from nlp.errors import NarrativeError
from nlp.prices.files import load_price_file
from nlp.store.prices import load_price_symbols, load_prices, save_prices


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_long_csv_with_optional_columns(tmp_path):
    path = write(tmp_path, "prices.csv", "date,symbol,close,volume\n2025-01-02,cat,350.5,1000\n2025-01-03,CAT,351,\n2025-01-02,SPY,590,5\n")
    prices = load_price_file(path)
    assert list(prices.columns) == ["date", "symbol", "close", "adj_close", "volume"]
    assert prices["symbol"].tolist() == ["CAT", "CAT", "SPY"]
    assert prices["close"].tolist() == [350.5, 351.0, 590.0]
    assert prices["date"].iloc[0] == pd.Timestamp("2025-01-02")
    assert prices["adj_close"].isna().all() and pd.isna(prices["volume"].iloc[1])


def test_wide_csv_one_column_per_ticker(tmp_path):
    path = write(tmp_path, "wide.csv", "Date,CAT,BRK.B,SPY\n2025-01-02,350,450,590\n2025-01-03,351,,591\n")
    prices = load_price_file(path)
    assert sorted(set(prices["symbol"])) == ["BRK.B", "CAT", "SPY"]
    assert len(prices) == 5  # the empty cell is no row


def test_parquet_long_with_adjusted_close(tmp_path):
    frame = pd.DataFrame({"Date": pd.to_datetime(["2025-01-02", "2025-01-03"]), "Ticker": ["DE", "DE"],
                          "Close": [400.0, 401.0], "Adj Close": [399.0, 400.0]})
    path = tmp_path / "p.parquet"
    frame.to_parquet(path)
    prices = load_price_file(path)
    assert prices["adj_close"].tolist() == [399.0, 400.0] and prices["symbol"].tolist() == ["DE", "DE"]


def test_yfinance_export_with_a_ticker_header_row(tmp_path):
    path = write(tmp_path, "AAPL_historical_data.csv",
                 "Date,Close,High,Low,Open,Volume\n,AAPL,AAPL,AAPL,AAPL,AAPL\n2020-01-02,72.5,72.6,71.3,71.5,135480400\n")
    prices = load_price_file(path)
    assert prices["symbol"].tolist() == ["AAPL"] and prices["close"].tolist() == [72.5]


def test_per_ticker_file_named_after_its_ticker(tmp_path):
    path = write(tmp_path, "NVDA.csv", "date,open,high,low,close,volume\n2025-01-02,1,2,0.5,1.5,10\n")
    assert load_price_file(path)["symbol"].tolist() == ["NVDA"]


def test_timestamps_with_offsets_keep_their_calendar_date(tmp_path):
    path = write(tmp_path, "p.csv", "date,symbol,close\n2025-01-02 00:00:00-05:00,CAT,1\n")
    assert load_price_file(path)["date"].iloc[0] == pd.Timestamp("2025-01-02")


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("p.csv", "when,symbol,close\n2025-01-02,CAT,1\n", "no date column .*found when, symbol, close"),
        ("p.csv", "date,symbol,close\n2025-01-02,CAT,abc\n", "1 non-numeric close values, e.g. 'abc'"),
        ("p.csv", "date,symbol,close\nyesterday,CAT,1\n", "1 unparsable dates, e.g. 'yesterday'"),
        ("p.csv", "date,symbol,close\n2025-01-02,CAT,1\n2025-01-02,CAT,2\n", "repeat a \\(symbol, date\\), e.g. CAT 2025-01-02"),
        ("p.csv", "date,symbol,close\n2025-01-02,CAT,-1\n", "non-positive close"),
        ("p.csv", "date,symbol,volume\n2025-01-02,CAT,1\n", "long layout .* but no close column"),
        ("p.csv", "date\n2025-01-02\n", "only a date column"),
        ("prices.csv", "date,open,high,low,close\n2025-01-02,1,1,1,1\n", "without a symbol column"),
        ("p.csv", "date,symbol,close\n", "no rows"),
        ("p.json", "{}", "unsupported price file type .json"),
    ],
)
def test_bad_files_name_their_problem(tmp_path, name, text, message):
    with pytest.raises(NarrativeError, match=message):
        load_price_file(write(tmp_path, name, text))


def test_missing_file(tmp_path):
    with pytest.raises(NarrativeError, match="price file not found"):
        load_price_file(tmp_path / "nope.csv")


def test_save_and_load_round_trip_replaces_rows(db, tmp_path):
    path = write(tmp_path, "p.csv", "date,symbol,close\n2025-01-02,CAT,1\n2025-01-03,CAT,2\n2025-01-02,SPY,3\n")
    assert save_prices(db, load_price_file(path)) == 3
    save_prices(db, load_price_file(write(tmp_path, "q.csv", "date,symbol,close\n2025-01-03,CAT,5\n")))
    loaded = load_prices(db, ["cat"])
    assert loaded["close"].tolist() == [1.0, 5.0]
    assert loaded["date"].tolist() == [pd.Timestamp("2025-01-02"), pd.Timestamp("2025-01-03")]
    assert load_price_symbols(db) == ["CAT", "SPY"]


def test_prices_cli_bad_file_is_one_line_exit_2(tmp_path):
    from typer.testing import CliRunner

    from nlp.cli import app

    bad = write(tmp_path, "p.csv", "when,close\n1,2\n")
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "n.db"), "prices", "load", str(bad)])
    assert result.exit_code == 2
    assert [line for line in result.output.splitlines() if line.strip()] == [
        "Error: p.csv: no date column (looked for date, datetime, timestamp, time, day, trade_date; found when, close)"
    ]
    good = write(tmp_path, "g.csv", "date,symbol,close\n2025-01-02,CAT,1\n")
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "n.db"), "prices", "load", str(good)])
    assert result.exit_code == 0 and "stored 1 prices for 1 symbols (CAT)" in result.output


def test_yfinance_missing_or_offline_is_one_line(monkeypatch):
    import sys
    import types

    from nlp.prices.yfinance import fetch_prices_yfinance

    monkeypatch.setitem(sys.modules, "yfinance", None)
    with pytest.raises(NarrativeError, match=r"^yfinance is not installed: pip install 'narrative\[yfinance\]'$"):
        fetch_prices_yfinance(["CAT"])
    offline = types.SimpleNamespace(download=lambda *a, **k: (_ for _ in ()).throw(ConnectionError("no route")))
    monkeypatch.setitem(sys.modules, "yfinance", offline)
    with pytest.raises(NarrativeError, match=r"\(offline or Yahoo unavailable\): ConnectionError$"):
        fetch_prices_yfinance(["CAT"])
    monkeypatch.setitem(sys.modules, "yfinance", types.SimpleNamespace(download=lambda *a, **k: pd.DataFrame()))
    with pytest.raises(NarrativeError, match="no prices downloaded for CAT"):
        fetch_prices_yfinance(["cat"], "2025-01-01", "2025-02-01")
