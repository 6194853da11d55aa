"""extract_with_schema: the analysis without a package, typed by the schema."""

from core.analysis import extract_with_schema
from tests.analysis.conftest import BUILDER


def html(name: str) -> str:
    return (BUILDER / name).read_text()


def test_an_article_reads_trafilatura_and_the_page_metadata() -> None:
    schema = {"type": "object", "properties": {
        "headline": {"type": "string"}, "author": {"type": "string"},
        "published": {"type": "string"}, "text": {"type": "string"}}}
    result = extract_with_schema(html("article-guide.html"), "https://journal.example/a", schema)
    assert result["headline"] == "How to choose a sleeping bag for three-season camping"
    assert result["author"] == "Maria Lindqvist"
    assert result["published"] == "2025-09-14"
    assert "comfort rating" in result["text"] and "Related" not in result["text"]


def test_types_follow_the_schema() -> None:
    schema = {"type": "object", "properties": {
        "price": {"type": "string"}, "rating": {"type": "integer"},
        "reviews": {"type": ["integer", "null"]}, "gtin13": {"type": "string"},
        "in_stock": {"type": "string", "enum": ["in_stock", "out_of_stock"]},  # by synonym
        "missing": {"type": "string"}}}
    result = extract_with_schema(html("product-microdata.html"), "https://shop.example/p", schema)
    assert result == {"price": "44.90", "rating": 4, "reviews": 198, "gtin13": "5012345678900",
                      "in_stock": "out_of_stock", "missing": None}


def test_an_availability_property_maps_onto_a_snake_case_enum() -> None:
    schema = {"type": "object", "properties": {
        "availability": {"type": "string", "enum": ["in_stock", "out_of_stock", "preorder"]}}}
    for name, expected in (("product-microdata.html", "out_of_stock"),
                           ("product-opengraph.html", "preorder"),
                           ("product-plain.html", "in_stock")):
        assert extract_with_schema(html(name), "", schema) == {"availability": expected}


def test_a_list_page_gives_one_object_per_record() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"},
                                               "price": {"type": "number"}}}
    records = extract_with_schema(html("catalog-1.html"), "https://shop.example/c", schema)
    assert [r["price"] for r in records] == [129.95, 89.0, 39.5, 249.0, 179.9, 34.99]
