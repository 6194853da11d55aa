"""Product facts of detail pages: structured data first, visible fallbacks after."""

import pytest

from core.analysis.product import plausible_brand, product_facts
from tests.analysis.conftest import BUILDER, corpus_page

KEYS = ("name", "price", "currency", "sku", "brand", "gtin", "mpn", "availability")


def facts_of(name: str) -> dict:
    facts = product_facts((BUILDER / name).read_text(), "https://shop.example/p")
    return {key: facts.values.get(key) for key in KEYS}


def test_json_ld_in_a_graph_with_an_offer_list_and_a_comma_decimal_price() -> None:
    assert facts_of("product-jsonld.html") == {
        "name": "Fjell Trekkingrucksack 45 L", "price": 1249.9, "currency": "EUR",
        "sku": "FJ-TR45-GRN", "brand": "Fjell", "gtin": "4250123456789", "mpn": "TR45-2024",
        "availability": "InStock"}


def test_microdata_with_content_attributes_and_an_availability_link() -> None:
    assert facts_of("product-microdata.html") == {
        "name": "Horizon Headlamp 400", "price": 44.9, "currency": "USD", "sku": "NW-HL400",
        "brand": "Northwind", "gtin": "5012345678900", "mpn": None, "availability": "OutOfStock"}


def test_opengraph_product_meta_only() -> None:
    assert facts_of("product-opengraph.html") == {
        "name": "Glacier Insulated Bottle 750 ml", "price": 24.95, "currency": "GBP",
        "sku": "GL-750-BLU", "brand": "Glacier", "gtin": "0712345678911", "mpn": None,
        "availability": "PreOrder"}


def test_plain_html_labels_and_classes_skip_the_struck_out_old_price() -> None:
    facts = product_facts((BUILDER / "product-plain.html").read_text(), "https://shop.example/p")
    assert {key: facts.values.get(key) for key in KEYS} == {
        "name": "Meadow Camping Chair", "price": 59.0, "currency": "GBP", "sku": "ODB-CH-0042",
        "brand": "Outdoor Depot Basics", "gtin": "4006381333931", "mpn": "CH42-GRY",
        "availability": "InStock"}
    assert facts.sources["sku"] == "label 'SKU'"
    assert facts.sources["price"] == "class/id .product-price + price-parser"


def test_a_product_group_reads_its_first_variant_offer() -> None:
    facts = facts_of("product-variants.html")
    assert (facts["price"], facts["currency"], facts["sku"], facts["gtin"]) == \
        (27.5, "EUR", "DRIFT-MER-3-M", "3612345678905")
    assert facts["availability"] == "LimitedAvailability"
    assert facts["brand"] == "Northwind"


@pytest.mark.parametrize("relative", ["schema.org/product.html", "misc/product_microdata.html"])
def test_the_acme_anvil_of_the_extruct_corpus(relative: str) -> None:
    facts = product_facts(corpus_page(relative), "https://shop.example/anvil").values
    assert (facts["price"], facts["currency"], facts["brand"], facts["mpn"],
            facts["availability"]) == (119.99, "USD", "ACME", "925872", "InStock")
    assert "sku" not in facts  # "Product #: 925872" is the MPN the markup already names


def test_a_real_shop_page_with_opengraph_product_tags() -> None:
    facts = product_facts(corpus_page("misc/opengraph_ns_product_test.html"),
                          "https://www.fye.com/x").values
    assert (facts["price"], facts["currency"], facts["availability"]) == (17.99, "USD", "InStock")
    assert facts["gtin"] == "32429335302"


def test_the_product_named_by_the_heading_wins_over_related_products() -> None:
    related = "".join(
        f'<div itemscope itemtype="https://schema.org/Product"><span itemprop="name">{name}'
        f'</span><div itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
        f'<meta itemprop="price" content="{price}"><meta itemprop="priceCurrency" content="EUR">'
        f'</div></div>' for name, price in (("Rain Cover", "14.90"), ("Daypack 20 L", "59.00")))
    main = ('<div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">Trekking '
            'Pack 45 L</h1><div itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
            '<meta itemprop="price" content="129.00"><meta itemprop="priceCurrency" '
            'content="EUR"></div></div>')
    facts = product_facts(f"<html><body><aside>{related}</aside>{main}</body></html>", "")
    assert (facts.values["name"], facts.values["price"]) == ("Trekking Pack 45 L", 129.0)


def test_the_reference_the_page_shows_beats_a_structured_sku_it_never_shows() -> None:
    # JSON-LD's "40871233-250-2" is a stock-keeping number of one size; shoppers see
    # "2210/404", marked by a data attribute. The size picker's data-sku and the footer's
    # "ref-no" are not the product's code.
    facts = product_facts((BUILDER / "product-shown-reference.html").read_text(),
                          "https://shop.example/p")
    assert facts.values["sku"] == "2210/404"
    assert facts.sources["sku"].startswith("element marked 'product-reference' (shown;")
    assert facts.values["price"] == 49.95


def test_a_label_word_inside_the_marked_element_is_stripped() -> None:
    facts = product_facts((BUILDER / "product-hidden-sku.html").read_text(),
                          "https://shop.example/p")
    assert facts.values["sku"] == "QX7LAMP22"


def test_a_structured_sku_stays_when_the_page_shows_no_other_code() -> None:
    facts = product_facts((BUILDER / "product-unshown-sku.html").read_text(),
                          "https://auctions.example/item/77120345")
    assert (facts.values["sku"], facts.sources["sku"]) == ("77120345", "JSON-LD Product.sku")


def test_a_classified_ad_number_after_its_label() -> None:
    facts = product_facts((BUILDER / "product-classified-ad.html").read_text(),
                          "https://ads.example/sport/rudergeraet")
    assert facts.values["sku"] == "314159265"  # not the postcode after "Standort:"
    assert facts.sources["sku"] == "label 'Anzeige'"


def test_a_product_is_in_stock_when_one_of_its_sizes_is() -> None:
    # The structured data lists the product once per size; the first size read is sold out.
    facts = product_facts((BUILDER / "product-sizes-offers.html").read_text(),
                          "https://shop.example/p")
    assert facts.values["availability"] == "InStock"
    assert facts.sources["availability"] == \
        "structured data: in stock in 1 of 3 variant offers"


def test_a_product_sold_out_in_every_size_stays_out_of_stock() -> None:
    facts = product_facts((BUILDER / "product-sold-out.html").read_text(),
                          "https://shop.example/p")
    assert facts.values["availability"] == "OutOfStock"


def test_an_unfilled_template_or_a_filter_label_is_no_brand() -> None:
    # JSON-LD left at "$metabrand", a filter reading "All Brands": the label says the brand
    facts = product_facts((BUILDER / "product-brand-placeholder.html").read_text(),
                          "https://shop.example/p")
    assert (facts.values["brand"], facts.sources["brand"]) == ("Northwind", "label 'Brand'")


@pytest.mark.parametrize(("value", "plausible"), [
    ("Northwind", True), ("JACK & JONES", True), ("3M", True), ("{{ product.brand }}", False),
    ("$metabrand", False), ("All Brands", False), ("Alle Marken", False), ("12/09(수)", False),
    ("1234", False)])
def test_what_can_be_a_brand(value: str, plausible: bool) -> None:
    assert plausible_brand(value) is plausible
