"""JSON read from outside (a page, an agent's answer, what a user typed), kept to standard JSON:
what every stored document must be.

Python's ``json`` reader also takes ``NaN``, ``Infinity`` and ``-Infinity``, and reads ``1e999``
as infinity. PostgreSQL's jsonb and SQLite's JSON functions refuse all of them, so one such
number in a record, a report or an answer would fail its whole write (or its every query).
No import beyond the standard library: ``python -m core extract`` loads this.
"""

from __future__ import annotations

import json
import math
from typing import Any


def loads(text: str, *, strict: bool = True, nonstandard_as_null: bool = False) -> Any:
    """``json.loads`` kept to standard JSON. Python's reader also takes ``NaN``, ``Infinity``
    and ``-Infinity``, and reads ``1e999`` as infinity; no stored document may carry those
    (PostgreSQL's jsonb and SQLite's JSON functions refuse them). They raise ``ValueError``
    saying so, or, with ``nonstandard_as_null`` (JSON a page wrote: the rest of it is still
    worth reading), read as null. Raises ``ValueError`` for text that is not JSON, an integer
    of more digits than Python converts (4,300) included."""
    if nonstandard_as_null:
        return json.loads(text, strict=strict, parse_constant=_null, parse_float=_finite_or_null)
    return json.loads(text, strict=strict, parse_constant=_refused_constant,
                      parse_float=_finite_float)


def problem(exc: ValueError) -> str:
    """Why ``loads`` refused a text, in words: where its syntax breaks ("line 3, column 18:
    Expecting value"), or which value is not JSON."""
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    return str(exc)


def finite_or_none(value: float | None) -> float | None:
    """``value`` when standard JSON can store it; None for infinity and NaN."""
    return value if value is None or math.isfinite(value) else None


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
