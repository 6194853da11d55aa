"""The cost ledger: the one owner of ``cost_events``.

Everything that costs — a run's requests, bytes, renders and browser seconds, a build's sample
fetches and renders, SEO crawls and audits, model calls (builds, connection tests) — is recorded
here and nowhere else; every total is read here too. In order:

- ``writer``: ``Owner`` (whose), ``Charge`` (what, how much, at what cost), ``record`` — the only
  code that inserts into ``cost_events`` — and ``fetch_charges`` / ``model_charges``;
- ``prices``: the price table with effective dates for every billable kind, how a charge is
  priced when recorded (exact / default / missing), admin edits, the preview of what the past
  would cost, and the explicit, audited ``reprice`` of a chosen period;
- ``rollups``: the daily summaries (``daily_cost_summaries``) the writer keeps up to date in the
  same transaction, and the day / week / month / kind / job / model / user totals read from them;
- ``totals``: ``totals(session, Scope(...), by=Grouping...)`` over the raw rows (one run, build,
  crawl…), ``quantities``, ``cost_of``, ``recent_model_calls``, and the credit rule (``credits_for``),
  which ``core.credits`` applies to write ``runs.credits_charged``;
- ``money``: amounts as text (``usd_text``, ``usd_short``), never a non-zero $0.0000.

The Model provider page still edits model input/output prices (``core.llm.prices``); each edit
starts the new price here from that moment on.
"""

from core.ledger.totals import (
    CREDITS_PER_UNIT, Grouping, cost_of, ModelCall, ModelCalls, Scope, Total,
    credits_for, per_run, quantities, recent_model_calls, totals,
)
from core.ledger.money import usd_short, usd_text
from core.ledger.prices import quote
from core.ledger.rollups import By, Summed, spent, summed
from core.ledger.writer import Charge, Owner, fetch_charges, model_charges, record
from db.models.costs import COST_UNITS, CostKind, PriceKind, PriceStatus

__all__ = [
    "Charge", "Owner", "record", "fetch_charges", "model_charges", "Scope", "Total", "Grouping",
    "totals", "cost_of", "per_run", "quantities", "ModelCall", "ModelCalls", "recent_model_calls", "CREDITS_PER_UNIT",
    "credits_for", "CostKind", "COST_UNITS", "PriceKind", "PriceStatus",
    "quote", "By", "Summed", "summed", "spent", "usd_text", "usd_short",
]
