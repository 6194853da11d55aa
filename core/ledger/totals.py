"""What the ledger adds up: totals per kind over any scope (a run, build, job, crawl, audit,
user, period), optionally grouped (by run, build, job, user, day, month, model…), a user's
recent model calls, and the credits a run is charged.

Quantities of different kinds are never added together: every ``Total`` is one kind. Its
``cost_usd`` is the sum of the priced rows; ``unpriced`` counts the rows that had no price, so
"$0.00 with 3 unpriced" is never mistaken for free.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import Session

from core.platform.access import Actor
from db.models.costs import CostEvent, CostKind

if TYPE_CHECKING:
    import pandas as pd

MODEL_KINDS = (CostKind.LLM_INPUT_TOKENS, CostKind.LLM_OUTPUT_TOKENS)


class Grouping(enum.StrEnum):
    RUN = "run"
    BUILD = "build"
    JOB = "job"
    CRAWL = "crawl"
    AUDIT = "audit"
    USER = "user"
    MODEL = "model"
    DAY = "day"
    MONTH = "month"
    NODE = "node"  # the workflow node that spent it (advisor runs)


@dataclass(frozen=True)
class Scope:
    """Which ledger rows to add up (every filter given must hold)."""

    user_id: uuid.UUID | None = None
    run_id: uuid.UUID | None = None
    job_id: uuid.UUID | None = None
    build_id: uuid.UUID | None = None
    crawl_id: uuid.UUID | None = None
    report_id: uuid.UUID | None = None
    advisor_run_id: uuid.UUID | None = None
    kinds: tuple[CostKind, ...] = ()
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


@dataclass(frozen=True)
class Total:
    kind: CostKind
    quantity: Decimal
    cost_usd: Decimal
    unpriced: int  # rows without a price
    group: str | None = None  # the group's key (an id, "2026-12-05", "OpenAI/gpt-4o"…)

    @property
    def priced(self) -> bool:
        return self.unpriced == 0


def _conditions(scope: Scope) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    for name in ("user_id", "run_id", "job_id", "build_id", "crawl_id", "report_id",
                 "advisor_run_id"):
        value = getattr(scope, name)
        if value is not None:
            found.append(getattr(CostEvent, name) == value)
    if scope.kinds:
        found.append(CostEvent.kind.in_([k.value for k in scope.kinds]))
    if scope.since is not None:
        found.append(CostEvent.occurred_at >= scope.since)
    if scope.until is not None:
        found.append(CostEvent.occurred_at < scope.until)
    return found


def _group_key(session: Session, by: Grouping) -> Any:
    columns = {Grouping.RUN: CostEvent.run_id, Grouping.BUILD: CostEvent.build_id,
               Grouping.JOB: CostEvent.job_id, Grouping.CRAWL: CostEvent.crawl_id,
               Grouping.AUDIT: CostEvent.report_id, Grouping.USER: CostEvent.user_id,
               Grouping.NODE: CostEvent.node}
    if by in columns:
        return columns[by]
    if by is Grouping.MODEL:
        return func.coalesce(CostEvent.provider, "") + "/" + func.coalesce(CostEvent.model, "")
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        pattern = "YYYY-MM-DD" if by is Grouping.DAY else "YYYY-MM"
        return func.to_char(func.timezone("UTC", CostEvent.occurred_at), pattern)
    return func.strftime("%Y-%m-%d" if by is Grouping.DAY else "%Y-%m", CostEvent.occurred_at)


def totals(session: Session, scope: Scope, by: Grouping | None = None) -> list[Total]:
    """One ``Total`` per kind (per group and kind with ``by``), in group then kind order."""
    key = _group_key(session, Grouping(by)) if by is not None else literal(None)
    query = (select(key.label("group"), CostEvent.kind, func.sum(CostEvent.quantity),
                    func.sum(func.coalesce(CostEvent.cost_usd, 0)),
                    func.sum(case((CostEvent.cost_usd.is_(None), 1), else_=0)))
             .where(*_conditions(scope)).group_by(key, CostEvent.kind).order_by(key, CostEvent.kind))
    return [Total(kind=CostKind(kind), quantity=Decimal(quantity), cost_usd=Decimal(cost),
                  unpriced=int(unpriced), group=None if group is None else str(group))
            for group, kind, quantity, cost, unpriced in session.execute(query)]


def cost_of(session: Session, scope: Scope) -> Decimal:
    """What the scope's priced rows cost, in USD (unpriced rows add nothing)."""
    return Decimal(session.scalar(select(func.coalesce(func.sum(CostEvent.cost_usd), 0))
                                  .where(*_conditions(scope))) or 0)


def per_run(session: Session,
            *runs: ColumnElement[bool]) -> dict[uuid.UUID, dict[CostKind, tuple[Decimal, Decimal]]]:
    """Per run matching the conditions on ``runs`` (``Run.user_id == …``): kind → (quantity,
    cost of the priced rows). Read through the run index: it costs what those runs recorded."""
    from db.models.scraping import Run

    found: dict[uuid.UUID, dict[CostKind, tuple[Decimal, Decimal]]] = {}
    query = (select(CostEvent.run_id, CostEvent.kind, func.sum(CostEvent.quantity),
                    func.sum(func.coalesce(CostEvent.cost_usd, 0)))
             .join(Run, Run.id == CostEvent.run_id).where(*runs)
             .group_by(CostEvent.run_id, CostEvent.kind))
    for run_id, kind, quantity, cost in session.execute(query):
        assert run_id is not None  # joined to a run
        found.setdefault(run_id, {})[CostKind(kind)] = (Decimal(quantity), Decimal(cost))
    return found


def quantities(session: Session, scope: Scope) -> dict[CostKind, Decimal]:
    """Kind → quantity over the scope (kinds with nothing recorded left out)."""
    return {t.kind: t.quantity for t in totals(session, scope)}


# --- Model calls ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelCall:
    occurred_at: datetime
    provider: str | None
    model: str | None
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal | None  # None: the model had no price


@dataclass(frozen=True)
class ModelCalls:
    """A user's latest model calls, newest first, and what they add up to."""

    calls: list[ModelCall] = field(default_factory=list)

    @property
    def input_tokens(self) -> int:
        return sum(c.input_tokens for c in self.calls)

    @property
    def output_tokens(self) -> int:
        return sum(c.output_tokens for c in self.calls)

    @property
    def cost_usd(self) -> Decimal:
        """Of the priced calls."""
        return sum((c.cost_usd for c in self.calls if c.cost_usd is not None), Decimal(0))

    @property
    def unpriced(self) -> int:
        return sum(c.cost_usd is None for c in self.calls)

    def table(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            [(c.occurred_at, c.provider, c.model, c.input_tokens, c.output_tokens,
              None if c.cost_usd is None else float(c.cost_usd)) for c in self.calls],
            columns=["occurred_at", "provider", "model", "input_tokens", "output_tokens",
                     "cost_usd"])


def recent_model_calls(session: Session, actor: Actor, limit: int = 50) -> ModelCalls:
    """The actor's own latest ``limit`` model calls (a call is its input and output rows, which
    share their instant, provider and model)."""
    rows = session.execute(
        select(CostEvent.occurred_at, CostEvent.provider, CostEvent.model, CostEvent.kind,
               CostEvent.quantity, CostEvent.cost_usd)
        .where(CostEvent.user_id == actor.id,
               CostEvent.kind.in_([k.value for k in MODEL_KINDS]))
        .order_by(CostEvent.occurred_at.desc()).limit(limit * 2)).all()
    calls: dict[tuple[Any, ...], dict[str, Any]] = {}
    for at, provider, model, kind, quantity, cost in rows:
        call = calls.setdefault((at, provider, model), {
            "occurred_at": at, "provider": provider, "model": model, "input_tokens": 0,
            "output_tokens": 0, "cost_usd": None})
        side = "input_tokens" if kind == CostKind.LLM_INPUT_TOKENS else "output_tokens"
        call[side] += int(quantity)
        if cost is not None:
            call["cost_usd"] = Decimal(cost) + (call["cost_usd"] or Decimal(0))
    return ModelCalls([ModelCall(**c) for c in list(calls.values())[:limit]])


# --- Credits -------------------------------------------------------------------------------------

# The credit rule (seed 002 ``runs.credits_charged``): a run is charged
#   1 credit per HTTP request (retries included) + 4 per page rendered in Chromium
#   + 1 per 1,000 model tokens (input and output),
# from its ledger rows, when it ends (and when a dead worker's run is marked failed).
CREDITS_PER_UNIT = {CostKind.REQUESTS: Decimal(1), CostKind.RENDERS: Decimal(4),
                    CostKind.LLM_INPUT_TOKENS: Decimal("0.001"),
                    CostKind.LLM_OUTPUT_TOKENS: Decimal("0.001")}


def credits_for(spent: dict[CostKind, Decimal]) -> Decimal:
    """Credits for these quantities, by the rule above (4 decimals, like the column)."""
    total = sum((spent.get(kind, Decimal(0)) * rate for kind, rate in CREDITS_PER_UNIT.items()),
                Decimal(0))
    return total.quantize(Decimal("0.0001"))
