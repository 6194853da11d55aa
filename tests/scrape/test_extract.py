"""Running a package over a page: records, transforms, XPath, confidence and content hashes."""

import hashlib
import json
from typing import Any

import jsonschema
import pytest

from core.scrape.extract import (ExtractedRecord, canonical_and_hash, compact_json, confidence,
                                 content_hash, extract_records)
from core.scrape.package import parse_package
from tests.fixtures.server import SITES

CATALOG_URL = "https://shop.example/catalog/page1.html"
CATALOG = parse_package({
    "version": 1,
    "container": "div.product",
    "fields": {
        "name": {"selector": "h2.name", "transforms": ["strip"], "required": True},
        "price": {"selector": ".price", "transforms": ["price"], "required": True},
        "currency": {"selector": ".price", "transforms": ["currency"]},
        "rating": {"selector": ".rating", "take": "attr", "attribute": "title",
                   "transforms": ["number"]},
        "image": {"selector": "img", "take": "attr", "attribute": "src",
                  "transforms": ["absolute_url"]},
        "url": {"selector": "a.product-link", "take": "attr", "attribute": "href",
                "transforms": ["absolute_url"]},
        "added": {"selector": ".added", "transforms": [{"regex": "Added (.+)"}, "date"]},
        "tags": {"selector": ".tags li", "all": True},
    },
})


def page(path: str) -> str:
    return (SITES / path).read_text(encoding="utf-8")


def one_field(field: dict[str, Any], html: str, base_url: str = "https://x.example/a/") -> Any:
    """The value a single-field package (no container) extracts from ``html``."""
    package = parse_package({"version": 1, "fields": {"value": field}})
    [record] = extract_records(package, html, base_url)
    return record.data.get("value")


def test_a_container_gives_one_record_per_match() -> None:
    records = extract_records(CATALOG, page("catalog/page1.html"), CATALOG_URL)

    assert len(records) == 4
    assert records[0].data == {
        "name": "Aurora Desk Lamp",
        "price": 1299.0,
        "currency": "$",
        "rating": 4.5,
        "image": "https://shop.example/catalog/images/lmp-101.jpg",
        "url": "https://shop.example/catalog/items/lmp-101.html",
        "added": "2024-03-03",
        "tags": ["lighting", "desk"],
    }
    assert [r.data["name"] for r in records[1:]] == [
        "Beacon Floor Lamp", "Cedar Lounge Chair", "Drift Office Chair"]
    assert all(all(r.found.values()) for r in records)


@pytest.mark.parametrize("xpath", [False, True])
def test_a_page_given_as_its_utf8_bytes_gives_the_same_records(xpath: bool) -> None:
    package = CATALOG if not xpath else parse_package({
        "version": 1, "container": "div.product",
        "fields": {"name": {"selector": ".//h2", "selector_type": "xpath",
                            "transforms": ["strip"]},
                   "tags": {"selector": ".tags li", "all": True}}})
    text = page("catalog/page1.html").replace("Aurora", "Äurora \u2603")  # not ASCII

    from_bytes = extract_records(package, text.encode("utf-8"), CATALOG_URL)

    assert from_bytes == extract_records(package, text, CATALOG_URL)
    assert from_bytes[0].data["name"].startswith("Äurora \u2603")


def test_a_single_field_takes_the_first_match_of_its_selector() -> None:
    html = "<ul><li>one</li><li>two</li></ul><p>x</p><li>three</li>"

    assert one_field({"selector": "li"}, html) == "one"
    assert one_field({"selector": "p, li"}, html) == "one"  # the first in the page, not in the list
    assert one_field({"selector": "li", "all": True}, html) == ["one", "two", "three"]


def test_without_a_container_the_page_is_one_record() -> None:
    package = parse_package({"version": 1, "fields": {
        "title": {"selector": "h1", "transforms": ["strip"]},
        "price": {"selector": "p.price", "transforms": ["price"]},
    }})

    assert extract_records(package, page("jsonld/lamp.html"), "https://x.example/") == [
        ExtractedRecord({"title": "Aurora Desk Lamp", "price": 1299.0},
                        {"title": True, "price": True})]


def test_json_ld_is_reachable_through_the_json_transform() -> None:
    ld = {"selector": "script[type='application/ld+json']"}
    package = parse_package({"version": 1, "fields": {
        "name": {**ld, "transforms": [{"json": "name"}]},
        "price": {**ld, "transforms": [{"json": "offers.price"}, "number"]},
        "currency": {**ld, "transforms": [{"json": "offers.priceCurrency"}]},
        "image": {**ld, "transforms": [{"json": "image.0"}]},
        "reviews": {**ld, "transforms": [{"json": "aggregateRating.reviewCount"}, "number"]},
    }})

    [record] = extract_records(package, page("jsonld/chair.html"), "https://x.example/")

    assert record.data == {"name": "Cedar Lounge Chair", "price": 349.5, "currency": "USD",
                           "image": "https://cdn.example/chr-201.jpg", "reviews": 312}


def test_a_field_that_matches_nothing_is_absent_and_not_found() -> None:
    package = parse_package({"version": 1, "container": "div.product", "fields": {
        "name": {"selector": "h2.name", "transforms": ["strip"]},
        "discount": {"selector": ".discount"},
        "sku": {"selector": "img", "take": "attr", "attribute": "data-sku"},
    }})

    record = extract_records(package, page("catalog/page2.html"), CATALOG_URL)[0]

    assert record.data == {"name": "Elm Dining Table"}
    assert record.found == {"name": True, "discount": False, "sku": False}


def test_a_container_matching_nothing_gives_no_records() -> None:
    assert extract_records(CATALOG, page("js/listing.html"), CATALOG_URL) == []


@pytest.mark.parametrize(("transforms", "text", "expected"), [
    (["strip"], "  Aurora \n\t Desk\u00a0Lamp  ", "Aurora Desk Lamp"),
    (["number"], "Rated 4.5 out of 5", 4.5),
    (["number"], "(1,234 reviews)", 1234),
    (["number"], "1.299,50", 1299.5),
    (["number"], "no digits", None),
    (["price"], "Now only $1,299.00!", 1299.0),
    (["price"], "12,50 €", 12.5),
    (["currency"], "12,50 €", "€"),
    (["currency"], "USD 40", "USD"),
    (["date"], "March 3, 2024", "2024-03-03"),
    (["date"], "Added March 3, 2024", None),  # the text must be the date: cut it out with regex
    ([{"regex": "Added (.+)"}, "date"], "Added March 3, 2024", "2024-03-03"),
    (["date"], "3 March 2024 14:05", "2024-03-03T14:05:00"),
    (["date"], "2024-03-03T10:00:00+02:00", "2024-03-03T10:00:00+02:00"),
    (["date"], "not a date", None),
    ([{"regex": r"SKU-(\d+)"}], "Item SKU-4521 (blue)", "4521"),
    ([{"regex": r"\d+ left"}], "Hurry, 3 left in stock", "3 left"),
    ([{"regex": r"\d{9}"}], "Hurry, 3 left in stock", None),
    ([{"regex": r"(\d+) left"}, "number"], "Hurry, 3 left in stock", 3),
    ([{"json": "a.b.1"}], '{"a": {"b": [10, 20]}}', 20),
    ([{"json": "a.missing"}], '{"a": {}}', None),
    ([{"json": "a"}], "not json", None),
    ([{"map": {"£": "GBP", "$": "USD"}}], " £ ", "GBP"),
    (["currency", {"map": {"£": "GBP", "kr": "SEK"}}], "1 299 kr", "SEK"),
    ([{"map": {"One": 1, "Three": 3}}], "three", 3),  # case and spaces do not matter
    ([{"map": {"In stock": True, "Sold out": False}}], "Sold  out", False),
    ([{"map": {"£": "GBP"}}], "¥", None),  # not in the table: nothing, not the text itself
    ([{"map": {"£": "GBP", "*": "other"}}], "¥", "other"),  # unless "*" gives a default
])
def test_each_transform(transforms: list[Any], text: str, expected: Any) -> None:
    assert one_field({"selector": "p", "transforms": transforms}, f"<p>{text}</p>") == expected


def test_absolute_url_resolves_against_the_page_or_its_base_href() -> None:
    link = {"selector": "a", "take": "attr", "attribute": "href", "transforms": ["absolute_url"]}

    assert one_field(link, '<a href="../b/c.html">x</a>') == "https://x.example/b/c.html"
    assert one_field(link, '<base href="https://cdn.example/files/"><a href="c.html">x</a>') == (
        "https://cdn.example/files/c.html")
    # the first <base> that has an href, wherever it is (a browser's rule), on both parsers
    late = ('<base target="_blank"><body><a href="c.html">x</a>'
            '<base href="https://cdn.example/late/"><base href="https://cdn.example/not/"></body>')
    assert one_field(link, late) == "https://cdn.example/late/c.html"
    assert one_field({**link, "selector": "//a", "selector_type": "xpath"}, late) == (
        "https://cdn.example/late/c.html")


def test_all_gives_every_match_and_join_makes_them_one_string() -> None:
    html = "<ul><li> red </li><li>green</li><li> </li><li>blue</li></ul>"

    assert one_field({"selector": "li", "all": True}, html) == [" red ", "green", " ", "blue"]
    assert one_field({"selector": "li", "all": True, "transforms": ["strip"]}, html) == [
        "red", "green", "", "blue"]
    assert one_field({"selector": "li", "all": True, "transforms": [
        {"regex": r"\w+"}, {"join": " | "}]}, html) == "red | green | blue"
    assert one_field({"selector": "li", "transforms": ["strip"]}, html) == "red"


def test_take_html_gives_the_inner_html() -> None:
    html = '<div class="d"><b>Bold</b> claim &amp; more</div>'
    assert one_field({"selector": ".d", "take": "html"}, html) == "<b>Bold</b> claim &amp; more"
    assert one_field({"selector": "//div", "selector_type": "xpath", "take": "html"}, html) == (
        "<b>Bold</b> claim &amp; more")


def test_xpath_fields_run_inside_a_css_container() -> None:
    package = parse_package({"version": 1, "container": "div.product", "fields": {
        "sku": {"selector": "./@data-sku", "selector_type": "xpath"},
        "name": {"selector": ".//h2", "selector_type": "xpath", "transforms": ["strip"]},
        "price": {"selector": ".price", "transforms": ["price"]},
        "second_tag": {"selector": "string(.//ul/li[2])", "selector_type": "xpath"},
    }})

    records = extract_records(package, page("catalog/page1.html"), CATALOG_URL)

    assert [r.data for r in records[:2]] == [
        {"sku": "LMP-101", "name": "Aurora Desk Lamp", "price": 1299.0, "second_tag": "desk"},
        {"sku": "LMP-102", "name": "Beacon Floor Lamp", "price": 89.99},
    ]


def test_an_xpath_container_gives_the_same_records_as_the_css_one() -> None:
    doc = {"version": 1, "container": {"selector": "//div[@class='product']",
                                       "selector_type": "xpath"},
           "fields": {"name": {"selector": "h2", "transforms": ["strip"]}}}

    records = extract_records(parse_package(doc), page("catalog/page3.html"), CATALOG_URL)

    assert [r.data["name"] for r in records] == [
        "Isle Wool Rug", "Juniper Runner", "Kestrel Sofa", "Linden Loveseat"]


def test_a_null_selector_takes_the_container_itself() -> None:
    package = parse_package({"version": 1, "container": "div.product", "fields": {
        "sku": {"selector": None, "take": "attr", "attribute": "data-sku"}}})

    records = extract_records(package, page("catalog/page1.html"), CATALOG_URL)

    assert [r.data["sku"] for r in records] == ["LMP-101", "LMP-102", "CHR-201", "CHR-202"]


def test_garbage_and_empty_html_give_records_with_nothing_found() -> None:
    for html in ("", "<<<>>> not html at all <div", "\x00\x01"):
        for xpath in (False, True):
            selector = {"selector": "//h1", "selector_type": "xpath"} if xpath else {
                "selector": "h1"}
            package = parse_package({"version": 1, "fields": {"title": selector}})
            assert extract_records(package, html, "https://x.example/") == [
                ExtractedRecord({}, {"title": False})]


# -- confidence ------------------------------------------------------------------------------------

SCHEMA = {"type": "object", "properties": {"name": {"type": "string"},
                                           "price": {"type": "number", "minimum": 0},
                                           "rating": {"type": "number", "maximum": 5}}}


def schema_errors(data: dict[str, Any]) -> list[jsonschema.ValidationError]:
    return list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data))


def test_confidence_is_the_share_of_fields_found_and_valid() -> None:
    complete = ExtractedRecord({"name": "Lamp", "price": 12.0, "rating": 4.5},
                               {"name": True, "price": True, "rating": True, "url": False})
    assert confidence(complete, ["name"], schema_errors(complete.data)) == 0.75

    bad_rating = ExtractedRecord({**complete.data, "rating": 45}, complete.found)
    assert confidence(bad_rating, ["name"], schema_errors(bad_rating.data)) == 0.5


def test_confidence_is_zero_when_a_required_field_is_missing() -> None:
    record = ExtractedRecord({"price": 12.0}, {"name": False, "price": True})
    assert confidence(record, ["name"], []) == 0.0
    assert confidence(record, [], []) == 0.5


def test_a_record_level_schema_error_does_not_blame_a_field() -> None:
    record = ExtractedRecord({"name": "Lamp"}, {"name": True})
    errors = list(jsonschema.Draft202012Validator(
        {"type": "object", "required": ["sku"]}).iter_errors(record.data))
    assert errors and confidence(record, [], errors) == 1.0


# -- content hash ----------------------------------------------------------------------------------

def test_content_hash_is_sha256_of_canonical_json() -> None:
    expected = hashlib.sha256('{"a":"é","b":[1,2.5]}'.encode()).hexdigest()
    assert content_hash({"b": [1, 2.5], "a": "é"}) == expected


# Values whose JSON text two encoders could write differently: floats at both ends of the
# range Python writes without an exponent, integers past 64 bits, control characters and
# non-ASCII text, nesting, a document deeper than orjson goes.
ODD_VALUES: list[Any] = [
    1e-05, 0.0001, 9.999e-05, 1.5e-09, 1e16, 9999999999999998.0, 1.2345e+300, -0.0, 0.1 + 0.2,
    2**64, -(2**63) - 1, 2**63 - 1, "\x00\x1f\x7f\u2028\"\\/é😀", [1.5e-07, {"z": 1, "a": 1e22}],
    True, None, [[[]]]]


def _deep(depth: int) -> list[Any]:
    inner: list[Any] = []
    for _ in range(depth):
        inner = [inner]
    return inner


@pytest.mark.parametrize("value", [*ODD_VALUES, _deep(300)], ids=repr)
def test_content_hash_is_pythons_canonical_json_whatever_the_value(value: Any) -> None:
    # hashes stored by earlier runs identify the same records: the canonical text stays the bytes
    # Python's json writes
    record = {"value": value, "name": "Ok"}
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_and_hash(record) == (text, hashlib.sha256(text.encode()).hexdigest())
    assert json.loads(compact_json(record)) == record


def test_content_hash_ignores_key_order_but_not_values() -> None:
    assert content_hash({"a": 1, "b": 2}) == content_hash({"b": 2, "a": 1})
    assert content_hash({"a": 1, "b": 2}) != content_hash({"a": 1, "b": 3})


def test_fixture_pages_hash_the_same_every_time() -> None:
    first = [content_hash(r.data) for r in extract_records(CATALOG, page("catalog/page1.html"),
                                                           CATALOG_URL)]
    again = [content_hash(r.data) for r in extract_records(CATALOG, page("catalog/page1.html"),
                                                           CATALOG_URL)]
    assert first == again and len(set(first)) == 4


def test_many_packages_read_in_one_process_each_read_their_own_fields() -> None:
    """Each package's plan is made once and kept (a bounded number of them): a long-lived
    worker that meets a hundred packages reads every one of them right, in any order."""
    html = "<ul>" + "".join(f"<li class='n{i}'>value {i}</li>" for i in range(100)) + "</ul>"
    packages = [parse_package({"version": 1, "fields": {
        f"field_{i}": {"selector": f"li.n{i}", "transforms": ["strip"]}}}) for i in range(100)]

    for _ in range(2):
        for i, package in enumerate(packages):
            assert [r.data for r in extract_records(package, html, "https://shop.example/")] \
                == [{f"field_{i}": f"value {i}"}]
