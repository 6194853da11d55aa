"""Structured data embedded in a page: JSON-LD, microdata, RDFa, OpenGraph, microformats, Dublin Core.

extruct reads every syntax; this module keeps its output as it is (``raw``) and adds two views the
builder needs when it matches wanted fields to a page:

- ``entities``: the schema.org-like things the page describes, one dict per thing, in one shape
  whatever the syntax — ``{"@type": "Product", "name": "Lamp", "offers": {"@type": "Offer", …}}``.
  JSON-LD ``@graph`` blocks and top-level arrays are flattened into the list, microdata items and
  typed RDFa nodes are rewritten into the same shape, and types lose their schema.org URL prefix.
- ``meta``: the page's ``<meta>`` values by the key the page wrote ("og:title",
  "product:price:amount", "twitter:card", "description"), first occurrence wins.

    >>> data = structured_data(html, "https://shop.example/lamp")
    >>> [product] = entities_of_type(data, "Product")
    >>> product["offers"]["price"], data.meta.get("og:title")

extruct, lxml's HTML parser and the RDF libraries are imported inside the functions: the CLI
imports this module and must start fast.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from core.platform import standard_json

SYNTAXES = ("json-ld", "microdata", "rdfa", "opengraph", "microformat", "dublincore")
_SCHEMA_PREFIXES = ("http://schema.org/", "https://schema.org/", "schema:")
_RDF_TYPE = "@type"
_MAX_DEPTH = 8  # how deep entities_of_type and RDFa node linking look; pages nest a few levels

log = logging.getLogger(__name__)


@dataclass
class StructuredData:
    """What a page says about itself in machine-readable markup."""

    raw: dict = field(default_factory=dict)
    """extruct's output, one key per syntax (json-ld, microdata, rdfa, opengraph, microformat,
    dublincore), each a list; a syntax extruct could not read is an empty list."""
    entities: list[dict] = field(default_factory=list)
    """Normalised schema.org-like entities from JSON-LD, then microdata, then RDFa."""
    meta: dict[str, str] = field(default_factory=dict)
    """``<meta property|name=… content=…>`` values, keys as written in the page."""


def structured_data(html: str | bytes, url: str) -> StructuredData:
    """Read all structured data of a page. Never raises on bad markup: what cannot be read is empty.

    ``url`` is the page's address; relative URLs in microdata and RDFa resolve against it.
    """
    raw = _extract_quietly(html, url)
    entities = [
        *_jsonld_entities(raw["json-ld"]),
        *(_microdata_entity(item) for item in raw["microdata"] if isinstance(item, dict)),
        *_rdfa_entities(raw["rdfa"]),
    ]
    return StructuredData(raw=raw, entities=entities, meta=meta_values(html))


def entities_of_type(data: StructuredData, *types: str) -> list[dict]:
    """The entities (top-level ones first, then nested ones) whose ``@type`` is one of ``types``.

    Types are compared without the schema.org prefix, so "Product" and "http://schema.org/Product"
    both find a Product. Nested entities count too — the Offer inside a Product, the Products in an
    ItemList's ``itemListElement`` — because pages wrap what matters in WebPage or ItemList.
    """
    wanted = {_short_type(t) for t in types}
    found: list[dict] = []
    seen: set[int] = set()
    for entity in _walk(data.entities, depth=0):
        if id(entity) not in seen and wanted & set(_types_of(entity)):
            seen.add(id(entity))
            found.append(entity)
    return found


def extract_all(html: str | bytes, url: str | None, *,
                microdata_options: dict[str, Any] | None = None, **extruct_options: Any) -> dict:
    """``extruct.extract(html, base_url=url, **extruct_options)``, unchanged.

    This is the faithful wrapper the corpus cases run through (bench/extraction.py): options such as
    ``syntaxes``, ``uniform``, ``return_html_node`` and ``errors`` go to extruct as they are, and it
    raises what extruct raises. ``extruct.extract`` has no knobs for the microdata extractor's own
    options (``strict``, ``nested``, ``add_text_content``); given ``microdata_options``, the
    ``microdata`` key is read with ``MicrodataExtractor(**microdata_options)`` instead.
    """
    import extruct
    from extruct.w3cmicrodata import MicrodataExtractor

    result = extruct.extract(html, base_url=url, **extruct_options)
    if microdata_options is not None and "microdata" in result:
        result["microdata"] = MicrodataExtractor(**microdata_options).extract(html, base_url=url)
    return result


def meta_values(html: str | bytes) -> dict[str, str]:
    """``<meta>`` values keyed by their ``property`` or ``name`` (first occurrence wins)."""
    tree = _parse_html(html)
    if tree is None:
        return {}
    values: dict[str, str] = {}
    for element in tree.iter("meta"):
        key = (element.get("property") or element.get("name") or "").strip()
        content = element.get("content")
        if key and content is not None and key not in values:
            values[key] = content.strip()
    return values


# -- reading --------------------------------------------------------------------------------------

def _extract_quietly(html: str | bytes, url: str) -> dict:
    import extruct

    raw: dict = {}
    try:
        # errors="ignore": a syntax extruct cannot read is left out, the others still count.
        raw = extruct.extract(html, base_url=url, syntaxes=list(SYNTAXES), errors="ignore")
    except Exception:  # extruct can still raise on odd input (e.g. undecodable bytes); never crash
        log.info("structured data could not be read from %s", url, exc_info=True)
    if "json-ld" not in raw and raw:
        # One broken JSON-LD block makes extruct drop them all; read the blocks one by one.
        raw["json-ld"] = _jsonld_block_by_block(html, url)
    # extruct reads JSON-LD with Python's reader: NaN, 1e999 and half a UTF-16 pair get in
    return {syntax: standard_json.standard(list(raw.get(syntax) or [])) for syntax in SYNTAXES}


def _jsonld_block_by_block(html: str | bytes, url: str) -> list[Any]:
    from extruct.jsonld import JsonLdExtractor
    from lxml import etree

    tree = _parse_html(html)
    if tree is None:
        return []
    items: list[Any] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        block = etree.tostring(script, encoding="unicode", with_tail=False)
        try:
            items.extend(JsonLdExtractor().extract(f"<html><head>{block}</head></html>", url))
        except Exception:  # this block is broken; the next one may not be
            log.info("a JSON-LD block in %s could not be read", url, exc_info=True)
    return items


def _parse_html(html: str | bytes) -> Any:  # an lxml tree (lxml ships no types)
    import lxml.html
    from lxml import etree

    try:
        return lxml.html.fromstring(html)
    except (etree.ParserError, ValueError, TypeError):
        return None


# -- JSON-LD ----------------------------------------------------------------------------------------

def _jsonld_entities(blocks: list[Any]) -> Iterator[dict]:
    for block in blocks:
        if isinstance(block, list):
            yield from _jsonld_entities(block)
        elif isinstance(block, dict):
            graph = block.get("@graph")
            if isinstance(graph, list | dict):
                yield from _jsonld_entities(graph if isinstance(graph, list) else [graph])
                rest = {k: v for k, v in block.items() if k not in ("@graph", "@context")}
                if "@type" in rest:  # a typed node that also carries a graph
                    yield _jsonld_node(rest)
            else:
                yield _jsonld_node(block)


def _jsonld_node(value: Any) -> Any:
    if isinstance(value, list):
        return [_jsonld_node(v) for v in value]
    if not isinstance(value, dict):
        return value
    node = {}
    for key, item in value.items():
        if key == "@context":
            continue
        if key == "@type":
            node["@type"] = _short_types(item)
        else:
            node[_short_type(key)] = _jsonld_node(item)
    return node


# -- microdata ----------------------------------------------------------------------------------------

def _microdata_entity(item: dict) -> dict:
    """extruct's ``{"type": …, "properties": {…}, "id": …}`` → ``{"@type": …, "@id": …, props…}``."""
    entity: dict[str, Any] = {}
    if item.get("type"):
        entity["@type"] = _short_types(item["type"])
    if item.get("id"):
        entity["@id"] = item["id"]
    for name, value in (item.get("properties") or {}).items():
        entity[_short_type(name)] = _microdata_value(value)
    return entity


def _microdata_value(value: Any) -> Any:
    if isinstance(value, list):
        return [_microdata_value(v) for v in value]
    if isinstance(value, dict) and ("properties" in value or "type" in value):
        return _microdata_entity(value)
    return value


# -- RDFa ------------------------------------------------------------------------------------------

def _rdfa_entities(nodes: list[Any]) -> list[dict]:
    """Typed RDFa nodes (expanded JSON-LD) in the compact shape; references to other nodes inlined."""
    by_id = {node["@id"]: node for node in nodes if isinstance(node, dict) and "@id" in node}
    entities = []
    for node in nodes:
        if isinstance(node, dict) and node.get("@type"):
            entities.append(_rdfa_node(node, by_id, depth=0, path=()))
    return entities


def _rdfa_node(node: dict, by_id: dict[str, dict], depth: int, path: tuple[str, ...]) -> dict:
    entity: dict[str, Any] = {}
    if node.get("@type"):
        entity["@type"] = _short_types(node["@type"])
    if node.get("@id") and not str(node["@id"]).startswith("_:"):
        entity["@id"] = node["@id"]
    for key, values in node.items():
        if key.startswith("@"):
            continue
        items = [_rdfa_value(v, by_id, depth, (*path, node.get("@id", ""))) for v in values] \
            if isinstance(values, list) else [values]
        entity[_short_type(key)] = items[0] if len(items) == 1 else items
    return entity


def _rdfa_value(value: Any, by_id: dict[str, dict], depth: int, path: tuple[str, ...]) -> Any:
    if not isinstance(value, dict):
        return value
    if "@value" in value:
        return value["@value"]
    ref = value.get("@id")
    if ref in by_id and ref not in path and depth < _MAX_DEPTH:
        linked = by_id[ref]
        if any(not k.startswith("@") for k in linked):  # a described node, not just a link
            return _rdfa_node(linked, by_id, depth + 1, path)
    return ref if ref is not None else value


# -- types -------------------------------------------------------------------------------------------

def _short_type(name: Any) -> Any:
    if isinstance(name, str):
        for prefix in _SCHEMA_PREFIXES:
            if name.startswith(prefix):
                return name[len(prefix):]
    return name


def _short_types(value: Any) -> Any:
    if isinstance(value, list):
        short = [_short_type(v) for v in value]
        return short[0] if len(short) == 1 else short
    return _short_type(value)


def _types_of(entity: dict) -> list[str]:
    value = entity.get(_RDF_TYPE)
    if isinstance(value, list):
        return [_short_type(v) for v in value if isinstance(v, str)]
    return [_short_type(value)] if isinstance(value, str) else []


def _walk(value: Any, depth: int) -> Iterator[dict]:
    """Every dict in ``value``, breadth-first so that top-level entities come before nested ones."""
    level = [value]
    while level and depth <= _MAX_DEPTH:
        following: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                yield item
                following.extend(item.values())
            elif isinstance(item, list):
                following.extend(item)
        level, depth = following, depth + 1
