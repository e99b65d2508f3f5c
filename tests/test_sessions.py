"""Trading-session alignment: after the New York close -> next session; weekends, holidays, DST."""

import pandas as pd
import pytest

from nlp.index.sessions import compute_session, compute_session_isodates, compute_sessions, trading_sessions


def ny(text: str) -> str:
    """A New York wall-clock time as a UTC ISO string (handles DST like a real feed timestamp)."""
    return pd.Timestamp(text, tz="America/New_York").tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def session(text: str) -> str:
    return compute_session(text).strftime("%Y-%m-%d")


@pytest.mark.parametrize(
    "when, expected",
    [
        ("2025-06-10 15:59", "2025-06-10"),  # before the close: same session (EDT)
        ("2025-06-10 16:01", "2025-06-11"),  # after the close: next session
        ("2025-06-10 16:00", "2025-06-11"),  # at the close the price is set: next session
        ("2025-06-10 04:00", "2025-06-10"),  # pre-market
        ("2025-01-14 15:59", "2025-01-14"),  # winter (EST)
        ("2025-01-14 16:01", "2025-01-15"),
        ("2025-06-13 16:01", "2025-06-16"),  # Friday after the close -> Monday
        ("2025-06-14 12:00", "2025-06-16"),  # Saturday
        ("2025-06-15 23:00", "2025-06-16"),  # Sunday evening
        ("2025-07-04 10:00", "2025-07-07"),  # Independence Day (Friday)
        ("2025-07-03 13:30", "2025-07-07"),  # after the 13:00 early close before the holiday
        ("2025-07-03 12:59", "2025-07-03"),
        ("2025-12-25 09:00", "2025-12-26"),  # Christmas
        ("2025-12-24 16:30", "2025-12-26"),
        ("2025-04-18 11:00", "2025-04-21"),  # Good Friday
        ("2025-01-09 11:00", "2025-01-10"),  # national day of mourning (market closed)
    ],
)
def test_new_york_times_map_to_their_session(when, expected):
    assert session(ny(when)) == expected


@pytest.mark.parametrize(
    "utc, expected",
    [
        ("2025-03-07T20:30:00Z", "2025-03-07"),  # 15:30 EST, Friday before the switch
        ("2025-03-10T20:30:00Z", "2025-03-11"),  # 16:30 EDT, Monday after the switch
        ("2025-10-31T20:30:00Z", "2025-11-03"),  # 16:30 EDT Friday -> Monday
        ("2025-11-03T20:30:00Z", "2025-11-03"),  # 15:30 EST after falling back
        ("2025-11-03T21:01:00Z", "2025-11-04"),  # 16:01 EST
    ],
)
def test_daylight_saving_shifts_the_close_in_utc(utc, expected):
    assert session(utc) == expected


def test_offsets_and_naive_timestamps_are_understood():
    assert session("2025-06-10 16:01:00-04:00") == "2025-06-11"
    assert session("2025-06-10 19:59:00") == "2025-06-10"  # naive = UTC


def test_vectorised_keeps_the_index_and_marks_bad_values():
    series = pd.Series([ny("2025-06-10 16:01"), "not a date", None, ny("2025-06-10 09:00")], index=[10, 11, 12, 13])
    result = compute_sessions(series)
    assert list(result.index) == [10, 11, 12, 13]
    assert result.iloc[0] == pd.Timestamp("2025-06-11")
    assert result.iloc[1:3].isna().all()
    assert compute_session_isodates(series) == ["2025-06-11", None, None, "2025-06-10"]


def test_trading_sessions_skip_weekends_and_holidays():
    days = [d.strftime("%Y-%m-%d") for d in trading_sessions("2025-07-02", "2025-07-08")]
    assert days == ["2025-07-02", "2025-07-03", "2025-07-07", "2025-07-08"]
