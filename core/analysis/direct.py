"""Extraction straight from the analysis, with a JSON Schema and no package (``extract`` CLI).

A detail page gives one object: its product's properties (``core.analysis.product``), its
article's (``core.analysis.article``) and, for other properties, what field matching finds. A list
page gives one object per record of its repeated container. Values follow the schema: ``number``
and ``integer`` properties get numbers, strings get text, ``enum`` properties one of the enum's
members (or null), and a property nothing was found for is null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from selectolax.lexbor import LexborHTMLParser

from core.analysis.enums import to_enum
from core.analysis.kinds import page_kind
from core.analysis.product import PROPERTIES, ProductFacts, _number, product_facts
from core.analysis.schema import fields_from_schema
from core.analysis.structured import structured_data
from core.analysis.types import SamplePage, WantedField

if TYPE_CHECKING:
    from core.analysis.article import Article

_ARTICLE_KEYS = {"title": "title", "name": "title", "author": "author", "date": "date",
                 "text": "text", "description": "description"}
_ARTICLE_CONFIDENCE = {"title": 0.8, "author": 0.7, "date": 0.8, "text": 0.85, "description": 0.7}
PRODUCT_FIELDS = frozenset({"price", "currency", "sku", "gtin", "mpn", "availability", "brand"})
ARTICLE_FIELDS = frozenset({"text", "author", "date"})


@dataclass
class Extraction:
    """``extract_with_schema``'s answer with its reasons.

    ``data``: one object (detail page, article) or a list of objects (list page), typed by the
    schema. ``evidence``: per field, where its value came from ("json-ld", "microdata", "meta",
    "label", "class", "position", "article text"…), the exact source and a confidence 0..1 (a
    list page's fields have one evidence for all records). ``kind``: the path taken ("product",
    "article", "list", "detail"). ``notes``: readable remarks, e.g. why fields are empty.
    """

    data: dict | list[dict]
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)
    kind: str = "detail"
    notes: list[str] = field(default_factory=list)


def schema_intent(fields: list[WantedField]) -> str:
    """``"article"`` when the schema asks for an article's body (or its author/date and no
    product property), ``"product"`` when it asks for product properties, else ``"other"``."""
    names = {f.description or f.name for f in fields}
    if "text" in names or (names & ARTICLE_FIELDS and not names & PRODUCT_FIELDS):
        return "article"
    if names & PRODUCT_FIELDS:
        return "product"
    return "other"


def extract_with_schema(html: str, url: str, schema: dict) -> dict | list[dict]:
    """One object for a detail page (or article), a list of objects for a list page; values
    follow the schema's property types and enums."""
    return extract_explained(html, url, schema).data


def extract_explained(html: str, url: str, schema: dict) -> Extraction:
    """``extract_with_schema`` with per-field evidence and confidence, the path and notes.

    The path follows the schema and the page: an article schema always reads the page as one
    article (never as a list); a product schema reads the product the page is about, even on a
    page whose related-product rows look like a list, when the page has its own product (its
    structured data, an add-to-cart control, a price beside its main heading); a list page
    otherwise gives one object per record.
    """
    fields = fields_from_schema(schema)
    properties = schema.get("properties") or {}
    intent = schema_intent(fields)
    tree = LexborHTMLParser(html)
    data = structured_data(html, url)
    kind = page_kind(html, url, tree=tree, data=data)
    notes: list[str] = []
    needs_facts = intent != "article" or any(
        (f.description or f.name) not in _ARTICLE_KEYS for f in fields)
    facts = product_facts(html, url, data=data, tree=tree) if needs_facts else ProductFacts()
    if kind == "list" and intent == "article":
        notes.append("The page looks like a list; the schema asks for an article, so it is "
                     "read as one article.")
    elif kind == "list" and intent == "product" and has_own_product(tree, facts, strict=True):
        notes.append("Rows of other products are on the page, but it has a product of its own "
                     "(structured data, an add-to-cart control or a price by its heading).")
    elif kind == "list":
        records = _list_records(html, url, fields)
        if records is not None:
            rows, sources = records
            shared = {name: {"from": _family(source), "source": source, "confidence": 0.6}
                      for name, source in sources.items()}
            return Extraction([_typed(record, properties) for record in rows], shared, "list",
                              notes)
        kind = "detail"
    story = _article(html, url) if intent == "article" or (kind == "article" and
                                                           intent != "product") else None
    # a product page's main text (its description) is its article body, with a note
    if intent == "article" and kind in ("detail", "list") and \
            _product_page(tree, data, url, controls=kind == "detail"):
        notes.append("This looks like a product page, not an article: its main text is given "
                     "as the article body.")
    product_here = needs_facts and has_own_product(tree, facts)
    if intent == "product" and not product_here:
        notes.append("No product found on this page (no product structured data, no "
                     "add-to-cart control, no price by the main heading): product fields are "
                     "left empty.")
    if story is not None and not story.text and intent == "article":
        notes.append("No article text found on this page.")
    raw: dict[str, Any] = {}
    evidence: dict[str, dict[str, Any]] = {}
    for field_ in fields:
        canonical = field_.description or field_.name
        value, source, confidence = None, "", 0.0
        if story is not None and canonical in _ARTICLE_KEYS:
            value = getattr(story, _ARTICLE_KEYS[canonical])
            source, confidence = "article (trafilatura)", _ARTICLE_CONFIDENCE[canonical]
            if canonical == "date" and value is not None:
                source = "article date (htmldate)"
        product_name = "name" if canonical == "title" else canonical
        if value is None and (product_here or product_name not in PRODUCT_FIELDS):
            value = facts.values.get(product_name)
            if value is not None:
                source = facts.sources[product_name]
                confidence = facts.confidence.get(product_name, 0.5)
        if value is None and canonical not in PROPERTIES:
            # product properties were looked for already, visible fallbacks included; a
            # looser match would only add wrong values ("Standard-Lieferung 4,49€")
            found = _matched(field_, html, url, tree)
            if found is not None:
                value, source, confidence = found[0], found[1], 0.5
        raw[field_.name] = value
        if value is not None:
            evidence[field_.name] = {"from": _family(source), "source": source,
                                     "confidence": round(confidence, 2)}
    typed = _typed(raw, properties)
    evidence = {name: ev for name, ev in evidence.items() if typed.get(name) is not None}
    missing = [name for name in properties if typed.get(name) is None]
    if missing:
        notes.append("Not found on this page: " + ", ".join(missing) + ".")
    path = "article" if story is not None else ("product" if intent == "product" else kind)
    return Extraction(typed, evidence, path, notes)


def _product_page(tree: LexborHTMLParser, data: Any, url: str, *, controls: bool) -> bool:
    """A shop's product page and no article: product structured data (or, with ``controls``,
    an add-to-cart control), and no Article-like structured data."""
    from core.analysis.product import _anchors, main_products
    from core.analysis.structured import entities_of_type

    if entities_of_type(data, "Article", "NewsArticle", "BlogPosting", "Report",
                        "TechArticle", "ScholarlyArticle"):
        return False
    return bool(main_products(data, url)) or (
        controls and any(node.tag != "h1" for node in _anchors(tree)))


def has_own_product(tree: LexborHTMLParser, facts: Any, *, strict: bool = False) -> bool:
    """Whether the page is about one product: product structured data or product meta tags,
    an add-to-cart control outside rows of alike cards, or a price beside the main heading
    that is not in a card."""
    from core.analysis.product import own_product_signals

    if facts.structured_products > 0:
        return True
    marked = any(facts.sources.get(name, "").startswith(("meta", "itemprop", "data-price"))
                 for name in ("price", "availability", "sku", "gtin"))
    return (marked and not strict) or own_product_signals(tree, strict=strict)


def _family(source: str) -> str:
    """A source's family: json-ld, microdata, meta, label, class, button, article, position."""
    lowered = source.lower()
    for word, family in (("visible", "position"), ("default", "default"),
                         ("json-ld", "json-ld"), ("microdata", "microdata"), ("rdfa", "rdfa"),
                         ("structured data", "structured data"),
                         ("itemprop", "microdata"), ("meta", "meta"), ("label", "label"),
                         ("article", "article"), ("button", "button"), ("class", "class"),
                         ("visible price", "position"), ("heading", "position"),
                         ("h1", "position"), ("default", "default")):
        if word in lowered:
            return family
    return "position"


def _article(html: str, url: str) -> Article:
    from core.analysis.article import article

    return article(html, url)


def _matched(field: WantedField, html: str, url: str,
             tree: LexborHTMLParser) -> tuple[Any, str] | None:
    from core.analysis.detail import match_on_detail
    from core.platform.errors import ValidationError
    from core.scrape.extract import extract_records
    from core.scrape.package import parse_package

    match = match_on_detail(field, html, tree)
    if match is None:
        return None
    try:
        package = parse_package({"version": 1, "fields": {field.name: match.spec}})
    except ValidationError:  # a selector built from odd markup: no value rather than a crash
        return None
    records = extract_records(package, html, url)
    value = records[0].data.get(field.name) if records else None
    return (value, match.source) if value is not None else None


def _list_records(html: str, url: str,
                  fields: list[WantedField]) -> tuple[list[dict], dict[str, str]] | None:
    from core.analysis.propose import propose
    from core.scrape.extract import extract_records
    from core.scrape.package import parse_package

    proposal = propose("", [SamplePage(url, html)], extra_fields=fields)
    if not proposal.package.get("container") or not proposal.package["fields"]:
        return None
    package = parse_package(proposal.package)
    rows = [{f.name: r.data.get(f.name) for f in fields}
            for r in extract_records(package, html, url)]
    return rows, {name: source for name, source in proposal.field_sources.items()
                  if name in {f.name for f in fields}}


def _typed(record: dict[str, Any], properties: dict) -> dict[str, Any]:
    return {name: _coerce(record.get(name), properties.get(name) or {}, name)
            for name in properties}


def _coerce(value: Any, prop: dict, name: str = "") -> Any:
    """``value`` as the schema property wants it; None when it cannot be."""
    if value is None:
        return None
    json_type = prop.get("type")
    if isinstance(json_type, list):
        json_type = next((t for t in json_type if t != "null"), None)
    if "enum" in prop:
        return to_enum(value if not isinstance(value, float) else str(value), prop["enum"])
    if json_type == "number":
        return _number(value)
    if json_type == "integer":
        number = _number(value)
        return int(number) if number is not None else None
    if json_type == "boolean":
        return value if isinstance(value, bool) else str(value).strip().lower() in (
            "true", "yes", "1", "instock")
    if json_type == "array":
        return value if isinstance(value, list) else [value]
    if isinstance(value, float):
        return f"{value:.2f}" if re.search(r"price|amount|cost", name, re.I) else _plain(value)
    return str(value) if not isinstance(value, str) else value


def _plain(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)
