"""Evidence: an official page fetched through the engine and the passage of it that states the
fact a finding relies on.

Pages are fetched with ``core.scrape.fetch.Fetcher`` (the one URL policy, robots.txt, timeouts,
size caps, retries; a page of any Content-Type, as documentation sources publish Markdown). A
page is read as text: HTML is flattened; Markdown (how the documentation sources
are published) has its escapes and anchors removed. The supporting passage is the first
paragraph, list item or table row that holds every one of the catalogue's ``terms`` for the
claim; a page that cannot be fetched, or that no longer states the fact, gives unavailable
evidence (and the run stops with ``evidence_unavailable``).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime

import lxml.html

from core.advisor.catalogue import DocRef
from core.scrape.fetch import Fetcher
from core.scrape.options import FetchOptions
from core.scrape.result import FetchResult
from db.types import utcnow

EXCERPT_CHARS = 600
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
_ANCHOR = re.compile(r"<a name=\"[^\"]*\"></a>")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_BLOCKS = re.compile(r"\n\s*\n|\n(?=\s*\|)|\n(?=\s*[-+*] )")


@dataclass(frozen=True)
class Page:
    url: str
    ok: bool
    text: str
    error: str | None
    status: int | None
    n_bytes: int
    seconds: float
    retrieved_at: datetime


@dataclass(frozen=True)
class Evidence:
    url: str
    title: str
    excerpt: str
    available: bool
    retrieved_at: datetime


def page_text(result: FetchResult) -> str:
    """A fetched page as plain text."""
    kind = result.headers.get("content-type", "").lower()
    if "html" in kind:
        return str(lxml.html.fromstring(result.text or "<p></p>").text_content())
    text = _ANCHOR.sub("", result.text)
    return _ESCAPE.sub(r"\1", text)


def fetch_pages(urls: list[str], timeout: float | None = None) -> dict[str, Page]:
    """Every URL fetched once (concurrently, politely), as text."""
    async def run() -> dict[str, Page]:
        options = FetchOptions() if timeout is None else FetchOptions(timeout=timeout)
        async with Fetcher(options) as fetcher:
            results = await asyncio.gather(*(fetcher.fetch_document(u, ask_robots=True)
                                             for u in urls))
        now = utcnow()
        return {u: Page(u, r.ok, page_text(r) if r.ok else "", r.error, r.status_code,
                        r.n_bytes, r.elapsed_s, now) for u, r in zip(urls, results)}
    return asyncio.run(run()) if urls else {}


def passage(text: str, terms: tuple[str, ...]) -> str | None:
    """The first block of ``text`` that holds every term (case-insensitive), trimmed around
    the first term; None when no block does."""
    lowered_terms = [t.lower() for t in terms]
    for block in _BLOCKS.split(text):
        flat = " ".join(_LINK.sub(r"\1", block).split())
        lowered = flat.lower()
        if flat and all(t in lowered for t in lowered_terms):
            if len(flat) <= EXCERPT_CHARS:
                return flat
            at = lowered.index(lowered_terms[0])
            start = max(0, min(at - EXCERPT_CHARS // 3, len(flat) - EXCERPT_CHARS))
            cut = flat[start:start + EXCERPT_CHARS]
            return ("…" if start else "") + cut + ("…" if start + EXCERPT_CHARS < len(flat)
                                                   else "")
    return None


def evidence_for(doc: DocRef, url: str, page: Page | None) -> Evidence:
    if page is None or not page.ok:
        why = page.error if page else "not fetched"
        return Evidence(url, doc.title, f"The page could not be fetched: {why}.", False,
                        page.retrieved_at if page else utcnow())
    found = passage(page.text, doc.terms)
    if found is None:
        return Evidence(url, doc.title, "The page no longer states the fact: no passage holds "
                        + ", ".join(repr(t) for t in doc.terms) + ".", False, page.retrieved_at)
    return Evidence(url, doc.title, found, True, page.retrieved_at)
