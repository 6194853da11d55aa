"""Crawl-level findings: pure functions over the pages of one crawl.

Each check looks at every crawled page and returns *hits* (a URL and the evidence about it). Hits
are then grouped by path template — ``/product/123`` and ``/product/456`` both fall in
``/product/*`` — so 500 pages with one problem read as one finding, one fix:

    Finding(id="broken-link", key="broken-link|/product/*", severity="error",
            title="Broken pages linked from the site in /product/*", group="/product/*",
            urls=[…], evidence={"count": 2, "items": [{"url": …, "status": 404,
            "linked_from": […]}]}, recommendation="…")

``key`` is stable from crawl to crawl (check id and group), and ``issues(findings)`` breaks
findings into one issue per URL (``core.seo.diff``) for new / fixed / persisting diffs.

The checks (id, severity):

* ``broken-link`` (error): a crawled URL that answers 4xx/5xx or not at all, with the pages
  linking to it (directly or through a redirect).
* ``redirect-chain`` (warning): a URL that takes more than one hop to land, or gives up after
  too many; ``redirect-loop`` (error): a URL whose redirects come back to a URL already visited.
* ``duplicate-title``, ``duplicate-description`` (warning): indexable pages sharing one.
* ``duplicate-content`` (warning): indexable pages with identical main text (the body without
  scripts, navigation, header and footer; words lower-cased); ``near-duplicate-content``
  (notice): SimHash of 3-word shingles within ``NEAR_DUPLICATE_BITS`` bits.
* ``canonical-not-200`` (error), ``canonical-to-redirect``, ``canonical-to-non-indexable``,
  ``canonical-chain`` (the target names yet another canonical), ``canonical-conflict`` (several
  different canonicals on one page, tags and ``Link`` header together) (warnings).
* ``hreflang-target-not-200`` (error), ``hreflang-missing-return`` (warning: B does not name A
  back although A names B).
* ``sitemap-non-indexable`` (warning): a sitemap URL that is noindex, not 200, redirected,
  canonicalised elsewhere or blocked by robots.txt; ``sitemap-orphan`` (warning): a sitemap URL
  no crawled page links to.
* ``too-deep`` (notice): more clicks from the start page than ``SEO_CRAWL_DEEP_PAGE_CLICKS``.

Targets the crawl did not fetch (beyond the page budget, other sites) are not judged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from core.seo.crawl_page import CrawledPage, PageFacts
from core.seo.diff import Issue
from vocabularies import Severity

NEAR_DUPLICATE_BITS = 3
SEVERITY_ORDER = {severity: rank for rank, severity in enumerate(Severity)}


@dataclass(frozen=True)
class Finding:
    id: str
    key: str
    severity: Severity
    title: str
    group: str
    urls: list[str]
    evidence: dict[str, Any]
    recommendation: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Hit:
    url: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CrawlContext:
    """What checks need besides the pages."""

    start_url: str
    deep_clicks: int


Check = Callable[[dict[str, CrawledPage], CrawlContext], list[Hit]]


@dataclass(frozen=True)
class CheckSpec:
    id: str
    severity: Severity
    title: str  # "{group}" is filled in
    recommendation: str
    run: Check


def url_group(url: str) -> str:
    """The path template a URL belongs to: ``/`` for the home page, ``/*`` for top-level
    pages, else the first directory: ``/product/*``."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if not segments:
        return "/"
    if len(segments) == 1:
        return "/*"
    return f"/{segments[0]}/*"


# --- The checks --------------------------------------------------------------------------------

def _is_broken(page: CrawledPage) -> bool:
    if page.blocked_by_robots or page.is_redirect:
        return False
    if page.status_code is not None:
        return page.status_code >= 400
    return bool(page.error) and "larger than" not in (page.error or "")


def _linkers(by_url: dict[str, CrawledPage]) -> dict[str, list[str]]:
    """URL → the crawled pages linking to it (a link to a redirect counts for where it lands)."""
    linkers: dict[str, list[str]] = defaultdict(list)
    for page in by_url.values():
        for link in page.facts.links if page.facts else ():
            if link != page.url:
                linkers[link].append(page.url)
    for page in by_url.values():
        if page.is_redirect and page.final_url != page.url:
            linkers[page.final_url].extend(linkers.get(page.url, []))
    return linkers


def broken_links(by_url: dict[str, CrawledPage], context: CrawlContext) -> list[Hit]:
    linkers = _linkers(by_url)
    return [Hit(p.url, {"status": p.status_code, "error": p.error,
                        "linked_from": sorted(set(linkers.get(p.url, [])))})
            for p in by_url.values() if _is_broken(p)]


def redirect_chains(by_url: dict[str, CrawledPage], context: CrawlContext) -> list[Hit]:
    return [Hit(p.url, {"chain": [p.url, *p.redirects], "statuses": p.redirect_statuses,
                        **({"error": p.error} if p.error else {})})
            for p in by_url.values()
            if p.is_redirect and not _is_loop(p) and (len(p.redirects) > 1 or p.error)]


def _is_loop(page: CrawledPage) -> bool:
    return bool(page.error and page.error.startswith("redirect loop"))


def redirect_loops(by_url: dict[str, CrawledPage], context: CrawlContext) -> list[Hit]:
    return [Hit(p.url, {"chain": [p.url, *p.redirects, p.url if not p.redirects else
                                  _loop_back(p)], "error": p.error})
            for p in by_url.values() if _is_loop(p)]


def _loop_back(page: CrawledPage) -> str:
    """The URL the last hop pointed back to, as the fetcher's message names it."""
    return (page.error or "").rsplit(" → ", 1)[-1].strip() or page.url


def _indexable_html(by_url: dict[str, CrawledPage]) -> list[CrawledPage]:
    return [p for p in by_url.values() if p.facts is not None and p.indexable]


def _facts(page: CrawledPage) -> PageFacts:
    """The facts of a page ``_indexable_html`` kept: it keeps only pages that have them."""
    assert page.facts is not None
    return page.facts


def _shared(pages: Iterable[CrawledPage], value: Callable[[CrawledPage], str | None],
            name: str) -> list[Hit]:
    owners: dict[str, list[str]] = defaultdict(list)
    for page in pages:
        key = (value(page) or "").strip()
        if key:
            owners[key].append(page.url)
    return [Hit(url, {name: key, "same_as": [u for u in urls if u != url]})
            for key, urls in owners.items() if len(urls) > 1 for url in urls]


def duplicate_titles(by_url: dict[str, CrawledPage], context: CrawlContext) -> list[Hit]:
    return _shared(_indexable_html(by_url), lambda p: _facts(p).title, "title")


def duplicate_descriptions(by_url: dict[str, CrawledPage], context: CrawlContext) -> list[Hit]:
    return _shared(_indexable_html(by_url), lambda p: _facts(p).meta_description, "description")


def duplicate_content(by_url: dict[str, CrawledPage], context: CrawlContext) -> list[Hit]:
    hits = _shared(_indexable_html(by_url), lambda p: _facts(p).content_hash, "content_hash")
    return [Hit(h.url, {"same_as": h.evidence["same_as"],
                        "words": _facts(by_url[h.url]).word_count}) for h in hits]


def near_duplicate_content(by_url: dict[str, CrawledPage], context: CrawlContext) -> list[Hit]:
    """Pairs whose SimHashes differ in at most ``NEAR_DUPLICATE_BITS`` bits (exact duplicates
    are left to ``duplicate-content``). Candidates come from 4 bands of 16 bits: two hashes
    within 3 bits agree on at least one band, so no pair is missed and few are compared."""
    pages = [p for p in _indexable_html(by_url) if _facts(p).word_count >= 20]
    bands: dict[tuple[int, int], list[CrawledPage]] = defaultdict(list)
    for page in pages:
        for band in range(4):
            bands[(band, _facts(page).simhash >> (16 * band) & 0xFFFF)].append(page)
    similar: dict[str, set[str]] = defaultdict(set)
    for members in bands.values():
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if _facts(a).content_hash == _facts(b).content_hash:
                    continue
                if bin(_facts(a).simhash ^ _facts(b).simhash).count("1") <= NEAR_DUPLICATE_BITS:
                    similar[a.url].add(b.url)
                    similar[b.url].add(a.url)
    return [Hit(url, {"similar_to": sorted(others)}) for url, others in similar.items()]


def _canonicalised(by_url: dict[str, CrawledPage]) -> Iterable[tuple[CrawledPage, CrawledPage]]:
    """(page, the crawled page its canonical names) for pages canonicalised elsewhere."""
    for page in by_url.values():
        target = by_url.get(page.canonical or "")
        if page.facts is not None and target is not None and target.url != page.url:
            yield page, target


def canonical_not_200(by_url: dict[str, CrawledPage], context: CrawlContext) -> list[Hit]:
    return [Hit(p.url, {"canonical": t.url, "status": t.status_code, "error": t.error})
            for p, t in _canonicalised(by_url) if not t.is_redirect and t.status_code != 200]


def canonical_to_redirect(by_url: dict[str, CrawledPage], context: CrawlContext) -> list[Hit]:
    return [Hit(p.url, {"canonical": t.url, "redirects_to": t.final_url})
            for p, t in _canonicalised(by_url) if t.is_redirect]


def canonical_to_non_indexable(by_url: dict[str, CrawledPage],
                               context: CrawlContext) -> list[Hit]:
    return [Hit(p.url, {"canonical": t.url, "reason": "noindex"})
            for p, t in _canonicalised(by_url)
            if t.status_code == 200 and not t.is_redirect and t.noindex]


def canonical_chains(by_url: dict[str, CrawledPage], context: CrawlContext) -> list[Hit]:
    return [Hit(p.url, {"chain": [p.url, t.url, t.canonical]})
            for p, t in _canonicalised(by_url)
            if t.facts is not None and t.canonical and t.canonical != t.url]


def canonical_conflicts(by_url: dict[str, CrawledPage], context: CrawlContext) -> list[Hit]:
    return [Hit(p.url, {"canonicals": sorted(set(p.facts.canonicals))})
            for p in by_url.values() if p.facts and len(set(p.facts.canonicals)) > 1]


def _hreflang_pairs(by_url: dict[str, CrawledPage]
                    ) -> Iterable[tuple[CrawledPage, str, CrawledPage]]:
    for page in by_url.values():
        for lang, href in (page.facts.hreflang.items() if page.facts else ()):
            target = by_url.get(href)
            if target is not None and href != page.url:
                yield page, lang, target


def hreflang_targets_not_200(by_url: dict[str, CrawledPage],
                             context: CrawlContext) -> list[Hit]:
    return [Hit(p.url, {"hreflang": lang, "target": t.url, "status": t.status_code,
                        **({"redirects_to": t.final_url} if t.is_redirect else {})})
            for p, lang, t in _hreflang_pairs(by_url)
            if t.is_redirect or t.status_code != 200]


def hreflang_missing_return(by_url: dict[str, CrawledPage], context: CrawlContext) -> list[Hit]:
    return [Hit(p.url, {"hreflang": lang, "target": t.url})
            for p, lang, t in _hreflang_pairs(by_url)
            if t.facts is not None and not t.is_redirect and t.status_code == 200
            and p.url not in t.facts.hreflang.values()]


def sitemap_non_indexable(by_url: dict[str, CrawledPage], context: CrawlContext) -> list[Hit]:
    return [Hit(p.url, {"reasons": p.non_indexable_reasons()})
            for p in by_url.values() if p.in_sitemap and not p.indexable]


def sitemap_orphans(by_url: dict[str, CrawledPage], context: CrawlContext) -> list[Hit]:
    linkers = _linkers(by_url)
    return [Hit(p.url, {"inlinks": 0}) for p in by_url.values()
            if p.in_sitemap and p.url != context.start_url and not linkers.get(p.url)]


def too_deep(by_url: dict[str, CrawledPage], context: CrawlContext) -> list[Hit]:
    return [Hit(p.url, {"depth": p.depth, "max": context.deep_clicks})
            for p in by_url.values()
            if p.depth is not None and p.depth > context.deep_clicks and not p.is_redirect]


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("broken-link", Severity.ERROR, "Broken pages linked in {group}",
              "Fix or remove the links to these URLs (see the linking pages), or restore the "
              "pages; redirect a removed page to its closest replacement.", broken_links),
    CheckSpec("redirect-loop", Severity.ERROR, "Redirect loops in {group}",
              "Make each URL redirect once, straight to a page that answers 200.",
              redirect_loops),
    CheckSpec("redirect-chain", Severity.WARNING, "Redirect chains in {group}",
              "Point the first redirect (and the site's links) straight at the final URL.",
              redirect_chains),
    CheckSpec("duplicate-title", Severity.WARNING, "Duplicate titles in {group}",
              "Give every indexable page its own title describing its own content.",
              duplicate_titles),
    CheckSpec("duplicate-description", Severity.WARNING, "Duplicate meta descriptions in {group}",
              "Write a distinct meta description per page, or leave it out rather than repeat "
              "one.", duplicate_descriptions),
    CheckSpec("duplicate-content", Severity.WARNING, "Duplicate content in {group}",
              "Keep one URL per content: redirect or canonicalise the copies to it.",
              duplicate_content),
    CheckSpec("near-duplicate-content", Severity.NOTICE, "Near-duplicate content in {group}",
              "Make these pages distinct, or canonicalise them to the main version.",
              near_duplicate_content),
    CheckSpec("canonical-not-200", Severity.ERROR, "Canonicals pointing at broken pages in {group}",
              "Point rel=canonical at a URL that answers 200.", canonical_not_200),
    CheckSpec("canonical-to-redirect", Severity.WARNING,
              "Canonicals pointing at redirects in {group}",
              "Point rel=canonical at the final URL, not at a redirect.", canonical_to_redirect),
    CheckSpec("canonical-to-non-indexable", Severity.WARNING,
              "Canonicals pointing at noindex pages in {group}",
              "A canonical target must be indexable: remove its noindex or choose another "
              "target.", canonical_to_non_indexable),
    CheckSpec("canonical-chain", Severity.WARNING, "Chained canonicals in {group}",
              "Point every canonical straight at the final canonical URL.", canonical_chains),
    CheckSpec("canonical-conflict", Severity.WARNING, "Conflicting canonicals in {group}",
              "Declare one canonical per page (in the HTML or the Link header, the same URL).",
              canonical_conflicts),
    CheckSpec("hreflang-target-not-200", Severity.ERROR,
              "hreflang pointing at non-200 URLs in {group}",
              "Point hreflang annotations at URLs that answer 200 without redirecting.",
              hreflang_targets_not_200),
    CheckSpec("hreflang-missing-return", Severity.WARNING,
              "hreflang without return links in {group}",
              "Each alternate must name this page back in its own hreflang annotations.",
              hreflang_missing_return),
    CheckSpec("sitemap-non-indexable", Severity.WARNING,
              "Non-indexable URLs in the sitemap in {group}",
              "List only indexable, canonical URLs that answer 200 in the sitemap.",
              sitemap_non_indexable),
    CheckSpec("sitemap-orphan", Severity.WARNING,
              "Orphan pages (in the sitemap, never linked) in {group}",
              "Link these pages from the site, or remove them from the sitemap if they are "
              "obsolete.", sitemap_orphans),
    CheckSpec("too-deep", Severity.NOTICE, "Pages too many clicks deep in {group}",
              "Link these pages from higher up (categories, hubs, the home page).", too_deep),
)


def find_all(pages: list[CrawledPage], context: CrawlContext) -> list[Finding]:
    """Every finding of a crawl, most severe first, then by check and group."""
    by_url = {p.url: p for p in pages}
    findings = []
    for spec in CHECKS:
        grouped: dict[str, list[Hit]] = defaultdict(list)
        for hit in spec.run(by_url, context):
            grouped[url_group(hit.url)].append(hit)
        for group, hits in sorted(grouped.items()):
            hits.sort(key=lambda h: h.url)
            findings.append(Finding(
                id=spec.id, key=f"{spec.id}|{group}", severity=spec.severity,
                title=spec.title.format(group=group), group=group,
                urls=[h.url for h in hits],
                evidence={"count": len(hits), "items": [{"url": h.url, **h.evidence}
                                                        for h in hits]},
                recommendation=spec.recommendation))
    findings.sort(key=lambda f: SEVERITY_ORDER[f.severity])
    return findings


def issues(findings: Iterable[Finding]) -> list[Issue]:
    """One issue per URL of each finding, keyed ``(check id, URL)`` for ``core.seo.diff``."""
    return [Issue(audit_id=f.id, key=item["url"], title=f.title,
                  detail=", ".join(f"{k}: {v}" for k, v in item.items() if k != "url"))
            for f in findings for item in f.evidence.get("items", [])]
