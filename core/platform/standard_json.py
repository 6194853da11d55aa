"""JSON read from outside (a page, an agent's answer, what a user typed), kept to standard JSON:
what every stored document must be.

Python's ``json`` reader also takes ``NaN``, ``Infinity`` and ``-Infinity``, and reads ``1e999``
as infinity. PostgreSQL's jsonb and SQLite's JSON functions refuse all of them, so one such
number in a record, a report or an answer would fail its whole write (or its every query).
It also reads an escaped half of a UTF-16 pair (``"\\ud800"`` with no partner) as a lone
surrogate, which no UTF-8 text can hold (a content hash, a stored document, jsonb): here it
reads as U+FFFD, the replacement character, as a browser decodes broken text.
No import beyond the standard library: ``python -m core extract`` loads this.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# An escape of a UTF-16 surrogate in JSON text (the only way a lone surrogate gets in); a whole
# pair matches too, and is then found whole
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def loads(text: str, *, strict: bool = True, nonstandard_as_null: bool = False) -> Any:
    """``json.loads`` kept to standard JSON. Python's reader also takes ``NaN``, ``Infinity``
    and ``-Infinity``, and reads ``1e999`` as infinity; no stored document may carry those
    (PostgreSQL's jsonb and SQLite's JSON functions refuse them). They raise ``ValueError``
    saying so, or, with ``nonstandard_as_null`` (JSON a page wrote: the rest of it is still
    worth reading), read as null. Raises ``ValueError`` for text that is not JSON, an integer
    of more digits than Python converts (4,300) included. Half a UTF-16 pair in a string
    reads as U+FFFD."""
    if nonstandard_as_null:
        value = json.loads(text, strict=strict, parse_constant=_null,
                           parse_float=_finite_or_null)
    else:
        value = json.loads(text, strict=strict, parse_constant=_refused_constant,
                           parse_float=_finite_float)
    return standard(value) if _SURROGATE_ESCAPE.search(text) else value


def problem(exc: ValueError) -> str:
    """Why ``loads`` refused a text, in words: where its syntax breaks ("line 3, column 18:
    Expecting value"), or which value is not JSON."""
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    return str(exc)


def finite_or_none(value: float | None) -> float | None:
    """``value`` when standard JSON can store it; None for infinity and NaN."""
    return value if value is None or math.isfinite(value) else None


def standard(document: Any) -> Any:
    """A document another library parsed from a page (extruct's), made what ``loads`` with
    ``nonstandard_as_null`` reads: a number JSON cannot store becomes None, a lone surrogate
    in a string (a key too) U+FFFD. Lists and dicts are mended in place; walked without
    recursion, however deep the parser nested it."""
    top = [document]
    stack: list[tuple[Any, Any]] = [(top, 0)]  # (container, key or index) of each value to mend
    while stack:
        container, at = stack.pop()
        value = container[at]
        if isinstance(value, str):
            container[at] = _mended(value)
        elif isinstance(value, float):
            container[at] = finite_or_none(value)
        elif isinstance(value, list):
            stack.extend((value, index) for index in range(len(value)))
        elif isinstance(value, dict):
            if any(_LONE_SURROGATE.search(key) for key in value):
                value = container[at] = {_mended(key): item for key, item in value.items()}
            stack.extend((value, key) for key in value)
    return top[0]


def _mended(text: str) -> str:
    if not _LONE_SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _null(_text: str) -> None:
    return None


def _refused_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON value")


def _finite_or_null(text: str) -> float | None:
    return finite_or_none(float(text))


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is beyond what JSON stores")
    return value
