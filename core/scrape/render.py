"""JavaScript pages: load them in one headless Chromium and take the DOM after scripts ran.

Starting Chromium costs about a second, a fresh browser context a few milliseconds; so one
browser lives as long as its ``Renderer`` (in practice, as long as the run's ``Fetcher``) and
each page gets its own context — no cookies or storage leak from one page to the next.

Inside the page, every request the browser makes passes through ``_route``:

* images, media and fonts are not downloaded: extraction never needs them, and they are most of
  a page's bytes and rendering time;
* unless private addresses are allowed, a request to a private, loopback or link-local address
  is blocked, so a page's scripts cannot reach into the server's network.

Limit: Chromium follows redirects itself, and only the first URL of a redirect chain reaches the
route handler (Playwright has no hook per hop). A redirect to a private address is therefore
requested before it can be refused; the main document's final URL is checked again, so such a
page is never returned as content. ``Fetcher.fetch`` has no such gap: it follows redirects itself.

The main document's answer is judged like a plain fetch's: non-2xx status, a non-HTML
Content-Type or a DOM larger than ``max_bytes`` is an error, not a page. ``n_bytes`` of a rendered
page is the size of its serialised DOM.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from playwright.async_api import Browser, Page, Playwright, Request, Response, Route
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from playwright.async_api import async_playwright

from core.errors import ScrapeDeckError, ValidationError
from core.scrape.options import FetchOptions
from core.scrape.result import (FetchResult, content_type_problem, status_problem,
                                too_large_problem)
from core.scrape.urls import check_target_url
from core.settings import get_settings

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",  # without these Chromium keeps calling outside hosts
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
SKIPPED_RESOURCES = frozenset({"image", "media", "font"})


class Renderer:
    """One Chromium for many pages. ``async with Renderer(options) as renderer: ...``"""

    def __init__(self, options: FetchOptions, *, chromium_path: str | None = None) -> None:
        self.options = options
        self._chromium_path = chromium_path or get_settings().chromium_path
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

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
                     init_script: str | None = None) -> FetchResult:
        """Load ``url``, wait for the ``load`` event (and ``wait_for``, a CSS selector, if given),
        and return the DOM serialised as HTML. The whole takes at most ``options.timeout``.
        ``init_script`` (JavaScript) runs in the page before any of its own scripts."""
        assert self._browser is not None, "start the Renderer first"
        started = time.monotonic()
        context = await self._browser.new_context(user_agent=self.options.user_agent)
        try:
            page = await context.new_page()
            if init_script:
                await page.add_init_script(init_script)
            await page.route("**/*", self._route)
            return await self._render(page, url, wait_for, started)
        finally:
            await context.close()

    async def _render(self, page: Page, url: str, wait_for: str | None,
                      started: float) -> FetchResult:
        timeout_ms = self.options.timeout * 1000
        try:
            response = await page.goto(url, wait_until="load", timeout=timeout_ms)
            if response is None:
                return _result(url, page.url, started, error="the browser got no response")
            headers = await response.all_headers()
            error = await self._problem(response, headers)
            if error is None and wait_for:
                remaining_ms = timeout_ms - (time.monotonic() - started) * 1000
                await page.wait_for_selector(wait_for, state="attached",
                                             timeout=max(1.0, remaining_ms))
            html = "" if error else await page.content()
        except PlaywrightTimeoutError:
            waiting = f" waiting for {wait_for!r}" if wait_for else ""
            return _result(url, page.url, started,
                           error=f"timed out after {self.options.timeout:g} s{waiting}")
        except PlaywrightError as exc:
            return _result(url, page.url, started, error=f"browser error: {_first_line(exc)}")
        if error is None and len(html.encode("utf-8")) > self.options.max_bytes:
            error = too_large_problem(self.options.max_bytes)
        return _result(url, page.url, started, response=response, headers=headers, html=html,
                       error=error)

    async def _problem(self, response: Response, headers: dict[str, str]) -> str | None:
        return (await self._address_problem(response.url)
                or status_problem(response.status, response.status_text)
                or content_type_problem(headers.get("content-type")))

    async def _address_problem(self, url: str) -> str | None:
        if self.options.allow_private:
            return None
        try:
            await asyncio.to_thread(check_target_url, url, allow_private=False)
        except ValidationError as exc:
            return str(exc)
        return None

    async def _route(self, route: Route) -> None:
        request = route.request
        if request.resource_type in SKIPPED_RESOURCES:
            await route.abort()
        elif await self._address_problem(request.url):
            await route.abort("blockedbyclient")
        else:
            await route.continue_()


def _result(url: str, final_url: str, started: float, *, response: Response | None = None,
            headers: dict[str, str] | None = None, html: str = "",
            error: str | None = None) -> FetchResult:
    redirects = _redirect_chain(response.request) if response else []
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
