"""One crawled page as the site crawl sees it: URL rules (normalisation, what is "in the site")
and the facts read from a page's HTML that crawl-level findings need.

URL normalisation (``normalize_url``): scheme and host lower-cased, the default port dropped,
the fragment dropped, an empty path made ``/``, dot segments resolved; the query is kept as it
is. Trailing slashes are kept as found: ``/a`` and ``/a/`` may be different pages, and when one
redirects to the other the crawl reports that redirect rather than hiding it.

Site scope (``site_key``): a URL is in the site when its host, without a leading ``www.``, and
its port equal the start URL's; ``http`` and ``https`` both count (so an http → https redirect
stays inside). Subdomains other than ``www`` are other sites.

Facts are read with selectolax (the fastest HTML parser installed; the crawl parses every page).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import numpy
from selectolax.lexbor import LexborHTMLParser as HTMLParser

_DEFAULT_PORTS = {"http": 80, "https": 443}
_WORD = re.compile(r"\w+", re.UNICODE)
_BOILERPLATE = "script, style, noscript, template, nav, header, footer"
SHINGLE_WORDS = 3


def normalize_url(url: str, base: str | None = None) -> str | None:
    """The crawl's form of ``url`` (resolved against ``base``), or None when it is not an
    http(s) URL with a host (mailto:, javascript:, a malformed port…)."""
    try:
        absolute = urljoin(base, url.strip()) if base else url.strip()
        parts = urlsplit(absolute)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = urljoin("/", parts.path or "/") if ".." in parts.path or "/./" in parts.path \
        else parts.path or "/"
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def site_key(url: str) -> str:
    """``shop.example`` or ``127.0.0.1:8080``: what two URLs of one site share."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = parts.port
    except ValueError:
        port = None
    return host if port in (None, _DEFAULT_PORTS.get(parts.scheme.lower())) else f"{host}:{port}"


@dataclass
class PageFacts:
    """What the HTML of one page says about itself (all URLs normalised and absolute)."""

    title: str | None = None
    meta_description: str | None = None
    h1: str | None = None
    meta_robots: str = ""
    canonicals: list[str] = field(default_factory=list)  # every rel=canonical, header first
    hreflang: dict[str, str] = field(default_factory=dict)  # language → URL
    links: list[str] = field(default_factory=list)  # http(s) targets of <a href>, unique
    nofollow_links: int = 0
    content_hash: str | None = None
    simhash: int = 0
    word_count: int = 0


def read_page(html: str, url: str, headers: dict[str, str] | None = None) -> PageFacts:
    """The facts of one HTML page fetched from ``url``."""
    tree = HTMLParser(html)
    base = _base_url(tree, url)
    facts = PageFacts(title=_text(tree.css_first("title")), h1=_text(tree.css_first("h1")))
    for meta in tree.css("meta[name][content]"):
        name = (meta.attributes.get("name") or "").strip().lower()
        content = (meta.attributes.get("content") or "").strip()
        if name == "description" and facts.meta_description is None:
            facts.meta_description = content
        elif name in ("robots", "googlebot"):
            facts.meta_robots = f"{facts.meta_robots}, {content}".strip(", ")
    facts.canonicals = [*_header_canonicals(headers or {}, url)]
    for link in tree.css("link[rel][href]"):
        rel = (link.attributes.get("rel") or "").lower().split()
        href = normalize_url(link.attributes.get("href") or "", base)
        if href is None:
            continue
        if "canonical" in rel:
            facts.canonicals.append(href)
        elif "alternate" in rel and link.attributes.get("hreflang"):
            facts.hreflang.setdefault(link.attributes["hreflang"].strip().lower(), href)
    facts.links, facts.nofollow_links = _links(tree, base)
    _read_text(tree, facts)
    return facts


def _base_url(tree: HTMLParser, url: str) -> str:
    base = tree.css_first("base[href]")
    href = base.attributes.get("href") if base is not None else None
    return (normalize_url(href, url) or url) if href else url


def _text(node: Any) -> str | None:
    if node is None:
        return None
    return " ".join(node.text(separator=" ").split())


def _header_canonicals(headers: dict[str, str], url: str) -> list[str]:
    """``Link: <https://…>; rel="canonical"`` (Google honours it like the tag)."""
    found = []
    for part in headers.get("link", "").split(","):
        match = re.match(r'\s*<([^>]*)>\s*;(.*)', part)
        if match and re.search(r'rel\s*=\s*"?[^";]*\bcanonical\b', match[2], re.IGNORECASE):
            target = normalize_url(match[1], url)
            if target:
                found.append(target)
    return found


def _links(tree: HTMLParser, base: str) -> tuple[list[str], int]:
    links: dict[str, None] = {}
    nofollow = 0
    for anchor in tree.css("a[href]"):
        target = normalize_url(anchor.attributes.get("href") or "", base)
        if target is None:
            continue
        links[target] = None
        if "nofollow" in (anchor.attributes.get("rel") or "").lower():
            nofollow += 1
    return list(links), nofollow


def _read_text(tree: HTMLParser, facts: PageFacts) -> None:
    """Word count, exact-duplicate hash and near-duplicate SimHash of the main text: the body
    without scripts, styles, navigation, header and footer (which every page repeats)."""
    body = tree.body
    if body is None:
        return
    for node in body.css(_BOILERPLATE):
        node.decompose()
    words = _WORD.findall(body.text(separator=" ").lower())
    facts.word_count = len(words)
    if words:
        facts.content_hash = hashlib.sha256(" ".join(words).encode()).hexdigest()
        facts.simhash = simhash(words)


def simhash(words: list[str]) -> int:
    """64-bit SimHash over ``SHINGLE_WORDS``-word shingles: near-identical texts get hashes a few
    bits apart (Charikar; what Google described using for near-duplicate web pages). The bit
    votes are counted with numpy: the crawl hashes every page."""
    shingles = {" ".join(words[i:i + SHINGLE_WORDS])
                for i in range(max(1, len(words) - SHINGLE_WORDS + 1))}
    digests = b"".join(hashlib.blake2b(s.encode(), digest_size=8).digest() for s in shingles)
    bits = numpy.unpackbits(numpy.frombuffer(digests, dtype=numpy.uint8)).reshape(-1, 64)
    majority = bits.sum(axis=0) * 2 > len(shingles)  # bit i (from the left) wins its vote
    return int.from_bytes(numpy.packbits(majority).tobytes(), "big")


@dataclass
class CrawledPage:
    """One URL the crawl requested, what came back, and what its HTML says.

    A URL that redirects is its own record (``redirects`` lists the hops, ``redirect_statuses``
    their statuses; ``status_code`` is the first answer's); the page it lands on is recorded
    under its own URL too.
    """

    url: str
    depth: int | None  # clicks from the start page; None: known only from the sitemap
    final_url: str = ""
    status_code: int | None = None
    error: str | None = None
    redirects: list[str] = field(default_factory=list)
    redirect_statuses: list[int] = field(default_factory=list)
    content_type: str = ""
    x_robots_tag: str = ""
    blocked_by_robots: bool = False
    in_sitemap: bool = False
    response_time_ms: int | None = None
    page_bytes: int | None = None
    facts: PageFacts | None = None
    inlinks: int = 0
    score: int | None = None
    audit: dict[str, Any] | None = None

    @property
    def is_redirect(self) -> bool:
        return bool(self.redirects)

    @property
    def is_html(self) -> bool:
        return self.facts is not None

    @property
    def canonical(self) -> str | None:
        return self.facts.canonicals[0] if self.facts and self.facts.canonicals else None

    @property
    def noindex(self) -> bool:
        directives = f"{self.x_robots_tag}, {self.facts.meta_robots if self.facts else ''}"
        return bool(re.search(r"\b(noindex|none)\b", directives.lower()))

    def non_indexable_reasons(self) -> list[str]:
        """Why a search engine would not index this URL (empty: it would)."""
        reasons = []
        if self.blocked_by_robots:
            reasons.append("blocked by robots.txt")
        elif self.is_redirect:
            reasons.append(f"redirects to {self.final_url}")
        elif self.status_code is None:
            reasons.append(f"not reachable ({self.error})")
        elif self.status_code != 200:
            reasons.append(f"HTTP {self.status_code}")
        elif not self.is_html:
            reasons.append(self.error or f"not HTML ({self.content_type})")
        if self.noindex:
            reasons.append("noindex")
        if self.canonical and self.canonical != self.url:
            reasons.append(f"canonicalised to {self.canonical}")
        return reasons

    @property
    def indexable(self) -> bool:
        return not self.non_indexable_reasons()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
