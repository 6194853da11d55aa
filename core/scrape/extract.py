"""Run a config package over one page: its records, each record's confidence and content hash.

Extraction is deterministic: the same package on the same HTML gives the same records, so a
content hash identifies a record across runs and deduplicates it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field as dataclass_field
from typing import TYPE_CHECKING, Any

import orjson

from core.scrape import jsonld
from core.scrape.dom import Document, Node, Selector, Take, parse_html
from core.scrape.package import ConfigPackage, FieldSpec
from core.scrape.transforms import TRANSFORMS, apply_transform, one_value_chain

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
    structured, plan = _StructuredData(document), _plan(package.fields)
    return [_record(document, root, plan, page_url, structured) for root in roots]


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
    return canonical.decode("utf-8"), hashlib.sha256(canonical).hexdigest()


def compact_json(data: Mapping[str, Any]) -> str:
    """The record as compact JSON text, its keys in the extractor's order (what SQLite keeps)."""
    try:
        return orjson.dumps(data).decode("utf-8")
    except TypeError:  # an integer beyond 64 bits, a document nested past orjson's 255 levels
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _canonical_json(data: Mapping[str, Any]) -> bytes:
    """``json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` as UTF-8,
    byte for byte (hashes stored by earlier runs must still match): orjson writes the same text
    ~6× faster, except for a float below 1e-4 or from 1e16 on (Python writes ``1e-05``, orjson
    ``0.00001``), an integer beyond 64 bits, or nesting past 255 levels, which Python's encoder
    writes."""
    try:
        text = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return _python_canonical(data).encode("utf-8")
    return text if _floats_written_alike(data.values()) else \
        _python_canonical(data).encode("utf-8")


def _floats_written_alike(values: Iterable[Any]) -> bool:
    """Whether every float among ``values`` (and inside them) is one Python and orjson write
    alike (called once orjson has written them: nested 255 levels at most)."""
    for value in values:
        kind = type(value)
        if kind is float:
            if value and not 1e-4 <= abs(value) < 1e16:
                return False
        elif kind is list:
            if not _floats_written_alike(value):
                return False
        elif kind is dict and not _floats_written_alike(value.values()):
            return False
    return True


# its encoder built once rather than for every item (a third of the call's time)
_python_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"),
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


def _record(document: Document, root: Node, plan: _Plan, page_url: str,
            structured: _StructuredData) -> ExtractedRecord:
    data: dict[str, Any] = {}
    found: dict[str, bool] = {}
    used: dict[str, int] = {}
    # Each selector's first match, found once per record: fields often share one (a price and
    # its currency), and a lexbor query costs its selector's parse every time it runs.
    firsts: dict[tuple[str, str], Node | None] = {}
    for field, one_value, fallbacks in plan:
        value = one_value.read(document, root, page_url, firsts) if one_value is not None \
            else _field_value(document, root, field, page_url, structured, firsts)
        for number, fallback in enumerate(fallbacks, start=1):
            if value not in (None, "", []):
                break
            value = _field_value(document, root, fallback, page_url, structured, firsts)
            if value not in (None, "", []):
                used[field.name] = number
        if value is None or value == "" or value == []:
            found[field.name] = False
        else:
            found[field.name] = True
            data[field.name] = value
    return ExtractedRecord(data, found, used)


# A package's fields as read: each with its ``_OneValue`` (None: read the general way) and its
# fallbacks (read the general way: only when the field gave nothing).
_Plan = list[tuple[FieldSpec, "_OneValue | None", tuple[FieldSpec, ...]]]
_plans: dict[int, tuple[tuple[FieldSpec, ...], _Plan]] = {}


def _plan(fields: tuple[FieldSpec, ...]) -> _Plan:
    """The plan for a package's fields, made once (by identity: hashing the frozen fields, with
    their selectors, transforms and fallbacks, would cost more than the plan saves)."""
    kept = _plans.get(id(fields))
    if kept is not None and kept[0] is fields:
        return kept[1]
    if len(_plans) >= 64:  # a long-lived process meets many packages: start again (one call,
        _plans.clear()     # safe while another thread of the app reads or adds a plan)
    plan: _Plan = [(field, _OneValue.of(field), field.fallbacks) for field in fields]
    _plans[id(fields)] = (fields, plan)  # the fields are kept, so their id stays theirs
    return plan


class _OneValue:
    """The usual field, read without the general way's questions: one value, from the first
    element a CSS or XPath selector matches, through transforms that each take one value."""

    __slots__ = ("_key", "_selector", "_take", "_attribute", "_chain")

    def __init__(self, selector: Selector, take: Take, attribute: str | None,
                 chain: Callable[[Any, str], Any]) -> None:
        self._key, self._selector = (selector.type, selector.query), selector
        self._take, self._attribute, self._chain = take, attribute, chain

    @classmethod
    def of(cls, field: FieldSpec) -> _OneValue | None:
        selector = field.selector
        if field.all or selector is None or selector.type == "jsonld":
            return None
        chain = one_value_chain(field.transforms)
        return None if chain is None else cls(selector, field.take, field.attribute, chain)

    def read(self, document: Document, root: Node, page_url: str,
             firsts: dict[tuple[str, str], Node | None]) -> Any:
        first = firsts.get(self._key, _UNSEEN)
        if first is _UNSEEN:
            first = firsts[self._key] = document.select_first(root, self._selector)
        if first is None:
            return None
        return self._chain(document.value(first, self._take, self._attribute), page_url)


_UNSEEN: Any = object()


def _field_value(document: Document, root: Node, field: FieldSpec, page_url: str,
                 structured: _StructuredData, firsts: dict[tuple[str, str], Node | None]) -> Any:
    if field.selector is not None and field.selector.type == "jsonld":
        taken = structured.values(field.selector.query)
        taken = taken if field.all else taken[:1]
    else:
        if field.all:
            nodes = document.select(root, field.selector) if field.selector else [root]
        elif field.selector is None:
            nodes = [root]
        else:
            key = (field.selector.type, field.selector.query)
            if key not in firsts:
                firsts[key] = document.select_first(root, field.selector)
            first = firsts[key]
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
