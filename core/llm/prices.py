"""The model price table: USD per million input and output tokens, by model-name pattern.

Everyone may read it; admins edit it (the Model provider page's table, or ``save_prices``).
Costs are computed by the ledger from its price history (``core.ledger.prices``): every edit
here starts the new input/output prices there from now on (history kept).
The migration seeds ``DEFAULT_PRICES`` (public list prices; check them against your contract),
and ``reset_default_prices`` puts them back.

A model's price is the row whose ``model_pattern`` (case-insensitive shell pattern: ``*`` any
text) matches its name; when several match, the longest pattern wins, so ``gpt-4o-mini*``
beats ``gpt-4o*`` for ``gpt-4o-mini-2024-07-18`` (the ledger matches a call against the prices
in force: ``core.ledger.prices.match``). No match: the tokens are still recorded, with no cost.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.platform import audit
from core.platform.access import Actor, require_admin
from core.platform.errors import ValidationError
from db.models import ModelPrice, User

if TYPE_CHECKING:  # pandas is imported where a table is built, not by every process that
    import pandas as pd  # imports this module (workers and most commands never build one)

MAX_PRICE = Decimal(100_000)  # USD per 1M tokens; anything above is a typo
CENTS_OF_A_CENT = Decimal("0.000001")  # cost_events.cost_usd has 6 decimals

# (provider, model pattern, USD per 1M input tokens, USD per 1M output tokens)
DEFAULT_PRICES: list[tuple[str, str, str, str]] = [
    ("OpenAI", "gpt-4o*", "2.50", "10.00"),
    ("OpenAI", "gpt-4o-mini*", "0.15", "0.60"),
    ("OpenAI", "gpt-4.1*", "2.00", "8.00"),
    ("OpenAI", "gpt-4.1-mini*", "0.40", "1.60"),
    ("OpenAI", "gpt-4.1-nano*", "0.10", "0.40"),
    ("OpenAI", "o3-mini*", "1.10", "4.40"),
    ("OpenAI", "o4-mini*", "1.10", "4.40"),
    ("Anthropic", "claude-*sonnet*", "3.00", "15.00"),
    ("Anthropic", "claude-*haiku*", "0.80", "4.00"),
    ("OpenRouter", "openai/gpt-4o*", "2.50", "10.00"),
    ("OpenRouter", "openai/gpt-4o-mini*", "0.15", "0.60"),
    ("OpenRouter", "openai/gpt-4.1-mini*", "0.40", "1.60"),
    ("OpenRouter", "anthropic/claude-*sonnet*", "3.00", "15.00"),
    ("OpenRouter", "meta-llama/llama-3.1-8b-instruct*", "0.02", "0.03"),
    ("OpenRouter", "meta-llama/llama-3.3-70b-instruct*", "0.12", "0.30"),
    ("OpenRouter", "mistralai/mistral-small*", "0.10", "0.30"),
    ("OpenRouter", "mistralai/mistral-large*", "2.00", "6.00"),
]

PRICE_COLUMNS = ["provider", "model_pattern", "input_per_million", "output_per_million",
                 "currency", "updated_at", "updated_by"]
EDITABLE_COLUMNS = ["provider", "model_pattern", "input_per_million", "output_per_million"]


def price_table(session: Session, actor: Actor) -> pd.DataFrame:
    """Every price row (``PRICE_COLUMNS``), by provider then pattern. Anyone signed in."""
    del actor  # prices are not private: every user sees what their calls cost
    rows = session.execute(
        select(ModelPrice.provider, ModelPrice.model_pattern, ModelPrice.input_per_million,
               ModelPrice.output_per_million, ModelPrice.currency, ModelPrice.updated_at,
               User.email)
        .outerjoin(User, User.id == ModelPrice.updated_by)
        .order_by(ModelPrice.provider, ModelPrice.model_pattern)).all()
    import pandas as pd

    table = pd.DataFrame(rows, columns=PRICE_COLUMNS)
    for column in ("input_per_million", "output_per_million"):
        table[column] = table[column].astype(float)
    return table


def save_prices(session: Session, actor: Actor, rows: Iterable[Mapping[str, Any]]) -> int:
    """Make the table exactly ``rows`` (dicts with ``EDITABLE_COLUMNS``): change, add and
    remove rows to match. Admins only. Every problem is reported at once and nothing is saved
    while there is one. Returns how many rows were added, changed or removed."""
    require_admin(actor)
    wanted = _read_rows(list(rows))
    current = {p.model_pattern.lower(): p for p in session.scalars(select(ModelPrice))}
    changes: list[dict[str, Any]] = []
    for key, (provider, pattern, inp, out) in wanted.items():
        row = current.pop(key, None)
        if row is None:
            session.add(ModelPrice(provider=provider, model_pattern=pattern, input_per_million=inp,
                                   output_per_million=out, updated_by=actor.id))
            changes.append({"added": pattern, "input": str(inp), "output": str(out)})
        elif (row.provider, row.model_pattern, Decimal(row.input_per_million),
              Decimal(row.output_per_million)) != (provider, pattern, inp, out):
            changes.append({"changed": pattern, "input": f"{row.input_per_million} → {inp}",
                            "output": f"{row.output_per_million} → {out}"})
            row.provider, row.model_pattern = provider, pattern
            row.input_per_million, row.output_per_million = inp, out
            row.updated_by = actor.id
    for row in current.values():
        changes.append({"removed": row.model_pattern})
        session.delete(row)
    if changes:
        _sync_ledger(session, actor)
        audit.record(session, actor, "model_prices.save", "model_prices", None,
                     new={"changes": changes})
    return len(changes)


def _sync_ledger(session: Session, actor: Actor) -> None:
    """The ledger's price history (``core.ledger.prices``, what costs are computed from) follows
    this table: changed input/output prices take effect now, removed patterns end now."""
    from core.ledger import prices as ledger_prices
    from db.models.costs import PriceKind

    session.flush()
    wanted: dict[tuple[PriceKind, str, str], tuple[Decimal, int]] = {}
    for row in session.scalars(select(ModelPrice)):
        for kind, usd in ((PriceKind.LLM_INPUT_TOKENS, row.input_per_million),
                          (PriceKind.LLM_OUTPUT_TOKENS, row.output_per_million)):
            wanted[(kind, row.provider, row.model_pattern)] = (Decimal(usd), 1_000_000)
    model_kinds = (PriceKind.LLM_INPUT_TOKENS, PriceKind.LLM_OUTPUT_TOKENS)
    ledger_prices.sync_open_prices(session, actor, model_kinds, wanted,
                                   close_missing=model_kinds)


def reset_default_prices(session: Session, actor: Actor) -> int:
    """Replace the whole table by ``DEFAULT_PRICES``. Admins only."""
    require_admin(actor)
    session.execute(delete(ModelPrice))
    seed_default_prices(session)
    _sync_ledger(session, actor)
    audit.record(session, actor, "model_prices.reset", "model_prices", None)
    return len(DEFAULT_PRICES)


def seed_default_prices(session: Session) -> None:
    """Insert ``DEFAULT_PRICES`` rows whose pattern is not in the table yet (and the ledger's
    starting prices that are missing: costs are computed from those)."""
    from core.ledger.prices import seed_starting_prices

    seed_starting_prices(session)
    present = {p.lower() for p in session.scalars(select(ModelPrice.model_pattern))}
    session.add_all(ModelPrice(provider=provider, model_pattern=pattern,
                               input_per_million=Decimal(inp), output_per_million=Decimal(out))
                    for provider, pattern, inp, out in DEFAULT_PRICES
                    if pattern.lower() not in present)
    session.flush()


def _read_rows(rows: list[Mapping[str, Any]]) -> dict[str, tuple[str, str, Decimal, Decimal]]:
    problems: list[str] = []
    wanted: dict[str, tuple[str, str, Decimal, Decimal]] = {}
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        if all(_blank(row.get(column)) for column in EDITABLE_COLUMNS):
            continue  # an empty row the table editor added: ignore it
        where = f"row {number}"
        provider = "" if _blank(row.get("provider")) else str(row["provider"]).strip()
        pattern = "" if _blank(row.get("model_pattern")) else str(row["model_pattern"]).strip()
        if not pattern:
            problems.append(f"{where}: the model pattern is empty")
        elif len(pattern) > 120 or len(provider) > 60:
            problems.append(f"{where}: the pattern is limited to 120 characters, the provider "
                            "to 60")
        elif pattern.lower() in seen:
            problems.append(f"{where}: {pattern!r} is listed twice")
        seen.add(pattern.lower())
        prices = [_price(row.get(column), f"{where}: {label}", problems)
                  for column, label in (("input_per_million", "input price"),
                                        ("output_per_million", "output price"))]
        given, taken = prices
        if pattern and given is not None and taken is not None:
            wanted.setdefault(pattern.lower(), (provider, pattern, given, taken))
    if problems:
        raise ValidationError("The price table was not saved.", problems)
    return wanted


def _price(value: Any, where: str, problems: list[str]) -> Decimal | None:
    if _blank(value):
        problems.append(f"{where} is missing (USD per million tokens)")
        return None
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        problems.append(f"{where} must be a number, not {value!r}")
        return None
    if not price.is_finite() or price < 0 or price > MAX_PRICE:
        problems.append(f"{where} must be from 0 to {MAX_PRICE} USD per million tokens")
        return None
    return price.quantize(CENTS_OF_A_CENT)


def _blank(value: Any) -> bool:
    pandas = sys.modules.get("pandas")  # pandas.NA comes only from a table, so pandas is loaded
    if pandas is not None and value is pandas.NA:
        return True
    return value is None or (isinstance(value, float) and math.isnan(value)) or \
        (isinstance(value, str) and not value.strip())
