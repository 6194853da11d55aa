"""How a run reads each kind of page, worked out once per run (core.scraping.runner)."""

import pytest

from core.scrape.package import parse_package
from core.scraping.runner import _PageReading, read_page

PLAIN = {"title": {"selector": "h1", "transforms": ["strip"]}}


def test_a_package_without_slow_transforms_is_parsed_on_the_event_loop() -> None:
    reading = _PageReading.of(parse_package({"version": 1, "fields": PLAIN}))

    assert not reading.slow and not reading.xpath and reading.next_button is None


@pytest.mark.parametrize("transform", [{"regex": r"(\d+)"}, "date"])
def test_a_slow_transform_anywhere_sends_the_pages_to_a_parse_process(transform) -> None:
    own = {"price": {"selector": ".p", "transforms": [transform]}}
    in_fallback = {"title": {"selector": "h1", "fallbacks": [
        {"selector": "h2", "transforms": [transform]}]}}

    assert _PageReading.of(parse_package({"version": 1, "fields": own})).slow
    assert _PageReading.of(parse_package({"version": 1, "fields": in_fallback})).slow


# A table as served (no <tbody>): lexbor adds one, as browsers do; lxml does not.
TABLE = ("<html><body><table><tr class='row'><td class='n'>Alpha</td></tr>"
         "<tr class='row'><td class='n'>Beta</td></tr></table>"
         "<a rel='next' href='/page-2'>next</a></body></html>")


def read(reading: _PageReading) -> tuple[list[str], str | None]:
    read = read_page(reading, TABLE, "https://shop.example/page-1")
    assert read.error is None
    return [r.data["name"] for r in read.records], read.link


def test_css_records_with_an_xpath_next_button_are_read_by_lexbor_as_before() -> None:
    package = parse_package({"version": 1, "container": "table > tbody > tr", "fields": {
        "name": {"selector": "td.n"}},
        "pagination": {"type": "next_button", "selector": "//a[@rel='next']",
                       "selector_type": "xpath"}})
    reading = _PageReading.of(package)

    assert not reading.xpath and not reading.next_on_same_document
    assert read(reading) == (["Alpha", "Beta"], "https://shop.example/page-2")


def test_xpath_records_with_a_css_next_button_find_the_link_all_the_same() -> None:
    package = parse_package({"version": 1,
                             "container": {"selector": "//tr", "selector_type": "xpath"},
                             "fields": {"name": {"selector": "td.n"}},
                             "pagination": {"type": "next_button", "selector": "a[rel=next]"}})
    reading = _PageReading.of(package)

    assert reading.xpath and not reading.next_on_same_document
    assert read(reading) == (["Alpha", "Beta"], "https://shop.example/page-2")


def test_a_detail_page_has_no_next_button() -> None:
    package = parse_package({"version": 1, "container": "li", "fields": {
        "url": {"selector": "a", "take": "attr", "attribute": "href"}},
        "pagination": {"type": "next_button", "selector": "a.next"},
        "detail": {"link": "url", "fields": PLAIN}})
    assert package.detail is not None

    listing = _PageReading.of(package)
    detail = _PageReading.of(package.detail.package, detail=True)

    assert listing.next_button is not None and listing.next_on_same_document
    assert detail.next_button is None and not detail.next_on_same_document
