"""Fetching bytes: httpx with bounded concurrency, caps on time, size, redirects; local paths read directly.

Redirects are followed here, one hop at a time, so that every hop is checked (scheme, address) and
a loop is named as one. Bodies are read raw and decompressed here with a cap, so a gzip bomb is cut
off while it streams instead of filling memory.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
import zlib
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Awaitable, Callable
from urllib.parse import urljoin, urlsplit

import httpx

from nlp.scrape import outcomes as oc
from nlp.scrape.dates import format_utc, utc_now
from nlp.scrape.outcomes import FetchPolicy, FetchResult
from nlp.scrape.urls import canonicalize_url, has_url_scheme

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"


class _Failure(Exception):
    """An attempt's end with an error class; carries what is known so far."""

    def __init__(self, error_class: str, message: str, status: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.error_class, self.status, self.headers = error_class, status, headers or {}


class HostGate:
    """Per-host pacing: a minimum interval between request starts, and deferral after a 429."""

    def __init__(self, min_interval: float = 0.0) -> None:
        self.min_interval = min_interval
        self._intervals: dict[str, float] = {}
        self._not_before: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def set_interval(self, host: str, seconds: float) -> None:
        """A longer interval for one host (robots.txt Crawl-delay)."""
        self._intervals[host.lower()] = max(self.min_interval, seconds)

    async def wait_turn(self, host: str) -> None:
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            delay = self._not_before.get(host, 0.0) - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._not_before[host] = time.monotonic() + self._intervals.get(host, self.min_interval)

    def defer(self, host: str, seconds: float) -> None:
        until = time.monotonic() + seconds
        self._not_before[host] = max(self._not_before.get(host, 0.0), until)


def make_client(policy: FetchPolicy, max_connections: int = 16) -> httpx.AsyncClient:
    """An AsyncClient with the policy's timeouts, a descriptive User-Agent, and no cookie memory."""
    from nlp.settings import user_agent

    timeout = httpx.Timeout(connect=policy.connect_timeout, read=policy.read_timeout,
                            write=policy.read_timeout, pool=policy.total_timeout)
    headers = {"User-Agent": policy.user_agent or user_agent(), "Accept": FEED_ACCEPT,
               "Accept-Encoding": "gzip, deflate"}
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    return httpx.AsyncClient(timeout=timeout, headers=headers, cookies=no_cookies, limits=limits,
                             follow_redirects=False)


async def fetch_with_retries(
    client: httpx.AsyncClient, url: str, policy: FetchPolicy, gate: HostGate,
    headers: dict[str, str] | None = None, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> list[FetchResult]:
    """Every attempt at `url`: transient failures are retried with jittered backoff (or Retry-After)."""
    attempts: list[FetchResult] = []
    for attempt in range(1, policy.max_retries + 2):
        result = (await fetch_url(client, url, policy, gate, headers)).with_attempt(attempt)
        attempts.append(result)
        if not result.transient or attempt > policy.max_retries:
            break
        delay = result.retry_after if result.retry_after is not None else oc.compute_backoff(attempt, policy)
        if delay > policy.retry_after_max:
            break
        await sleep(delay)
    return attempts


async def fetch_url(client: httpx.AsyncClient, url: str, policy: FetchPolicy, gate: HostGate,
                    headers: dict[str, str] | None = None) -> FetchResult:
    """One attempt, redirects included, within the policy's total time limit (time spent waiting for
    the host's turn does not count: a polite delay is not a slow server)."""
    started = format_utc(utc_now())
    try:
        status, final_url, response_headers, body = await _follow_redirects(client, url, policy, gate, headers or {})
    except _Failure as failure:
        return FetchResult(url, started, format_utc(utc_now()), status=failure.status, headers=failure.headers,
                           error_class=failure.error_class, message=str(failure),
                           retry_after=_retry_after(failure))
    return FetchResult(url, started, format_utc(utc_now()), status=status, headers=response_headers,
                       body=body, final_url=final_url)


def _retry_after(failure: _Failure) -> float | None:
    if failure.error_class not in (oc.HTTP_429, oc.HTTP_5XX):
        return None
    return oc.parse_retry_after(failure.headers.get("retry-after"))


async def _follow_redirects(client, url, policy, gate, headers):
    seen: set[str] = set()
    current, previous_scheme = url, None
    budget, clock = policy.total_timeout, asyncio.get_running_loop().time
    for _hop in range(policy.max_redirects + 1):
        host = await _check_target(current, policy, previous_scheme)
        seen.add(canonicalize_url(current) or current)
        await gate.wait_turn(host)
        started = clock()
        try:
            location, outcome = await asyncio.wait_for(
                _request(client, current, policy, gate, host, headers), timeout=max(budget, 0.001))
        except asyncio.TimeoutError as exc:
            raise _Failure(oc.TIMEOUT, f"no complete answer within {policy.total_timeout:g}s") from exc
        budget -= clock() - started
        if location is None:
            return outcome
        previous_scheme = urlsplit(current).scheme.lower()
        current = urljoin(current, location)
        if (canonicalize_url(current) or current) in seen:
            raise _Failure(oc.REDIRECT_LOOP, f"redirect loop back to {current}", status=outcome)
    raise _Failure(oc.TOO_MANY_REDIRECTS, f"more than {policy.max_redirects} redirects")


async def _request(client, url, policy, gate, host, headers):
    """(Location, status) for a redirect; (None, (status, url, headers, body)) for a final answer."""
    try:
        async with client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            response_headers = {k.lower(): v for k, v in response.headers.items()}
            if status in REDIRECT_STATUSES and response.headers.get("location"):
                return response.headers["location"].strip(), status
            error_class = oc.classify_status(status)
            if error_class:
                _defer_host(gate, host, error_class, response_headers, policy)
                raise _Failure(error_class, f"HTTP {status} {response.reason_phrase}".strip(), status,
                               response_headers)
            body = b"" if status == 304 else await _read_capped(response, policy.max_bytes)
            return None, (status, url, response_headers, body)
    except httpx.TimeoutException as exc:
        raise _Failure(oc.TIMEOUT, f"{_timeout_kind(exc)} timeout") from exc
    except (httpx.ConnectError, httpx.ProxyError) as exc:
        raise _Failure(oc.CONNECT_ERROR, f"cannot connect: {exc or type(exc).__name__}") from exc
    except httpx.UnsupportedProtocol as exc:
        raise _Failure(oc.BAD_SCHEME, f"unsupported URL scheme: {url}") from exc
    except httpx.InvalidURL as exc:
        raise _Failure(oc.BAD_URL, f"malformed URL: {exc}") from exc
    except (httpx.TransportError, httpx.DecodingError) as exc:
        raise _Failure(oc.PROTOCOL_ERROR, f"connection broke: {exc or type(exc).__name__}") from exc


def _timeout_kind(exc: httpx.TimeoutException) -> str:
    return {httpx.ConnectTimeout: "connect", httpx.ReadTimeout: "read", httpx.WriteTimeout: "write",
            httpx.PoolTimeout: "pool"}.get(type(exc), "")


def _defer_host(gate: HostGate, host: str, error_class: str, headers: dict[str, str], policy: FetchPolicy) -> None:
    wait = oc.parse_retry_after(headers.get("retry-after"))
    if error_class == oc.HTTP_429 and wait is None:
        wait = policy.backoff_base
    if wait is not None:
        gate.defer(host, min(wait, policy.retry_after_max))


async def _check_target(url: str, policy: FetchPolicy, previous_scheme: str | None) -> str:
    """The host to contact, after checking scheme, downgrade and (unless allowed) private addresses."""
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), parts.hostname
        port = parts.port
    except ValueError as exc:
        raise _Failure(oc.BAD_URL, f"malformed URL: {url}") from exc
    if scheme not in ("http", "https"):
        raise _Failure(oc.BAD_SCHEME, f"only http and https are fetched, not {scheme or 'no scheme'}: {url}")
    if not host:
        raise _Failure(oc.BAD_URL, f"URL has no host: {url}")
    if previous_scheme == "https" and scheme == "http" and not policy.allow_https_downgrade:
        raise _Failure(oc.BAD_SCHEME, f"redirect downgrades https to http: {url}")
    if not policy.allow_private:
        await _refuse_private(host, port or (443 if scheme == "https" else 80), policy.connect_timeout)
    return host.lower()


async def _refuse_private(host: str, port: int, timeout: float) -> None:
    try:
        infos = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=timeout)
    except asyncio.TimeoutError as exc:
        raise _Failure(oc.TIMEOUT, f"DNS lookup of {host} took over {timeout:g}s") from exc
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise _Failure(oc.CONNECT_ERROR, f"cannot resolve {host}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            raise _Failure(oc.PRIVATE_ADDRESS, f"{host} resolves to non-public address {address}")


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes and not response.headers.get("content-encoding"):
        raise _Failure(oc.TOO_LARGE, f"declared size {int(declared)} bytes is over the cap of {max_bytes}",
                       response.status_code)
    decoder = BoundedDecoder(response.headers.get("content-encoding", ""))
    chunks, total = [], 0
    async for raw in response.aiter_raw():
        piece = decoder.decode(raw, max_bytes - total)
        total += len(piece)
        if total > max_bytes:
            raise _Failure(oc.TOO_LARGE, f"body over the cap of {max_bytes} bytes (aborted while streaming)",
                           response.status_code)
        chunks.append(piece)
    tail = decoder.finish(max_bytes - total)
    if total + len(tail) > max_bytes:
        raise _Failure(oc.TOO_LARGE, f"body over the cap of {max_bytes} bytes", response.status_code)
    return b"".join(chunks) + tail


class BoundedDecoder:
    """gzip/deflate decoding that never produces more than the room it is given (plus one byte)."""

    def __init__(self, content_encoding: str) -> None:
        encoding = content_encoding.strip().lower()
        if encoding in ("", "identity"):
            self._zlib = None
        elif encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
        else:
            raise _Failure(oc.BAD_ENCODING, f"unsupported Content-Encoding: {content_encoding}")
        self._raw_deflate_tried = encoding != "deflate"

    def decode(self, data: bytes, room: int) -> bytes:
        if self._zlib is None:
            return data
        try:
            out = self._zlib.decompress(data, room + 1)
            while self._zlib.unconsumed_tail and len(out) <= room:
                out += self._zlib.decompress(self._zlib.unconsumed_tail, room + 1 - len(out))
        except zlib.error as exc:
            return self._retry_raw_deflate(data, room, exc)
        return out

    def _retry_raw_deflate(self, data: bytes, room: int, exc: zlib.error) -> bytes:
        # Some servers send raw deflate without the zlib header the standard asks for.
        if self._raw_deflate_tried:
            raise _Failure(oc.BAD_ENCODING, f"corrupt compressed body: {exc}") from exc
        self._raw_deflate_tried = True
        self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        return self.decode(data, room)

    def finish(self, room: int) -> bytes:
        if self._zlib is None:
            return b""
        try:
            return self._zlib.flush()[: room + 1]
        except zlib.error as exc:
            raise _Failure(oc.BAD_ENCODING, f"corrupt compressed body: {exc}") from exc


def is_local_source(source: str) -> bool:
    """A feed argument without `scheme://` is a local path."""
    return not has_url_scheme(source)


def load_local_feed(path: str, policy: FetchPolicy) -> FetchResult:
    """Read a local feed file as one 'attempt', with the same size cap."""
    started = format_utc(utc_now())
    target = Path(path).expanduser()

    def failed(error_class: str, message: str) -> FetchResult:
        return FetchResult(path, started, format_utc(utc_now()), error_class=error_class, message=message)

    if not target.exists():
        return failed(oc.NOT_FOUND, f"no such file: {path}")
    if not target.is_file():
        return failed(oc.READ_ERROR, f"not a regular file: {path}")
    try:
        if target.stat().st_size > policy.max_bytes:
            return failed(oc.TOO_LARGE, f"file is over the cap of {policy.max_bytes} bytes")
        body = target.read_bytes()
    except OSError as exc:
        return failed(oc.READ_ERROR, f"cannot read {path}: {exc.strerror or exc}")
    return FetchResult(path, started, format_utc(utc_now()), body=body, final_url=path)

