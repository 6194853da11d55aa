"""Package fields for a detail page (one record per page): structured data first, then the
visible page. Each spec reads the page the way ``core.analysis.product`` found the value."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from core.analysis.matching import Match, finder_for
from core.analysis.selectors import first_is, selector_within
from core.analysis.types import WantedField
from core.scrape import jsonld

_ITEMPROPS = {"price": ("price",), "currency": ("priceCurrency",), "sku": ("sku",),
              "mpn": ("mpn",), "gtin": ("gtin13", "gtin", "gtin12", "gtin14", "gtin8"),
              "brand": ("brand",), "availability": ("availability",), "name": ("name",),
              "description": ("description",), "rating": ("ratingValue",), "image": ("image",)}
_META = {"price": ("product:price:amount", "og:price:amount"),
         "currency": ("product:price:currency", "og:price:currency"),
         "availability": ("product:availability", "og:availability"),
         "brand": ("product:brand",), "sku": ("product:retailer_item_id",),
         "gtin": ("product:gtin", "product:ean"), "name": ("og:title",),
         "image": ("og:image",), "url": ("og:url",), "description": ("og:description",),
         "date": ("article:published_time",), "author": ("author", "article:author")}
_JSONLD_KEYS = {"price": "offers.price", "currency": "offers.priceCurrency",
                "availability": "offers.availability", "sku": "sku", "mpn": "mpn",
                "gtin": "gtin13", "brand": "brand", "name": "name", "image": "image",
                "description": "description", "rating": "aggregateRating.ratingValue",
                "url": "url"}
_TRANSFORMS = {"price": ["price"], "currency": ["strip"], "number": ["number"],
               "integer": ["number"], "rating": ["number"], "availability": ["availability"],
               "date": ["date"], "url": ["absolute_url"], "image": ["absolute_url"]}


def match_on_detail(field: WantedField, html: str, tree: LexborHTMLParser) -> Match | None:
    """The preferred way to read ``field`` from a detail page like this one, or None."""
    return next(candidates_on_detail(field, html, tree), None)


def candidates_on_detail(field: WantedField, html: str,
                         tree: LexborHTMLParser) -> Iterator[Match]:
    """Every way found to read ``field`` from this page, most trusted first: itemprop, meta,
    JSON-LD, then the visible page."""
    canonical = field.description if field.description in _ITEMPROPS or \
        field.description in _META else field.name
    if canonical == "title" and field.type == "string":
        canonical = "name"  # an article's or a product's title reads the same places
    transforms = list(_TRANSFORMS.get(field.type, ["strip"]))
    for prop in _ITEMPROPS.get(canonical, ()):
        node = tree.css_first(f"[itemprop={prop}]")
        if node is None or (node.attributes.get("itemscope") is not None and prop != "brand"):
            continue
        for key in ("content", "href", "src"):
            if node.attributes.get(key):
                yield Match({"selector": f"[itemprop={prop}]", "take": "attr", "attribute": key,
                             "transforms": transforms}, f"itemprop={prop} ({key})")
                break
        else:
            if node.text(deep=True).strip():
                yield Match({"selector": f"[itemprop={prop}]", "transforms": transforms},
                            f"itemprop={prop}")
    for key in _META.get(canonical, ()):
        query = f'meta[property="{key}"], meta[name="{key}"]'
        node = tree.css_first(query)
        if node is not None and node.attributes.get("content"):
            yield Match({"selector": query, "take": "attr", "attribute": "content",
                         "transforms": transforms}, f"meta {key}")
    if canonical in _JSONLD_KEYS:
        found = _jsonld_spec(html, _JSONLD_KEYS[canonical], transforms)
        if found:
            yield found
    body = tree.body
    visible = finder_for(field)(field, body) if body is not None else None
    if visible is not None and body is not None:
        node, spec, source = visible
        query, tag = selector_within(body, node) or "body", str(node.tag)
        yield Match({"selector": query, **spec}, source)
        if query != tag and first_is(body, tag, node):
            # "h1" where this site says "h1.pdp__title": looser, so it may fit other sites too
            yield Match({"selector": tag, **spec}, f"{source} (first {tag})")


def _jsonld_spec(html: str, key_path: str, transforms: list[Any]) -> Match | None:
    """A ``jsonld`` field: ``Product.offers.price`` (or ``ProductGroup.hasVariant.offers.price``
    when only the variants carry offers), if the page's JSON-LD gives a value there."""
    tree = LexborHTMLParser(html)
    parsed = jsonld.blocks(node.text() for node in
                           tree.css('script[type="application/ld+json"]'))
    for kind in ("Product", "ProductGroup", "IndividualProduct", "ProductModel"):
        for path in (f"{kind}.{key_path}", f"{kind}.hasVariant.{key_path}"):
            if jsonld.values(parsed, path):
                return Match({"selector": path, "selector_type": "jsonld",
                              "transforms": transforms}, f"JSON-LD {path}")
    return None
