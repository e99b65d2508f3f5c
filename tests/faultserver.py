"""A fault-injecting HTTP server on 127.0.0.1, and the scraper fault matrix run against it (issue 8).

    with FaultServer() as server:
        result = run_fault(server, FAULTS_BY_NAME["gzip_bomb"], tmp_path / "n.db", MATRIX_POLICY)
        assert result.problems == []

Every fault is served at `server.fault_url(name)`. Before the fault phase, the same paths serve a
small good "seed" feed, so the database already holds articles *of the failing feed*: the matrix
checks that a feed going bad never loses what it delivered before.

Nothing here leaves the machine: the server binds 127.0.0.1 port 0, the connect-timeout target is a
second loopback socket that listens but never accepts (its backlog is filled, so the kernel drops
further SYNs), and the server shuts itself down after `lifetime` seconds even if a test forgets to.
"""

from __future__ import annotations

import hashlib
import socket
import sqlite3
import struct
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

from nlp.scrape import outcomes as oc
from nlp.scrape.outcomes import FetchPolicy

CAP = 64 * 1024  # the size cap of MATRIX_POLICY; the oversized faults are measured against it
# Short limits so the whole matrix runs in seconds; retry waits short but measurable.
MATRIX_POLICY = FetchPolicy(connect_timeout=0.5, read_timeout=0.5, total_timeout=2.0, max_bytes=CAP,
                            max_redirects=5, max_retries=1, backoff_base=0.05, backoff_max=0.1,
                            retry_after_max=2.0, user_agent="narrative-faults/1")
RETRY_AFTER_S = 1                 # what the 429 fault asks for; MATRIX_POLICY allows waiting that long
GOOD_ITEMS = 3                    # in the "good" fault feed and in the other feed scraped beside each fault
SEED_ITEMS = 2
SECRET_MARKER = "narrative-xxe-secret-8f3a"  # written to a local file an external entity points at
OK = "ok"                          # outcome of a usable feed (its fetches row has no error class)
# Worth a retry (issue 8); spelled out here, not taken from nlp.scrape, so that the matrix checks it.
RETRIED_CLASSES = frozenset({"timeout", "connect_error", "protocol_error", "http_429", "http_5xx"})


# --- feeds ------------------------------------------------------------------------------------


def build_rss(title: str, items: list[tuple[str, str, str]], encoding: str = "utf-8") -> bytes:
    """An RSS 2.0 document from (title, link, description); distinct dates, newest first."""
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid><description>{d}</description>"
        f"<pubDate>Mon, {6 + i:02d} Jan 2025 10:00:00 GMT</pubDate></item>" for i, (t, link, d) in enumerate(items))
    return (f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>http://example.com/</link>{body}</channel></rss>").encode(encoding)


def feed_items(prefix: str, count: int) -> list[tuple[str, str, str]]:
    return [(f"{prefix} story {i}", f"http://example.com/{prefix}/{i}",
             f"{prefix} story {i}: a summary long enough to be a real article body for the dedupe rules.")
            for i in range(count)]


GOOD_FEED = build_rss("Good feed", feed_items("good", GOOD_ITEMS))
OTHER_FEED = build_rss("Other feed", feed_items("other", GOOD_ITEMS))


def _billion_laughs() -> bytes:
    levels = "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    return (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{levels}]>'
            '<rss version="2.0"><channel><title>Laughs</title><item><title>a &l9; b</title>'
            "<link>http://example.com/laughs/0</link><description>&l9;</description></item></channel></rss>").encode()


def _external_entity(target: str) -> bytes:
    return (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{target}">]>'
            '<rss version="2.0"><channel><title>XXE</title><item><title>leak &xxe; here</title>'
            "<link>http://example.com/xxe/0</link><description>&xxe;</description></item></channel></rss>").encode()


def _gzip_bomb(mebibytes: int = 256) -> bytes:
    """A gzip body of `mebibytes` MiB of zeros in ~1 KiB per MiB. Built by repeating one compressed
    block (a full flush resets the compressor, so every block compresses the same): fast to make."""
    block, packer = b"\0" * (1024 * 1024), zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    packed = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mebibytes):
        crc = zlib.crc32(block, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, (mebibytes << 20) & 0xFFFFFFFF)
    return header + packed * mebibytes + packer.flush() + trailer


# --- the fault catalogue --------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunks: int = 1           # body written in this many pieces ...
    drip: float = 0.0         # ... with this many seconds between them
    first_byte_delay: float = 0.0
    drop_after: int | None = None  # close the connection after this many body bytes


@dataclass(frozen=True)
class Fault:
    name: str
    expected: str              # error class of the final attempt, or OK
    description: str
    reply: Callable[["FaultServer"], Reply] | None = None  # None: the URL is not on the server
    stores: int = 0            # articles the fault feed itself must add (a usable body)
    check: Callable[["FaultServer", "FaultResult"], list[str]] | None = None

    @property
    def transient(self) -> bool:
        return self.expected in RETRIED_CLASSES


def _redirect(target: Callable[["FaultServer"], str]) -> Callable[["FaultServer"], Reply]:
    return lambda server: Reply(302, b"", {"Location": target(server)})


def _no_secret_stored(server: "FaultServer", result: "FaultResult") -> list[str]:
    leaked = [t for t in result.stored_texts if SECRET_MARKER in t or "root:x:0:0" in t]
    return [f"external entity content stored: {leaked[0][:60]!r}"] if leaked else []


def _no_probe_request(server: "FaultServer", result: "FaultResult") -> list[str]:
    hits = len(server.hits("/xxe-probe"))
    return [f"external entity URL was fetched {hits} time(s)"] if hits else []


def _short_texts(server: "FaultServer", result: "FaultResult") -> list[str]:
    longest = max((len(t) for t in result.stored_texts), default=0)
    return [f"entities expanded: a stored text of {longest} chars"] if longest > 1000 else []


def _aborted_while_streaming(server: "FaultServer", result: "FaultResult") -> list[str]:
    sent = server.bytes_sent(server.fault_path("too_large"))
    total = 10 * CAP
    return [f"the whole {total}-byte body was read, not cut off at the cap"] if sent >= total else []


def _retry_after_honoured(server: "FaultServer", result: "FaultResult") -> list[str]:
    short = [gap for gap in result.retry_gaps if gap < RETRY_AFTER_S * 0.9]
    return [f"Retry-After {RETRY_AFTER_S}s not honoured: retried after {short[0]:.2f}s"] if short else []


def _decoded_right(server: "FaultServer", result: "FaultResult") -> list[str]:
    return [] if any("Zürich café" in t for t in result.stored_texts) else ["the text was not decoded as UTF-8"]


def _drip(server: "FaultServer") -> Reply:
    # Each piece arrives within the read timeout, the whole body never within the total time limit.
    return Reply(200, GOOD_FEED, chunks=len(GOOD_FEED) // 16, drip=MATRIX_POLICY.read_timeout / 5)


def _too_large(server: "FaultServer") -> Reply:
    # Streamed without Content-Length, slowly enough that the client's abort is seen by the server.
    return Reply(200, b"<rss>" + b"x" * (10 * CAP - 5), {"Content-Type": "application/rss+xml"}, chunks=80, drip=0.005)


def _wrong_charset(server: "FaultServer") -> Reply:
    items = [("Zürich café prices rise", "http://example.com/charset/0",
              "Prices in Zürich cafés rose by 5% — the most in a decade, a survey found.")]
    return Reply(200, build_rss("Charset", items), {"Content-Type": "application/rss+xml; charset=us-ascii"})


def _bad_char_refs(server: "FaultServer") -> Reply:
    items = [("Lone &#xD800; surrogate and &#x110000; too", "http://example.com/refs/0",
              "Character references that name no character: &#55296; &#99999999999; in a long enough body.")]
    return Reply(200, build_rss("Refs", items))


def _truncated(server: "FaultServer") -> Reply:
    body = build_rss("Cut", feed_items("truncated", 3))
    return Reply(200, body[: body.rindex(b"<item>") + 20])


FAULTS: tuple[Fault, ...] = (
    Fault("good", OK, "a well-formed RSS feed", lambda s: Reply(200, GOOD_FEED), stores=GOOD_ITEMS),
    Fault("connect_timeout", oc.TIMEOUT, "a port that listens but never accepts"),
    Fault("refused", oc.CONNECT_ERROR, "a port nobody listens on (connection refused)"),
    Fault("read_timeout", oc.TIMEOUT, "headers, then silence longer than the read timeout",
          lambda s: Reply(200, GOOD_FEED, first_byte_delay=MATRIX_POLICY.read_timeout * 3)),
    Fault("slow_drip", oc.TIMEOUT, "bytes trickle in: each in time, the whole past the total limit", _drip),
    Fault("http_500", oc.HTTP_5XX, "500 Internal Server Error", lambda s: Reply(500, b"oops")),
    Fault("http_502", oc.HTTP_5XX, "502 Bad Gateway", lambda s: Reply(502, b"bad gateway")),
    Fault("http_503", oc.HTTP_5XX, "503 Service Unavailable", lambda s: Reply(503, b"later")),
    Fault("http_429", oc.HTTP_429, f"429 Too Many Requests, Retry-After: {RETRY_AFTER_S}",
          lambda s: Reply(429, b"slow down", {"Retry-After": str(RETRY_AFTER_S)}), check=_retry_after_honoured),
    Fault("http_404", oc.HTTP_4XX, "404 Not Found", lambda s: Reply(404, b"gone")),
    Fault("dropped", oc.PROTOCOL_ERROR, "connection closed mid-body",
          lambda s: Reply(200, GOOD_FEED, {"Content-Length": str(len(GOOD_FEED))}, drop_after=100)),
    Fault("redirect_loop", oc.REDIRECT_LOOP, "A -> B -> A", _redirect(lambda s: s.url("/loop-b"))),
    Fault("redirect_chain", oc.TOO_MANY_REDIRECTS, "ten redirects in a row", _redirect(lambda s: s.url("/hop/1"))),
    Fault("redirect_ftp", oc.BAD_SCHEME, "302 to ftp://", _redirect(lambda s: "ftp://127.0.0.1/feed.xml")),
    Fault("redirect_file", oc.BAD_SCHEME, "302 to file:///etc/passwd", _redirect(lambda s: "file:///etc/passwd")),
    Fault("too_large", oc.TOO_LARGE, "a body ten times the size cap, no Content-Length", _too_large,
          check=_aborted_while_streaming),
    Fault("bad_gzip", oc.BAD_ENCODING, "Content-Encoding: gzip on a body that is not gzip",
          lambda s: Reply(200, b"\x1f\x8b\x08\x00 this is not really gzip" * 20, {"Content-Encoding": "gzip"})),
    Fault("gzip_bomb", oc.TOO_LARGE, "Content-Encoding: gzip, 260 KiB that inflate to 256 MiB",
          lambda s: Reply(200, s.gzip_bomb, {"Content-Encoding": "gzip"}, chunks=8)),
    Fault("billion_laughs", OK, "nine levels of nested entities (10^9 'lol')",
          lambda s: Reply(200, _billion_laughs()), stores=1, check=_short_texts),
    Fault("xxe_file", OK, "an external entity naming a local secret file",
          lambda s: Reply(200, _external_entity(s.secret_file.as_uri())), stores=1, check=_no_secret_stored),
    Fault("xxe_http", OK, "an external entity naming a URL on this server",
          lambda s: Reply(200, _external_entity(s.url("/xxe-probe"))), stores=1, check=_no_probe_request),
    Fault("bad_char_refs", OK, "&#xD800; (a surrogate) and &#x110000; in the text", _bad_char_refs, stores=1),
    Fault("wrong_charset", OK, "UTF-8 body declared as us-ascii", _wrong_charset, stores=1,
          check=_decoded_right),
    Fault("truncated_xml", OK, "XML cut off inside the last item (the complete ones are kept)", _truncated,
          stores=2),
    Fault("truncated_head", oc.MALFORMED_XML, "XML cut off before any item",
          lambda s: Reply(200, b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</tit')),
    Fault("html", oc.NOT_A_FEED, "an HTML page where a feed was expected",
          lambda s: Reply(200, b"<!DOCTYPE html><html><head><title>Home</title></head><body>Hi</body></html>",
                          {"Content-Type": "text/html"})),
    Fault("empty", oc.EMPTY_BODY, "200 with an empty body", lambda s: Reply(200, b"")),
)
FAULTS_BY_NAME = {fault.name: fault for fault in FAULTS}


# --- the server -------------------------------------------------------------------------------


class FaultServer:
    """`fault_url(name)` serves that fault (after `phase = "fault"`; before it, a seed feed)."""

    def __init__(self, lifetime: float = 300.0, max_handlers: int = 32) -> None:
        self.phase = "seed"
        self.routes: dict[str, Reply | Callable[[dict[str, str]], Reply]] = {}  # extra paths (tests)
        self._hits: dict[str, list[float]] = {}
        self._sent: dict[str, int] = {}
        self._headers: dict[str, list[dict[str, str]]] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_handlers)
        self.gzip_bomb = _gzip_bomb()  # built up front: building it must not delay an answer
        self._dir = tempfile.TemporaryDirectory(prefix="faultserver-")
        self.secret_file = Path(self._dir.name) / "secret.txt"
        self.secret_file.write_text(f"root:x:0:0:{SECRET_MARKER}\n")
        self.httpd = _BoundedServer(("127.0.0.1", 0), self._handler_class(), self._slots)
        self._blackhole, self._fillers = _blackhole_socket()
        self._refuser = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # bound, never listening: refuses
        self._refuser.bind(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._timer = threading.Timer(lifetime, self.close)  # stops by itself if never closed
        self._timer.daemon = True
        self._closed = False

    def __enter__(self) -> "FaultServer":
        self._thread.start()
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._timer.cancel()
        self.httpd.shutdown()
        self.httpd.server_close()
        for sock in (self._blackhole, self._refuser, *self._fillers):
            sock.close()
        self._dir.cleanup()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    @staticmethod
    def fault_path(name: str) -> str:
        return f"/fault/{name}.xml"

    def fault_url(self, name: str) -> str:
        if name == "connect_timeout":
            return f"http://127.0.0.1:{self._blackhole.getsockname()[1]}/feed.xml"
        if name == "refused":
            return f"http://127.0.0.1:{self._refuser.getsockname()[1]}/feed.xml"
        return self.url(self.fault_path(name))

    def forget_requests(self) -> None:
        with self._lock:
            self._hits.clear()
            self._headers.clear()
            self._sent.clear()

    def requests_for(self, path: str) -> list[dict[str, str]]:
        """The headers of each request for `path` (lower-case names)."""
        with self._lock:
            return list(self._headers.get(path, []))

    def hits(self, path: str) -> list[float]:
        """Monotonic arrival times of the requests for `path`."""
        with self._lock:
            return list(self._hits.get(path, []))

    def bytes_sent(self, path: str) -> int:
        with self._lock:
            return self._sent.get(path, 0)

    def reply_for(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        route = self.routes.get(path)
        if route is not None:
            return route(headers or {}) if callable(route) else route
        if path.startswith("/hop/"):
            hop = int(path.rsplit("/", 1)[1]) if path.rsplit("/", 1)[1].isdigit() else 10
            return Reply(302, b"", {"Location": f"/hop/{hop + 1}"}) if hop < 10 else Reply(200, OTHER_FEED)
        if path == "/loop-b":
            return Reply(302, b"", {"Location": self.fault_path("redirect_loop")})
        if path == "/other.xml":
            return Reply(200, OTHER_FEED)
        name = path.removeprefix("/fault/").removesuffix(".xml")
        fault = FAULTS_BY_NAME.get(name) if path.startswith("/fault/") else None
        if fault is None or fault.reply is None:
            return Reply(404, b"not here")
        if self.phase == "seed":
            return Reply(200, build_rss(f"Seed {name}", feed_items(f"seed-{name}", SEED_ITEMS)))
        return fault.reply(self)

    def _record(self, path: str, sent: int | None = None, headers: dict[str, str] | None = None) -> None:
        with self._lock:
            if sent is None:
                self._hits.setdefault(path, []).append(time.monotonic())
                self._headers.setdefault(path, []).append(headers or {})
            else:
                self._sent[path] = self._sent.get(path, 0) + sent

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"
            timeout = 10  # a client that stalls cannot hold a handler thread for long

            def do_GET(self) -> None:  # noqa: N802
                headers = {k.lower(): v for k, v in self.headers.items()}
                server._record(self.path, headers=headers)
                try:
                    self._send(server.reply_for(self.path, headers))
                except OSError:
                    pass  # the client gave up (size cap, timeout): that is what is being tested

            def _send(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.flush()
                time.sleep(reply.first_byte_delay)
                body = reply.body if reply.drop_after is None else reply.body[: reply.drop_after]
                size = max(1, -(-len(body) // max(1, reply.chunks)))
                for start in range(0, len(body), size):
                    if server._closed:
                        return
                    self.wfile.write(body[start:start + size])
                    self.wfile.flush()
                    server._record(self.path, len(body[start:start + size]))
                    time.sleep(reply.drip)
                if reply.drop_after is not None:
                    self.connection.shutdown(socket.SHUT_RDWR)

            def log_message(self, *args) -> None:
                pass

        return Handler


class _BoundedServer(ThreadingHTTPServer):
    """At most `slots` requests in flight; more wait briefly for a slot, then are dropped."""

    daemon_threads = True

    def __init__(self, address, handler, slots: threading.BoundedSemaphore) -> None:
        super().__init__(address, handler)
        self._slots = slots

    def process_request(self, request, client_address) -> None:
        if not self._slots.acquire(timeout=2.0):
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def _blackhole_socket() -> tuple[socket.socket, list[socket.socket]]:
    """A loopback port whose accept queue is full: new connections hang until the client times out."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(4):  # backlog 0 still queues one or two; fill the queue so later SYNs are dropped
        filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        filler.setblocking(False)
        try:
            filler.connect(listener.getsockname())
        except BlockingIOError:
            pass
        fillers.append(filler)
    return listener, fillers


# --- running one fault of the matrix --------------------------------------------------------


@dataclass
class FaultResult:
    fault: str
    expected: str
    outcome: str               # error class of the fault feed's final attempt, or OK
    attempts: list[str]        # error class (or OK) of each attempt, in order
    retry_gaps: list[float]    # seconds between attempts, as the server saw them
    other_feeds_ok: bool
    rows_lost: int
    integrity: str
    seconds: float
    stored_texts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def retried(self) -> str:
        if len(self.attempts) < 2:
            return "n"
        waits = ", ".join(f"{gap:.2f}s" for gap in self.retry_gaps)
        return f"y x{len(self.attempts) - 1}" + (f" ({waits})" if waits else "")


def snapshot_articles(db) -> dict[str, str]:
    """id -> digest of the whole row, for every stored article."""
    cursor = db.execute("SELECT * FROM articles ORDER BY id")
    return {row[0]: hashlib.sha256(repr(row).encode()).hexdigest() for row in cursor.fetchall()}


def count_lost(before: dict[str, str], after: dict[str, str]) -> int:
    """Articles that were stored before and are now missing or changed."""
    return sum(1 for key, digest in before.items() if after.get(key) != digest)


def check_integrity(db_path: Path) -> str:
    """`ok`, or what PRAGMA integrity_check and the FTS5 index check say (own connection)."""
    conn = sqlite3.connect(str(db_path))
    try:
        found = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        conn.execute("INSERT INTO articles_fts(articles_fts) VALUES('integrity-check')")
    except sqlite3.DatabaseError as exc:
        return f"fts: {exc}"
    finally:
        conn.close()
    return "ok" if found == ["ok"] else "; ".join(found)


def run_fault(server: FaultServer, fault: Fault, db_path: Path, policy: FetchPolicy = MATRIX_POLICY) -> FaultResult:
    """Seed a database (the fault feed's own earlier articles and another feed's), then scrape the
    fault feed together with a good feed, and compare."""
    from nlp.scrape.scraper import scrape_feeds
    from nlp.store import open_db

    db = open_db(db_path)
    server.phase = "seed"
    seed_feeds = [server.url("/fault/good.xml")] + ([server.fault_url(fault.name)] if fault.reply else [])
    scrape_feeds(db, seed_feeds, feed_policy=policy)
    before = snapshot_articles(db)
    server.phase = "fault"
    started = time.monotonic()
    summary = scrape_feeds(db, [server.fault_url(fault.name), server.url("/other.xml")], feed_policy=policy,
                           concurrency=4)
    seconds = time.monotonic() - started
    result = _result(db, fault, summary, before, server, seconds)
    db.conn.close()
    result.integrity = check_integrity(db_path)
    result.problems = _problems(fault, result, summary, policy) + (fault.check(server, result) if fault.check else [])
    if result.integrity != "ok":
        result.problems.append(f"integrity: {result.integrity}")
    return result


def _result(db, fault: Fault, summary, before: dict[str, str], server: FaultServer, seconds: float) -> FaultResult:
    fault_url = server.fault_url(fault.name)
    rows = db.execute("SELECT error_class FROM fetches WHERE url = ? ORDER BY id", [fault_url]).fetchall()
    attempts = [row[0] or OK for row in rows][-summary.feeds[0].attempts:]  # this run's, not the seed's
    hits = server.hits(server.fault_path(fault.name)) if fault.reply else []
    hits = hits[-len(attempts):] if len(hits) >= len(attempts) else []
    good = summary.feeds[1]
    texts = [" ".join(filter(None, row)) for row in db.execute(
        "SELECT title, summary, text FROM articles WHERE feed_id = ?", [summary.feeds[0].feed_id])]
    return FaultResult(
        fault=fault.name, expected=fault.expected, outcome=attempts[-1] if attempts else "(no fetch row)",
        attempts=attempts, retry_gaps=[b - a for a, b in zip(hits, hits[1:])],
        other_feeds_ok=not good.failed and good.counts.new == GOOD_ITEMS,
        rows_lost=count_lost(before, snapshot_articles(db)), integrity="", seconds=seconds, stored_texts=texts)


def _problems(fault: Fault, result: FaultResult, summary, policy: FetchPolicy) -> list[str]:
    problems = []
    if result.outcome != fault.expected:
        problems.append(f"outcome {result.outcome}, expected {fault.expected}")
    wanted_attempts = policy.max_retries + 1 if fault.transient else 1
    if len(result.attempts) != wanted_attempts:
        problems.append(f"{len(result.attempts)} attempt(s), expected {wanted_attempts}")
    short = [gap for gap in result.retry_gaps if gap < policy.backoff_base * 0.5]
    if short:
        problems.append(f"retried after {short[0]:.3f}s, less than the backoff floor")
    if summary.feeds[0].counts.new != fault.stores:
        problems.append(f"the fault feed stored {summary.feeds[0].counts.new} article(s), expected {fault.stores}")
    if not result.other_feeds_ok:
        problems.append("the good feed was affected")
    if result.rows_lost:
        problems.append(f"{result.rows_lost} stored article(s) lost or changed")
    return problems
