"""Zero-shot extraction on pages written like real shops and news sites: the product the page is
about, the current price, the page's own currency, labelled codes, the article as one object,
per-field evidence, and empty fields with a note when the page does not have what is asked."""

from __future__ import annotations

from core.analysis.direct import extract_explained, extract_with_schema
from core.analysis.product import product_facts

PRODUCT = {"type": "object", "properties": {
    "name": {"type": "string"}, "price": {"type": "number"}, "currency": {"type": "string"},
    "sku": {"type": "string"}, "brand": {"type": "string"}, "gtin": {"type": "string"},
    "mpn": {"type": "string"},
    "availability": {"type": "string", "enum": ["InStock", "OutOfStock", "PreOrder"]}}}
ARTICLE = {"type": "object", "properties": {
    "headline": {"type": "string"}, "author": {"type": "string"},
    "datePublished": {"type": "string"}, "articleBody": {"type": "string"}}}

CARDS = "".join(
    f'<li class="card"><a href="/p/{n}"><img src="/i/{n}.jpg"><h3>Lamp {n}</h3>'
    f'<span class="price">€ {n}9,00</span></a><button>In den Warenkorb</button></li>'
    for n in range(1, 7))

SALE_PAGE = f"""<html lang="de-DE"><head><title>Aurora Stehlampe | Lichthaus</title></head><body>
<header class="site-header"><a href="/cart" class="mini-cart">Warenkorb <span class="price">€ 0,00</span></a></header>
<main><div class="product-detail"><h1>Aurora Stehlampe</h1>
 <div class="price-box"><del class="price old-price">€ 149,00</del>
   <span class="price">€ 119,00</span>
   <span class="price per-month">ab € 10,00 / Monat</span></div>
 <p>Art.-Nr.: AUR-2231</p><p>EAN: 4006381333931</p><p>Modell: XK-200</p>
 <p>Versand: <span class="shipping-price">€ 4,90</span></p>
 <button type="submit" class="btn">In den Warenkorb</button>
</div>
<section class="related"><h2>Das könnte Ihnen gefallen</h2><ul>{CARDS}</ul></section>
</main><footer>Marketing: Lichthaus GmbH</footer></body></html>"""


def test_the_current_price_not_the_struck_instalment_shipping_or_card_prices() -> None:
    facts = product_facts(SALE_PAGE, "https://lichthaus.example/aurora")
    assert facts.values["price"] == 119.0
    assert facts.values["currency"] == "EUR"
    assert (facts.values["sku"], facts.values["gtin"]) == ("AUR-2231", "4006381333931")
    assert facts.values["availability"] == "InStock"
    assert facts.sources["availability"].startswith("button")
    assert "brand" not in facts.values  # "Marketing: …" is no "Marke:" label


def test_a_product_page_with_rows_of_other_products_gives_its_own_product() -> None:
    result = extract_explained(SALE_PAGE, "https://lichthaus.example/aurora", PRODUCT)
    assert isinstance(result.data, dict) and result.kind == "product"
    assert result.data["name"] == "Aurora Stehlampe" and result.data["price"] == 119.0
    assert result.evidence["sku"] == {"from": "label", "source": "label 'Art.-Nr.'",
                                      "confidence": 0.8}
    assert result.evidence["price"]["from"] == "class"
    assert 0 < result.evidence["price"]["confidence"] < 0.8  # read from the page, not markup


def test_structured_data_left_at_the_former_price_gives_way_to_the_shown_price() -> None:
    page = """<html><head><script type="application/ld+json">{"@context": "https://schema.org",
      "@type": "Product", "name": "Rosso Skirt", "sku": "520501927", "offers": {"@type": "Offer",
      "price": "219.99", "priceCurrency": "EUR",
      "availability": "https://schema.org/InStock"}}</script></head><body>
      <h1>Rosso Skirt</h1><div class="prices"><s class="original-price">219,99 €</s>
      <span class="price-now">110,00 €</span></div><button>Add to cart</button></body></html>"""
    result = extract_explained(page, "https://shop.example/rosso", PRODUCT)
    assert result.data["price"] == 110.0
    assert "219.99 is shown only as a former price" in result.evidence["price"]["source"]
    assert result.evidence["sku"]["from"] == "json-ld"


def test_a_dollar_or_kr_sign_is_read_by_the_page_s_country() -> None:
    def currency(symbol_price: str, url: str, lang: str = "") -> str | None:
        page = (f'<html lang="{lang}"><body><h1>Mesa</h1><span class="price">{symbol_price}'
                '</span><button>Add to cart</button></body></html>')
        return product_facts(page, url).values.get("currency")

    assert currency("$24.990", "https://tienda.example/mesa", "es-CL") == "CLP"
    assert currency("$24.99", "https://shop.example.ca/table") == "CAD"
    assert currency("$24.99", "https://shop.example/table") == "USD"
    assert currency("1 299 kr", "https://butik.example.se/bord") == "SEK"
    assert currency("1 299 kr", "https://nettbutikk.example.no/bord") == "NOK"


def test_a_disabled_cart_button_says_out_of_stock() -> None:
    page = ('<html><body><h1>Kaffeemühle</h1><span class="price">49,90 €</span>'
            '<button disabled>In den Warenkorb</button></body></html>')
    assert product_facts(page, "https://shop.example/m").values["availability"] == "OutOfStock"


def test_an_article_schema_on_a_list_like_article_page_gives_one_article() -> None:
    teasers = "".join(f'<li class="teaser"><a href="/news/{n}">Other story number {n} of the '
                      f'day</a></li>' for n in range(12))
    paragraphs = "".join(f"<p>The council met on Tuesday to discuss point {n} of the transport "
                         f"plan, and residents asked why the night buses stop so early.</p>"
                         for n in range(8))
    page = f"""<html><head><title>Night buses return | The Courier</title>
      <meta name="author" content="Maria Lindqvist">
      <meta property="article:published_time" content="2025-03-14T08:00:00Z"></head><body>
      <nav><ul>{teasers}</ul></nav><main><h1>Night buses return</h1>{paragraphs}</main>
      <aside><ul>{teasers}</ul></aside></body></html>"""
    result = extract_explained(page, "https://courier.example/night-buses", ARTICLE)
    assert isinstance(result.data, dict) and result.kind == "article"
    assert result.data["headline"] == "Night buses return"
    assert result.data["datePublished"] == "2025-03-14"
    assert "point 7 of the transport plan" in result.data["articleBody"]
    assert "Other story number" not in result.data["articleBody"]
    assert result.evidence["articleBody"]["from"] == "article"


def test_a_product_schema_on_a_page_without_a_product_gives_empty_fields_and_a_note() -> None:
    page = """<html><head><title>Opening hours</title></head><body><h1>Opening hours</h1>
      <p>We are open Monday to Friday. Parking costs <span>$2.50</span> an hour.</p>
      <p>Phone 040 245 430.</p></body></html>"""
    result = extract_explained(page, "https://shop.example/hours", PRODUCT)
    assert {k: v for k, v in result.data.items() if k != "name"} == {
        "price": None, "currency": None, "sku": None, "brand": None, "gtin": None,
        "mpn": None, "availability": None}
    assert any(note.startswith("No product found on this page") for note in result.notes)


def test_fields_the_page_does_not_have_are_null_and_named_in_a_note() -> None:
    schema = {"type": "object", "properties": {"price": {"type": "number"},
                                               "warranty_years": {"type": "integer"}}}
    result = extract_explained(SALE_PAGE, "https://lichthaus.example/aurora", schema)
    assert result.data == {"price": 119.0, "warranty_years": None}
    assert "Not found on this page: warranty_years." in result.notes
    assert extract_with_schema(SALE_PAGE, "https://lichthaus.example/aurora", schema) == \
        result.data  # the plain answer is the same data, without the reasons


def test_an_article_schema_on_a_product_page_gives_its_main_text_and_says_so() -> None:
    page = SALE_PAGE.replace("<head>", '<head><script type="application/ld+json">{"@type": '
                             '"Product", "name": "Aurora Stehlampe", "offers": {"price": 119}}'
                             '</script>')
    result = extract_explained(page, "https://lichthaus.example/aurora", ARTICLE)
    assert isinstance(result.data, dict) and "Art.-Nr.: AUR-2231" in result.data["articleBody"]
    assert result.notes[0].startswith("This looks like a product page, not an article")


def test_a_priced_page_silent_on_stock_takes_the_derived_default(tmp_path, monkeypatch) -> None:
    page = ('<html><body><h1>Teekanne</h1><span class="price">24,90 €</span>'
            '<p>Handmade in Portugal.</p></body></html>')
    shipped = product_facts(page, "https://shop.example/t")
    assert shipped.values["availability"] == "InStock"  # core/analysis/product_priors.json
    assert shipped.sources["availability"].startswith("default")
    assert shipped.confidence["availability"] < 0.5
    none = tmp_path / "none.json"
    none.write_text("{}")
    monkeypatch.setenv("SCRAPEDECK_PRODUCT_PRIORS", str(none))
    assert "availability" not in product_facts(page, "https://shop.example/t").values
