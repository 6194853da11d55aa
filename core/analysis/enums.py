"""Values mapped onto a schema's ``enum``: availability texts and schema.org URLs → "InStock"…

    >>> availability("http://schema.org/InStock"), availability("Auf Lager"), availability("Sold out")
    ('InStock', 'InStock', 'SoldOut')
    >>> to_enum("SoldOut", ["InStock", "OutOfStock", "PreOrder"])
    'OutOfStock'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from core.scrape.availability import AVAILABILITY, availability

__all__ = ["AVAILABILITY", "availability", "to_enum"]

# When the schema's enum lacks the exact state, the nearest one it has.
_FALLBACKS = {
    "SoldOut": ("OutOfStock",), "Discontinued": ("OutOfStock", "SoldOut"),
    "BackOrder": ("PreOrder", "OutOfStock"), "PreSale": ("PreOrder",),
    "PreOrder": ("PreSale", "BackOrder"),
    "LimitedAvailability": ("InStock",), "OnlineOnly": ("InStock",),
    "InStoreOnly": ("InStock",), "MadeToOrder": ("InStock", "PreOrder"),
    "Reserved": ("OutOfStock",), "OutOfStock": ("SoldOut",),
}


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def to_enum(value: Any, enum: Sequence[Any]) -> Any:
    """``value`` as one of ``enum``'s members, or None when none fits.

    Exact match first, then the same letters ignoring case and punctuation ("in_stock" ~
    "InStock"), then availability states and their nearest relatives, then a close spelling.
    """
    if value is None or not enum:
        return None
    if value in enum:
        return value
    texts = [e for e in enum if isinstance(e, str)]
    by_key = {_key(e): e for e in texts}
    if isinstance(value, str) and _key(value) in by_key:
        return by_key[_key(value)]
    state = availability(value) if isinstance(value, str) else None
    if state:
        for candidate in (state, *_FALLBACKS.get(state, ())):
            if _key(candidate) in by_key:
                return by_key[_key(candidate)]
        for member in texts:  # the enum is written as shop texts ("in stock", "sold out")
            if availability(member) == state:
                return member
    if isinstance(value, str):
        close = difflib.get_close_matches(_key(value), list(by_key), n=1, cutoff=0.8)
        if close:
            return by_key[close[0]]
    return None
