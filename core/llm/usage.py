"""Model calls in the cost ledger: each call (or sum of calls) becomes two ``cost_events``
rows, ``llm_input_tokens`` and ``llm_output_tokens``, with the provider, the model and their
cost from the price table (``cost_usd`` NULL when no price matches the model: the tokens are
kept, so the cost can be worked out once a price is added).

Call ``record_usage`` in a short transaction *after* the model answered, never around it.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Actor
from core.llm.client import Usage
from core.llm.prices import price_for
from db.models import CostEvent
from db.types import utcnow

LLM_INPUT_TOKENS = "llm_input_tokens"
LLM_OUTPUT_TOKENS = "llm_output_tokens"
LLM_KINDS = (LLM_INPUT_TOKENS, LLM_OUTPUT_TOKENS)
RECENT_COLUMNS = ["occurred_at", "provider", "model", "input_tokens", "output_tokens",
                  "cost_usd"]


def record_usage(session: Session, user_id: uuid.UUID, usage: Usage, *,
                 build_id: uuid.UUID | None = None, run_id: uuid.UUID | None = None,
                 job_id: uuid.UUID | None = None) -> Decimal | None:
    """Add the two ledger rows for ``usage`` to the caller's transaction; return the total
    cost in USD, or None when the model has no price."""
    price = price_for(session, usage.model)
    costs = price.cost(usage.input_tokens, usage.output_tokens) if price else (None, None)
    at = utcnow()  # one instant for both rows: they are one call
    for kind, tokens, cost in ((LLM_INPUT_TOKENS, usage.input_tokens, costs[0]),
                               (LLM_OUTPUT_TOKENS, usage.output_tokens, costs[1])):
        session.add(CostEvent(user_id=user_id, build_id=build_id, run_id=run_id, job_id=job_id,
                              kind=kind, quantity=Decimal(tokens), unit="tokens",
                              provider=usage.provider, model=usage.model, cost_usd=cost,
                              occurred_at=at))
    session.flush()
    return None if price is None else costs[0] + costs[1]


def recent_llm_costs(session: Session, actor: Actor, limit: int = 50) -> pd.DataFrame:
    """The actor's latest model calls (``RECENT_COLUMNS``), newest first; ``cost_usd`` is NaN
    where the model had no price."""
    rows = session.execute(
        select(CostEvent.occurred_at, CostEvent.provider, CostEvent.model, CostEvent.kind,
               CostEvent.quantity, CostEvent.cost_usd)
        .where(CostEvent.user_id == actor.id, CostEvent.kind.in_(LLM_KINDS))
        .order_by(CostEvent.occurred_at.desc()).limit(limit * 2)).all()
    calls: dict[tuple, dict] = {}
    for at, provider, model, kind, quantity, cost in rows:
        call = calls.setdefault((at, provider, model), {
            "occurred_at": at, "provider": provider, "model": model, "input_tokens": 0,
            "output_tokens": 0, "cost_usd": None})
        call["input_tokens" if kind == LLM_INPUT_TOKENS else "output_tokens"] += int(quantity)
        if cost is not None:
            call["cost_usd"] = float(cost) + (call["cost_usd"] or 0.0)
    return pd.DataFrame(list(calls.values())[:limit], columns=RECENT_COLUMNS)
