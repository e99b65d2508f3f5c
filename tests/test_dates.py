"""Entry dates: normalised to UTC, missing ones fall back to fetch time, future ones are clamped."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.scrape.dates import format_utc, normalize_entry_date

FETCHED = datetime(2026, 3, 10, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("value, expected", [
    ("Sun, 08 Mar 2026 22:16 GMT", "2026-03-08T22:16:00Z"),
    ("Sun, 08 Mar 2026 07:23:46 -0400", "2026-03-08T11:23:46Z"),
    ("2026-03-05T00:48:24.900Z", "2026-03-05T00:48:24Z"),
    ("2026-03-01T10:00:00+02:00", "2026-03-01T08:00:00Z"),
    ("2026-03-01", "2026-03-01T00:00:00Z"),
    (time.strptime("2019-07-18 04:06:00", "%Y-%m-%d %H:%M:%S"), "2019-07-18T04:06:00Z"),
    (datetime(2026, 1, 2, 3, 4, 5), "2026-01-02T03:04:05Z"),
])
def test_known_formats(value, expected):
    assert normalize_entry_date(value, FETCHED) == (expected, ())


@pytest.mark.parametrize("value", [None, "", "   ", "not a date", "1800-01-01", (2026,), 12345])
def test_missing_or_unreadable_falls_back_to_fetch_time(value):
    assert normalize_entry_date(value, FETCHED) == ("2026-03-10T12:00:00Z", ("missing",))


def test_future_beyond_skew_is_clamped_and_small_skew_kept():
    soon = FETCHED + timedelta(minutes=5)
    later = FETCHED + timedelta(days=2)
    assert normalize_entry_date(soon, FETCHED) == (format_utc(soon), ())
    assert normalize_entry_date(later, FETCHED) == ("2026-03-10T12:00:00Z", ("future_clamped",))
    assert normalize_entry_date(later, FETCHED, max_skew=timedelta(days=3))[1] == ()


def test_leap_second_struct_time():
    assert normalize_entry_date((2025, 6, 30, 23, 59, 60, 0, 0, 0), FETCHED)[0] == "2025-06-30T23:59:59Z"


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=40), st.none(), st.tuples(*[st.integers(-5, 5000)] * 6)))
def test_never_raises_and_always_iso(value):
    iso, flags = normalize_entry_date(value, FETCHED)
    assert len(iso) == 20 and iso.endswith("Z") and iso <= "2026-03-10T12:15:00Z"
    assert set(flags) <= {"missing", "future_clamped"}
