"""What changed between two audits of the same page or site: new, fixed and persisting issues.

Pure functions, no I/O. An issue is identified by ``(audit id, evidence key)``: the audit that
failed and the element, header or value that made it fail. Two reports share an issue when both
hold the same pair, whatever its wording or weight, so a reworded recommendation is not "new".

    before = issues_of_audit(old_report_audit)   # dicts as page_audit_to_dict makes them
    after = issues_of_audit(new_report_audit)
    change = diff_issues(before, after)           # change.new / .fixed / .persisting

``diff_issues`` only needs ``audit_id`` and ``key`` on each item, so site-crawl findings (which
carry stable keys too) can be compared with it as they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

# Evidence fields that identify an element better than the whole item (whose other fields,
# such as a snippet of surrounding HTML, may change while the element stays the same).
IDENTIFYING_FIELDS = ("key", "url", "href", "src", "selector", "header", "name", "lang",
                      "property", "node", "snippet", "text", "value")


class Keyed(Protocol):
    @property
    def audit_id(self) -> str: ...

    @property
    def key(self) -> str: ...


K = TypeVar("K", bound=Keyed)


@dataclass(frozen=True)
class Issue:
    """One failing item of one audit (``key`` is "" when the audit failed as a whole, without
    itemised evidence, e.g. a missing title)."""

    audit_id: str
    key: str
    title: str
    detail: str
    points_recoverable: float = 0.0


@dataclass(frozen=True)
class IssueDiff(Generic[K]):
    new: list[K]
    fixed: list[K]
    persisting: list[K]


def evidence_key(item: Any) -> str:
    """A stable key for one evidence item: its identifying field when it has one, else the item
    itself as canonical JSON."""
    if isinstance(item, Mapping):
        for field in IDENTIFYING_FIELDS:
            value = item.get(field)
            if value not in (None, ""):
                return f"{field}={value}" if field != "key" else str(value)
        return json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)
    return str(item)


def evidence_text(item: Any) -> str:
    """A one-line reading of an evidence item for tables and reports (never Python's repr of a
    list or dict: ``missing: og:title, og:image; found: none``)."""
    if isinstance(item, Mapping):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in item.items() if v not in (None, ""))
    return _plain(item)


def _plain(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_plain(v)}" for k, v in value.items()) or "none"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(_plain(v) for v in value) or "none"
    return str(value)


def issues_of_audit(audit: Mapping[str, Any] | None) -> list[Issue]:
    """The failing issues of an audit document: one per evidence item of each failed audit, or
    one for the audit when it lists no items."""
    issues: list[Issue] = []
    for result in (audit or {}).get("audits", []):
        if result.get("verdict") != "fail":
            continue
        evidence = result.get("evidence") or []
        points = float(result.get("points_recoverable") or 0.0)
        title = result.get("title") or result.get("id", "")
        if not evidence:
            issues.append(Issue(result["id"], "", title, "", points))
        for item in evidence:
            issues.append(Issue(result["id"], evidence_key(item), title, evidence_text(item),
                                points))
    return issues


def diff_issues(before: Iterable[K], after: Iterable[K]) -> IssueDiff[K]:
    """Issues only in ``after`` (new), only in ``before`` (fixed) and in both (persisting, as
    they are in ``after``). Order follows the input; duplicates of a key count once."""
    old = {(i.audit_id, i.key): i for i in before}
    current = {(i.audit_id, i.key): i for i in after}
    return IssueDiff(new=[i for k, i in current.items() if k not in old],
                     fixed=[i for k, i in old.items() if k not in current],
                     persisting=[i for k, i in current.items() if k in old])
