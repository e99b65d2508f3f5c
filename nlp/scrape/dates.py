"""Entry dates: whatever the feed says, normalised to UTC "YYYY-MM-DDTHH:MM:SSZ"."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

DEFAULT_MAX_SKEW = timedelta(minutes=15)
MIN_PLAUSIBLE_YEAR = 1990  # earlier dates are almost always parse errors or placeholders
FLAG_MISSING = "missing"
FLAG_FUTURE_CLAMPED = "future_clamped"


def format_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with second precision and a Z suffix (sorts as text)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def normalize_entry_date(
    value: object, fetched_utc: datetime, max_skew: timedelta = DEFAULT_MAX_SKEW
) -> tuple[str, tuple[str, ...]]:
    """(ISO UTC date, flags) for a feed date given as struct_time (UTC, as feedparser gives), datetime or text.

    A missing or unreadable date falls back to the fetch time with the flag "missing"; a date later
    than fetch time plus `max_skew` is clamped to the fetch time with the flag "future_clamped".
    """
    moment = parse_date_value(value)
    if moment is None or moment.year < MIN_PLAUSIBLE_YEAR:
        return format_utc(fetched_utc), (FLAG_MISSING,)
    fetched = fetched_utc if fetched_utc.tzinfo else fetched_utc.replace(tzinfo=timezone.utc)
    if moment > fetched + max_skew:
        return format_utc(fetched), (FLAG_FUTURE_CLAMPED,)
    return format_utc(moment), ()


def parse_date_value(value: object) -> datetime | None:
    """An aware UTC datetime from struct_time / datetime / text, or None when there is no usable date."""
    try:
        if isinstance(value, (time.struct_time, tuple)):
            return _from_fields(tuple(value))
        if isinstance(value, datetime):
            return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        if isinstance(value, str) and value.strip():
            return _parse_date_text(value.strip())
    except (ValueError, OverflowError, OSError, TypeError):
        return None
    return None


def _from_fields(fields: tuple) -> datetime | None:
    """A UTC datetime from (year, month, day, hour, minute, second, ...); leap seconds become :59."""
    if len(fields) < 6:
        return None
    year, month, day, hour, minute, second = (int(f) for f in fields[:6])
    return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=timezone.utc)


def _parse_date_text(text: str) -> datetime | None:
    for parse in (_parse_iso, _parse_rfc822, _parse_with_feedparser):
        try:
            moment = parse(text)
        except (ValueError, OverflowError, OSError, TypeError, IndexError):
            moment = None
        if moment is not None:
            return moment
    return None


def _parse_iso(text: str) -> datetime | None:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _parse_rfc822(text: str) -> datetime | None:
    moment = parsedate_to_datetime(text)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _parse_with_feedparser(text: str) -> datetime | None:
    # feedparser knows many odd real-world formats (W3DTF, Korean, Greek, Hungarian, ...).
    from feedparser.datetimes import _parse_date

    parsed = _parse_date(text)
    return parse_date_value(parsed) if parsed else None
