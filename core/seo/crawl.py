"""The site crawl engine: breadth-first within one site from a start URL, up to N pages.

    outcome = await SiteCrawler("https://shop.example/", CrawlOptions(max_pages=200)).run()
    outcome.pages            # CrawledPage per URL requested, in crawl order
    outcome.not_checked      # what could not be checked, and why

* **Breadth-first, level by level**: every page at depth d is fetched (concurrently) before any
  at d + 1, so each page's depth is its true click distance, and which pages a ``max_pages``
  budget covers does not depend on timing. Links are taken in document order.
* **The site** is the start URL's host (``www.`` ignored) and port, http or https alike
  (``core.seo.crawl_page``); links elsewhere are counted, not fetched.
* **Fetching** is the engine's ``Fetcher`` (``core.scrape.fetch``): SSRF rules, robots.txt,
  the politeness delay, retries, size cap, redirect handling with each hop recorded. A URL that
  redirects is recorded, and so is the page it lands on (under its own URL, once).
* **Sitemaps** (``core.seo.sitemap``) are read first; when the link graph is exhausted and the
  budget allows, sitemap URLs no link reached are fetched too (depth unknown: None), so orphan
  pages are checked as well. Their links are not followed.
* **Budget**: ``max_pages`` URLs are requested at most (robots.txt and sitemap files aside);
  ``max_depth`` bounds how many clicks deep links are followed.
* Nothing a site does raises: each failure is a page with ``error`` set.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from core.scrape.fetch import REDIRECT_STATUSES, Fetcher
from core.scrape.options import FetchOptions
from core.scrape.result import FetchResult, content_type_problem
from core.seo.audit import audit_page, render_for_audit, robots_file
from core.scrape.urls import normalize_url, site_key
from core.seo.crawl_page import CrawledPage, crawl_facts
from core.seo.page import Page
from core.seo.sitemap import SitemapData, read_sitemaps
from core.platform.settings import get_settings

ROBOTS_REFUSAL = "disallowed by robots.txt"  # how the fetcher words a robots.txt refusal
MAX_CONCURRENCY = 64


@dataclass(frozen=True)
class CrawlOptions:
    max_pages: int = 100
    max_depth: int = field(default_factory=lambda: get_settings().seo_crawl_max_depth)
    delay: float = field(default_factory=lambda: get_settings().fetch_delay_seconds)
    concurrency: int = 4
    respect_robots: bool = True
    render: bool = False
    audit: bool = True  # run the page audit on each HTML page (score and failed audits)

    def fetch_options(self) -> FetchOptions:
        # One site: the crawl's concurrency is also the per-host limit.
        return FetchOptions(delay=self.delay, concurrency=self.concurrency,
                            domain_concurrency=self.concurrency,
                            respect_robots=self.respect_robots)


@dataclass
class CrawlProgress:
    pages_crawled: int = 0
    pages_queued: int = 0
    errors: int = 0
    # What the crawl spent (page requests; robots.txt and sitemaps not counted), for the ledger.
    requests: int = 0
    bytes_fetched: int = 0
    renders: int = 0
    browser_seconds: float = 0.0


@dataclass
class CrawlOutcome:
    start_url: str
    pages: list[CrawledPage]
    sitemap: SitemapData
    not_checked: list[str] = field(default_factory=list)
    stopped: str | None = None  # "canceled", "max pages reached"…
    elapsed_s: float = 0.0


class SiteCrawler:
    def __init__(self, start_url: str, options: CrawlOptions, *,
                 cancel: asyncio.Event | None = None) -> None:
        start = normalize_url(start_url)
        if start is None:
            raise ValueError(f"{start_url!r} is not an http(s) URL")
        self.start_url = start
        self.site = site_key(start)
        self.options = options
        self.cancel = cancel or asyncio.Event()
        # What a set ``cancel`` means, as the outcome's ``stopped`` says it: a cancel, unless
        # the caller stopped the crawl for a reason of its own (a budget: ``stop``).
        self.stop_reason = "canceled"
        self.progress = CrawlProgress()
        self.pages: list[CrawledPage] = []
        self._seen: set[str] = set()
        self._fetched = 0
        self._sitemap_urls: set[str] = set()
        self._last_level: list[CrawledPage] = []
        self._robots_txt: str | None = None
        # Pages recorded since the caller last took them (``take_recorded``): the crawl runner
        # writes their events at each heartbeat, so a crawl's graph fills in as it goes.
        self._recorded: list[CrawledPage] = []

    def take_recorded(self) -> list[CrawledPage]:
        """The pages recorded since the last call (call it on the crawl's event loop)."""
        taken, self._recorded = self._recorded, []
        return taken

    def in_site(self, url: str) -> bool:
        return site_key(url) == self.site

    def stop(self, reason: str) -> None:
        """End the crawl as a cancel would (the pages fetched are kept), its outcome saying
        ``reason`` (e.g. "stopped: budget reached") instead of "canceled"."""
        self.stop_reason = reason
        self.cancel.set()

    async def run(self) -> CrawlOutcome:
        started = time.monotonic()
        async with Fetcher(self.options.fetch_options()) as fetcher:
            parts = urlsplit(self.start_url)
            sitemap = await read_sitemaps(fetcher.fetch_document,
                                          f"{parts.scheme}://{parts.netloc}")
            if sitemap.unreachable:  # not even robots.txt answered: say so, fetch nothing
                return self._unreachable(sitemap, started)
            self._sitemap_urls = {u for u in map(normalize_url, sitemap.urls) if u}
            self._robots_txt = sitemap.robots_txt
            stopped = await self._crawl_links(fetcher)
            orphans = [u for u in map(normalize_url, sitemap.urls)
                       if u and u not in self._seen and self.in_site(u)]
            self._seen.update(orphans)
            stopped = stopped or await self._crawl_level(fetcher, orphans, None)
        outcome = CrawlOutcome(self.start_url, self.pages, sitemap, stopped=stopped)
        outcome.not_checked = self._not_checked(outcome)
        count_inlinks(self.pages)
        outcome.elapsed_s = time.monotonic() - started
        return outcome

    def _unreachable(self, sitemap: SitemapData, started: float) -> CrawlOutcome:
        page = CrawledPage(self.start_url, 0, final_url=self.start_url,
                           error=f"the site is unreachable: {sitemap.unreachable}")
        self.pages.append(page)
        self._recorded.append(page)
        self.progress.pages_crawled = self.progress.errors = 1
        return CrawlOutcome(self.start_url, self.pages, sitemap, stopped="site unreachable",
                            not_checked=[f"nothing could be checked: {page.error}"],
                            elapsed_s=time.monotonic() - started)

    async def _crawl_links(self, fetcher: Fetcher) -> str | None:
        level, depth = [self.start_url], 0
        self._seen.add(self.start_url)
        while level:
            stopped = await self._crawl_level(fetcher, level, depth)
            if stopped:
                return stopped
            depth += 1
            if depth > self.options.max_depth:
                return None
            level = self._next_level(self._last_level)
        return None

    def _next_level(self, pages: list[CrawledPage]) -> list[str]:
        """The in-site links of ``pages`` not seen yet, in document order (``nofollow`` in a
        page's meta robots: its links are not followed)."""
        found: list[str] = []
        for page in pages:
            if page.facts is None or "nofollow" in page.facts.meta_robots.lower():
                continue
            for link in page.facts.links:
                if link not in self._seen and self.in_site(link):
                    self._seen.add(link)
                    found.append(link)
        return found

    async def _crawl_level(self, fetcher: Fetcher, urls: list[str],
                           depth: int | None) -> str | None:
        """Fetch ``urls`` (one level: all at ``depth``) within the page budget, concurrently;
        return why the crawl stops here, if it does."""
        budget = self.options.max_pages - self._fetched
        admitted, left_over = urls[:max(budget, 0)], urls[max(budget, 0):]
        self.progress.pages_queued = len(admitted)
        gate = asyncio.Semaphore(self.options.concurrency)

        async def visit(url: str) -> list[CrawledPage]:
            async with gate:
                if self.cancel.is_set():
                    return []
                self._fetched += 1
                result = await self._get(fetcher, url)
            self.progress.pages_queued -= 1
            return self._record(url, depth, result)

        self._last_level = [page for recorded in await asyncio.gather(*map(visit, admitted))
                            for page in recorded]
        self.pages.extend(self._last_level)
        self.progress.pages_queued = 0
        if self.cancel.is_set():
            return self.stop_reason
        if left_over:
            return "max pages reached"
        return None

    async def _get(self, fetcher: Fetcher, url: str) -> FetchResult:
        try:
            if self.options.render:
                # Audited, a page is rendered as Lighthouse loads it (a moment longer).
                result = await (render_for_audit(fetcher, url) if self.options.audit
                                else fetcher.render(url))
                self.progress.renders += 1
                self.progress.browser_seconds += result.elapsed_s
            else:
                result = await fetcher.fetch(url)
        except Exception as exc:  # a bug on one page must not cost the crawl
            return FetchResult(url, url, error=f"internal error: {exc!r}")
        self.progress.requests += max(result.attempts, 1)
        self.progress.bytes_fetched += result.n_bytes
        return result

    def _record(self, url: str, depth: int | None, result: FetchResult) -> list[CrawledPage]:
        """The page for ``url`` and, when it redirected to a page not seen yet, that page."""
        common: dict[str, Any] = {"response_time_ms": round(result.elapsed_s * 1000),
                                  "page_bytes": result.n_bytes or None}
        landed = result.status_code not in REDIRECT_STATUSES  # else: a loop, a refused hop…
        if landed and not result.redirects:
            pages = [self._page(url, depth, result, **common)]
        else:
            final = normalize_url(result.final_url) or url
            statuses = list(result.redirect_statuses) or [result.status_code or 0]
            pages = [CrawledPage(url, depth, final_url=final, status_code=statuses[0],
                                 redirects=[normalize_url(u) or u for u in result.redirects],
                                 redirect_statuses=statuses,
                                 error=None if landed else result.error, **common)]
            if landed and final not in self._seen and self.in_site(final):
                self._seen.add(final)
                pages.append(self._page(final, depth, result, **common))
        for page in pages:
            page.in_sitemap = page.url in self._sitemap_urls
            self.progress.pages_crawled += 1
            if page.error and not page.blocked_by_robots:
                self.progress.errors += 1
        self._recorded.extend(pages)
        return pages

    def _page(self, url: str, depth: int | None, result: FetchResult, **common: Any) -> CrawledPage:
        page = CrawledPage(url, depth, final_url=url, status_code=result.status_code,
                           error=result.error,
                           content_type=result.headers.get("content-type", ""),
                           x_robots_tag=result.headers.get("x-robots-tag", ""), **common)
        page.blocked_by_robots = bool(result.error and result.error.startswith(ROBOTS_REFUSAL))
        if result.status_code and 200 <= result.status_code < 300 \
                and content_type_problem(result.headers.get("content-type")):
            page.error = None  # a PDF or an image that answers is not broken; it is not HTML
            return page
        if result.ok:
            # One parse: the crawl's facts and the page audit read the same Page.
            parsed = Page(url=url, final_url=url, status=result.status_code,
                          headers={k.lower(): v for k, v in result.headers.items()},
                          html=result.text, response_time_ms=page.response_time_ms,
                          page_bytes=page.page_bytes or len(result.text.encode()),
                          robots=robots_file(self._robots_txt, url),
                          rendered=self.options.render)
            page.facts = crawl_facts(parsed)
            if self.options.audit:
                page.audit = self._audit(parsed)
                page.score = page.audit["score"]
        return page

    def _audit(self, parsed: Page) -> dict[str, Any]:
        """The page audit (``core.seo.audit``) in brief: score, failed audits, what was not
        checked. The full audit of every page would make a 1,000-page crawl's row heavy."""
        audit = audit_page(parsed)
        return {"score": audit.score,
                "failed": [{"id": r.id, "title": r.title,
                            "points_recoverable": r.points_recoverable} for r in audit.failed],
                "not_checked": audit.not_checked}

    def _not_checked(self, outcome: CrawlOutcome) -> list[str]:
        notes = list(outcome.sitemap.problems)
        if outcome.stopped == "max pages reached":
            unvisited = len(self._seen - {page.url for page in self.pages})
            notes.append(f"the crawl stopped at {self.options.max_pages} pages; "
                         f"{max(unvisited, 0)} URLs found were not fetched, so links to them "
                         "were not checked")
        elif outcome.stopped == "canceled":
            notes.append("the crawl was canceled; findings cover the pages fetched so far")
        elif outcome.stopped == self.stop_reason:  # stopped by the caller (a budget)
            notes.append(f"{outcome.stopped}; findings cover the pages fetched so far")
        blocked = sum(p.blocked_by_robots for p in outcome.pages)
        if blocked:
            notes.append(f"{_count(blocked, 'URL')} disallowed by robots.txt, not fetched")
        too_large = [p.url for p in outcome.pages if p.error and "larger than" in p.error]
        if too_large:
            notes.append(f"{_count(len(too_large), 'page')} over the size cap, not read: "
                         + ", ".join(too_large[:5]))
        linked = {link for p in outcome.pages if p.facts for link in p.facts.links}
        external = [link for link in linked if not self.in_site(link)]
        if external:
            notes.append(f"{_count(len(external), 'link')} to other sites, not checked")
        return notes


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def count_inlinks(pages: list[CrawledPage]) -> None:
    """``inlinks``: how many crawled pages link to each page (a page's link to itself aside)."""
    counts: dict[str, int] = {}
    for page in pages:
        if page.facts is None:
            continue
        for link in page.facts.links:
            if link != page.url:
                counts[link] = counts.get(link, 0) + 1
    for page in pages:
        page.inlinks = counts.get(page.url, 0)
