from selectolax.lexbor import LexborHTMLParser

from core.analysis.containers import find_container
from core.analysis.selectors import selector_within, stable_classes
from tests.analysis.conftest import BUILDER, SITES


def container_of(path) -> tuple[str, int] | None:
    found = find_container(LexborHTMLParser(path.read_text()))
    return (found.selector, len(found.nodes)) if found else None


def test_the_product_cards_are_the_records_not_the_menus_or_filters() -> None:
    assert container_of(BUILDER / "catalog-1.html") == ("li.product-card", 6)
    assert container_of(BUILDER / "catalog-2.html") == ("li.product-card", 5)


def test_other_catalog_layouts() -> None:
    assert container_of(SITES / "catalog" / "page1.html") == ("div.product", 4)
    assert container_of(SITES / "shop" / "p" / "1.html") == ("article.item", 3)


def test_a_detail_page_without_repeats_has_no_container() -> None:
    assert container_of(SITES / "jsonld" / "chair.html") is None


def test_selectors_use_classes_and_attributes_not_positions() -> None:
    tree = LexborHTMLParser('<div class="card"><span class="css-1x2y3z badge">New</span>'
                            '<span class="price">$5</span><span itemprop="sku">A1</span>'
                            '<span>plain</span><span>second plain</span></div>')
    card = tree.css_first("div.card")
    spans = tree.css("span")
    assert stable_classes(spans[0]) == ["badge"]  # the generated class is never used
    assert selector_within(card, spans[1]) == "span.price"
    assert selector_within(card, spans[2]) == '[itemprop="sku"]'
    assert selector_within(card, spans[4]) == "span:nth-of-type(5)"  # only when nothing else
