"""The one writer of ``cost_events``: ``record(session, owner, charges)``.

A ``Charge`` is a quantity of one ``CostKind`` (its unit follows from the kind), with its cost
in USD when a price is known — ``None`` means unpriced, never free. ``Owner`` says whose it is:
the user, and the run, job, build, SEO crawl, SEO audit or advisor provider run it was spent
on (with the workflow node that spent it). A charge without a
cost is priced here with the price in force at that instant (``core.ledger.prices``) and every
row says how it was priced (``PriceStatus``: exact, default, missing). Rows go in with one
``executemany`` in the caller's transaction, and the daily summaries (``rollups``) follow in
the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import cast
from decimal import Decimal

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from core.ledger import prices, rollups
from db.models.costs import COST_UNITS, CostEvent, CostKind, PriceStatus
from db.types import utcnow


@dataclass(frozen=True)
class Owner:
    user_id: uuid.UUID
    run_id: uuid.UUID | None = None
    job_id: uuid.UUID | None = None
    build_id: uuid.UUID | None = None
    crawl_id: uuid.UUID | None = None
    report_id: uuid.UUID | None = None
    advisor_run_id: uuid.UUID | None = None  # an architecture-advisor provider run
    node: str | None = None  # the workflow node that spent it (advisor: "compute", "validator"…)


@dataclass(frozen=True)
class Charge:
    kind: CostKind
    quantity: Decimal | int | float
    cost_usd: Decimal | None = None
    provider: str | None = None
    model: str | None = None


def record(session: Session, owner: Owner, charges: Iterable[Charge],
           at: datetime | None = None) -> int:
    """Add the charges to the caller's transaction, all stamped ``at`` (default: now); return
    how many rows were written."""
    at = at or utcnow()
    charges = list(charges)
    in_force = prices.prices_in_force(
        session, {CostKind(c.kind).value for c in charges if c.cost_usd is None}, at)
    rows, matched = [], {}  # one match per (kind, provider, model) in this call
    for c in charges:
        kind, quantity = CostKind(c.kind), Decimal(str(c.quantity))
        cost, status, price_id = c.cost_usd, PriceStatus.EXACT, None
        if cost is None:
            key = (kind.value, c.provider, c.model)
            if key not in matched:
                matched[key] = prices.match(in_force, kind.value, c.provider, c.model)
            price, status = matched[key]
            if price is not None:
                cost, price_id = price.cost(quantity), price.id
        rows.append({"id": uuid.uuid4(), "user_id": owner.user_id, "run_id": owner.run_id,
                     "job_id": owner.job_id, "build_id": owner.build_id,
                     "crawl_id": owner.crawl_id, "report_id": owner.report_id,
                     "advisor_run_id": owner.advisor_run_id, "node": owner.node,
                     "kind": kind.value, "quantity": quantity, "unit": COST_UNITS[kind],
                     "provider": c.provider, "model": c.model, "cost_usd": cost,
                     "occurred_at": at, "price_status": status.value, "price_id": price_id})
    if rows:
        session.execute(insert(cast(Table, CostEvent.__table__)), rows)
        rollups.add(session, rows)
    return len(rows)


def fetch_charges(requests: int = 0, bytes_fetched: int = 0, renders: int = 0,
                  browser_seconds: float = 0.0) -> list[Charge]:
    """What fetching and rendering pages costs, as charges (kinds with nothing spent left out)."""
    quantities = ((CostKind.REQUESTS, requests), (CostKind.BYTES_FETCHED, bytes_fetched),
                  (CostKind.RENDERS, renders),
                  (CostKind.BROWSER_SECONDS, round(browser_seconds, 3)))
    return [Charge(kind, quantity) for kind, quantity in quantities if quantity]


def model_charges(provider: str, model: str, input_tokens: int, output_tokens: int,
                  costs: tuple[Decimal, Decimal] | None = None, *, cache_read_tokens: int = 0,
                  cache_write_tokens: int = 0) -> list[Charge]:
    """One model call: its input and its output tokens (both rows, even at 0 tokens, so a call
    is always a pair; cache tokens only when there are some), priced by ``costs`` (input,
    output) when given, else by the price table when recorded (an unknown model: unpriced)."""
    input_cost, output_cost = costs if costs is not None else (None, None)
    found = [Charge(CostKind.LLM_INPUT_TOKENS, input_tokens, input_cost, provider, model),
             Charge(CostKind.LLM_OUTPUT_TOKENS, output_tokens, output_cost, provider, model)]
    for kind, tokens in ((CostKind.LLM_CACHE_READ_TOKENS, cache_read_tokens),
                         (CostKind.LLM_CACHE_WRITE_TOKENS, cache_write_tokens)):
        if tokens:
            found.append(Charge(kind, tokens, None, provider, model))
    return found
