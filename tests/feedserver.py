"""A local HTTP server on 127.0.0.1 for scraper tests: routes are plain functions, requests are recorded."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

from nlp.scrape.outcomes import FetchPolicy

# Short limits so the failure cases stay fast (the slow-server tests shorten read_timeout further),
# yet long enough that a busy machine does not turn a normal answer into a timeout.
TEST_POLICY = FetchPolicy(connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0, max_bytes=64 * 1024,
                          max_retries=1, backoff_base=0.01, backoff_max=0.02, retry_after_max=1.0,
                          user_agent="narrative-tests/1")


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0           # seconds before the first byte
    chunks: int = 1              # body sent in this many writes (with `drip` seconds between)
    drip: float = 0.0


Route = Callable[[dict[str, str]], Reply]


class FeedServer:
    """`server.url(path)`; `server.routes[path] = fn(headers) -> Reply`; `server.requests` = [(path, headers)]."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "FeedServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def requests_for(self, path: str) -> list[dict[str, str]]:
        with self._lock:
            return [headers for p, headers in self.requests if p == path]

    def static(self, path: str, body: bytes, **headers: str) -> None:
        self.routes[path] = lambda _h: Reply(200, body, {k.replace("_", "-"): v for k, v in headers.items()})

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:  # noqa: N802
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server._lock:
                    server.requests.append((self.path, headers))
                route = server.routes.get(self.path)
                reply = route(headers) if route else Reply(404, b"not here")
                try:
                    self._send(reply)
                except (ConnectionError, BrokenPipeError, OSError):
                    pass  # the client gave up (size cap, timeout): that is the point of the test

            def _send(self, reply: Reply) -> None:
                time.sleep(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                size = max(1, -(-len(reply.body) // reply.chunks))
                for start in range(0, len(reply.body), size):
                    self.wfile.write(reply.body[start:start + size])
                    self.wfile.flush()
                    time.sleep(reply.drip)

            def log_message(self, *args) -> None:
                pass

        return Handler


def rss(items: list[tuple[str, str, str]], title: str = "Test feed") -> bytes:
    """An RSS 2.0 document from (title, link, description) triples."""
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>{d}</description>"
        f"<pubDate>Mon, 06 Jan 2025 10:00:00 GMT</pubDate></item>" for t, link, d in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>http://example.com/</link>{body}</channel></rss>").encode("utf-8")


_HEADER_LINE = re.compile(r"^Header:\s*([^:]+):\s*(.*?)\s*$", re.M)
_EXPECT_LINE = re.compile(r"^\s*Expect:\s*(.*?)\s*$", re.M)


def fixture_headers(path: Path) -> dict[str, str]:
    """The `Header:` lines of a feedparser test file (what its HTTP response should carry)."""
    text = path.read_bytes()[:2000].decode("latin-1")
    return {name.strip(): value for name, value in _HEADER_LINE.findall(text)}


def fixture_expect(path: Path) -> str:
    text = path.read_bytes()[:2000].decode("latin-1")
    match = _EXPECT_LINE.search(text)
    return match.group(1) if match else ""
