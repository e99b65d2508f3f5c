"""What a fetch can end as: error classes, the fetch policy (safe defaults), the result record.

Pure: the fault matrix of issue 8 is written against these names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

# Error classes, as stored in fetches.error_class. None means the attempt succeeded.
TIMEOUT = "timeout"                    # connect, read or whole-request time limit
CONNECT_ERROR = "connect_error"        # refused, unreachable, DNS failure
PROTOCOL_ERROR = "protocol_error"      # connection dropped mid-answer, malformed HTTP
HTTP_4XX = "http_4xx"
HTTP_429 = "http_429"                  # rate limited; Retry-After honoured per host
HTTP_5XX = "http_5xx"
UNEXPECTED_STATUS = "unexpected_status"  # e.g. a 3xx without Location
TOO_LARGE = "too_large"                # declared or streamed body (after decompression) over the cap
BAD_ENCODING = "bad_encoding"          # unknown Content-Encoding or a corrupt compressed body
REDIRECT_LOOP = "redirect_loop"
TOO_MANY_REDIRECTS = "too_many_redirects"
BAD_SCHEME = "bad_scheme"              # not http/https (also on a redirect), or an https->http downgrade
BAD_URL = "bad_url"
PRIVATE_ADDRESS = "private_address"    # loopback/private/link-local target refused (article pages)
ROBOTS_DISALLOWED = "robots_disallowed"
NOT_FOUND = "not_found"                # a local path that does not exist
READ_ERROR = "read_error"              # a local path that cannot be read
EMPTY_BODY = "empty_body"
NOT_A_FEED = "not_a_feed"              # e.g. an HTML page where a feed was expected
MALFORMED_XML = "malformed_xml"        # not usable: broken XML and no entries recovered
NO_TEXT = "no_text"                    # an article page with no extractable main text
INTERNAL_ERROR = "internal_error"      # a bug of ours, caught per feed so that the other feeds go on

ERROR_CLASSES = {
    TIMEOUT: "no answer within the time limit", CONNECT_ERROR: "could not connect",
    PROTOCOL_ERROR: "the connection broke mid-answer", HTTP_4XX: "client error status",
    HTTP_429: "rate limited", HTTP_5XX: "server error status", UNEXPECTED_STATUS: "unexpected HTTP status", TOO_LARGE: "body over the size cap",
    BAD_ENCODING: "unsupported or corrupt content encoding", REDIRECT_LOOP: "redirect loop",
    TOO_MANY_REDIRECTS: "too many redirects", BAD_SCHEME: "scheme not allowed", BAD_URL: "malformed URL",
    PRIVATE_ADDRESS: "private or loopback address refused", ROBOTS_DISALLOWED: "disallowed by robots.txt",
    NOT_FOUND: "no such file", READ_ERROR: "file cannot be read", EMPTY_BODY: "empty body",
    NOT_A_FEED: "not a feed", MALFORMED_XML: "malformed XML with nothing usable", NO_TEXT: "no main text found",
    INTERNAL_ERROR: "unexpected error (please report)",
}
# Worth another try after a pause; everything else is final for this run.
TRANSIENT_CLASSES = frozenset({TIMEOUT, CONNECT_ERROR, PROTOCOL_ERROR, HTTP_429, HTTP_5XX})

MIB = 1024 * 1024


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one kind of fetch; the defaults are the safe ones."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 120.0        # whole request incl. a slow drip of bytes
    max_bytes: int = 10 * MIB           # after decompression
    max_redirects: int = 5
    max_retries: int = 2                # extra attempts, transient classes only
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    retry_after_max: float = 60.0       # a longer Retry-After ends this run's attempts at that feed
    allow_private: bool = True          # feeds are named by the user; article pages are not
    allow_https_downgrade: bool = False
    min_host_interval: float = 0.0      # per-host delay between request starts
    user_agent: str | None = None       # None: settings.user_agent()


FEED_POLICY = FetchPolicy()
PAGE_POLICY = FetchPolicy(max_bytes=5 * MIB, total_timeout=60.0, max_retries=1, allow_private=False,
                          min_host_interval=1.0)


@dataclass(frozen=True)
class FetchResult:
    """One attempt at one URL or path: what came back, or why nothing usable did."""

    url: str
    started_utc: str
    ended_utc: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error_class: str | None = None
    message: str | None = None
    final_url: str | None = None
    attempt: int = 1
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.error_class is None

    @property
    def not_modified(self) -> bool:
        return self.error_class is None and self.status == 304

    @property
    def transient(self) -> bool:
        return self.error_class in TRANSIENT_CLASSES

    def with_attempt(self, attempt: int) -> "FetchResult":
        return replace(self, attempt=attempt)


def classify_status(status: int) -> str | None:
    """The error class of a final (non-redirect) HTTP status; None for success and 304."""
    if status == 429:
        return HTTP_429
    if 400 <= status < 500:
        return HTTP_4XX
    if status >= 500:
        return HTTP_5XX
    if status < 200 or (300 <= status < 400 and status != 304):
        return UNEXPECTED_STATUS
    return None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def compute_backoff(attempt: int, policy: FetchPolicy, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter before attempt `attempt + 1` (so herds of retries spread out)."""
    rng = rng or random
    ceiling = min(policy.backoff_max, policy.backoff_base * (2 ** max(0, attempt - 1)))
    return ceiling * rng.uniform(0.5, 1.0)
