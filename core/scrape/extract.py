"""Run a config package over one page: its records, each record's confidence and content hash.

Extraction is deterministic: the same package on the same HTML gives the same records, so a
content hash identifies a record across runs and deduplicates it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field as dataclass_field
from typing import TYPE_CHECKING, Any

from core.scrape import jsonld
from core.scrape.dom import Document, Node, Selector, parse_html
from core.scrape.package import ConfigPackage, FieldSpec
from core.scrape.transforms import TRANSFORMS, apply_transform

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError as SchemaError


@dataclass(frozen=True, slots=True)
class ExtractedRecord:
    data: dict[str, Any]  # the fields that produced a value, in package order
    found: dict[str, bool]  # every field of the package: did it produce a value?
    # fields read by a fallback (its 1-based number) because their own selector gave nothing
    fallbacks: dict[str, int] = dataclass_field(default_factory=dict)

    def __reduce__(self) -> tuple[type[ExtractedRecord], tuple[Any, ...]]:
        # Pickled as its constructor's arguments: a parse process hands back a page's records
        # so, and the state a slotted dataclass pickles otherwise is rebuilt in Python, field
        # by field (ten times slower).
        return ExtractedRecord, (self.data, self.found, self.fallbacks)


def extract_records(package: ConfigPackage, html: str | bytes,
                    base_url: str) -> list[ExtractedRecord]:
    """One record per container match, or one record for the page when there is no container.

    ``html`` is the page's text, or its UTF-8 bytes. ``base_url`` is the URL the page was fetched
    from (after redirects); a ``<base href>`` in the page overrides it for ``absolute_url``, as a
    browser would. A field "produces a value" unless its selector matched nothing or its
    transforms left None, an empty string or an empty list; such fields are absent from ``data``
    (so a JSON Schema's ``required`` reports them).
    """
    return records_in(parse_html(html, xpath=package.uses_xpath), package, base_url)


def records_in(document: Document, package: ConfigPackage, base_url: str,
               roots: list[Node] | None = None) -> list[ExtractedRecord]:
    """``extract_records`` on a page parsed already (with lxml when the package uses XPath), so
    that one parse can serve the records and the page's other questions (its "next" link).
    ``roots``: the page's records' elements when the caller found them already (``roots_of``)."""
    page_url = document.base_url(base_url)
    roots = roots_of(document, package) if roots is None else roots
    structured = _StructuredData(document)
    return [_record(document, root, package.fields, page_url, structured) for root in roots]


def roots_of(document: Document, package: ConfigPackage) -> list[Node]:
    """The elements the page's records are read from: the container's matches, or the page."""
    return document.containers(package.container) if package.container else [document.root]


def confidence(record: ExtractedRecord, required_fields: Collection[str],
               schema_errors: Iterable[SchemaError]) -> float:
    """How much of the package this record fills with valid values, from 0.0 to 1.0.

        confidence = 0                                   if a required field was not found
                   = |found fields − invalid fields| / |fields of the package|   otherwise

    A field is invalid when a JSON Schema error points into it (its path starts with the field's
    name). Errors about the record as a whole (a missing property, an extra one) carry no field
    and do not change the score: they already make the item invalid. Example: a package of four
    fields, three found, one of them with a price the schema rejects → 2 / 4 = 0.5.
    """
    found = record.found
    if not found:
        return 0.0
    for name in required_fields:
        if not found.get(name):
            return 0.0
    invalid = {error.absolute_path[0] for error in schema_errors if error.absolute_path}
    if not invalid:  # the usual case, once per stored item
        return sum(map(bool, found.values())) / len(found)
    valid = [name for name, value in found.items() if value and name not in invalid]
    return len(valid) / len(found)


def content_hash(data: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the record's canonical JSON: sorted keys, no whitespace, UTF-8."""
    return canonical_and_hash(data)[1]


def canonical_and_hash(data: Mapping[str, Any]) -> tuple[str, str]:
    """The record's canonical JSON text and its ``content_hash``: a store that keeps the JSON
    as a parsed document (PostgreSQL's jsonb) can write this text rather than dump it again."""
    canonical = _canonical_json(data)
    return canonical, hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False), its encoder built
# once rather than for every item (a third of the call's time)
_canonical_json = json.JSONEncoder(sort_keys=True, separators=(",", ":"),
                                   ensure_ascii=False).encode


class _StructuredData:
    """The page's JSON-LD blocks, parsed when a ``jsonld`` field first asks (once per page)."""

    _SCRIPTS = Selector('script[type="application/ld+json"]')

    def __init__(self, document: Document) -> None:
        self._document = document
        self._blocks: list[Any] | None = None

    def values(self, path: str) -> list[Any]:
        if self._blocks is None:
            scripts = self._document.select(self._document.root, self._SCRIPTS)
            self._blocks = jsonld.blocks(self._document.value(node, "text") or ""
                                         for node in scripts)
        return jsonld.values(self._blocks, path)


def _record(document: Document, root: Node, fields: tuple[FieldSpec, ...],
            page_url: str, structured: _StructuredData) -> ExtractedRecord:
    data: dict[str, Any] = {}
    found: dict[str, bool] = {}
    used: dict[str, int] = {}
    # Each selector's first match, found once per record: fields often share one (a price and
    # its currency), and a lexbor query costs its selector's parse every time it runs.
    firsts: dict[Selector, Node | None] = {}
    for field in fields:
        value = _field_value(document, root, field, page_url, structured, firsts)
        for number, fallback in enumerate(field.fallbacks, start=1):
            if value not in (None, "", []):
                break
            value = _field_value(document, root, fallback, page_url, structured, firsts)
            if value not in (None, "", []):
                used[field.name] = number
        found[field.name] = value not in (None, "", [])
        if found[field.name]:
            data[field.name] = value
    return ExtractedRecord(data, found, used)


def _field_value(document: Document, root: Node, field: FieldSpec, page_url: str,
                 structured: _StructuredData, firsts: dict[Selector, Node | None]) -> Any:
    if field.selector is not None and field.selector.type == "jsonld":
        taken = structured.values(field.selector.query)
        taken = taken if field.all else taken[:1]
    else:
        if field.all:
            nodes = document.select(root, field.selector) if field.selector else [root]
        elif field.selector is None:
            nodes = [root]
        else:
            if field.selector not in firsts:
                firsts[field.selector] = document.select_first(root, field.selector)
            first = firsts[field.selector]
            nodes = [] if first is None else [first]
        taken = [document.value(node, field.take, field.attribute) for node in nodes]
    value: Any = [v for v in taken if v is not None] if field.all else next(iter(taken), None)
    listed = field.all
    for transform in field.transforms:
        if TRANSFORMS[transform.name].takes == "list":
            value, listed = apply_transform(transform, value, page_url), False
        elif listed:
            value = [out for v in value
                     if (out := apply_transform(transform, v, page_url)) is not None]
        elif value is not None:
            value = apply_transform(transform, value, page_url)
    return value
