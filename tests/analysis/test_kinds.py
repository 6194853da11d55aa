import pytest

from core.analysis import needs_javascript
from core.analysis.kinds import page_kind
from tests.analysis.conftest import BUILDER, SITES, corpus_page


@pytest.mark.parametrize(("name", "kind"), [
    ("catalog-1.html", "list"),
    ("catalog-2.html", "list"),
    ("product-jsonld.html", "detail"),  # has a "related products" strip with prices
    ("product-microdata.html", "detail"),
    ("product-opengraph.html", "detail"),
    ("product-plain.html", "detail"),  # "recently viewed" items with prices, no markup
    ("product-variants.html", "detail"),
    ("article-guide.html", "article"),
])
def test_page_kinds(name: str, kind: str) -> None:
    assert page_kind((BUILDER / name).read_text(), "https://shop.example/x") == kind


def test_real_shop_pages_from_the_extruct_corpus_are_detail_pages() -> None:
    for relative in ("schema.org/product.html", "misc/product_microdata.html",
                     "misc/opengraph_ns_product_test.html"):
        assert page_kind(corpus_page(relative), "https://shop.example/x") == "detail", relative


def test_a_page_whose_products_exist_only_after_its_script_runs_needs_javascript() -> None:
    assert needs_javascript((SITES / "js" / "listing.html").read_text())
    assert needs_javascript('<html><body><div id="root"></div>'
                            '<script src="/app.js"></script></body></html>')


def test_server_rendered_pages_do_not() -> None:
    assert not needs_javascript((BUILDER / "catalog-1.html").read_text())
    assert not needs_javascript((BUILDER / "product-jsonld.html").read_text())
