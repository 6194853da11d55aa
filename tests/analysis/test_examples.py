"""Adding a field by pasting a value seen on a page."""

from core.analysis import find_field_for_example
from tests.analysis.conftest import page

CARDS = {"version": 1, "container": "li.product-card",
         "fields": {"name": {"selector": "h3", "transforms": ["strip"]}}}
DETAIL = {"version": 1, "fields": {"name": {"selector": "h1", "transforms": ["strip"]}}}


def test_a_pasted_review_count_gets_a_class_selector_checked_on_the_other_page(
        catalog_pages) -> None:
    match = find_field_for_example(catalog_pages, "(87)", CARDS)
    assert match.field == {"selector": "span.review-count", "transforms": ["number"]}
    assert match.values == [212, 310]  # the first record of each page
    assert "gives a value on 2 of 2 samples" in match.source


def test_a_pasted_price_picks_the_innermost_element_and_the_price_transform(
        catalog_pages) -> None:
    match = find_field_for_example(catalog_pages, "€89.00", CARDS)
    assert match.field == {"selector": "span.price-current", "transforms": ["price"]}
    assert match.values == [129.95, 24.95]


def test_a_value_in_an_attribute_of_the_record_itself(catalog_pages) -> None:
    match = find_field_for_example(catalog_pages, "tr-102", CARDS)
    assert match.field == {"selector": None, "take": "attr", "attribute": "data-product-id",
                           "transforms": ["strip"]}
    assert match.values == ["tr-100", "tr-106"]


def test_a_value_in_a_data_attribute(catalog_pages) -> None:
    match = find_field_for_example(catalog_pages, "4.6", CARDS)
    assert match.field == {"selector": "div.product-card__rating", "take": "attr",
                           "attribute": "data-rating", "transforms": ["number"]}


def test_a_table_cell_without_classes_is_found_by_its_label_not_its_position() -> None:
    pages = [page("product-plain.html"), page("product-microdata.html")]
    match = find_field_for_example(pages, "ODB-CH-0042", DETAIL)
    assert match.field == {"selector": ".//th[normalize-space()='SKU:']/following-sibling::td[1]",
                           "selector_type": "xpath", "transforms": ["strip"]}
    assert match.values == ["ODB-CH-0042", None]
    assert "1 of 2 samples" in match.source


def test_a_value_inside_a_longer_text_gets_a_regex_after_its_label() -> None:
    pages = [page("product-microdata.html")]
    match = find_field_for_example(pages, "Rated", DETAIL)
    assert match is not None
    match = find_field_for_example(pages, "44.90", DETAIL)
    assert match.values == [44.9]


def test_a_value_on_no_page(catalog_pages) -> None:
    assert find_field_for_example(catalog_pages, "Not on the page", CARDS) is None
    assert find_field_for_example(catalog_pages, "   ", CARDS) is None
