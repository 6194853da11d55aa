"""What a query asks for: its text read for the facts the rules can use, merged with the
constraints the user gave as JSON (which win), and refused when empty or contradictory.

Recognised in the text: requests per second ("10,000 requests per second", "5k rps"), a database
engine (PostgreSQL, MySQL, DynamoDB), a residency geography (EU / Europe, US), an availability
target ("99.95 %"), a monthly budget ("under $3,000 a month"), a latency bound ("under 100 ms")
and compliance words (GDPR, HIPAA, PCI DSS, SOC 2, ISO 27001). JSON keys: ``rps``, ``engine``,
``residency``, ``availability``, ``budget_usd_month``, ``latency_ms``, ``compliance`` (list),
``multi_region`` (bool), ``storage_gb``. Anything else is kept and reported as not checked.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from core.platform import standard_json
from core.platform.errors import ValidationError
from db.models.advisor import Priority, Provider, ProviderScope

MAX_TEXT = 4000
KNOWN_KEYS = {"rps", "engine", "residency", "availability", "budget_usd_month", "latency_ms",
              "compliance", "multi_region", "storage_gb"}
ENGINES = {"postgres": "postgresql", "postgresql": "postgresql", "mysql": "mysql",
           "dynamodb": "dynamodb"}
COMPLIANCE = {"gdpr": "GDPR", "hipaa": "HIPAA", "pci": "PCI DSS", "soc 2": "SOC 2",
              "soc2": "SOC 2", "iso 27001": "ISO 27001"}
_NUMBER = r"(\d[\d,]*(?:\.\d+)?)\s*(k|thousand|m|million)?"
_RPS = re.compile(_NUMBER + r"\s*(?:requests?|req|rps|calls?)\s*(?:per|/|a)?\s*(?:second|sec|s)?\b",
                  re.IGNORECASE)
_AVAILABILITY = re.compile(r"(9\d(?:\.\d+)?)\s*%", re.IGNORECASE)
_BUDGET = re.compile(r"\$\s*" + _NUMBER + r"(?:\s*(?:a|per|/)\s*month|\s*monthly)?", re.IGNORECASE)
_LATENCY = re.compile(r"(\d+)\s*ms\b", re.IGNORECASE)
_EU = re.compile(r"\b(EU|Europe|European|GDPR)\b", re.IGNORECASE)
_US = re.compile(r"\b(US|USA|United States)\b")


@dataclass(frozen=True)
class Constraints:
    rps: float = 100.0
    rps_stated: bool = False
    engine: str | None = None
    residency: str | None = None  # "eu" | "us"
    availability: float | None = None
    budget_usd_month: float | None = None
    latency_ms: float | None = None
    compliance: tuple[str, ...] = ()
    multi_region: bool = False
    storage_gb: float | None = None
    unknown: dict[str, Any] = field(default_factory=dict)
    # Not a constraint: the query's optimisation preference, carried here for the rules (it is
    # stored apart, in ``optimization_preferences``).
    priority: Priority = Priority.COST

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["compliance"] = list(self.compliance)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Constraints:
        data = dict(data)
        data["compliance"] = tuple(data.get("compliance") or ())
        data["priority"] = Priority(data.get("priority") or Priority.COST)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def providers_of(scope: str) -> list[Provider]:
    return [Provider.AWS, Provider.AZURE] if scope == ProviderScope.BOTH else [Provider(scope)]


def parse_scope(text: str) -> ProviderScope:
    """``aws``, ``azure``, ``both`` or a comma list (``aws,azure``)."""
    names = {p.strip().lower() for p in str(text).split(",") if p.strip()}
    unknown = names - {"aws", "azure", "both"}
    if not names or unknown:
        raise ValidationError(f"Unknown provider {', '.join(sorted(unknown)) or '(none)'}: "
                              "choose aws, azure or both.")
    if "both" in names or names == {"aws", "azure"}:
        return ProviderScope.BOTH
    return ProviderScope(names.pop())


def _number(value: str, scale: str | None) -> float:
    n = float(value.replace(",", ""))
    return n * {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6}.get((scale or "").lower(), 1)


def read_text(text: str) -> dict[str, Any]:
    """The constraints the text states."""
    found: dict[str, Any] = {}
    if m := _RPS.search(text):
        found["rps"] = _number(m.group(1), m.group(2))
    lowered = text.lower()
    for word, engine in ENGINES.items():
        if re.search(rf"\b{word}\b", lowered):
            found["engine"] = engine
            break
    if _EU.search(text):
        found["residency"] = "eu"
    elif _US.search(text):
        found["residency"] = "us"
    if m := _AVAILABILITY.search(text):
        found["availability"] = float(m.group(1))
    if m := _BUDGET.search(text):
        found["budget_usd_month"] = _number(m.group(1), m.group(2))
    if m := _LATENCY.search(text):
        found["latency_ms"] = float(m.group(1))
    words = sorted({name for word, name in COMPLIANCE.items() if word in lowered})
    if words:
        found["compliance"] = words
    return found


def parse_constraints_json(text: str | None) -> dict[str, Any]:
    if text is None or not text.strip():
        return {}
    try:
        data = standard_json.loads(text)
    except ValueError as exc:
        raise ValidationError(f"The constraints are not JSON: {standard_json.problem(exc)}.") \
            from None
    if not isinstance(data, dict):
        raise ValidationError("The constraints must be a JSON object, such as "
                              '{"budget_usd_month": 3000, "residency": "eu"}.')
    return data


def build(text: str, given: dict[str, Any] | None) -> Constraints:
    """The query's constraints (the JSON wins over the text); refused when contradictory."""
    if not text or not text.strip():
        raise ValidationError("Describe the system you need: the text is empty.")
    if len(text) > MAX_TEXT:
        raise ValidationError(f"The description is {len(text):,} characters; the limit is "
                              f"{MAX_TEXT:,}.")
    merged = {**read_text(text), **(given or {})}
    unknown = {k: v for k, v in merged.items() if k not in KNOWN_KEYS}
    problems: list[str] = []

    def num(key: str, low: float, high: float) -> float | None:
        value = merged.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not low <= value <= high:
            problems.append(f"{key} must be a number between {low:g} and {high:g}, "
                            f"not {json.dumps(value)[:40]}")
            return None
        return float(value)

    rps = num("rps", 0.001, 10_000_000)
    availability = num("availability", 0, 99.9999)
    budget = num("budget_usd_month", 0, 100_000_000)
    latency = num("latency_ms", 0.1, 600_000)
    storage = num("storage_gb", 0, 100_000_000)
    engine = merged.get("engine")
    if engine is not None and ENGINES.get(str(engine).lower()) is None:
        problems.append(f"engine {str(engine)[:40]!r} is not one the catalogue knows "
                        f"(postgresql, mysql, dynamodb)")
    residency = merged.get("residency")
    if residency is not None and str(residency).lower() not in ("eu", "us"):
        problems.append(f"residency must be eu or us, not {str(residency)[:40]!r}")
    multi_region = merged.get("multi_region", False)
    if not isinstance(multi_region, bool):
        problems.append("multi_region must be true or false")
    compliance = merged.get("compliance") or []
    if not isinstance(compliance, list) or not all(isinstance(c, str) for c in compliance):
        problems.append("compliance must be a list of words, such as [\"GDPR\"]")
        compliance = []
    if budget == 0 and multi_region is True:
        problems.append("a budget of $0 a month cannot pay for a multi-region deployment")
    elif budget == 0:
        problems.append("a budget of $0 a month cannot pay for any deployment")
    if problems:
        raise ValidationError("The constraints cannot be used.", problems)
    return Constraints(
        rps=rps if rps is not None else 100.0, rps_stated=rps is not None,
        engine=ENGINES[str(engine).lower()] if engine else None,
        residency=str(residency).lower() if residency else None, availability=availability,
        budget_usd_month=budget, latency_ms=latency, compliance=tuple(compliance),
        multi_region=bool(multi_region), storage_gb=storage, unknown=unknown)
