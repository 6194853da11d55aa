"""One crawled page as the site crawl sees it: URL rules (normalisation, what is "in the site")
and the facts read from a page's HTML that crawl-level findings need.

URL normalisation (``normalize_url``, the URL policy's, in ``core.scrape.urls``, as ``site_key`` is):
scheme and host lower-cased, the default port dropped,
the fragment dropped, an empty path made ``/``, dot segments resolved; the query is kept as it
is. Trailing slashes are kept as found: ``/a`` and ``/a/`` may be different pages, and when one
redirects to the other the crawl reports that redirect rather than hiding it.

Site scope (``site_key``): a URL is in the site when its host, without a leading ``www.``, and
its port equal the start URL's; ``http`` and ``https`` both count (so an http → https redirect
stays inside). Subdomains other than ``www`` are other sites.

The facts come from the same parsed ``Page`` (``core.seo.page``) the page audit reads: one
parse per page, one implementation of links, canonicals, hreflang and robots rules for both.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from core.seo.audits.crawlability import CRAWLERS, blocking_directives, header_directives
from core.seo.audits.international import hreflang_links
from core.scrape.urls import normalize_url
from core.seo.page import Page

if TYPE_CHECKING:  # numpy loads with the first page hashed, not in every process that
    import numpy  # imports the crawl's modules (a `serve` worker waiting for work)

__all__ = ["CrawledPage", "PageFacts", "crawl_facts", "read_page", "simhash"]

_WORD = re.compile(r"\w+", re.UNICODE)
SHINGLE_WORDS = 3


@dataclass
class PageFacts:
    """What the HTML of one page says about itself (all URLs normalised and absolute)."""

    title: str | None = None
    meta_description: str | None = None
    h1: str | None = None
    meta_robots: str = ""  # the robots and googlebot meta contents, joined
    canonicals: list[str] = field(default_factory=list)  # every rel=canonical, header first
    hreflang: dict[str, str] = field(default_factory=dict)  # language → URL
    links: list[str] = field(default_factory=list)  # http(s) targets of <a href>, unique
    content_hash: str | None = None
    simhash: int = 0
    word_count: int = 0


def read_page(html: str, url: str, headers: dict[str, str] | None = None) -> PageFacts:
    """The facts of one HTML page fetched from ``url``."""
    headers = {name.lower(): value for name, value in (headers or {}).items()}
    return crawl_facts(Page(url=url, final_url=url, status=200, headers=headers, html=html))


def crawl_facts(page: Page) -> PageFacts:
    """The crawl's facts of a parsed page (the crawler audits the same ``Page``)."""
    h1 = next((h["text"] for h in page.headings if h["level"] == 1), None)
    facts = PageFacts(title=page.title, meta_description=page.meta_description, h1=h1,
                      meta_robots=", ".join(m["content"].strip() for m in page.metas
                                            if m["name"] in ("robots", "googlebot")
                                            and m["content"].strip()))
    # Google honours a canonical in the Link header like the tag (and, unlike Lighthouse,
    # a relative one): every canonical of the head and the header, the header's first.
    canonicals = [link for link in page.link_elements if link.source != "body" and link.href
                  and "canonical" in link.rel.split()]
    canonicals.sort(key=lambda link: link.source != "headers")
    facts.canonicals = [u for u in (normalize_url(link.href or "") for link in canonicals) if u]
    for link in hreflang_links(page):
        target = normalize_url(link.href or "")
        if target:
            facts.hreflang.setdefault(link.hreflang.strip().lower(), target)
    facts.links = list(dict.fromkeys(url for url, _rel in page.hyperlinks))
    _read_text(page.main_text, facts)
    return facts


def _read_text(text: str, facts: PageFacts) -> None:
    """Word count, exact-duplicate hash and near-duplicate SimHash of the main text."""
    words = _WORD.findall(text.lower())
    facts.word_count = len(words)
    if words:
        facts.content_hash = hashlib.sha256(" ".join(words).encode()).hexdigest()
        facts.simhash = simhash(words)


def is_noindex(x_robots_tag: str, meta_robots: str) -> bool:
    """The page audit's rules (``core.seo.audits.crawlability``): noindex, none or a past
    unavailable_after, for every crawler or for Googlebot, in the header or the meta tags."""
    if meta_robots and blocking_directives(meta_robots):
        return True
    return any(agent in CRAWLERS and blocking_directives(directives)
               for agent, directives in header_directives(x_robots_tag))


def simhash(words: list[str]) -> int:
    """64-bit SimHash over ``SHINGLE_WORDS``-word shingles: near-identical texts get hashes a few
    bits apart (Charikar; what Google described using for near-duplicate web pages).

    The crawl hashes every page, so the work is in numpy: each distinct word is hashed once
    (``_word_hash``, cached: a site repeats its vocabulary), a shingle's hash is its words'
    hashes rotated by position, XOR-ed and passed through a 64-bit finaliser (so shingles that
    share words get unrelated hashes), and the distinct shingles vote on each bit."""
    import numpy
    hashes = numpy.fromiter(map(_word_hash, words), dtype=numpy.uint64, count=len(words))
    if len(hashes) < SHINGLE_WORDS:  # one short shingle: pad it with a fixed filler word
        hashes = numpy.concatenate([hashes, numpy.full(SHINGLE_WORDS - len(hashes), _FILLER,
                                                       dtype=numpy.uint64)])
    count = len(hashes) - SHINGLE_WORDS + 1
    shingles = numpy.zeros(count, dtype=numpy.uint64)
    for position in range(SHINGLE_WORDS):
        shingles ^= _rotate(hashes[position:position + count], 21 * position)
    shingles = numpy.unique(_finalise(shingles))
    bits = numpy.unpackbits(shingles.astype(">u8").view(numpy.uint8)).reshape(-1, 64)
    majority = bits.sum(axis=0) * 2 > len(shingles)  # bit i (from the left) wins its vote
    return int.from_bytes(numpy.packbits(majority).tobytes(), "big")


@functools.lru_cache(maxsize=1 << 16)
def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")


_FILLER = _word_hash("")


def _rotate(values: numpy.ndarray, bits: int) -> numpy.ndarray:
    import numpy
    if bits == 0:
        return values
    return (values << numpy.uint64(bits)) | (values >> numpy.uint64(64 - bits))


def _finalise(values: numpy.ndarray) -> numpy.ndarray:
    """MurmurHash3's fmix64: every input bit flips about half the output bits."""
    import numpy
    values = values ^ (values >> numpy.uint64(33))
    values = values * numpy.uint64(0xFF51AFD7ED558CCD)
    values = values ^ (values >> numpy.uint64(33))
    values = values * numpy.uint64(0xC4CEB9FE1A85EC53)
    return values ^ (values >> numpy.uint64(33))


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
        return is_noindex(self.x_robots_tag, self.facts.meta_robots if self.facts else "")

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
