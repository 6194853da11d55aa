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
  bytes cannot hold a worker (one watchdog keeps every request's limit: ``_Deadlines``, which
  stops a request at most a quarter of the limit, or 0.25 s, after it); the body is read in
  chunks and dropped as soon as it passes ``max_bytes`` (counted after decompression, which is
  done in bounded steps by ``core.scrape.decode``, so a small gzip or brotli bomb cannot fill
  memory).
* **Only HTML** is accepted by ``fetch``: another Content-Type is recorded as an error without
  downloading the body.
* **robots.txt** is asked before every request when ``respect_robots`` (``core.scrape.robots``).

Nothing a site does makes ``fetch`` raise: each failure is a ``FetchResult`` with ``error`` set.

HTTP is aiohttp's client (its C HTTP parser and connection pool). httpx's pool was measured to
cap a crawl at a few hundred requests per second with 16 connections, below what one core can
parse; aiohttp serves the same 16 connections several thousand times per second
(``bench/crawl.py``). Bodies are read raw and decompressed here: ``n_bytes`` is then what came
over the wire (what the cost ledger bills) and the size cap applies to the decompressed size.
Proxy environment variables are not read (aiohttp would look at them, and at ``~/.netrc``, on
every request).
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import functools
import random
import re
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote, urldefrag, urljoin, urlsplit


@contextlib.contextmanager
def _without_default_certificates() -> Iterator[None]:
    """While aiohttp is first imported: SSL contexts made meanwhile load no CA certificates.

    aiohttp builds two default SSL contexts at import, and each reads the system's whole CA
    bundle: ~60 ms of CPU at every worker's start (callgrind: 470M instructions). This fetcher
    never uses them: it gives aiohttp its own context for https (``_ssl_context``, loaded when
    an https URL first needs one), and http needs none. Were they ever used, they would verify
    against an empty store, refusing every certificate: this fails closed. Only in a process
    with no other thread (a worker at its start), where no other context can be made meanwhile;
    elsewhere (the app) aiohttp is imported as it is.
    """
    if "aiohttp" in sys.modules or threading.active_count() > 1:
        yield
        return
    load = ssl.SSLContext.set_default_verify_paths
    ssl.SSLContext.set_default_verify_paths = lambda self: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        ssl.SSLContext.set_default_verify_paths = load  # type: ignore[method-assign]


with _without_default_certificates():
    import aiohttp
    import yarl
    from aiohttp.abc import ResolveResult
    from aiohttp.resolver import ThreadedResolver

from core.platform.errors import ValidationError
from core.scrape.decode import ACCEPT_ENCODING, Decoder, DecodingError
from core.scrape.dom import cap_nesting
from core.scrape.options import FetchOptions, Viewport
from core.scrape.result import (BrowserAnswer, FetchResult, content_type_problem,
                                retry_after_seconds, status_problem, too_large_problem)
from core.scrape.robots import RobotsCache
from core.scrape.urls import (AddressPolicy, AddressRefused, check_connection, check_redirect_url,
                              check_target_url, origin, simple_origin)

if TYPE_CHECKING:  # Playwright is imported when a page first needs rendering, not before
    from core.scrape.render import Renderer

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
PUBLIC_HOST_TTL = 10.0  # seconds; aiohttp's connector caches DNS answers as long
LARGE_BODY_BYTES = 262_144  # bodies above this are decoded in a thread
MAX_HEADER_BYTES = 65_536  # one header line; aiohttp's default (8 KiB) refuses real sites' cookies
# Headers of a browser's request that this client sets itself (or that describe the hop, not
# the request): the encodings it can decode within the cap, the body's length, the connection.
_NOT_FORWARDED = frozenset({"host", "accept-encoding", "content-length", "connection",
                            "transfer-encoding", "keep-alive", "upgrade", "te"})

_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
# The same, searched in the body's first 2 KiB as bytes: decoding them first cost more than the
# search (\w as in ASCII text: a charset name is ASCII)
_CHARSET_BYTES = re.compile(rb"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)


def _is_retryable(status: int) -> bool:
    return status in (408, 429) or 500 <= status < 600


class Fetcher:
    """Fetches (and, with ``render``, renders) pages for one run. Use it as an async context
    manager: it owns an HTTP connection pool and, once a page needs JavaScript, one Chromium."""

    def __init__(self, options: FetchOptions | None = None) -> None:
        self.options = options or FetchOptions()
        self._session: aiohttp.ClientSession | None = None
        self._places = asyncio.Semaphore(self.options.concurrency)
        self._hosts: dict[str, _HostSlot] = {}
        self._public_hosts: dict[str, float] = {}  # origin → trusted until
        self._robots = RobotsCache(self._fetch_robots_txt, self.options.user_agent)
        self._renderer: Renderer | None = None
        self._renderer_lock = asyncio.Lock()
        self._deadlines = _Deadlines(self.options.timeout)

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession(
            # certificates are loaded when an https URL first needs them (``_exchange``): a
            # crawl of http pages never pays for reading the CA bundle
            connector=aiohttp.TCPConnector(limit=self.options.concurrency, limit_per_host=0,
                                           resolver=_CheckedResolver(self.options.address_policy)),
            headers={"User-Agent": self.options.user_agent, "Accept": ACCEPT,
                     "Accept-Encoding": ACCEPT_ENCODING},
            timeout=aiohttp.ClientTimeout(total=None),  # _send bounds each request itself
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # keep cookies, also from IP hosts
            auto_decompress=False,
            max_line_size=MAX_HEADER_BYTES, max_field_size=MAX_HEADER_BYTES,
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._deadlines.close()
        if self._renderer is not None:
            await self._renderer.close()
        if self._session is not None:
            await self._session.close()

    async def fetch(self, url: str) -> FetchResult:
        """GET one HTML page (see the module docstring for everything this does on the way)."""
        return await self._fetch(url, html_only=True, robots=self.options.respect_robots)

    async def render(self, url: str, *, wait_for: str | None = None,
                     init_script: str | None = None,
                     viewport: Viewport | None = None) -> FetchResult:
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
        slot = self._slot(url)
        async with slot.in_flight:
            await slot.wait_turn()
            async with self._places:
                return await renderer.render(url, wait_for=wait_for, init_script=init_script,
                                             viewport=viewport)

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
                trace.redirect_statuses.append(response.status_code or 0)
                current = target
        if response is not None and len(response.body) > LARGE_BODY_BYTES:
            # Decoding and flattening a large body takes a while: off the event loop.
            return await asyncio.to_thread(trace.result, current, response, error)
        return trace.result(current, response, error)

    async def fetch_document(self, url: str, *, ask_robots: bool = False) -> FetchResult:
        """GET a file of any Content-Type with the same checks, caps and redirect handling as
        ``fetch``. robots.txt is asked only with ``ask_robots`` (and ``respect_robots``): files
        such as robots.txt and sitemap.xml are for crawlers to read; a page read as a document
        (the advisor's cited documentation) is not."""
        return await self._fetch(url, html_only=False,
                                 robots=ask_robots and self.options.respect_robots)

    async def send_for_browser(self, method: str, url: str, headers: Mapping[str, str],
                               body: bytes | None) -> BrowserAnswer | str:
        """Send one request a rendered page made, with this fetcher's client: the body is
        decoded within ``max_bytes`` here, so a bomb never expands in the browser or in
        Playwright (whose own ``route.fetch`` reads and decodes a body whole). No redirect is
        followed (the renderer checks each hop). Returns the answer, or why there is none."""
        assert self._session is not None, "use Fetcher as an async context manager"
        sent = {name: value for name, value in headers.items()
                if name.lower() not in _NOT_FORWARDED and not name.startswith(":")}
        try:
            target, tls = _target(url)  # an invalid URL raises ValueError: answered below
            async with asyncio.timeout(self.options.timeout):
                async with self._session.request(method, target, headers=sent, data=body,
                                                 allow_redirects=False, ssl=tls) as response:
                    result = _Response(response.status, _lower_case(response.headers))
                    declared = result.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > self.options.max_bytes:
                        return too_large_problem(self.options.max_bytes)
                    await self._read_capped(response, result)
        except TimeoutError:
            return f"timed out after {self.options.timeout:g} s"
        except (aiohttp.ClientError, ValueError) as exc:
            return f"request failed: {_describe(exc)}"
        if result.error:
            return result.error
        assert result.status_code is not None
        return BrowserAnswer(result.status_code, result.headers, result.body)

    async def _fetch_robots_txt(self, url: str) -> FetchResult:
        return await self._fetch(url, html_only=False, robots=False)

    async def _admit(self, url: str, *, robots: bool,
                     hop_from: str | None = None) -> tuple[str, str | None]:
        """The URL to request (absolute), and why it may not be requested, if it may not.
        The URL policy (``core.scrape.urls``) judges it: first as written (no DNS, so no thread
        needed), then the addresses its host name resolves to."""
        policy = self.options.address_policy
        try:
            if hop_from is None:
                url = check_target_url(url, allow_private=policy, resolve=False)
            else:
                url = check_redirect_url(url, from_url=hop_from, allow_private=policy,
                                         resolve=False)
            await self._check_resolved(url, policy)
        except ValidationError as exc:
            return url, str(exc) if hop_from is None or str(exc).startswith("redirect from") \
                else f"redirect from {hop_from} refused: {exc}"
        refusal = await self._robots.refusal(url) if robots else None
        return url, refusal

    async def _check_resolved(self, url: str, policy: AddressPolicy) -> None:
        """Raise ``ValidationError`` unless ``url``'s host resolves to allowed addresses only.

        Resolving blocks, so it runs in a thread; a host found allowed is trusted for
        ``PUBLIC_HOST_TTL`` seconds (the connection pool caches DNS answers as long), not asked
        again for every page. Refusals are not cached: they stay refused either way.
        """
        if policy.allow_private:
            return
        key = origin(url)
        now = time.monotonic()
        if self._public_hosts.get(key, 0.0) > now:
            return
        await asyncio.to_thread(check_target_url, url, allow_private=policy, resolve=True)
        self._public_hosts[key] = now + PUBLIC_HOST_TTL

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
            trace.retried_after = response.error
            await asyncio.sleep(self._retry_wait(attempt, response.retry_after))

    def _retry_wait(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is None:
            wait = self.options.backoff * 2.0 ** (attempt - 1) * random.uniform(0.5, 1.5)
        else:
            wait = retry_after
        return min(wait, self.options.max_retry_wait)

    async def _send(self, url: str, *, html_only: bool) -> _Response:
        """One request, within the host's politeness slot and the global limit (a request
        waits for its host's turn *before* taking a global place)."""
        slot = self._slot(url)
        async with slot.in_flight:
            await slot.wait_turn()
            async with self._places:
                task = self._deadlines.enter()
                try:
                    return await self._exchange(url, html_only=html_only)
                except asyncio.CancelledError:
                    if not self._deadlines.expired(task):
                        raise  # a cancel from elsewhere (the run's), not the time limit
                    return self._timed_out()
                except TimeoutError:  # aiohttp's own (a socket's) are TimeoutErrors too
                    return self._timed_out()
                except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError,
                        aiohttp.ClientResponseError) as exc:  # refused, dropped, garbled HTTP
                    if isinstance(getattr(exc, "os_error", None), AddressRefused):
                        return _Response(error=str(exc.os_error))  # type: ignore[union-attr]
                    return _Response(error=f"connection failed: {_describe(exc)}",
                                     retryable=True)
                except (aiohttp.ClientError, ValueError) as exc:  # an invalid URL, for one
                    return _Response(error=f"request failed: {_describe(exc)}")
                finally:
                    self._deadlines.leave(task)

    def _timed_out(self) -> _Response:
        return _Response(error=f"timed out after {self.options.timeout:g} s", retryable=True)

    async def _exchange(self, url: str, *, html_only: bool) -> _Response:
        assert self._session is not None, "use Fetcher as an async context manager"
        target, tls = _target(url)
        async with self._session.get(target, allow_redirects=False, ssl=tls) as response:
            return await self._judge(response, html_only=html_only)

    async def _judge(self, response: aiohttp.ClientResponse, *, html_only: bool) -> _Response:
        """Read the response's body only when it is one we keep."""
        status, headers = response.status, _lower_case(response.headers)
        result = _Response(status, headers)
        if status in REDIRECT_STATUSES and "location" in headers:
            result.location = _location(response.headers["location"])
        elif _is_retryable(status):
            result.error = status_problem(status, _header_text(response.reason or ""))
            result.retryable = True
            result.retry_after = retry_after_seconds(headers.get("retry-after"))
        else:
            result.error = self._unwanted(response, headers, html_only=html_only)
            if result.error is None:
                await self._read_capped(response, result)
        return result

    def _unwanted(self, response: aiohttp.ClientResponse, headers: dict[str, str], *,
                  html_only: bool) -> str | None:
        """Why this final answer's body is not worth downloading, or None."""
        problem = status_problem(response.status, _header_text(response.reason or ""))
        if problem is None and html_only:
            problem = content_type_problem(headers.get("content-type"))
        declared = headers.get("content-length", "")
        if problem is None and declared.isdigit() and int(declared) > self.options.max_bytes:
            problem = too_large_problem(self.options.max_bytes)
        return problem

    async def _read_capped(self, response: aiohttp.ClientResponse, result: _Response) -> None:
        """The body into ``result.body`` (decompressed), its wire size into ``result.n_bytes``;
        past ``max_bytes`` the rest is not read and ``result.error`` says why."""
        limit = self.options.max_bytes
        chunks: list[bytes] = []
        size = 0
        try:
            decoder = Decoder(result.headers.get("content-encoding", ""))
            async for raw in response.content.iter_any():
                result.n_bytes += len(raw)
                chunk = decoder.feed(raw, limit - size)
                if chunk is None:
                    result.error = too_large_problem(limit)
                    return
                size += len(chunk)
                chunks.append(chunk)
            tail = decoder.flush(limit - size)
        except DecodingError as exc:
            result.error = f"request failed: {exc}"
            return
        if tail is None:
            result.error = too_large_problem(limit)
            return
        chunks.append(tail)
        result.body = b"".join(chunks)

    def _slot(self, url: str) -> _HostSlot:
        """``url``'s host's politeness slot. (Taken with plain ``async with`` where a request is
        sent, not through a generator-based context manager: this is once per page.)"""
        origin = simple_origin(url)  # the usual URL, without parsing it
        host = origin.split("//", 1)[1].split(":", 1)[0] if origin is not None \
            else (urlsplit(url).hostname or "").lower()
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = _HostSlot(self.options.domain_concurrency,
                                                 self.options.delay)
        return slot

    async def _started_renderer(self) -> Renderer:
        from core.scrape.render import Renderer

        async with self._renderer_lock:
            if self._renderer is None:
                self._renderer = await Renderer(self.options, send=self.send_for_browser).start()
        return self._renderer


class _Deadlines:
    """The time limit of each request in flight, kept by one watchdog task instead of a timer
    each: ``asyncio.timeout`` schedules a timer and cancels it for every request, which cost a
    crawl of small pages ~3.5 % of its speed (bench/books_site.py). The watchdog looks every
    ``tick`` (a quarter of the limit, at most 0.25 s) and cancels the requests past it, so a
    request stops between its limit and one tick later; it ends when no request is in flight.

    A request runs between ``enter`` and ``leave`` with no ``await`` outside them, so the
    watchdog (a task of the same loop) only ever cancels it while it waits inside: its
    ``CancelledError`` comes from there, and ``expired`` tells it apart from a cancel from
    elsewhere by the task's count of cancel requests (as ``asyncio.timeout`` does)."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._tick = min(0.25, seconds / 4)
        self._running: dict[asyncio.Task[Any], tuple[float, int]] = {}  # deadline, cancelling
        self._expired: set[asyncio.Task[Any]] = set()
        self._watchdog: asyncio.Task[None] | None = None

    def enter(self) -> asyncio.Task[Any]:
        task = asyncio.current_task()
        assert task is not None, "a request runs in a task"
        loop = task.get_loop()
        self._running[task] = (loop.time() + self._seconds, task.cancelling())
        if self._watchdog is None or self._watchdog.done():
            self._watchdog = loop.create_task(self._watch())
        return task

    def expired(self, task: asyncio.Task[Any]) -> bool:
        """Whether the ``CancelledError`` ``task`` met is its time limit's (and only that)."""
        if task not in self._expired:
            return False
        self._expired.discard(task)
        return task.uncancel() <= self._running[task][1]

    def leave(self, task: asyncio.Task[Any]) -> None:
        del self._running[task]
        if task in self._expired:  # cancelled, and the client made another error of it
            self._expired.discard(task)
            task.uncancel()

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while self._running:
            await asyncio.sleep(self._tick)
            now = loop.time()
            for task, (deadline, _) in list(self._running.items()):
                if deadline <= now and task not in self._expired:
                    self._expired.add(task)
                    task.cancel()

    async def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog


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
    redirect_statuses: list[int] = field(default_factory=list)
    retried_after: str | None = None

    def result(self, final_url: str, response: _Response | None, error: str | None) -> FetchResult:
        if response is None:
            response = _Response()
        error = error or response.error
        text, utf8 = ("", None) if error else _decode(response.body, response.headers)
        capped = cap_nesting(text)
        return FetchResult(
            url=self.url,
            final_url=final_url,
            status_code=response.status_code,
            headers=response.headers,
            text=capped,
            utf8=utf8 if capped is text else None,  # flattened: the bytes are not the page
            n_bytes=self.n_bytes,
            elapsed_s=time.monotonic() - self.started,
            attempts=self.attempts,
            redirects=list(self.redirects),
            redirect_statuses=list(self.redirect_statuses),
            error=error,
            retried_after=self.retried_after,
        )


def _lower_case(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names in lower case; a repeated header's values joined with ", " (as one), each
    as ``_header_text``."""
    out = {name.lower(): value if value.isascii() else _header_text(value)
           for name, value in headers.items()}
    if len(out) == len(headers):  # no header repeated: the usual answer
        return out
    out.clear()
    for name, value in headers.items():
        name, value = name.lower(), _header_text(value)
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _header_text(value: str) -> str:
    """A header's value or a reason phrase as text: aiohttp keeps the bytes of one that are not
    UTF-8 as lone surrogates, which no stored text (an error, a report) can hold; they read as
    U+FFFD, the replacement character."""
    if value.isascii():
        return value
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


# What a Location keeps as it is: printable ASCII (the URL parser encodes the rest it needs to)
_URL_ASCII = "".join(map(chr, range(0x21, 0x7F)))


def _location(value: str) -> str:
    """A Location header's target with its non-ASCII bytes percent-encoded, as a browser
    follows it: UTF-8 or not, the bytes are the ones the server named."""
    if value.isascii():
        return value
    return quote(value.encode("utf-8", "surrogateescape"), safe=_URL_ASCII)


def _target(url: str) -> tuple[yarl.URL, ssl.SSLContext | bool]:
    """``url`` as aiohttp reads it, and the TLS context for it: ours for https, chosen by the
    scheme aiohttp will see (it strips leading control characters a prefix test would not)."""
    target = yarl.URL(url)
    return target, (_ssl_context() if target.scheme == "https" else True)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """Certificates from certifi when installed (as httpx did), else the system's."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with aiohttp's usual installs
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def _decode(body: bytes, headers: dict[str, str]) -> tuple[str, bytes | None]:
    """Bytes to text: a byte-order mark, else the header's charset, else a ``<meta charset>`` in
    the first 2 KiB, else UTF-8; undecodable bytes become U+FFFD rather than failing the page.
    Also ``body`` itself when it is that text in valid UTF-8 (else None)."""
    if body.startswith(codecs.BOM_UTF8):
        return body.decode("utf-8-sig", errors="replace"), None
    declared = (_CHARSET.search(headers.get("content-type", ""))
                or _CHARSET_BYTES.search(body, 0, 2048))
    charset = declared[1] if declared else "utf-8"
    if isinstance(charset, bytes):
        charset = charset.decode("ascii")
    try:
        codec = codecs.lookup(charset)
    except LookupError:
        codec = codecs.lookup("utf-8")
    if not codec._is_text_encoding:
        codec = codecs.lookup("utf-8")  # "charset=rot13", "hex", "zlib": not a text encoding
    if codec.name == "utf-8":
        try:
            return body.decode("utf-8"), body
        except UnicodeDecodeError:
            return body.decode("utf-8", errors="replace"), None
    try:
        return body.decode(codec.name, errors="replace"), None
    except (LookupError, UnicodeError):  # "idna" and its like refuse to decode some bytes
        return body.decode("utf-8", errors="replace"), None


class _CheckedResolver(ThreadedResolver):
    """aiohttp's resolver, whose answers are judged by the address policy before any connection
    is made to them. ``_admit`` judged the host's addresses already, but the connection asks
    DNS again: a server that answered a public address to the check and a private one now
    (DNS rebinding) would otherwise reach the private one. aiohttp caches what this answers
    (10 s), so it runs once per host and pause, not per request."""

    def __init__(self, policy: AddressPolicy) -> None:
        super().__init__()
        self._policy = policy

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        answers = await super().resolve(host, port, family)
        check_connection(host, [answer["host"] for answer in answers], self._policy)
        return answers


def _describe(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
