"""JavaScript pages: load them in one headless Chromium and take the DOM after scripts ran.

Starting Chromium costs about a second, a fresh browser context a few milliseconds; so one
browser lives as long as its ``Renderer`` (in practice, as long as the run's ``Fetcher``) and
each page gets its own context — no cookies or storage leak from one page to the next.

Every request Chromium makes is under the URL policy (``core.scrape.urls``), as a plain fetch is:

* images, media and fonts are not downloaded: extraction never needs them, and they are most of
  a page's bytes and rendering time;
* unless private addresses are allowed, every request (the page, its frames, scripts, styles,
  ``fetch()``/XHR, beacons) passes ``_route``: its URL is checked with DNS, and the request is
  then sent by the fetcher's own client (``send``, ``Fetcher.send_for_browser``) *without*
  following redirects, so that each hop's ``Location`` is checked too before it is followed
  (Chromium follows redirects on its own, and a routed request's later hops never reach a route
  handler). That client decodes each body within ``max_bytes``, so a compression bomb never
  expands (Playwright's ``route.fetch`` reads and decodes a body whole: 1.6 KB of brotli took a
  rendered audit to 4.7 GB). A subresource's hops are followed here and the final answer handed
  to the page; a main-document redirect is followed by navigating to the checked target, so the
  page keeps its real URL;
* WebSockets pass ``_route_web_socket``: checked, then connected, or closed with code 1008;
* service workers are blocked (their requests would bypass routing), and WebRTC may not use
  UDP outside a proxy, DNS prefetching is off.

What this cannot guarantee: Chromium may still open a TCP connection (``<link rel=preconnect>``,
speculative preconnects) or resolve a name without sending a request, and a WebSocket's
connection (Playwright's) resolves its name again, so a DNS answer that changes between the
check and that connection (rebinding) is not caught there. Every other request goes through the
fetcher's client, which judges the addresses it connects to.

The main document's answer is judged like a plain fetch's: non-2xx status, a non-HTML
Content-Type or a DOM larger than ``max_bytes`` is an error, not a page. ``n_bytes`` of a rendered
page is the size of its serialised DOM; the DOM is flattened to ``MAX_NESTING`` levels
(``core.scrape.dom``) like a fetched page.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import (Browser, Page, Playwright, Request, Response, Route,
                                  WebSocketRoute)
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from playwright.async_api import async_playwright

from core.platform.errors import ScrapeDeckError, ValidationError
from core.scrape.options import FetchOptions, Viewport
from core.scrape.result import (BrowserAnswer, FetchResult, content_type_problem,
                                status_problem, too_large_problem)
from core.platform.settings import get_settings
from core.scrape.dom import cap_nesting
from core.scrape.urls import check_redirect_url, check_target_url

PUBLIC_HOST_TTL = 10.0  # seconds a host found allowed is not resolved again

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",  # without these Chromium keeps calling outside hosts
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--dns-prefetch-disable",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
)
REDIRECTS = frozenset({301, 302, 303, 307, 308})

SKIPPED_RESOURCES = frozenset({"image", "media", "font"})
# Answer headers that described the body on the wire, not the decoded body handed to the page.
WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding",
                          "connection", "keep-alive"})

# (method, url, headers, body) → the answer, or why there is none (``Fetcher.send_for_browser``)
Send = Callable[[str, str, Mapping[str, str], bytes | None], Awaitable[BrowserAnswer | str]]


class Renderer:
    """One Chromium for many pages. ``async with Renderer(options) as renderer: ...``"""

    def __init__(self, options: FetchOptions, *, send: Send,
                 chromium_path: str | None = None) -> None:
        self.options = options
        self._send = send
        self._chromium_path = chromium_path or get_settings().chromium_path
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._allowed_hosts: dict[tuple[str, int | None, str], float] = {}

    async def start(self) -> Renderer:
        """Launch the browser: ``chromium_path`` when it exists, else Playwright's own."""
        executable = self._chromium_path if Path(self._chromium_path).exists() else None
        self._playwright = await async_playwright().start()
        try:
            self._browser = await self._playwright.chromium.launch(
                executable_path=executable, args=list(CHROMIUM_ARGS))
        except PlaywrightError as exc:
            await self._playwright.stop()
            raise ScrapeDeckError(
                f"Chromium could not start ({executable or 'no CHROMIUM_PATH; Playwright browser'}"
                f"): {_first_line(exc)}") from exc
        return self

    async def close(self) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._playwright is not None:
            await self._playwright.stop()

    async def __aenter__(self) -> Renderer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def render(self, url: str, *, wait_for: str | None = None,
                     init_script: str | None = None,
                     viewport: Viewport | None = None) -> FetchResult:
        """Load ``url``, wait for the ``load`` event (and ``wait_for``, a CSS selector, if given),
        and return the DOM serialised as HTML. The whole takes at most ``options.timeout``.
        ``init_script`` (JavaScript) runs in the page before any of its own scripts;
        ``viewport``: the screen to render on (default: Playwright's desktop)."""
        assert self._browser is not None, "start the Renderer first"
        started = time.monotonic()
        screen: dict[str, Any] = {} if viewport is None else {
            "viewport": {"width": viewport.width, "height": viewport.height},
            "device_scale_factor": viewport.scale, "is_mobile": viewport.mobile,
            "has_touch": viewport.mobile}
        context = await self._browser.new_context(user_agent=self.options.user_agent,
                                                  service_workers="block", **screen)
        navigation = _Navigation(url)
        try:
            page = await context.new_page()
            if init_script:
                await page.add_init_script(init_script)
            if self.options.address_policy.allow_private:
                await context.route("**/*", self._route_resources)
            else:
                await context.route("**/*", lambda route: self._route(route, page, navigation))
                await context.route_web_socket("**/*", self._route_web_socket)
            return await self._render(page, navigation, wait_for, started)
        finally:
            await context.close()

    async def _render(self, page: Page, navigation: _Navigation, wait_for: str | None,
                      started: float) -> FetchResult:
        timeout_ms = self.options.timeout * 1000
        url = navigation.url
        try:
            response = await self._goto(page, navigation, timeout_ms, started)
            if navigation.refused:
                return _result(url, navigation.target, started, error=navigation.refused,
                               redirects=navigation.redirects)
            if response is None:
                return _result(url, page.url, started, error="the browser got no response")
            headers = await response.all_headers()
            error = await self._problem(response, headers)
            if error is None and wait_for:
                remaining_ms = timeout_ms - (time.monotonic() - started) * 1000
                await page.wait_for_selector(wait_for, state="attached",
                                             timeout=max(1.0, remaining_ms))
            html = "" if error else cap_nesting(await page.content())
        except PlaywrightTimeoutError:
            waiting = f" waiting for {wait_for!r}" if wait_for else ""
            return _result(url, page.url, started,
                           error=f"timed out after {self.options.timeout:g} s{waiting}")
        except PlaywrightError as exc:
            return _result(url, page.url, started, error=navigation.refused
                           or f"browser error: {_first_line(exc)}", redirects=navigation.redirects)
        if error is None and len(html.encode("utf-8")) > self.options.max_bytes:
            error = too_large_problem(self.options.max_bytes)
        return _result(url, page.url, started, response=response, headers=headers, html=html,
                       error=error, redirects=navigation.redirects)

    async def _goto(self, page: Page, navigation: _Navigation, timeout_ms: float,
                    started: float) -> Response | None:
        """Navigate; a main-document redirect (seen and checked by ``_route``) is followed by
        navigating again, up to ``max_redirects`` times."""
        while True:
            navigation.redirect_to = None
            remaining = max(1.0, timeout_ms - (time.monotonic() - started) * 1000)
            response = await page.goto(navigation.target, wait_until="load", timeout=remaining)
            if navigation.refused or navigation.redirect_to is None:
                return response
            if len(navigation.redirects) >= self.options.max_redirects:
                navigation.refused = (f"more than {self.options.max_redirects} redirects: "
                                      + " → ".join([navigation.url, *navigation.redirects]))
                return None
            navigation.redirects.append(navigation.redirect_to)
            navigation.target = navigation.redirect_to

    async def _problem(self, response: Response, headers: dict[str, str]) -> str | None:
        return (await self._address_problem(response.url)
                or status_problem(response.status, response.status_text)
                or content_type_problem(headers.get("content-type")))

    async def _address_problem(self, url: str) -> str | None:
        """Why the URL policy refuses ``url`` (with DNS), or None. A host found allowed is
        trusted for ``PUBLIC_HOST_TTL`` seconds."""
        policy = self.options.address_policy
        if policy.allow_private:
            return None
        try:
            check_target_url(url, allow_private=policy, resolve=False)
            parts = urlsplit(url)
            key = ((parts.hostname or "").lower(), parts.port, parts.scheme.lower())
            if self._allowed_hosts.get(key, 0.0) <= time.monotonic():
                await asyncio.to_thread(check_target_url, url, allow_private=policy)
                self._allowed_hosts[key] = time.monotonic() + PUBLIC_HOST_TTL
        except ValidationError as exc:
            return str(exc)
        return None

    async def _route_resources(self, route: Route) -> None:
        """Private addresses allowed: only skip what extraction never needs."""
        if route.request.resource_type in SKIPPED_RESOURCES:
            await route.abort()
        else:
            await route.continue_()

    async def _route(self, route: Route, page: Page, navigation: _Navigation) -> None:
        """Check the request's URL, send it without following redirects, check each hop.
        Whatever goes wrong here, the request is aborted, never sent unchecked."""
        try:
            await self._route_checked(route, page, navigation)
        except Exception:
            with contextlib.suppress(PlaywrightError):
                await route.abort("failed")

    async def _route_checked(self, route: Route, page: Page, navigation: _Navigation) -> None:
        request = route.request
        if request.resource_type in SKIPPED_RESOURCES:
            await route.abort()
            return
        main = request.is_navigation_request() and request.frame == page.main_frame
        problem = await self._address_problem(request.url)
        if problem:
            if main:
                navigation.refused = problem
            await route.abort("blockedbyclient")
            return
        answer = await self._send_following(route, main, navigation)
        if answer is not None:
            await route.fulfill(status=answer.status, body=answer.body, headers={
                name: value for name, value in answer.headers.items()
                if name not in WIRE_HEADERS})
        elif main and navigation.redirect_to and not navigation.refused:
            # An empty page ends this navigation cleanly; ``_goto`` then opens the target.
            await route.fulfill(status=200, body="", content_type="text/html")
        else:
            await route.abort("blockedbyclient")

    async def _send_following(self, route: Route, main: bool,
                              navigation: _Navigation) -> BrowserAnswer | None:
        """The request's answer, each redirect's target checked before it is requested; None
        when a hop is refused or has no answer (a main document's says why). A main document's
        redirect is left to ``_goto``."""
        request, url = route.request, route.request.url
        method, body = request.method, request.post_data_buffer
        headers = await request.all_headers()
        for _ in range(self.options.max_redirects + 1):
            response = await self._send(method, url, headers, body)
            if isinstance(response, str):
                return self._refuse(main, navigation, response)
            location = response.headers.get("location")
            if response.status not in REDIRECTS or not location:
                return response
            try:
                target = check_redirect_url(location, from_url=url,
                                            allow_private=self.options.address_policy,
                                            resolve=False)
            except ValidationError as exc:
                return self._refuse(main, navigation, str(exc))
            problem = await self._address_problem(target)
            if problem:
                return self._refuse(main, navigation, f"redirect from {url} refused: {problem}")
            if main:
                navigation.redirect_to = target
                return None
            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                method, body = "GET", None
            url = target
        return None

    @staticmethod
    def _refuse(main: bool, navigation: _Navigation, problem: str) -> None:
        if main:
            navigation.refused = problem
        return None

    async def _route_web_socket(self, socket: WebSocketRoute) -> None:
        if await self._address_problem(socket.url):
            await socket.close(code=1008, reason="refused by ScrapeDeck's address policy")
        else:
            socket.connect_to_server()


@dataclass
class _Navigation:
    """One render's main document: where it started, where it is going, what was refused."""

    url: str
    target: str = ""
    redirect_to: str | None = None
    redirects: list[str] = field(default_factory=list)
    refused: str | None = None

    def __post_init__(self) -> None:
        self.target = self.target or self.url


def _result(url: str, final_url: str, started: float, *, response: Response | None = None,
            headers: dict[str, str] | None = None, html: str = "",
            error: str | None = None, redirects: list[str] | None = None) -> FetchResult:
    redirects = (redirects or []) + (_redirect_chain(response.request) if response else [])
    return FetchResult(
        url=url,
        final_url=final_url,
        status_code=response.status if response else None,
        headers=headers or {},
        text="" if error else html,
        n_bytes=len(html.encode("utf-8")),
        elapsed_s=time.monotonic() - started,
        attempts=1 + len(redirects),
        redirects=redirects,
        error=error,
    )


def _redirect_chain(request: Request) -> list[str]:
    """The URLs redirected to before ``request`` (which is the last of them, if any)."""
    chain = []
    while request.redirected_from is not None:
        chain.append(request.url)
        request = request.redirected_from
    return chain[::-1]


def _first_line(exc: Exception) -> str:
    """Playwright messages append a multi-line call log; the first line says what went wrong."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
