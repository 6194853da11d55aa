"""The engine's HTTP fetcher: polite to the sites it visits, bounded in what it accepts, and
patient with servers that stumble.

    async with Fetcher(FetchOptions(delay=0.5)) as fetcher:
        result = await fetcher.fetch("https://shop.example/catalog")
        if result.ok: ...

* **Politeness.** Each host gets a slot: at most ``domain_concurrency`` requests in flight, and
  request starts at least ``delay`` seconds apart. ``concurrency`` caps all hosts together. A
  request waits for its host's turn *before* taking a global place, so a slow host never holds
  places other hosts could use.
* **Retries.** Timeouts, dropped connections, HTTP 408, 429 and 5xx are retried up to
  ``max_retries`` times, waiting ``backoff × 2^(n-1)`` (× a random 0.5–1.5 so that many workers
  do not retry in step), or what the server's ``Retry-After`` asks (seconds or an HTTP date);
  every wait is capped at ``max_retry_wait``.
* **Redirects** are followed by hand, up to ``max_redirects``, because each hop must pass the same
  checks as the first URL: scheme and public address (``core.scrape.urls``) and robots.txt. A hop
  back to a URL already visited stops the fetch: ``redirect loop: a → b → a``.
* **Bounds.** ``timeout`` covers a whole request, first byte to last, so a server that drips
  bytes cannot hold a worker; the body is read in chunks and dropped as soon as it passes
  ``max_bytes`` (counted after decompression, so a small gzip bomb cannot fill memory).
* **Only HTML** is accepted by ``fetch``: another Content-Type is recorded as an error without
  downloading the body.
* **robots.txt** is asked before every request when ``respect_robots`` (``core.scrape.robots``).

Nothing a site does makes ``fetch`` raise: each failure is a ``FetchResult`` with ``error`` set.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import random
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from core.errors import ValidationError
from core.scrape.options import FetchOptions
from core.scrape.render import Renderer
from core.scrape.result import (FetchResult, content_type_problem, status_problem,
                                too_large_problem)
from core.scrape.robots import RobotsCache
from core.scrape.urls import check_redirect_url, check_target_url

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"

_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)


def _is_retryable(status: int) -> bool:
    return status in (408, 429) or 500 <= status < 600


class Fetcher:
    """Fetches (and, with ``render``, renders) pages for one run. Use it as an async context
    manager: it owns an HTTP connection pool and, once a page needs JavaScript, one Chromium."""

    def __init__(self, options: FetchOptions | None = None) -> None:
        self.options = options or FetchOptions()
        self._client: httpx.AsyncClient | None = None
        self._places = asyncio.Semaphore(self.options.concurrency)
        self._hosts: dict[str, _HostSlot] = {}
        self._robots = RobotsCache(self._fetch_robots_txt, self.options.user_agent)
        self._renderer: Renderer | None = None
        self._renderer_lock = asyncio.Lock()

    async def __aenter__(self) -> Fetcher:
        places = self.options.concurrency
        self._client = httpx.AsyncClient(
            headers={"User-Agent": self.options.user_agent, "Accept": ACCEPT},
            timeout=httpx.Timeout(self.options.timeout),
            limits=httpx.Limits(max_connections=places, max_keepalive_connections=places),
            follow_redirects=False,
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._renderer is not None:
            await self._renderer.close()
        if self._client is not None:
            await self._client.aclose()

    async def fetch(self, url: str) -> FetchResult:
        """GET one HTML page (see the module docstring for everything this does on the way)."""
        return await self._fetch(url, html_only=True, robots=self.options.respect_robots)

    async def render(self, url: str, *, wait_for: str | None = None) -> FetchResult:
        """Load one page in Chromium and return its DOM after scripts ran (``core.scrape.render``).

        The page passes the same address and robots.txt checks as ``fetch`` and takes its turn
        in the same per-host slot; the browser starts on the first call and lives until exit.
        Raises ``ScrapeDeckError`` only if Chromium cannot start: a setup problem, not the page's.
        """
        started = time.monotonic()
        url, error = await self._admit(url, robots=self.options.respect_robots)
        if error:
            return FetchResult(url, url, error=error, elapsed_s=time.monotonic() - started)
        renderer = await self._started_renderer()
        async with self._turn(url):
            return await renderer.render(url, wait_for=wait_for)

    async def _fetch(self, url: str, *, html_only: bool, robots: bool) -> FetchResult:
        trace = _Trace(url)
        current, error = await self._admit(url, robots=robots)
        response: _Response | None = None
        while error is None:
            response = await self._send_with_retries(current, html_only=html_only, trace=trace)
            if response.location is None:
                break
            target = urljoin(current, response.location)
            error = self._redirect_problem(trace, target)
            if error is None:
                target, error = await self._admit(target, robots=robots, hop_from=current)
            if error is None:
                trace.redirects.append(target)
                current = target
        return trace.result(current, response, error)

    async def _fetch_robots_txt(self, url: str) -> FetchResult:
        return await self._fetch(url, html_only=False, robots=False)

    async def _admit(self, url: str, *, robots: bool,
                     hop_from: str | None = None) -> tuple[str, str | None]:
        """The URL to request (absolute), and why it may not be requested, if it may not."""
        allow_private = self.options.allow_private
        try:
            if hop_from is None:
                url = await asyncio.to_thread(check_target_url, url, allow_private=allow_private)
            else:
                url = await asyncio.to_thread(check_redirect_url, url, from_url=hop_from,
                                              allow_private=allow_private)
        except ValidationError as exc:
            return url, str(exc)
        if robots and not await self._robots.allowed(url):
            return url, f"disallowed by robots.txt: {url}"
        return url, None

    def _redirect_problem(self, trace: _Trace, target: str) -> str | None:
        visited = [urldefrag(u).url for u in (trace.url, *trace.redirects)]
        chain = [*visited, urldefrag(target).url]
        if chain[-1] in visited:
            return "redirect loop: " + " → ".join(chain[visited.index(chain[-1]):])
        if len(trace.redirects) >= self.options.max_redirects:
            return f"more than {self.options.max_redirects} redirects: " + " → ".join(chain)
        return None

    async def _send_with_retries(self, url: str, *, html_only: bool, trace: _Trace) -> _Response:
        attempt = 0
        while True:
            attempt += 1
            response = await self._send(url, html_only=html_only)
            trace.attempts += 1
            trace.n_bytes += response.n_bytes
            if not response.retryable or attempt > self.options.max_retries:
                if response.retryable and attempt > 1:
                    response.error = f"{response.error} (gave up after {attempt} attempts)"
                return response
            await asyncio.sleep(self._retry_wait(attempt, response.retry_after))

    def _retry_wait(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is None:
            wait = self.options.backoff * 2.0 ** (attempt - 1) * random.uniform(0.5, 1.5)
        else:
            wait = retry_after
        return min(wait, self.options.max_retry_wait)

    async def _send(self, url: str, *, html_only: bool) -> _Response:
        """One request, within the host's politeness slot and the global limit."""
        async with self._turn(url):
            try:
                async with asyncio.timeout(self.options.timeout):
                    return await self._exchange(url, html_only=html_only)
            except (TimeoutError, httpx.TimeoutException):
                return _Response(error=f"timed out after {self.options.timeout:g} s",
                                 retryable=True)
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                return _Response(error=f"connection failed: {_describe(exc)}", retryable=True)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                return _Response(error=f"request failed: {_describe(exc)}")

    async def _exchange(self, url: str, *, html_only: bool) -> _Response:
        assert self._client is not None, "use Fetcher as an async context manager"
        async with self._client.stream("GET", url) as response:
            result = await self._judge(response, html_only=html_only)
            result.n_bytes = response.num_bytes_downloaded
            return result

    async def _judge(self, response: httpx.Response, *, html_only: bool) -> _Response:
        """Read the response's body only when it is one we keep."""
        status, headers = response.status_code, dict(response.headers.items())
        result = _Response(status, headers)
        if status in REDIRECT_STATUSES and "location" in headers:
            result.location = headers["location"]
        elif _is_retryable(status):
            result.error = status_problem(status, response.reason_phrase)
            result.retryable = True
            result.retry_after = _retry_after_seconds(headers.get("retry-after"))
        else:
            result.error = self._unwanted(response, headers, html_only=html_only)
            if result.error is None:
                result.body, result.error = await self._read_capped(response)
        return result

    def _unwanted(self, response: httpx.Response, headers: dict[str, str], *,
                  html_only: bool) -> str | None:
        """Why this final answer's body is not worth downloading, or None."""
        problem = status_problem(response.status_code, response.reason_phrase)
        if problem is None and html_only:
            problem = content_type_problem(headers.get("content-type"))
        declared = headers.get("content-length", "")
        if problem is None and declared.isdigit() and int(declared) > self.options.max_bytes:
            problem = too_large_problem(self.options.max_bytes)
        return problem

    async def _read_capped(self, response: httpx.Response) -> tuple[bytes, str | None]:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.options.max_bytes:
                return b"", too_large_problem(self.options.max_bytes)
            chunks.append(chunk)
        return b"".join(chunks), None

    @contextlib.asynccontextmanager
    async def _turn(self, url: str) -> AsyncIterator[None]:
        host = (urlsplit(url).hostname or "").lower()
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = _HostSlot(self.options.domain_concurrency,
                                                 self.options.delay)
        async with slot.in_flight:
            await slot.wait_turn()
            async with self._places:
                yield

    async def _started_renderer(self) -> Renderer:
        async with self._renderer_lock:
            if self._renderer is None:
                self._renderer = await Renderer(self.options).start()
        return self._renderer


class _HostSlot:
    """One host's politeness: requests in flight, and when the next one may start."""

    def __init__(self, concurrency: int, delay: float) -> None:
        self.in_flight = asyncio.Semaphore(concurrency)
        self._delay = delay
        self._next_start = 0.0
        self._lock = asyncio.Lock()

    async def wait_turn(self) -> None:
        if not self._delay:
            return
        async with self._lock:  # FIFO: waiters start in the order they arrived
            loop = asyncio.get_running_loop()
            wait = self._next_start - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_start = loop.time() + self._delay


@dataclass
class _Response:
    """What one request gave, before deciding to retry, follow or stop."""

    status_code: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    n_bytes: int = 0
    location: str | None = None
    error: str | None = None
    retryable: bool = False
    retry_after: float | None = None


@dataclass
class _Trace:
    """One fetch's history across retries and redirect hops."""

    url: str
    started: float = field(default_factory=time.monotonic)
    attempts: int = 0
    n_bytes: int = 0
    redirects: list[str] = field(default_factory=list)

    def result(self, final_url: str, response: _Response | None, error: str | None) -> FetchResult:
        if response is None:
            response = _Response()
        error = error or response.error
        return FetchResult(
            url=self.url,
            final_url=final_url,
            status_code=response.status_code,
            headers=response.headers,
            text="" if error else _decode(response.body, response.headers),
            n_bytes=self.n_bytes,
            elapsed_s=time.monotonic() - self.started,
            attempts=self.attempts,
            redirects=list(self.redirects),
            error=error,
        )


def _decode(body: bytes, headers: dict[str, str]) -> str:
    """Bytes to text: a byte-order mark, else the header's charset, else a ``<meta charset>`` in
    the first 2 KiB, else UTF-8; undecodable bytes become U+FFFD rather than failing the page."""
    if body.startswith(codecs.BOM_UTF8):
        return body.decode("utf-8-sig", errors="replace")
    declared = (_CHARSET.search(headers.get("content-type", ""))
                or _CHARSET.search(body[:2048].decode("ascii", errors="ignore")))
    try:
        return body.decode(declared[1] if declared else "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds from now: either a number of seconds or an HTTP date."""
    value = (value or "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _describe(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
