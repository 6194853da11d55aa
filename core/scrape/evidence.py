"""Where a package field reads its value, in words, and how much that way of reading is trusted.

A config package field says where its value is (a CSS or XPath selector, or a JSON-LD path); the
builder page and the Results page show that as evidence beside each field, with a confidence, so
a field read by position alone (or found on some pages only) is flagged before anyone relies on
it. The weights rank the kinds of evidence the way ``extract --explain`` does: structured data
first, then a label or an element named for the value, then a page's heading, then position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# A field is flagged below this confidence.
LOW_CONFIDENCE = 0.7

_KINDS: tuple[tuple[str, float], ...] = (
    ("structured data (JSON-LD)", 0.95),
    ("microdata (itemprop)", 0.9),
    ("meta tag", 0.9),
    ("label beside the value", 0.85),
    ("element id", 0.85),
    ("main heading", 0.85),
    ("class or attribute", 0.8),
    ("position in the page", 0.6),
)
WEIGHTS = dict(_KINDS)
_LABEL = re.compile(r"contains\(|following-sibling|preceding-sibling|normalize-space\(",
                    re.IGNORECASE)


@dataclass(frozen=True)
class SpecSource:
    """How a field is read: ``kind`` (one of the names above), the selector as written, and the
    kind's weight."""

    kind: str
    selector: str
    weight: float


def spec_source(spec: dict[str, Any]) -> SpecSource:
    """The kind of evidence a package field (a FieldSpec dict) reads its value from."""
    selector = str(spec.get("selector") or "")
    selector_type = spec.get("selector_type") or "css"
    lowered = selector.lower()
    if selector_type == "jsonld":
        kind = "structured data (JSON-LD)"
    elif "itemprop" in lowered:
        kind = "microdata (itemprop)"
    elif re.search(r"(^|[\s>/])meta\b", lowered):
        kind = "meta tag"
    elif selector_type == "xpath" and _LABEL.search(selector):
        kind = "label beside the value"
    elif "#" in selector or "@id" in lowered or "[id" in lowered:
        kind = "element id"
    elif re.search(r"(^|[\s>/])h1\b", lowered):
        kind = "main heading"
    elif re.search(r"[.\[]|@class|@data-", selector):
        kind = "class or attribute"
    else:
        kind = "position in the page"
    return SpecSource(kind, selector or "(the record's own element)", WEIGHTS[kind])
