"""Package fields with ``"selector_type": "jsonld"``: values from the page's JSON-LD by path."""

import pytest

from core.platform.errors import ValidationError
from core.scrape.extract import extract_records
from core.scrape.jsonld import blocks, values
from core.scrape.package import package_to_dict, parse_package
from tests.analysis.conftest import BUILDER

FIELDS = {
    "name": {"selector": "Product.name", "selector_type": "jsonld"},
    "price": {"selector": "Product.offers.price", "selector_type": "jsonld",
              "transforms": ["price"]},
    "currency": {"selector": "Product.offers.priceCurrency", "selector_type": "jsonld"},
    "brand": {"selector": "Product.brand", "selector_type": "jsonld"},
    "image": {"selector": "Product.image.1", "selector_type": "jsonld"},
    "availability": {"selector": "Product.offers.availability", "selector_type": "jsonld",
                     "transforms": ["availability"]},
    "heading": {"selector": "h1", "transforms": ["strip"]},
}


def test_a_product_in_a_graph_with_an_offer_list() -> None:
    package = parse_package({"version": 1, "fields": FIELDS})
    [record] = extract_records(package, (BUILDER / "product-jsonld.html").read_text(), "")
    assert record.data == {
        "name": "Fjell Trekkingrucksack 45 L", "price": 1249.9, "currency": "EUR",
        "brand": "Fjell",  # {"@type": "Brand", "name": …} gives its name
        "image": "https://cdn.northwind.example/fj-tr45-2.jpg", "availability": "InStock",
        "heading": "Fjell Trekkingrucksack 45 L"}


def test_the_same_fields_on_a_page_without_json_ld_find_nothing_but_the_markup() -> None:
    package = parse_package({"version": 1, "fields": FIELDS})
    [record] = extract_records(package, (BUILDER / "product-plain.html").read_text(), "")
    assert record.data == {"heading": "Meadow Camping Chair"}
    assert record.found["price"] is False


def test_all_gives_every_node_of_the_type_and_containers_do_not_matter() -> None:
    html = """<script type="application/ld+json">[{"@type": "Offer", "price": 1},
              {"@type": "Offer", "price": 2}]</script><ul><li>a</li><li>b</li></ul>"""
    package = parse_package({"version": 1, "container": "li", "fields": {
        "prices": {"selector": "Offer.price", "selector_type": "jsonld", "all": True},
        "text": {"selector": None}}})
    records = extract_records(package, html, "")
    assert [r.data for r in records] == [{"prices": [1, 2], "text": "a"},
                                         {"prices": [1, 2], "text": "b"}]


def test_broken_blocks_are_skipped_and_comments_tolerated() -> None:
    parsed = blocks(["{not json", '<!-- {"@type": "Product", "sku": "A1"} -->'])
    assert values(parsed, "Product.sku") == ["A1"]


def test_a_bad_path_is_refused_and_the_package_round_trips() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_package({"version": 1, "fields": {
            "x": {"selector": "offers..price", "selector_type": "jsonld"},
            "y": {"selector": "a", "selector_type": "jquery"}}})
    assert caught.value.problems[0].startswith("fields.x.selector: 'offers..price' is not a "
                                               "JSON-LD path")
    assert 'or "jsonld" for a path into the JSON-LD' in caught.value.problems[1]
    with pytest.raises(ValidationError):  # a container is an element: no JSON-LD path there
        parse_package({"version": 1, "container": {"selector": "Product",
                                                   "selector_type": "jsonld"},
                       "fields": {"x": {"selector": "a"}}})
    package = parse_package({"version": 1, "fields": FIELDS})
    assert parse_package(package_to_dict(package)) == package
