"""Structured data: what a page says about itself in JSON-LD, microdata, RDFa and <meta> tags."""

import json

import pytest

from core.analysis.structured import entities_of_type, extract_all, structured_data
from tests.analysis.conftest import EXTRUCT_SAMPLES

URL = "https://shop.example/lamps/aurora"


def test_jsonld_graphs_and_arrays_are_flattened_into_entities():
    html = """<html><head>
    <script type="application/ld+json">
      {"@context": "https://schema.org", "@graph": [
        {"@type": "WebPage", "name": "Aurora Desk Lamp"},
        {"@type": "Product", "name": "Aurora Desk Lamp", "sku": "LMP-101",
         "offers": {"@type": "Offer", "price": "1299.00", "priceCurrency": "USD"}}]}
    </script>
    <script type="application/ld+json">
      [{"@context": "http://schema.org", "@type": "http://schema.org/Organization", "name": "Lumen"},
       {"@context": "http://schema.org", "@type": "BreadcrumbList", "itemListElement": []}]
    </script></head><body></body></html>"""

    data = structured_data(html, URL)

    assert [e["@type"] for e in data.entities] == ["WebPage", "Product", "Organization",
                                                   "BreadcrumbList"]
    assert data.entities[1] == {"@type": "Product", "name": "Aurora Desk Lamp", "sku": "LMP-101",
                                "offers": {"@type": "Offer", "price": "1299.00",
                                           "priceCurrency": "USD"}}
    assert len(data.raw["json-ld"]) == 3  # extruct's own output is kept as it is


def test_a_microdata_product_becomes_the_same_kind_of_entity():
    html = """<div itemscope itemtype="http://schema.org/Product">
      <h1 itemprop="name">Cedar Lounge Chair</h1>
      <img itemprop="image" src="/img/chair.jpg">
      <span itemprop="brand" itemscope itemtype="https://schema.org/Brand">
        <span itemprop="name">Northwood</span></span>
      <div itemprop="offers" itemscope itemtype="http://schema.org/Offer">
        <span itemprop="price" content="349.50">$349.50</span>
        <meta itemprop="priceCurrency" content="USD">
        <link itemprop="availability" href="http://schema.org/InStock">In stock
      </div></div>"""

    [chair] = entities_of_type(structured_data(html, URL), "Product")

    assert chair == {"@type": "Product", "name": "Cedar Lounge Chair",
                     "image": "https://shop.example/img/chair.jpg",  # resolved against the page
                     "brand": {"@type": "Brand", "name": "Northwood"},
                     "offers": {"@type": "Offer", "price": "349.50", "priceCurrency": "USD",
                                "availability": "http://schema.org/InStock"}}


def test_rdfa_nodes_become_entities_with_their_linked_nodes_inlined():
    html = """<html><body vocab="http://schema.org/">
      <div typeof="Product" resource="#lamp"><span property="name">Beacon Floor Lamp</span>
        <div property="offers" typeof="Offer"><span property="price">89.99</span></div>
      </div></body></html>"""

    [lamp] = entities_of_type(structured_data(html, URL), "Product")

    assert lamp["name"] == "Beacon Floor Lamp"
    assert lamp["offers"] == {"@type": "Offer", "price": "89.99"}


def test_entities_of_type_finds_nested_entities_too():
    html = """<script type="application/ld+json">
      {"@context": "https://schema.org", "@type": "ItemList", "itemListElement": [
        {"@type": "ListItem", "position": 1, "item": {"@type": "Product", "name": "Aurora"}},
        {"@type": "ListItem", "position": 2, "item": {"@type": "Product", "name": "Beacon"}}]}
    </script>"""
    data = structured_data(html, URL)

    assert [p["name"] for p in entities_of_type(data, "Product")] == ["Aurora", "Beacon"]
    assert [e["@type"] for e in entities_of_type(data, "ItemList", "http://schema.org/ListItem")] \
        == ["ItemList", "ListItem", "ListItem"]
    assert entities_of_type(data, "Recipe") == []


def test_meta_tags_are_kept_under_the_key_the_page_wrote():
    html = """<html><head>
      <meta property="og:title" content="Aurora Desk Lamp">
      <meta property="og:image" content="https://shop.example/img/aurora.jpg">
      <meta property="og:image" content="https://shop.example/img/aurora-2.jpg">
      <meta property="product:price:amount" content="1299.00">
      <meta property="product:price:currency" content="USD">
      <meta name="twitter:card" content="summary_large_image">
      <meta name="description" content=" A brass lamp. ">
      <meta charset="utf-8"></head></html>"""

    data = structured_data(html, URL)

    assert data.meta == {"og:title": "Aurora Desk Lamp",
                         "og:image": "https://shop.example/img/aurora.jpg",  # the first one
                         "product:price:amount": "1299.00", "product:price:currency": "USD",
                         "twitter:card": "summary_large_image", "description": "A brass lamp."}
    assert data.raw["opengraph"][0]["properties"][0] == ("og:title", "Aurora Desk Lamp")


@pytest.mark.parametrize("html", [
    "",
    "<<<>>> not html at all",
    b"\xff\xfe\x00\x00 binary",
    "<html><head><script type='application/ld+json'>{broken json</script></head></html>",
    "<div itemscope itemtype='http://schema.org/Product'><span itemprop='name'>Unclosed",
    "<html><body vocab='http://schema.org/'><div typeof='Product' property=''>",
])
def test_bad_markup_never_raises(html):
    data = structured_data(html, URL)

    assert set(data.raw) == {"json-ld", "microdata", "rdfa", "opengraph", "microformat",
                             "dublincore"}
    assert isinstance(data.entities, list) and isinstance(data.meta, dict)


def test_one_broken_jsonld_block_does_not_hide_the_others():
    html = """<script type="application/ld+json">{"@type": "Product", "name": </script>
              <script type="application/ld+json">{"@type": "Product", "name": "Aurora"}</script>"""

    assert entities_of_type(structured_data(html, URL), "Product") == [
        {"@type": "Product", "name": "Aurora"}]


# -- extract_all against extruct's own test cases (tests/fixtures/corpora/extruct) ---------------

def sample(path: str) -> bytes:
    return (EXTRUCT_SAMPLES / path).read_bytes()


def expected(path: str):
    return json.loads(sample(path))


def test_extract_all_reads_microdata_as_extruct_does():
    result = extract_all(sample("schema.org/product.html"), "http://some-example.com",
                         syntaxes=["microdata"])

    assert result == {"microdata": expected("schema.org/product_custom_url.json")}


def test_extract_all_reads_jsonld_with_comments_and_control_characters():
    for case in ("custom.invalid/JSONLD_with_JS_comment", "custom.invalid/JSONLD_with_control_characters"):
        result = extract_all(sample(f"{case}.html"), None, syntaxes=["json-ld"])

        assert result["json-ld"] == expected(f"{case}.jsonld")


def test_extract_all_reads_opengraph_in_the_uniform_shape():
    result = extract_all(sample("misc/opengraph_test.html"), None, syntaxes=["opengraph"],
                         uniform=True)

    assert result["opengraph"] == expected("misc/opengraph_flat_test.json")


def test_extract_all_passes_microdata_options_to_the_microdata_extractor():
    result = extract_all(sample("w3c/microdata.5.2.html"), None, syntaxes=["microdata"],
                         microdata_options={"nested": False, "strict": True})

    assert result["microdata"] == expected("w3c/microdata.5.2.flat.json")


def test_extract_all_reads_rdfa_as_expanded_jsonld():
    result = extract_all(sample("w3crdfa/w3c.rdfaprimer.example005.html"),
                         "http://www.example.com/index.html", syntaxes=["rdfa"])

    assert result["rdfa"] == expected("w3crdfa/w3c.rdfaprimer.example005.expanded.json")
