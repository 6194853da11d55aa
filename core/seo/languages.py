"""Which language codes are valid: ISO 639 (two- and three-letter), as in axe-core's list that
Lighthouse's hreflang audit uses. pycountry ships ISO 639-3 with the 639-1 and 639-2/B codes."""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from pathlib import Path

_SUBTAG = re.compile(r"^[A-Za-z0-9]{1,8}$")


@functools.cache
def valid_languages() -> frozenset[str]:
    # Importing pycountry and building its lookup objects costs ~130 ms of CPU; its data file
    # read directly, a fraction of that. find_spec locates the package without importing it.
    spec = importlib.util.find_spec("pycountry")
    assert spec is not None and spec.submodule_search_locations, "pycountry is not installed"
    path = Path(spec.submodule_search_locations[0]) / "databases" / "iso639-3.json"
    entries = json.loads(path.read_text(encoding="utf-8"))["639-3"]
    return frozenset(entry[key].lower() for entry in entries
                     for key in ("alpha_2", "alpha_3", "bibliographic") if entry.get(key))


def is_valid_language(code: str) -> bool:
    """``code`` is an ISO 639 language code (any case): "en", "ES", "haw"."""
    return code.lower() in valid_languages()


def is_valid_language_tag(tag: str) -> bool:
    """A BCP 47-shaped tag whose first subtag is a known language: "en", "zh-Hans-TW"."""
    parts = tag.strip().replace("_", "-").split("-")
    return is_valid_language(parts[0]) and all(_SUBTAG.match(p) for p in parts[1:])
