"""Which language codes are valid: exactly the list Lighthouse's hreflang audit uses (axe-core's
valid-langs: the two- and three-letter subtags of the IANA Language Subtag Registry — "de" but
not "deu" or "ger", deprecated "iw" and "in" too), kept in data/language-codes.txt."""

from __future__ import annotations

import functools
import re
from pathlib import Path

_SUBTAG = re.compile(r"^[A-Za-z0-9]{1,8}$")


CODES = Path(__file__).resolve().parent / "data" / "language-codes.txt"


@functools.cache
def valid_languages() -> frozenset[str]:
    lines = CODES.read_text(encoding="ascii").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def is_valid_language(code: str) -> bool:
    """``code`` is an ISO 639 language code (any case): "en", "ES", "haw"."""
    return code.lower() in valid_languages()


def is_valid_language_tag(tag: str) -> bool:
    """A BCP 47-shaped tag whose first subtag is a known language: "en", "zh-Hans-TW"."""
    parts = tag.strip().replace("_", "-").split("-")
    return is_valid_language(parts[0]) and all(_SUBTAG.match(p) for p in parts[1:])
