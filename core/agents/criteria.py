"""Acceptance criteria as a contract: the lines a user writes ("at least 20 items", "every price
> 0", "fill rate of sku >= 0.9", "title contains Lamp") parsed into checks the service runs on an
agent's output. A line that reads as none of these is a free-text criterion: judged by the
configured model when there is one, otherwise reported as "not checked" (never passed silently).
A line that starts like a check but does not parse is refused when the job is created.

Pure functions: no database, no network.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.platform.errors import ValidationError
from core.platform.words import counted
from core.scrape.transforms import parse_number

MAX_CRITERIA = 50
MAX_LINE = 300


class Outcome(enum.StrEnum):
    MET = "met"
    MISSED = "missed"
    NOT_CHECKED = "not_checked"

    @property
    def label(self) -> str:
        return {"met": "met", "missed": "missed", "not_checked": "not checked"}[self.value]


@dataclass(frozen=True)
class Criterion:
    """One parsed line. ``kind``: count | every | fill_rate | contains | free_text."""

    text: str
    kind: str
    field: str | None = None
    op: str | None = None
    value: Any = None


@dataclass(frozen=True)
class Check:
    criterion: Criterion
    outcome: Outcome
    detail: str


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b, "==": lambda a, b: a == b, "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
_OP = r"(>=|<=|!=|==|=|>|<)"
_FIELD = r"([A-Za-z_][\w.\-]*)"
_NUMBER = r"(-?\d+(?:\.\d+)?)"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("at_least", re.compile(rf"^at least {_NUMBER} (?:items?|results?|records?)$", re.I)),
    ("at_most", re.compile(rf"^at most {_NUMBER} (?:items?|results?|records?)$", re.I)),
    ("count", re.compile(rf"^(?:items?|results?|records?) ?{_OP} ?{_NUMBER}$", re.I)),
    ("fill_rate", re.compile(rf"^fill rate of {_FIELD} ?{_OP} ?{_NUMBER}(%?)$", re.I)),
    ("every_present", re.compile(rf"^every {_FIELD} is (?:present|not empty|set)$", re.I)),
    ("every_contains", re.compile(rf"^every {_FIELD} contains (.+)$", re.I)),
    ("every", re.compile(rf"^every {_FIELD} ?{_OP} ?(.+)$", re.I)),
    ("contains", re.compile(rf"^{_FIELD} contains (.+)$", re.I)),
]
# Lines that begin like a check must parse as one; anything else is free text.
_CHECK_START = re.compile(r"^(at least|at most|items?\b|results?\b|records?\b|every\b|"
                          r"fill rate\b)", re.I)


def parse_criteria(text: str) -> list[Criterion]:
    """Every non-empty line (or "; "-separated part) of ``text`` as a criterion."""
    parts = [p.strip(" \t-•*").rstrip(".") for line in text.splitlines()
             for p in line.split(";")]
    lines = [p for p in parts if p]
    if len(lines) > MAX_CRITERIA:
        raise ValidationError(f"At most {MAX_CRITERIA} acceptance criteria, please.")
    return [parse_line(line) for line in lines]


# The signs people type for the operators (≥ on a phone, a Mac's ⌥>).
_SIGNS = str.maketrans({"≥": ">=", "≤": "<=", "≠": "!="})


def parse_line(line: str) -> Criterion:
    if len(line) > MAX_LINE:
        raise ValidationError(f"A criterion is longer than {MAX_LINE} characters.")
    for name, pattern in _PATTERNS:
        match = pattern.match(line.translate(_SIGNS))
        if match:
            return _criterion(name, line, match.groups())
    if _CHECK_START.match(line):
        raise ValidationError(
            f"Cannot read the criterion “{line}”. Write checks like “at least 20 items”, "
            "“items ≥ 20”, “every price > 0”, “every sku is present”, “fill rate of sku >= 0.9” "
            "or “title contains Lamp”; any other sentence is judged by the model.")
    return Criterion(line, "free_text")


def _criterion(name: str, line: str, groups: Sequence[str]) -> Criterion:
    if name == "at_least":
        return Criterion(line, "count", op=">=", value=float(groups[0]))
    if name == "at_most":
        return Criterion(line, "count", op="<=", value=float(groups[0]))
    if name == "count":
        return Criterion(line, "count", op=groups[0], value=float(groups[1]))
    if name == "fill_rate":
        rate = float(groups[2]) / (100 if groups[3] == "%" else 1)
        if not 0 <= rate <= 1:
            raise ValidationError(f"“{line}”: a fill rate is between 0 and 1 (or 0 % and 100 %).")
        return Criterion(line, "fill_rate", field=groups[0], op=groups[1], value=rate)
    if name == "every_present":
        return Criterion(line, "every", field=groups[0], op="present")
    if name == "every_contains":
        return Criterion(line, "every", field=groups[0], op="contains", value=_literal(groups[1]))
    if name == "every":
        return Criterion(line, "every", field=groups[0], op=groups[1], value=_literal(groups[2]))
    return Criterion(line, "contains", field=groups[0], value=_literal(groups[1]))


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”":
        return text[1:-1]
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def items_of(output: Any) -> list[Any]:
    """The records an output holds: a list itself, the one list-valued key of an object (such as
    ``items`` or ``results``), or the object as a single record."""
    if isinstance(output, list):
        return output
    if isinstance(output, dict):
        lists = [v for v in output.values() if isinstance(v, list)]
        if "items" in output and isinstance(output["items"], list):
            return list(output["items"])
        if len(lists) == 1:
            return list(lists[0])
        return [output]
    return []


def check(criteria: Sequence[Criterion], output: Any,
          judge: Callable[[str, Any], tuple[bool, str]] | None = None) -> list[Check]:
    """Each criterion's outcome on ``output``. ``judge(text, output)`` answers free-text
    criteria (a model); without one they are ``not checked``."""
    items = items_of(output)
    return [_check_one(c, output, items, judge) for c in criteria]


def _check_one(criterion: Criterion, output: Any, items: list[Any],
               judge: Callable[[str, Any], tuple[bool, str]] | None) -> Check:
    if criterion.kind == "count":
        met = _compare(len(items), criterion.op, criterion.value)
        return Check(criterion, _outcome(met), counted(len(items), "item"))
    if criterion.kind == "fill_rate":
        filled = sum(1 for item in items if _present(_get(item, criterion.field)))
        rate = filled / len(items) if items else 0.0
        return Check(criterion, _outcome(_compare(rate, criterion.op, criterion.value)),
                     f"{criterion.field} filled on {filled} of {counted(len(items), 'item')} "
                     f"({rate:.0%})")
    if criterion.kind == "every":
        return _check_every(criterion, items)
    if criterion.kind == "contains":
        value = _get(output if isinstance(output, dict) else {}, criterion.field)
        met = value is not None and str(criterion.value).lower() in str(value).lower()
        return Check(criterion, _outcome(met), f"{criterion.field} is {_short(value)}")
    if judge is None:
        return Check(criterion, Outcome.NOT_CHECKED, "no model is configured to judge free text")
    met, reason = judge(criterion.text, output)
    return Check(criterion, _outcome(met), reason)


def _check_every(criterion: Criterion, items: list[Any]) -> Check:
    if not items:
        return Check(criterion, Outcome.MISSED, "no items")
    failing = [i for i, item in enumerate(items) if not _item_meets(criterion, item)]
    if not failing:
        return Check(criterion, Outcome.MET, "the one item" if len(items) == 1
                     else f"all {len(items):,} items")
    shown = ", ".join(str(i + 1) for i in failing[:5]) + (" …" if len(failing) > 5 else "")
    return Check(criterion, Outcome.MISSED,
                 f"{len(failing)} of {counted(len(items), 'item')} "
                 f"{'does' if len(failing) == 1 else 'do'} not (item {shown})")


def _item_meets(criterion: Criterion, item: Any) -> bool:
    value = _get(item, criterion.field)
    if criterion.op == "present":
        return _present(value)
    if criterion.op == "contains":
        return value is not None and str(criterion.value).lower() in str(value).lower()
    return _compare(value, criterion.op, criterion.value)


def _compare(left: Any, op: str | None, right: Any) -> bool:
    if left is None or op not in _OPS:
        return False
    if isinstance(right, float):
        left = _number(left)
        if left is None:
            return False
    elif not isinstance(left, str):
        left = str(left)
    try:
        return bool(_OPS[op](left, right))
    except TypeError:
        return False


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    match = _AMOUNT.match(str(value).strip())
    number = parse_number(match[1]) if match else None
    return None if number is None else float(number)


# A number as a page writes an amount: "3.00", "1,299.50", "£51.77", "51,77 €", "USD 12"; not
# "12 items in stock" (a number inside words is not the value).
_AMOUNT = re.compile(r"^[^\d\-−]{0,4}([-−]?\d[\d.,\s]*?)\s*[^\d\s]{0,4}$")


def _get(item: Any, path: str | None) -> Any:
    value = item
    for key in (path or "").split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _present(value: Any) -> bool:
    return value not in (None, "", [], {})


def _outcome(met: bool) -> Outcome:
    return Outcome.MET if met else Outcome.MISSED


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"“{value}”"
    return text if len(text) <= 60 else text[:57] + "…"
