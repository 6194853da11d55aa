"""Pagination: following "next" links and walking URL patterns over the fixture catalogs."""

import asyncio
from collections import deque
from collections.abc import Callable

from core.scrape.dom import Selector
from core.scrape.extract import extract_records
from core.scrape.fetch import Fetcher
from core.scrape.options import FetchOptions
from core.scrape.package import ConfigPackage, NextButton, NoPagination, UrlPattern, parse_package
from core.scrape.paginate import Paginator, next_button_url, pattern_urls
from core.scrape.result import FetchResult

CATALOG = {
    "version": 1,
    "container": "div.product",
    "fields": {"name": {"selector": "h2", "transforms": ["strip"]},
               "price": {"selector": ".price", "transforms": ["price"]}},
    "pagination": {"type": "next_button", "selector": "a.next"},
}
SHOP = {
    "version": 1,
    "container": "article.item",
    "fields": {"name": {"selector": ".item-name"}, "price": {"selector": ".cost",
                                                             "transforms": ["price"]}},
    "pagination": {"type": "url_pattern", "pattern": "/shop/p/{page}", "first_page": 1,
                   "last_page": 4},
}


def crawl(package: ConfigPackage, start_url: str, options: FetchOptions,
          max_pages: int = 10) -> tuple[list[str], list[dict]]:
    """What the worker does: the pages fetched, in order, and the records extracted."""

    async def main() -> tuple[list[str], list[dict]]:
        pages = Paginator(package.pagination, start_url, max_pages=max_pages)
        queue, fetched, records = deque(pages.first_urls()), [], []
        async with Fetcher(options) as fetcher:
            while queue:
                result = await fetcher.fetch(queue.popleft())
                fetched.append(result.final_url)
                records += [r.data for r in extract_records(package, result.text,
                                                            result.final_url)]
                queue.extend(pages.next_urls(result))
        return fetched, records

    return asyncio.run(main())


def test_next_button_pagination_walks_the_whole_catalog(
        fixture_site: str, make_options: Callable[..., FetchOptions]) -> None:
    fetched, records = crawl(parse_package(CATALOG), f"{fixture_site}/catalog/page1.html",
                             make_options())

    assert fetched == [f"{fixture_site}/catalog/page{n}.html" for n in (1, 2, 3)]
    assert len(records) == 12
    assert records[0] == {"name": "Aurora Desk Lamp", "price": 1299.0}
    assert records[-1] == {"name": "Linden Loveseat", "price": 1199.0}


def test_next_button_pagination_stops_at_max_pages(
        fixture_site: str, make_options: Callable[..., FetchOptions]) -> None:
    fetched, records = crawl(parse_package(CATALOG), f"{fixture_site}/catalog/page1.html",
                             make_options(), max_pages=2)

    assert len(fetched) == 2 and len(records) == 8


def test_url_pattern_pagination_walks_the_range(
        fixture_site: str, make_options: Callable[..., FetchOptions]) -> None:
    fetched, records = crawl(parse_package(SHOP), f"{fixture_site}/shop/", make_options())

    assert fetched == [f"{fixture_site}/shop/p/{n}" for n in (1, 2, 3, 4)]
    assert len(records) == 12
    assert records[0] == {"name": "Mosaic Mug", "price": 12.5}
    assert records[-1] == {"name": "Yarrow Cup", "price": 8.5}


def test_url_pattern_is_bounded_by_max_pages_and_by_last_page() -> None:
    open_ended = UrlPattern("https://shop.example/p/{page}", first_page=0)
    assert pattern_urls(open_ended, "https://shop.example/", max_pages=3) == [
        "https://shop.example/p/0", "https://shop.example/p/1", "https://shop.example/p/2"]

    short = UrlPattern("?page={page}", first_page=2, last_page=3)
    assert pattern_urls(short, "https://shop.example/list?page=1", max_pages=10) == [
        "https://shop.example/list?page=2", "https://shop.example/list?page=3"]


def test_without_pagination_only_the_target_is_fetched() -> None:
    pages = Paginator(NoPagination(), "https://shop.example/a", max_pages=5)
    assert pages.first_urls() == ["https://shop.example/a"]
    assert pages.next_urls(_page("https://shop.example/a", '<a class="next" href="b">')) == []


def test_a_next_link_back_to_a_seen_page_ends_the_walk() -> None:
    pages = Paginator(NextButton(Selector("a.next")), "https://shop.example/1", max_pages=10)
    assert pages.first_urls() == ["https://shop.example/1"]

    assert pages.next_urls(_page("https://shop.example/1", '<a class="next" href="2">')) == [
        "https://shop.example/2"]
    assert pages.next_urls(_page("https://shop.example/2", '<a class="next" href="1#top">')) == []


def test_a_page_that_failed_has_no_next_page() -> None:
    pages = Paginator(NextButton(Selector("a.next")), "https://shop.example/1", max_pages=10)
    failed = FetchResult("https://shop.example/1", "https://shop.example/1", error="HTTP 500")
    assert pages.next_urls(failed) == []


def test_the_next_link_can_be_inside_the_matched_element_or_found_by_xpath() -> None:
    html = '<ul><li class="next"><a href="/p/3">Next</a></li></ul><a id="n" href="p4">›</a>'
    page_url = "https://shop.example/p/2"

    assert next_button_url(NextButton(Selector("li.next")), html, page_url) == (
        "https://shop.example/p/3")
    assert next_button_url(NextButton(Selector("//a[@id='n']/@href", "xpath")), html,
                           page_url) == "https://shop.example/p/p4"


def test_no_next_link_or_a_script_link_means_no_next_page() -> None:
    page_url = "https://shop.example/p/2"
    assert next_button_url(NextButton(Selector("a.next")), "<p>last page</p>", page_url) is None
    assert next_button_url(NextButton(Selector("a.next")),
                           '<a class="next" href="javascript:more()">', page_url) is None
    assert next_button_url(NextButton(Selector("a.next")), '<a class="next">', page_url) is None


def _page(url: str, html: str) -> FetchResult:
    return FetchResult(url, url, status_code=200, text=html)
