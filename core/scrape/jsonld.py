"""Values from a page's JSON-LD by a path that starts with a schema.org type.

A config package field with ``"selector_type": "jsonld"`` reads structured data rather than
markup: ``"Product.offers.price"`` finds the first node whose ``@type`` is Product — at the top
of a block, in an array, in ``@graph``, or nested anywhere (``mainEntity``, ``itemListElement``)
— then follows the keys. Where a key holds a list and the next step is not an index, the first
item is taken (``offers`` as a list of Offers, ``image`` as a list of URLs); ``"Product.image.1"``
takes the second. Types are compared without the schema.org prefix.

    >>> values(blocks(['{"@graph": [{"@type": "Product", "offers": [{"price": "9.5"}]}]}']),
    ...        "Product.offers.price")
    ['9.5']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from core.platform import standard_json

PATH = re.compile(r"[A-Za-z][\w-]*(?:\.[\w@:-]+)*")
_MAX_DEPTH = 12
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def path_problem(path: str) -> str | None:
    """Why ``path`` is not a usable JSON-LD path, or None."""
    if not PATH.fullmatch(path.strip()):
        return (f"{path!r} is not a JSON-LD path: a schema.org type, then dotted keys, such as "
                "'Product.offers.price'")
    return None


def blocks(texts: Iterable[str]) -> list[Any]:
    """The parsed ``<script type="application/ld+json">`` texts; a block that is not JSON (even
    after dropping HTML comments, CDATA markers and control characters) is skipped."""
    parsed = []
    for text in texts:
        cleaned = text.strip()
        for marker in ("<!--", "-->", "<![CDATA[", "]]>", "//<![CDATA[", "//]]>"):
            cleaned = cleaned.replace(marker, "")
        cleaned = _CONTROL.sub(" ", cleaned).strip().rstrip(";")
        try:
            # a number JSON cannot store (NaN, 1e999) reads as null: the rest of the block stays
            parsed.append(standard_json.loads(cleaned, strict=False, nonstandard_as_null=True))
        except ValueError:
            continue
    return parsed


def values(parsed: list[Any], path: str) -> list[Any]:
    """What ``path`` gives on every node of its type, in document order (top-level nodes first)."""
    type_name, *keys = path.strip().split(".")
    found = []
    for node in _nodes_of_type(parsed, type_name):
        value = _follow(node, keys)
        if value not in (None, "", [], {}):
            found.append(value)
    return found


def _types(node: dict) -> set[str]:
    raw = node.get("@type")
    listed = raw if isinstance(raw, list) else [raw]
    return {str(t).rsplit("/", 1)[-1].rsplit(":", 1)[-1] for t in listed if t}


def _nodes_of_type(parsed: list[Any], type_name: str) -> Iterator[dict]:
    level: list[Any] = list(parsed)
    depth = 0
    while level and depth <= _MAX_DEPTH:  # breadth first: the page's own entities come first
        following: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                if type_name in _types(item):
                    yield item
                following.extend(item.values())
            elif isinstance(item, list):
                following.extend(item)
        level, depth = following, depth + 1


def _follow(value: Any, keys: list[str]) -> Any:
    for key in keys:
        if isinstance(value, list):
            if key.isdigit():
                value = value[int(key)] if int(key) < len(value) else None
                continue
            value = value[0] if value else None
        if isinstance(value, dict):
            value = value.get(key, value.get(f"schema:{key}"))
        else:
            return None
    while isinstance(value, list):  # a list at the end: its first item
        value = value[0] if value else None
    if isinstance(value, dict):  # {"@type": "Brand", "name": "Fjell"} → "Fjell"; {"@id": url}
        value = value.get("name") or value.get("@value") or value.get("@id") or value.get("url")
    return value
