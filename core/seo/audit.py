"""Audit one page: fetch it (or take a response already fetched), run every audit, score it.

    audit = audit_url("https://shop.example/lamp")           # fetch + robots.txt + audits
    audit = audit_response(url, final_url, 200, headers, html, robots_txt="User-agent: *…")
    audit.score, audit.audits, audit.not_checked, audit.error

``audit_response`` is pure (no network): the crawler fetches pages itself and hands each here.
A page that cannot be audited — unreachable, not HTML, too large, a redirect loop, an error
status — gives a ``PageAudit`` with ``error`` set and ``not_checked`` saying which audits could
not be checked and why; a site's problem never raises. Only a URL that is not a web address at
all raises ``ValidationError``.

An HTTP error status (4xx/5xx) stops the audit the way Lighthouse stops
(ERRORED_DOCUMENT_REQUEST): every audit is "error", the score is None, and ``error`` says so; an
error page's title or links say nothing about the page that should be there.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from core.scrape.result import FetchResult, content_type_problem
from core.scrape.urls import check_target_url
from core.seo import score as scoring
from core.seo.audits import AUDITS, ERROR, NOT_APPLICABLE, AuditResult
from core.seo.audits.canonical import canonical_url, canonical_urls
from core.seo.audits.crawlability import indexability_problems
from core.seo.audits.international import hreflang_links
from core.seo.audits.social import open_graph, twitter_tags
from core.seo.audits.structured_data import structured_data_types
from core.scrape.options import Viewport
from core.seo.page import AUDIT_PROBE, AUDITED, Page, ParseFailed, RobotsFile

if TYPE_CHECKING:
    from core.scrape.fetch import Fetcher
    from core.scrape.options import FetchOptions

# Lighthouse's default screen (its "mobile" form factor: a Moto G Power, 412×823 CSS pixels at
# 1.75 device pixels per CSS pixel), which --render uses too, so that the page's media queries
# and scripts see the screen Lighthouse shows them.
LIGHTHOUSE_PHONE = Viewport(width=412, height=823, scale=1.75, mobile=True)


@dataclass
class PageAudit:
    url: str
    final_url: str
    status_code: int | None
    fetched_at: datetime
    response_time_ms: float | None
    page_bytes: int | None
    redirects: list[str]
    title: str | None
    meta_description: str | None
    score: int | None  # Lighthouse-compatible SEO score, 0–100 (None: could not be computed)
    audits: list[AuditResult]
    not_checked: list[str]  # "audit-id: why it could not be checked"
    error: str | None  # why the page could not be audited at all
    facts: dict[str, Any] = field(default_factory=dict)

    def result(self, audit_id: str) -> AuditResult:
        return next(r for r in self.audits if r.id == audit_id)

    @property
    def failed(self) -> list[AuditResult]:
        """Failed audits, the most valuable fix first."""
        return scoring.fix_first(self.audits)


# -- the pure part -------------------------------------------------------------------------------

def run_audits(page: Page) -> tuple[list[AuditResult], list[str]]:
    """Every registered audit on ``page``; one that breaks is "error", listed in not_checked."""
    results, not_checked = [], []
    for spec in AUDITS:
        try:
            outcome = spec.check(page)
            verdict, evidence, details = outcome.verdict, outcome.evidence, outcome.details
            note = outcome.note
        except Exception as exc:  # a bug in one audit must not lose the other audits
            verdict, evidence, details, note = ERROR, [], f"the audit failed: {exc!r}", ""
            not_checked.append(f"{spec.id}: {details}")
        results.append(AuditResult(id=spec.id, title=spec.title, group=spec.group,
                                   verdict=verdict, weight=spec.weight, evidence=evidence,
                                   recommendation=spec.recommendation, points_recoverable=0.0,
                                   lighthouse=spec.lighthouse, details=details, note=note))
    scoring.assign_points(results)
    return results, not_checked


def page_facts(page: Page) -> dict[str, Any]:
    """What the page is, for reports and the crawler: links, canonical, hreflang, indexability…"""
    blocked = indexability_problems(page)
    return {
        "title": page.title,
        "meta_description": page.meta_description,
        "lang": page.lang,
        "headings": page.headings,
        "word_count": page.word_count,
        "images": [{"src": i.src, "alt": i.alt} for i in page.images],
        "links": page.link_lists,
        "canonical": canonical_url(page),
        "canonicals": canonical_urls(page)[0],
        "hreflang": [{"hreflang": link.hreflang, "href": link.href, "source": link.source}
                     for link in hreflang_links(page)],
        "indexable": not blocked,
        "indexability": blocked,
        "meta_robots": (page.meta("robots") or {}).get("content", ""),
        "x_robots_tag": page.headers.get("x-robots-tag", ""),
        "og": open_graph(page),
        "twitter": twitter_tags(page),
        "structured_data_types": structured_data_types(page),
        "content_type": page.headers.get("content-type", ""),
    }


def robots_file(robots_txt: str | RobotsFile | None, final_url: str) -> RobotsFile | None:
    """``robots_txt`` as the audits read it: a text is taken as served with 200."""
    if robots_txt is None or isinstance(robots_txt, RobotsFile):
        return robots_txt
    return RobotsFile(url=robots_url(final_url), status=200, text=robots_txt)


def audit_response(url: str, final_url: str, status: int | None, headers: dict[str, str],
                   html: str, *, robots_txt: str | RobotsFile | None = None,
                   response_time_ms: float | None = None, redirects: Sequence[str] = (),
                   page_bytes: int | None = None, fetched_at: datetime | None = None,
                   rendered: bool = False) -> PageAudit:
    """Audit a response already fetched. ``robots_txt``: the site's robots.txt text (as if
    served with 200), or a ``RobotsFile`` with its real status; None when not known (the
    robots-txt audit is then not checked). ``rendered``: ``html`` is the DOM after the page's
    scripts ran (``render_for_audit``)."""
    page = Page(url=url, final_url=final_url, status=status,
                headers={k.lower(): v for k, v in headers.items()}, html=html,
                redirects=list(redirects), response_time_ms=response_time_ms,
                page_bytes=page_bytes if page_bytes is not None else len(html.encode()),
                robots=robots_file(robots_txt, final_url), rendered=rendered)
    return audit_page(page, fetched_at=fetched_at)


def audit_page(page: Page, *, fetched_at: datetime | None = None) -> PageAudit:
    """Audit a ``Page`` (headers lower-cased) whose HTML may be parsed already: the crawler
    reads its own facts from the same ``Page``, so each page is parsed once."""
    fetched_at = fetched_at or datetime.now(UTC)
    url, final_url, status = page.url, page.final_url, page.status
    if status is not None and status >= 400:
        return failed_audit(url, final_url, f"The page answered HTTP {status}; as in "
                            "Lighthouse (ERRORED_DOCUMENT_REQUEST) an error page is not audited.",
                            status_code=status, fetched_at=fetched_at,
                            response_time_ms=page.response_time_ms, redirects=list(page.redirects))
    not_html = content_type_problem(page.headers.get("content-type"))
    if not_html:
        return failed_audit(url, final_url, f"The page could not be audited: {not_html}.",
                            status_code=status, fetched_at=fetched_at,
                            response_time_ms=page.response_time_ms, redirects=list(page.redirects))
    try:
        page.tree  # noqa: B018 - parse now: a page lexbor cannot read is reported, not raised
    except ParseFailed as exc:
        return failed_audit(url, final_url, f"The page could not be checked: its HTML could not "
                            f"be read by the HTML parser ({exc.__cause__ or exc}).",
                            status_code=status, fetched_at=fetched_at,
                            response_time_ms=page.response_time_ms, redirects=list(page.redirects))
    results, not_checked = run_audits(page)
    robots = page.robots
    if robots is None:
        not_checked.append("robots-txt: the site's robots.txt was not given")
        _mark(results, "robots-txt", NOT_APPLICABLE, "robots.txt was not checked.")
        scoring.assign_points(results)
    elif robots.status is None or robots.status >= 500:
        reason = robots.error or f"HTTP {robots.status}"
        not_checked.append(f"is-crawlable: robots.txt could not be read ({reason}), so its "
                           "rules were not checked")
    return PageAudit(url=url, final_url=final_url, status_code=status, fetched_at=fetched_at,
                     response_time_ms=page.response_time_ms, page_bytes=page.page_bytes,
                     redirects=list(page.redirects), title=page.title,
                     meta_description=page.meta_description, score=scoring.score(results),
                     audits=results, not_checked=not_checked, error=None,
                     facts=page_facts(page))


def _mark(results: list[AuditResult], audit_id: str, verdict: str, details: str) -> None:
    for result in results:
        if result.id == audit_id:
            result.verdict, result.details, result.evidence = verdict, details, []


def failed_audit(url: str, final_url: str, error: str, *, status_code: int | None = None,
                 fetched_at: datetime | None = None, response_time_ms: float | None = None,
                 redirects: list[str] | None = None) -> PageAudit:
    """A page that could not be audited: every audit "error", each listed as not checked."""
    results = [AuditResult(id=s.id, title=s.title, group=s.group, verdict=ERROR,
                           weight=s.weight, evidence=[], recommendation=s.recommendation,
                           points_recoverable=0.0, lighthouse=s.lighthouse, details=error)
               for s in AUDITS]
    return PageAudit(url=url, final_url=final_url, status_code=status_code,
                     fetched_at=fetched_at or datetime.now(UTC),
                     response_time_ms=response_time_ms, page_bytes=None,
                     redirects=redirects or [], title=None, meta_description=None, score=None,
                     audits=results, not_checked=[f"{s.id}: {error}" for s in AUDITS],
                     error=error, facts={})


# -- fetching ------------------------------------------------------------------------------------

def robots_url(page_url: str) -> str:
    parts = urlsplit(page_url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


async def fetch_robots(fetcher: Fetcher, page_url: str) -> RobotsFile:
    """The robots.txt of ``page_url``'s origin, as a ``RobotsFile`` (never raises)."""
    url = robots_url(page_url)
    result = await fetcher.fetch_document(url)
    return RobotsFile(url=url, status=result.status_code, text=result.text or "",
                      error=result.error)


def _audit_fetched(result: FetchResult, robots: RobotsFile | None, fetched_at: datetime,
                   rendered: bool) -> PageAudit:
    elapsed_ms = round(result.elapsed_s * 1000, 1)
    if result.error and (result.status_code is None or result.status_code < 400):
        return failed_audit(result.url, result.final_url,
                            f"The page could not be audited: {result.error}.",
                            status_code=result.status_code, fetched_at=fetched_at,
                            response_time_ms=elapsed_ms, redirects=result.redirects)
    # Rendered, the time includes Chromium loading and running the page: not the server's.
    audit = audit_response(result.url, result.final_url, result.status_code, result.headers,
                           result.text, robots_txt=robots,
                           response_time_ms=None if rendered else elapsed_ms,
                           redirects=result.redirects, page_bytes=result.n_bytes or None,
                           fetched_at=fetched_at, rendered=rendered)
    audit.facts["rendered"] = rendered
    if rendered:
        why = ("the page was rendered: its load time includes the browser's work (audit "
               "without --render to time the server)")
        _mark(audit.audits, "response-time", NOT_APPLICABLE, why[0].upper() + why[1:] + ".")
        audit.not_checked.append(f"response-time: {why}")
        audit.facts["render_time_ms"] = elapsed_ms
    return audit


async def audit_url_async(url: str, *, render: bool = False, fetcher: Fetcher | None = None,
                          robots: RobotsFile | None = None) -> PageAudit:
    """Fetch ``url`` (in Chromium with ``render``) and its robots.txt, then audit it.

    Pass a ``fetcher`` to reuse its connections (and Chromium) across pages, and ``robots``
    when the site's robots.txt was fetched already. Raises ``ValidationError`` only for a URL
    that is not an http(s) address.
    """
    url = check_target_url(url, allow_private=True)  # the address rule is the fetcher's
    if fetcher is None:
        from core.scrape.fetch import Fetcher

        async with Fetcher(default_options()) as own:
            return await audit_url_async(url, render=render, fetcher=own, robots=robots)
    fetched_at = datetime.now(UTC)
    get_page = render_for_audit(fetcher, url) if render else fetcher.fetch(url)
    if robots is None:
        result, found = await asyncio.gather(get_page, fetch_robots(fetcher, url))
        robots = found
        if result.final_url and robots_url(result.final_url) != found.url:
            robots = await fetch_robots(fetcher, result.final_url)  # redirected to another site
    else:
        result = await get_page
    return _audit_fetched(result, robots, fetched_at, render)


async def render_for_audit(fetcher: Fetcher, url: str) -> FetchResult:
    """``url`` rendered as Lighthouse loads it before auditing: on its phone screen, given a
    moment to settle after "load", with the event listeners every script attached and what
    the browser does not render marked in the DOM (``AUDIT_PROBE`` in page.py)."""
    return await fetcher.render(url, wait_for=AUDITED, init_script=AUDIT_PROBE,
                                viewport=LIGHTHOUSE_PHONE)


def default_options(**overrides: Any) -> FetchOptions:
    """Fetching for an audit the user asked for: settings' defaults, robots.txt reported on
    rather than obeyed (like a browser, or Lighthouse, opening one page on request), and no
    politeness delay between the page and its robots.txt (two requests, at once, as a browser
    makes them; the delay is for crawls, which bring their own options)."""
    from core.scrape.options import FetchOptions

    chosen: dict[str, Any] = {"respect_robots": False, "delay": 0.0, **overrides}
    return dataclasses.replace(FetchOptions(), **chosen)


def audit_url(url: str, *, render: bool = False, options: FetchOptions | None = None) -> PageAudit:
    """``audit_url_async`` for synchronous callers (the CLI, a worker)."""

    async def main() -> PageAudit:
        from core.scrape.fetch import Fetcher

        async with Fetcher(options or default_options()) as fetcher:
            return await audit_url_async(url, render=render, fetcher=fetcher)

    return asyncio.run(main())
