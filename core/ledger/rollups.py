"""Daily cost summaries (seed 001 ``daily_cost_summaries``): what each user spent per UTC day,
kind, provider, model and job, kept up to date by ``record`` in the same transaction as the
ledger rows (an atomic upsert, so several workers add to the same row safely), and the totals
read from them — by day, ISO week, month, kind, job, model, provider or user — without touching
the raw ledger. ``rebuild_days`` recomputes whole days from the ledger (after a re-pricing).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, case, delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.models.costs import CostEvent, CostKind, DailyCostSummary

KEY = ("user_id", "day", "kind", "provider", "model", "job_key")


def utc_day(at: datetime) -> date:
    return (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).date()


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    table = cast(Table, DailyCostSummary.__table__)
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    statement = insert(table)
    excluded = statement.excluded
    session.execute(statement.on_conflict_do_update(index_elements=list(KEY), set_={
        name: table.c[name] + excluded[name]
        for name in ("quantity", "cost_usd", "events", "unpriced")}), rows)


def add(session: Session, ledger_rows: Sequence[dict[str, Any]]) -> None:
    """Fold freshly inserted ledger rows into their days' summaries (caller's transaction)."""
    sums: dict[tuple[Any, ...], list[Any]] = {}
    for row in ledger_rows:
        key = (row["user_id"], utc_day(row["occurred_at"]), row["kind"], row["provider"] or "",
               row["model"] or "", str(row["job_id"]) if row["job_id"] else "")
        found = sums.setdefault(key, [Decimal(0), Decimal(0), 0, 0])
        found[0] += row["quantity"]
        found[1] += row["cost_usd"] or Decimal(0)
        found[2] += 1
        found[3] += row["cost_usd"] is None
    if sums:  # a fixed order, so concurrent writers lock rows in the same order
        _upsert(session, [dict(zip(KEY, key), id=uuid.uuid4(), quantity=v[0], cost_usd=v[1],
                               events=v[2], unpriced=v[3])
                          for key, v in sorted(sums.items(), key=lambda kv: str(kv[0]))])


def rebuild_days(session: Session, since: datetime, until: datetime) -> None:
    """Recompute the summaries of every UTC day that [since, until) touches, from the ledger."""
    first, last = utc_day(since), utc_day(until - timedelta(microseconds=1))
    start = datetime(first.year, first.month, first.day, tzinfo=timezone.utc)
    end = datetime(last.year, last.month, last.day, tzinfo=timezone.utc) + timedelta(days=1)
    session.flush()
    session.execute(delete(DailyCostSummary).where(DailyCostSummary.day >= first,
                                                   DailyCostSummary.day <= last))
    rows = session.execute(select(CostEvent.user_id, CostEvent.occurred_at, CostEvent.kind,
                                  CostEvent.provider, CostEvent.model, CostEvent.job_id,
                                  CostEvent.quantity, CostEvent.cost_usd)
                           .where(CostEvent.occurred_at >= start, CostEvent.occurred_at < end))
    add(session, [r._asdict() for r in rows])


# --- Reading -------------------------------------------------------------------------------------

class By(enum.StrEnum):
    KIND = "kind"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    JOB = "job"
    MODEL = "model"
    PROVIDER = "provider"
    USER = "user"


@dataclass(frozen=True)
class Summed:
    group: str  # the group's key ('' for "none", e.g. spending outside any job)
    kind: CostKind
    quantity: Decimal
    cost_usd: Decimal
    events: int
    unpriced: int


def _group_of(by: By, row: Any) -> str:
    if by is By.DAY:
        return row.day.isoformat()
    if by is By.WEEK:
        monday = row.day - timedelta(days=row.day.weekday())
        return monday.isoformat()
    if by is By.MONTH:
        return row.day.strftime("%Y-%m")
    if by is By.JOB:
        return row.job_key
    if by is By.MODEL:
        return f"{row.provider}/{row.model}" if row.model else ""
    if by is By.PROVIDER:
        return row.provider
    if by is By.USER:
        return str(row.user_id)
    return ""


def summed(session: Session, since: date, until: date, *, user_id: uuid.UUID | None = None,
           by: By = By.KIND) -> list[Summed]:
    """Totals per group and kind over the days [since, until), from the summaries (all users
    when ``user_id`` is None), in group then kind order."""
    by = By(by)
    by_group: dict[By, list[InstrumentedAttribute[Any]]] = {
        By.DAY: [DailyCostSummary.day], By.WEEK: [DailyCostSummary.day],
        By.MONTH: [DailyCostSummary.day], By.JOB: [DailyCostSummary.job_key],
        By.MODEL: [DailyCostSummary.provider, DailyCostSummary.model],
        By.PROVIDER: [DailyCostSummary.provider], By.USER: [DailyCostSummary.user_id],
        By.KIND: []}
    columns = by_group[by]
    query = (select(*columns, DailyCostSummary.kind, func.sum(DailyCostSummary.quantity),
                    func.sum(DailyCostSummary.cost_usd), func.sum(DailyCostSummary.events),
                    func.sum(DailyCostSummary.unpriced))
             .where(DailyCostSummary.day >= since, DailyCostSummary.day < until)
             .group_by(*columns, DailyCostSummary.kind))
    if user_id is not None:
        query = query.where(DailyCostSummary.user_id == user_id)
    sums: dict[tuple[str, str], list[Any]] = {}
    for row in session.execute(query):
        fields = row._mapping
        named = SimpleNamespace(**{c.key: fields[c.key] for c in columns})
        key = (_group_of(by, named), row.kind)
        found = sums.setdefault(key, [Decimal(0), Decimal(0), 0, 0])
        values = list(row)[-4:]
        for i, value in enumerate(values):
            found[i] += Decimal(value or 0) if i < 2 else int(value or 0)
    return [Summed(group, CostKind(kind), v[0], v[1].quantize(Decimal("0.0000000001")), v[2], v[3])
            for (group, kind), v in sorted(sums.items())]


def spent(session: Session, user_id: uuid.UUID, since: date, until: date) -> Decimal:
    """USD a user's priced ledger rows add up to over the days [since, until)."""
    total = session.scalar(select(func.coalesce(func.sum(DailyCostSummary.cost_usd), 0)).where(
        DailyCostSummary.user_id == user_id, DailyCostSummary.day >= since,
        DailyCostSummary.day < until))
    return Decimal(total or 0)


def unpriced_rows(session: Session, user_id: uuid.UUID | None, since: date, until: date) -> int:
    query = select(func.coalesce(func.sum(case((DailyCostSummary.unpriced > 0,
                                                DailyCostSummary.unpriced), else_=0)), 0)).where(
        DailyCostSummary.day >= since, DailyCostSummary.day < until)
    if user_id is not None:
        query = query.where(DailyCostSummary.user_id == user_id)
    return int(session.scalar(query) or 0)
