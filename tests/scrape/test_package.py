"""The config package: what a valid one looks like, and how a wrong one is reported."""

import copy
import json
from typing import Any

import pytest

from core.platform.errors import ValidationError
from core.scrape.dom import Selector
from core.scrape.package import (ConfigPackage, NextButton, NoPagination, UrlPattern,
                                 package_to_dict, parse_package)
from core.scrape.transforms import Transform

CATALOG: dict[str, Any] = {
    "version": 1,
    "container": "div.product",
    "fields": {
        "name": {"selector": "h2.name", "transforms": ["strip"], "required": True},
        "price": {"selector": ".price", "transforms": ["price"], "required": True},
        "url": {"selector": "a", "take": "attr", "attribute": "href",
                "transforms": ["absolute_url"]},
        "tags": {"selector": ".tags li", "all": True, "transforms": ["strip", {"join": ", "}]},
        "sku": {"selector": "./@data-sku", "selector_type": "xpath"},
    },
    "pagination": {"type": "next_button", "selector": "a.next"},
    "render": {"javascript": False, "wait_for": None},
}


def problems_of(doc: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        parse_package(doc)
    return caught.value.problems


def with_change(path: str, value: Any) -> dict[str, Any]:
    """CATALOG with the value at a dotted path replaced (or removed, when value is ...)."""
    doc = copy.deepcopy(CATALOG)
    *parents, last = path.split(".")
    target = doc
    for key in parents:
        target = target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return doc


def test_a_valid_package_parses_into_typed_parts() -> None:
    package = parse_package(CATALOG)

    assert package.container == Selector("div.product")
    assert package.field_names == ("name", "price", "url", "tags", "sku")
    assert package.required_fields == ("name", "price")
    assert package.fields[3].all and package.fields[3].transforms == (
        Transform("strip"), Transform("join", ", "))
    assert package.fields[4].selector == Selector("./@data-sku", "xpath")
    assert package.pagination == NextButton(Selector("a.next"))
    assert package.uses_xpath


def test_only_version_and_fields_are_needed() -> None:
    package = parse_package({"version": 1, "fields": {"title": {"selector": "h1"}}})

    assert package == ConfigPackage(fields=package.fields)
    assert package.container is None and package.pagination == NoPagination()
    assert not package.render.javascript and not package.uses_xpath


def test_a_package_survives_a_round_trip_through_json() -> None:
    package = parse_package(CATALOG)

    assert parse_package(json.dumps(package_to_dict(package))) == package


def test_a_map_transform_round_trips_with_its_table() -> None:
    doc = with_change("fields.name.transforms", ["strip", {"map": {"£": "GBP", "Three": 3}}])
    package = parse_package(doc)

    assert package_to_dict(package)["fields"]["name"]["transforms"] == [
        "strip", {"map": {"£": "GBP", "Three": 3}}]
    assert parse_package(json.dumps(package_to_dict(package))) == package


def test_url_pattern_pagination_and_rendering_round_trip_too() -> None:
    doc = with_change("pagination", {"type": "url_pattern", "pattern": "/shop/p/{page}",
                                     "first_page": 2, "last_page": 4})
    doc["render"] = {"javascript": True, "wait_for": "div.product"}
    package = parse_package(doc)

    assert package.pagination == UrlPattern("/shop/p/{page}", 2, 4)
    assert parse_package(package_to_dict(package)) == package


def test_invalid_json_text_names_line_and_column() -> None:
    with pytest.raises(ValidationError, match="not valid JSON") as caught:
        parse_package('{\n  "version": 1,\n  "fields": {"name": {"selector": "h1",}}\n}')
    assert caught.value.problems == [
        "line 3, column 40: Expecting property name enclosed in double quotes"]


@pytest.mark.parametrize(("path", "value", "problem"), [
    ("version", 2, "version: must be 1 (the only version so far), not 2"),
    ("version", ..., "version: missing"),
    ("fields", {}, "fields: must name at least one field"),
    ("fields", ["name"], "fields: must be an object, not array"),
    ("container", "div[", "container: 'div[' is not a valid CSS selector"),
    ("fields.price.selector", "div[", "fields.price.selector: 'div[' is not a valid CSS selector"),
    ("fields.price.selector", "", "fields.price.selector: is empty"),
    ("fields.price.selector", ..., "fields.price.selector: missing"),
    ("fields.sku.selector", "//div[", "fields.sku.selector: '//div[' is not a valid XPath"),
    ("fields.sku.selector", "nosuch(.)", "fields.sku.selector: 'nosuch(.)' is not a valid XPath"),
    ("fields.sku.selector", "//@data-sku",
     "fields.sku.selector: '//@data-sku' starts at the document root, so it ignores the container"),
    ("fields.sku.selector_type", "jquery",
     "fields.sku.selector_type: must be one of css, xpath, not 'jquery'"),
    ("fields.name.take", "txt", "fields.name.take: must be one of text, html, attr, not 'txt'"),
    ("fields.url.attribute", ..., 'fields.url.attribute: needed (a non-empty attribute name) when'),
    ("fields.name.attribute", "title", 'fields.name.attribute: only applies when "take" is "attr"'),
    ("fields.name.required", "yes", "fields.name.required: must be a boolean, not string"),
    ("fields.name.selectr", "h2", "fields.name.selectr: unknown key; did you mean 'selector'?"),
    ("fields.name.transforms", ["strip", "lowercase"],
     "fields.name.transforms[1]: unknown transform 'lowercase'; known: strip, number, price, "
     "currency, date, absolute_url, regex, json, join"),
    ("fields.name.transforms", ["all"],
     'fields.name.transforms[0]: unknown transform \'all\' ("all" is a field option: write '
     '"all": true on the field)'),
    ("fields.name.transforms", [{"regex": "(\\d+"}],
     "fields.name.transforms[0]: '(\\d+' is not a valid regular expression (missing ) at "
     "position 4)"),
    ("fields.name.transforms", ["regex"],
     'fields.name.transforms[0]: \'regex\' needs a regular expression: write {"regex": ...}'),
    ("fields.name.transforms", [{"map": "GBP"}],
     "fields.name.transforms[0]: the argument of 'map' must be an object of values, such as "
     '{"£": "GBP"}'),
    ("fields.name.transforms", [{"map": {}}],
     "fields.name.transforms[0]: the argument of 'map' must be an object of values"),
    ("fields.name.transforms", [{"map": {"£": ["GBP"]}}],
     "fields.name.transforms[0]: map: the value for '£' must be text, a number, true/false or "
     "null"),
    ("fields.name.transforms", [{"map": {"Three": 3, "three": 4}}],
     "fields.name.transforms[0]: map: 'Three' and 'three' differ only in case or spaces but map "
     "to different values"),
    ("fields.name.transforms", ["map"],
     'fields.name.transforms[0]: \'map\' needs a lookup object such as {"£": "GBP"}: write '
     '{"map": ...}'),
    ("fields.name.transforms", [{"strip": True}],
     "fields.name.transforms[0]: 'strip' takes no argument: write \"strip\""),
    ("fields.name.transforms", [{"join": ", "}],
     "fields.name.transforms[0]: 'join' joins the matches of a field with \"all\": true"),
    ("fields.price.transforms", ["price", "strip"],
     "fields.price.transforms[1]: 'strip' works on text, but the transform before it gives a "
     "number"),
    ("fields.name.transforms", [42], "fields.name.transforms[0]: must be a transform name or an "
                                     "object with one key"),
    ("pagination.type", "infinite_scroll",
     "pagination.type: must be one of none, next_button, url_pattern, not 'infinite_scroll'"),
    ("pagination.selector", ..., "pagination.selector: missing"),
    ("pagination.selector", "a.next[", "pagination.selector: 'a.next[' is not a valid CSS"),
    ("pagination.pattern", "/p/{page}",
     "pagination.pattern: unknown key (expected: type, selector, selector_type)"),
    ("render.wait_for", "div.product", 'render.wait_for: only applies when "javascript" is true'),
    ("render.javascript", "true", "render.javascript: must be a boolean, not string"),
])
def test_each_wrong_part_is_named(path: str, value: Any, problem: str) -> None:
    assert any(p.startswith(problem) for p in problems_of(with_change(path, value))), problem


@pytest.mark.parametrize(("pagination", "problem"), [
    ({"type": "url_pattern", "pattern": "/shop/p/1"},
     'pagination.pattern: must contain "{page}" where the page number goes'),
    ({"type": "url_pattern", "pattern": "ftp://shop/{page}"},
     "pagination.pattern: must be an http(s) URL, or a path relative to the target URL"),
    ({"type": "url_pattern", "pattern": "/p/{page}", "first_page": 5, "last_page": 2},
     "pagination.last_page: must be at least first_page (5), not 2"),
    ({"type": "url_pattern", "pattern": "/p/{page}", "first_page": -1},
     "pagination.first_page: must be 0 or more, not -1"),
    ({"type": "url_pattern", "pattern": "/p/{page}", "last_page": 2.5},
     "pagination.last_page: must be an integer or null, not number"),
])
def test_url_pattern_pagination_is_checked(pagination: dict[str, Any], problem: str) -> None:
    assert problem in problems_of(with_change("pagination", pagination))


def test_every_problem_is_reported_at_once() -> None:
    doc = with_change("version", 3)
    doc["fields"]["price"]["selector"] = "div["
    doc["fields"]["name"]["take"] = "inner"

    problems = problems_of(doc)

    assert [p.split(":")[0] for p in problems] == [
        "version", "fields.name.take", "fields.price.selector"]
    assert str(ValidationError("The config package is not valid.", problems)).count("\n- ") == 3


def test_a_package_that_is_not_an_object_is_refused() -> None:
    assert problems_of("[1, 2]") == ["must be an object, not array"]
