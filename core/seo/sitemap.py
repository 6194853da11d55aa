"""Reading a site's XML sitemaps: where they are, and which page URLs they list.

Sitemaps are found in robots.txt (``Sitemap:`` lines, any host: search engines accept
cross-host sitemaps listed there) and, when robots.txt names none, at ``/sitemap.xml``. A
sitemap index (``<sitemapindex>``) is followed to its sitemaps, breadth-first, up to
``MAX_SITEMAPS`` files. Files are fetched with the crawl's fetcher (same SSRF rules, size cap,
redirects). A gzipped sitemap (``.xml.gz`` served as a file, not as Content-Encoding) is not
read: it is listed among the problems.

``parse_sitemap`` is pure: bytes of text in, page URLs and child sitemaps out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from lxml import etree

from core.scrape.result import FetchResult

MAX_SITEMAPS = 50
MAX_SITEMAP_URLS = 50_000  # the sitemaps.org limit for one file

Loader = Callable[[str], Awaitable[FetchResult]]


@dataclass
class SitemapData:
    urls: list[str] = field(default_factory=list)  # page URLs, in the order listed, unique
    sitemaps: list[str] = field(default_factory=list)  # sitemap files read
    problems: list[str] = field(default_factory=list)  # what could not be read, and why
    robots_txt: str | None = None  # the text of robots.txt, when there was one
    unreachable: str | None = None  # why the site did not answer at all (robots.txt fetch)


@dataclass
class ParsedSitemap:
    urls: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)  # sitemaps an index points to


def sitemaps_in_robots(robots_txt: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt, in order (the directive is case-insensitive and
    belongs to no user-agent group)."""
    found = []
    for line in robots_txt.splitlines():
        name, _, value = line.split("#", 1)[0].partition(":")
        if name.strip().lower() == "sitemap" and value.strip():
            found.append(value.strip())
    return found


def parse_sitemap(text: str) -> ParsedSitemap:
    """The ``<loc>`` URLs of a ``<urlset>`` or the child sitemaps of a ``<sitemapindex>``.
    Raises ``ValueError`` when the text is not XML."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True,
                             huge_tree=False)
    root = etree.fromstring(text.strip().encode(), parser)
    if root is None:
        raise ValueError("not an XML document")
    kind = etree.QName(root).localname
    locs = [(loc.text or "").strip() for loc in root.iter("{*}loc", "loc")]
    locs = [loc for loc in locs if loc][:MAX_SITEMAP_URLS]
    if kind == "sitemapindex":
        return ParsedSitemap(children=locs)
    if kind != "urlset":
        raise ValueError(f"the root element is <{kind}>, not <urlset> or <sitemapindex>")
    return ParsedSitemap(urls=locs)


async def read_sitemaps(load: Loader, origin: str) -> SitemapData:
    """Every page URL the site's sitemaps list (see the module docstring)."""
    data = SitemapData()
    robots = await load(f"{origin}/robots.txt")
    if robots.ok and robots.status_code == 200:
        data.robots_txt = robots.text
    elif robots.status_code is None:
        data.unreachable = robots.error
        return data
    queue = sitemaps_in_robots(data.robots_txt or "") or [f"{origin}/sitemap.xml"]
    listed_in_robots = bool(data.robots_txt and sitemaps_in_robots(data.robots_txt))
    seen_urls: set[str] = set()
    while queue and len(data.sitemaps) < MAX_SITEMAPS:
        location = queue.pop(0)
        if location in data.sitemaps:
            continue
        data.sitemaps.append(location)
        result = await load(location)
        if not result.ok:
            if listed_in_robots or result.status_code not in (404, 410):
                data.problems.append(f"sitemap {location} could not be read: {result.error}")
            continue
        if location.endswith(".gz"):
            data.problems.append(f"sitemap {location} is gzipped; gzipped sitemaps are not read")
            continue
        try:
            parsed = parse_sitemap(result.text)
        except (ValueError, etree.XMLSyntaxError) as exc:
            data.problems.append(f"sitemap {location} is not a valid sitemap: {exc}")
            continue
        queue.extend(parsed.children)
        for url in parsed.urls:
            if url not in seen_urls:
                seen_urls.add(url)
                data.urls.append(url)
    if queue:
        data.problems.append(f"more than {MAX_SITEMAPS} sitemap files; the rest were not read")
    return data
