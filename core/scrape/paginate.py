"""Which pages to fetch for one target URL, following the package's pagination.

    pages = Paginator(package.pagination, target_url, max_pages=job.max_pages)
    queue = deque(pages.first_urls())
    while queue:
        result = await fetcher.fetch(queue.popleft())
        ...
        queue.extend(pages.next_urls(result))

* ``none``: the target URL alone.
* ``url_pattern``: every page of the range at once (so they can be fetched concurrently):
  ``first_page`` to ``last_page``, at most ``max_pages`` of them; a relative pattern
  (``?page={page}``) is resolved against the target URL, which is not fetched on its own.
* ``next_button``: the target URL, then the link the selector finds on each fetched page (its
  ``href``, or the ``href`` of the first link inside it), until a page has none, its link leads
  to a page already seen (``#``, a loop back to page 1) or ``max_pages`` pages were given out.

URLs are compared without their ``#fragment``, and a page reached by redirect counts as seen
under its final URL too.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urldefrag, urljoin, urlsplit

from core.scrape.dom import Document, Selector, parse_html
from core.scrape.package import NextButton, Pagination, UrlPattern
from core.scrape.result import FetchResult

_LINK = Selector("a[href]")


class Paginator:
    """Gives out the pages of one target URL, each at most once, at most ``max_pages`` in all."""

    def __init__(self, pagination: Pagination, start_url: str, *, max_pages: int) -> None:
        self.pagination = pagination
        self.start_url = start_url
        self.max_pages = max_pages
        self._seen: set[str] = set()
        self._given = 0

    def first_urls(self) -> list[str]:
        if isinstance(self.pagination, UrlPattern):
            return self._give(pattern_urls(self.pagination, self.start_url, self.max_pages))
        return self._give([self.start_url])

    def next_urls(self, page: FetchResult) -> list[str]:
        """The pages to fetch after ``page`` (only ``next_button`` ever has some)."""
        link = next_button_url(self.pagination, page.markup, page.final_url) \
            if isinstance(self.pagination, NextButton) and page.ok else None
        return self.next_urls_given(page, link)

    def next_urls_given(self, page: FetchResult, link: str | None) -> list[str]:
        """``next_urls`` when the caller looked for the page's "next" link already (on the
        document it parsed for its records): ``link``, or None when the page has none."""
        self._seen.add(_key(page.final_url))
        if not isinstance(self.pagination, NextButton) or not page.ok:
            return []
        return self._give([link] if link else [])

    def _give(self, urls: Iterable[str]) -> list[str]:
        given = []
        for url in urls:
            if self._given >= self.max_pages:
                break
            if _key(url) not in self._seen:
                self._seen.add(_key(url))
                self._given += 1
                given.append(url)
        return given


def pattern_urls(pagination: UrlPattern, start_url: str, max_pages: int) -> list[str]:
    """The URLs of a page range: ``first_page`` up to ``last_page``, ``max_pages`` at most."""
    last = pagination.first_page + max_pages - 1
    if pagination.last_page is not None:
        last = min(last, pagination.last_page)
    return [urljoin(start_url, pagination.pattern.replace("{page}", str(number)))
            for number in range(pagination.first_page, last + 1)]


def next_button_url(pagination: NextButton, html: str | bytes, page_url: str) -> str | None:
    """The absolute URL the page's "next" link points to, or None when it has none."""
    return next_button_link(parse_html(html, xpath=pagination.selector.type == "xpath"),
                            pagination, page_url)


def next_button_link(document: Document, pagination: NextButton, page_url: str) -> str | None:
    """``next_button_url`` on a page parsed already (with lxml when the selector is XPath)."""
    match = document.select_first(document.root, pagination.selector)
    if match is None:
        return None
    href = document.value(match, "attr", "href")
    if href is None:
        link = document.select_first(match, _LINK)
        href = document.value(link, "attr", "href") if link is not None else None
    if not href or not href.strip():
        return None
    url = urljoin(document.base_url(page_url), href.strip())
    return url if urlsplit(url).scheme in ("http", "https") else None


def _key(url: str) -> str:
    return urldefrag(url).url
