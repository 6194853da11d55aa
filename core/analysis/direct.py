"""Extraction straight from the analysis, with a JSON Schema and no package (``extract`` CLI).

A detail page gives one object: its product's properties (``core.analysis.product``), its
article's (``core.analysis.article``) and, for other properties, what field matching finds. A list
page gives one object per record of its repeated container. Values follow the schema: ``number``
and ``integer`` properties get numbers, strings get text, ``enum`` properties one of the enum's
members (or null), and a property nothing was found for is null.
"""

from __future__ import annotations

import re
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from core.analysis.enums import to_enum
from core.analysis.kinds import page_kind
from core.analysis.product import PROPERTIES, _number, product_facts
from core.analysis.schema import fields_from_schema
from core.analysis.structured import structured_data
from core.analysis.types import SamplePage, WantedField

_ARTICLE_KEYS = {"title": "title", "name": "title", "author": "author", "date": "date",
                 "text": "text", "description": "description"}


def extract_with_schema(html: str, url: str, schema: dict) -> dict | list[dict]:
    """One object for a detail page (or article), a list of objects for a list page; values
    follow the schema's property types and enums."""
    fields = fields_from_schema(schema)
    properties = schema.get("properties") or {}
    tree = LexborHTMLParser(html)
    data = structured_data(html, url)
    kind = page_kind(html, url, tree=tree, data=data)
    if kind == "list":
        records = _list_records(html, url, fields)
        if records is not None:
            return [_typed(record, properties) for record in records]
        kind = "detail"
    raw: dict[str, Any] = {}
    facts = product_facts(html, url, data=data, tree=tree)
    story = _article(html, url) if kind == "article" else None
    for field in fields:
        canonical = field.description or field.name
        value = None
        if story is not None and canonical in _ARTICLE_KEYS:
            value = getattr(story, _ARTICLE_KEYS[canonical])
        if value is None:
            value = facts.values.get("name" if canonical == "title" else canonical)
        if value is None and canonical not in PROPERTIES:
            # product properties were looked for already, visible fallbacks included; a
            # looser match would only add wrong values ("Standard-Lieferung 4,49€")
            value = _matched(field, html, url, tree)
        raw[field.name] = value
    return _typed(raw, properties)


def _article(html: str, url: str):
    from core.analysis.article import article

    return article(html, url)


def _matched(field: WantedField, html: str, url: str, tree: LexborHTMLParser) -> Any:
    from core.analysis.detail import match_on_detail
    from core.errors import ValidationError
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
    return records[0].data.get(field.name) if records else None


def _list_records(html: str, url: str, fields: list[WantedField]) -> list[dict] | None:
    from core.analysis.propose import propose
    from core.scrape.extract import extract_records
    from core.scrape.package import parse_package

    proposal = propose("", [SamplePage(url, html)], extra_fields=fields)
    if not proposal.package.get("container") or not proposal.package["fields"]:
        return None
    package = parse_package(proposal.package)
    return [{f.name: r.data.get(f.name) for f in fields}
            for r in extract_records(package, html, url)]


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
