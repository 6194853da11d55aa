"""JavaScript rendering in real Chromium, and extraction from what it rendered.

Skipped when no Chromium can start, unless REQUIRE_BROWSER_TESTS is set: then it fails.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from core.scrape.extract import extract_records
from core.scrape.fetch import Fetcher
from core.scrape.options import FetchOptions
from core.scrape.package import parse_package
from core.scrape.result import FetchResult
from tests.conftest import chromium_or_skip

T = TypeVar("T")
LISTING = parse_package({
    "version": 1,
    "container": "div.product",
    "fields": {
        "sku": {"selector": None, "take": "attr", "attribute": "data-sku"},
        "name": {"selector": "h2.name"},
        "price": {"selector": ".price", "transforms": ["price"]},
        "url": {"selector": "a", "take": "attr", "attribute": "href",
                "transforms": ["absolute_url"]},
    },
    "render": {"javascript": True, "wait_for": "div.product"},
})


def with_fetcher(options: FetchOptions, scenario: Callable[[Fetcher], Awaitable[T]]) -> T:
    async def main() -> T:
        async with Fetcher(options) as fetcher:
            return await scenario(fetcher)

    with chromium_or_skip():
        return asyncio.run(main())


def test_a_javascript_listing_appears_only_when_rendered(
        fixture_site: str, make_options: Callable[..., FetchOptions]) -> None:
    url = f"{fixture_site}/js/listing.html"

    async def scenario(fetcher: Fetcher) -> tuple[FetchResult, FetchResult]:
        return await fetcher.fetch(url), await fetcher.render(url, wait_for="div.product")

    fetched, rendered = with_fetcher(make_options(), scenario)

    assert fetched.ok and extract_records(LISTING, fetched.text, fetched.final_url) == []
    assert rendered.ok and rendered.status_code == 200 and rendered.final_url == url
    records = extract_records(LISTING, rendered.text, rendered.final_url)
    assert [r.data for r in records] == [
        {"sku": "JS-1", "name": "Meridian Clock", "price": 79.0,
         "url": f"{fixture_site}/js/items/js-1.html"},
        {"sku": "JS-2", "name": "Nimbus Pillow", "price": 24.5,
         "url": f"{fixture_site}/js/items/js-2.html"},
        {"sku": "JS-3", "name": "Orbit Planter", "price": 1150.0,
         "url": f"{fixture_site}/js/items/js-3.html"},
    ]


def test_rendering_follows_redirects_and_refuses_what_fetching_refuses(
        fixture_site: str, make_options: Callable[..., FetchOptions]) -> None:
    async def scenario(fetcher: Fetcher) -> list[FetchResult]:
        paths = ["/redirect?to=/catalog/page2.html", "/data.json", "/catalog/page9.html",
                 "/private/secret.html"]
        return [await fetcher.render(f"{fixture_site}{path}") for path in paths]

    redirected, json_data, missing, private = with_fetcher(make_options(respect_robots=True),
                                                           scenario)

    assert redirected.ok and "Elm Dining Table" in redirected.text
    assert redirected.redirects == [f"{fixture_site}/catalog/page2.html"]
    assert redirected.final_url == f"{fixture_site}/catalog/page2.html"
    assert json_data.error == "not an HTML page (content-type: application/json)"
    assert missing.error == "HTTP 404 Not Found"
    assert private.error == f"disallowed by robots.txt: {fixture_site}/private/secret.html"


def test_waiting_for_an_element_that_never_comes_times_out(
        fixture_site: str, make_options: Callable[..., FetchOptions]) -> None:
    async def scenario(fetcher: Fetcher) -> FetchResult:
        return await fetcher.render(f"{fixture_site}/js/listing.html", wait_for=".sold-out")

    result = with_fetcher(make_options(timeout=1.5), scenario)

    assert result.error == "timed out after 1.5 s waiting for '.sold-out'"
    assert result.text == ""


def test_a_private_address_is_refused_before_the_browser_starts(fixture_site: str) -> None:
    async def scenario(fetcher: Fetcher) -> FetchResult:
        return await fetcher.render(f"{fixture_site}/js/listing.html")

    result = with_fetcher(FetchOptions(allow_private=False), scenario)

    assert "a loopback address" in result.error
