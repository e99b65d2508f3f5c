"""--full-text: fetch each new article's page and extract its main text with trafilatura.

Safe by default: http(s) only, no private/loopback/link-local targets (checked after DNS on every
redirect hop), size and time caps, no cookies, robots.txt obeyed, a per-host delay between requests.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from nlp.scrape import outcomes as oc
from nlp.scrape.fetch import HostGate, fetch_url, fetch_with_retries, make_client
from nlp.scrape.outcomes import PAGE_POLICY, FetchPolicy
from nlp.scrape.urls import is_http_url

HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
ROBOTS_MAX_BYTES = 512 * 1024
MAX_CRAWL_DELAY = 30.0
MIN_TEXT_CHARS = 200
_REFUSED_TARGETS = frozenset({oc.PRIVATE_ADDRESS, oc.BAD_SCHEME, oc.BAD_URL})


@dataclass(frozen=True)
class PageText:
    article_id: str
    url: str | None
    text: str | None = None
    error_class: str | None = None
    message: str | None = None


def extract_main_text(html: bytes, url: str | None = None) -> str | None:
    """The page's main text (boilerplate, navigation and comments removed), or None."""
    import trafilatura

    try:
        text = trafilatura.extract(html, url=url, include_comments=False, include_tables=False,
                                   favor_precision=True)
    except Exception:  # trafilatura/lxml can choke on hostile markup; a page is never worth a crash
        return None
    return text.strip() if text and len(text.strip()) >= MIN_TEXT_CHARS else None


def build_robots(body: bytes) -> RobotFileParser:
    parser = RobotFileParser()
    parser.parse(body.decode("utf-8", errors="replace").splitlines())
    return parser


class RobotsCache:
    """robots.txt per origin. Missing (4xx) allows all; 401/403 or unreachable (5xx, errors) disallows all."""

    def __init__(self, client: httpx.AsyncClient, policy: FetchPolicy, gate: HostGate, user_agent: str) -> None:
        self._client, self._gate, self._agent = client, gate, user_agent
        self._policy = replace(policy, max_bytes=ROBOTS_MAX_BYTES, max_retries=0)
        self._rules: dict[str, asyncio.Task] = {}

    async def allowed(self, url: str) -> tuple[str | None, str | None]:
        """(None, None) when `url` may be fetched, else (error class, message)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._rules:
            self._rules[origin] = asyncio.ensure_future(self._load(origin))
        refusal, parser = await self._rules[origin]
        if refusal is not None:
            return refusal
        if parser is None:
            return None, None
        delay = parser.crawl_delay(self._agent)
        if delay:
            self._gate.set_interval(parts.hostname or "", min(float(delay), MAX_CRAWL_DELAY))
        if parser.can_fetch(self._agent, url):
            return None, None
        return oc.ROBOTS_DISALLOWED, "disallowed by robots.txt"

    async def _load(self, origin: str) -> tuple[tuple[str, str] | None, RobotFileParser | None]:
        result = await fetch_url(self._client, origin + "/robots.txt", self._policy, self._gate)
        if result.ok and result.status and result.status < 300:
            return None, build_robots(result.body)
        if result.error_class in _REFUSED_TARGETS:  # the site itself may not be fetched at all
            return (result.error_class, result.message or ""), None
        if result.error_class == oc.HTTP_4XX and result.status not in (401, 403):
            return None, None  # no robots.txt: everything allowed
        return (oc.ROBOTS_DISALLOWED, f"robots.txt unavailable ({result.error_class or result.status}): "
                                      "treated as disallow-all"), None


async def fetch_article_texts(
    articles: Iterable[dict[str, Any]], *, concurrency: int = 4, allow_private: bool = False,
    policy: FetchPolicy = PAGE_POLICY, progress: Callable[[PageText], None] | None = None,
) -> list[PageText]:
    """Main text for each article ({"id", "url"}); failures carry an error class instead."""
    from nlp.settings import user_agent

    policy = replace(policy, allow_private=allow_private)
    agent = policy.user_agent or user_agent()
    gate = HostGate(policy.min_host_interval)
    semaphore = asyncio.Semaphore(max(1, concurrency))
    async with make_client(policy, max_connections=max(1, concurrency)) as client:
        robots = RobotsCache(client, policy, gate, agent)

        async def one(article: dict[str, Any]) -> PageText:
            async with semaphore:
                page = await _fetch_page_text(client, robots, gate, policy, article)
            if progress:
                progress(page)
            return page

        return list(await asyncio.gather(*(one(article) for article in articles)))


async def _fetch_page_text(client, robots: RobotsCache, gate: HostGate, policy: FetchPolicy,
                           article: dict[str, Any]) -> PageText:
    article_id, url = article["id"], article.get("url")
    if not is_http_url(url):
        return PageText(article_id, url, error_class=oc.BAD_SCHEME, message="no http(s) link to fetch")
    refusal, why = await robots.allowed(url)
    if refusal:
        return PageText(article_id, url, error_class=refusal, message=why)
    attempts = await fetch_with_retries(client, url, policy, gate, {"Accept": HTML_ACCEPT})
    last = attempts[-1]
    if not last.ok or last.not_modified:
        return PageText(article_id, url, error_class=last.error_class or oc.HTTP_4XX, message=last.message)
    text = await asyncio.to_thread(extract_main_text, last.body, last.final_url or url)
    if text is None:
        return PageText(article_id, url, error_class=oc.NO_TEXT, message="no main text found on the page")
    return PageText(article_id, url, text=text)
