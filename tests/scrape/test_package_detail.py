"""The package's ``detail`` section and per-field ``fallbacks``: read, checked, written back."""

from __future__ import annotations

import pytest

from core.platform.errors import ValidationError
from core.scrape.extract import extract_records
from core.scrape.package import package_to_dict, parse_package

LISTING = {"version": 1, "container": "li",
           "fields": {"url": {"selector": "a", "take": "attr", "attribute": "href",
                              "transforms": ["absolute_url"]}},
           "detail": {"link": "url", "fields": {"sku": {"selector": ".sku"}}, "max_pages": 20}}


def test_a_detail_section_round_trips() -> None:
    package = parse_package(LISTING)
    assert package.detail.link == "url" and package.detail.max_pages == 20
    assert [f.name for f in package.detail.fields] == ["sku"]
    assert parse_package(package_to_dict(package)) == package


def test_a_detail_section_that_cannot_work_says_where() -> None:
    with pytest.raises(ValidationError) as error:
        parse_package({**LISTING, "detail": {"link": "href", "max_pages": 0,
                                             "fields": {"url": {"selector": "["}}}})
    assert error.value.problems == [
        "detail.link: must name a field of the package (url), not 'href'",
        "detail.fields.url.selector: '[' is not a valid CSS selector (Expected ident or '*', "
        "got <EOF at 1>)",
        "detail.fields: 'url' is already a field of the listing; name it apart",
        "detail.max_pages: must be 1 or more, not 0"]


def test_a_fallback_is_tried_when_the_field_finds_nothing() -> None:
    package = parse_package({"version": 1, "fields": {"price": {
        "selector": ".price-now", "transforms": ["price"],
        "fallbacks": [{"selector": ".price", "transforms": ["price"]},
                      {"selector": "[itemprop=price]", "take": "attr", "attribute": "content",
                       "transforms": ["price"]}]}}})
    [before] = extract_records(package, '<p class="price-now">€5</p><p class="price">€6</p>', "")
    [after] = extract_records(package, '<p class="price">€6</p>', "")
    [neither] = extract_records(package, "<p>nothing</p>", "")
    assert (before.data, before.fallbacks) == ({"price": 5.0}, {})
    assert (after.data, after.fallbacks) == ({"price": 6.0}, {"price": 1})
    assert (neither.data, neither.found) == ({}, {"price": False})
    assert parse_package(package_to_dict(package)) == package


def test_a_fallback_cannot_have_fallbacks_of_its_own() -> None:
    with pytest.raises(ValidationError) as error:
        parse_package({"version": 1, "fields": {"a": {"selector": "a", "fallbacks": [
            {"selector": "b", "fallbacks": []}]}}})
    assert error.value.problems[0].startswith("fields.a.fallbacks[0].fallbacks: unknown key")

