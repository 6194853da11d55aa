"""Model calls in the cost ledger: each call (or sum of calls) becomes two ``cost_events``
rows, ``llm_input_tokens`` and ``llm_output_tokens``, with the provider, the model and their
cost from the ledger's price history (``cost_usd`` NULL when no price matches the model: the tokens are
kept, so the cost can be worked out once a price is added). The rows are written by the ledger
(``core.ledger``); this module only prices the call.

Call ``record_usage`` in a short transaction *after* the model answered, never around it.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.orm import Session

from core import ledger
from core.llm.client import Usage
from db.types import utcnow


def record_usage(session: Session, user_id: uuid.UUID, usage: Usage, *,
                 build_id: uuid.UUID | None = None, run_id: uuid.UUID | None = None,
                 job_id: uuid.UUID | None = None, advisor_run_id: uuid.UUID | None = None,
                 node: str | None = None) -> Decimal | None:
    """Record the call's two ledger rows in the caller's transaction; return the total cost in
    USD, or None when the model has no price."""
    at = utcnow()
    charges = ledger.model_charges(usage.provider, usage.model, usage.input_tokens,
                                   usage.output_tokens)
    ledger.record(session, ledger.Owner(user_id, run_id=run_id, job_id=job_id, build_id=build_id,
                                        advisor_run_id=advisor_run_id, node=node),
                  charges, at=at)
    quoted = ledger.quote(session, charges, at)
    known = [c for c in quoted if c is not None]
    return None if len(known) < len(quoted) else sum(known, Decimal(0))
