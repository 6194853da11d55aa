"""How a run reads each kind of page, worked out once per run (core.scraping.runner)."""

from core.scrape.package import parse_package
from core.scraping.runner import _PageReading

PLAIN = {"title": {"selector": "h1", "transforms": ["strip"]}}


def test_a_package_without_slow_transforms_is_parsed_on_the_event_loop() -> None:
    reading = _PageReading.of(parse_package({"version": 1, "fields": PLAIN}))

    assert not reading.time_limited and not reading.xpath and reading.next_button is None


def test_a_regex_transform_anywhere_sends_the_pages_to_the_parse_threads() -> None:
    own = {"price": {"selector": ".p", "transforms": [{"regex": r"(\d+)"}]}}
    in_fallback = {"title": {"selector": "h1", "fallbacks": [
        {"selector": "h2", "transforms": [{"regex": "(.+)"}]}]}}

    assert _PageReading.of(parse_package({"version": 1, "fields": own})).time_limited
    assert _PageReading.of(parse_package({"version": 1, "fields": in_fallback})).time_limited


def test_a_listing_page_knows_its_next_button_and_a_detail_page_has_none() -> None:
    package = parse_package({"version": 1, "container": "li", "fields": {
        "url": {"selector": "a", "take": "attr", "attribute": "href"}},
        "pagination": {"type": "next_button", "selector": "//a[@rel='next']",
                       "selector_type": "xpath"},
        "detail": {"link": "url", "fields": PLAIN}})
    assert package.detail is not None

    listing = _PageReading.of(package)
    detail = _PageReading.of(package.detail.package, detail=True)

    assert listing.next_button is not None and listing.xpath  # the next button's XPath
    assert detail.next_button is None and not detail.xpath
