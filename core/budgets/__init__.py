"""Budgets: a user's daily, weekly and monthly spending limits, their alerts and the stop.

Owns ``cost_budgets``, ``budget_alerts`` (seed 001 ``alert_history``) and
``in_app_notifications``. What a user spent comes from the ledger's daily summaries
(``core.ledger.spent``), which every worker updates in its own transaction, so the check holds
with several workers: it reads the database, never one process's memory.

- ``set_budget``: an admin sets anyone's, a user their own; negative or non-numeric amounts, a
  threshold over 100 % and a limit below what the period has already spent are refused.
- ``check_start``: new work is refused with ``BudgetReached``, naming the budget and how to
  raise it, while a limit with auto-stop is reached.
- ``after_charge``: called after a worker records costs: each threshold crossed fires once per
  period (a unique row, whoever sees it first) as an in-app notification; returns the reason
  to stop when a limit with auto-stop is reached (the worker then stops gracefully, keeping
  what it has, as "stopped: budget reached").
- notifications: ``notifications``, ``unread_count``, ``mark_read`` (kept once read).

Periods are UTC: a day, an ISO week (Monday to Sunday), a calendar month.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import ledger
from core.ledger.prices import read_amount
from core.platform import audit
from core.platform.access import Actor
from core.platform.errors import Conflict, PermissionDenied, ValidationError
from db.models.budgets import BudgetAlert, BudgetPeriod, CostBudget, InAppNotification
from db.types import utcnow

STOPPED_BY_BUDGET = "stopped: budget reached"
HOW_TO_RAISE = ("raise it on the Costs page or with `python -m core costs budget set`, "
                "or wait for the next period")


class BudgetReached(Conflict):
    """A limit with auto-stop is reached: the message names it and says how to raise it."""


def period_bounds(period: BudgetPeriod, today: date) -> tuple[date, date]:
    """[start, end) of the period that holds ``today``."""
    if period is BudgetPeriod.DAILY:
        return today, today + timedelta(days=1)
    if period is BudgetPeriod.WEEKLY:
        start = today - timedelta(days=today.weekday())
        return start, start + timedelta(days=7)
    start = today.replace(day=1)
    return start, (start + timedelta(days=32)).replace(day=1)


@dataclass(frozen=True)
class PeriodSpend:
    period: BudgetPeriod
    start: date
    end: date
    limit_usd: Decimal | None
    spent_usd: Decimal

    @property
    def percent(self) -> float | None:
        if self.limit_usd is None or self.limit_usd == 0:
            return None if self.limit_usd is None else 100.0
        return float(self.spent_usd / self.limit_usd * 100)

    @property
    def reached(self) -> bool:
        return self.limit_usd is not None and self.spent_usd >= self.limit_usd

    def describe(self) -> str:
        return (f"your {self.period.value} budget of ${self.limit_usd:,.2f} "
                f"(${self.spent_usd:,.4f} spent since {self.start.isoformat()})")


@dataclass(frozen=True)
class Budget:
    user_id: uuid.UUID
    limits: dict[BudgetPeriod, Decimal | None]
    thresholds: list[int]
    auto_stop: bool
    spend: list[PeriodSpend]


def _today() -> date:
    return utcnow().date()


def _limits(row: CostBudget | None) -> dict[BudgetPeriod, Decimal | None]:
    if row is None:
        return {p: None for p in BudgetPeriod}
    return {BudgetPeriod.DAILY: row.daily_usd, BudgetPeriod.WEEKLY: row.weekly_usd,
            BudgetPeriod.MONTHLY: row.monthly_usd}


def get_budget(session: Session, actor: Actor, user_id: uuid.UUID | None = None,
               today: date | None = None) -> Budget:
    """A user's limits and what each period has spent so far (their own; admins anyone's)."""
    user_id = _whose(actor, user_id)
    row = session.scalar(select(CostBudget).where(CostBudget.user_id == user_id))
    return _budget(session, user_id, row, today or _today())


def _budget(session: Session, user_id: uuid.UUID, row: CostBudget | None, today: date) -> Budget:
    limits = _limits(row)
    spend = []
    for period in BudgetPeriod:
        start, end = period_bounds(period, today)
        spend.append(PeriodSpend(period, start, end, None if limits[period] is None
                                 else Decimal(limits[period]),  # type: ignore[arg-type]
                                 ledger.spent(session, user_id, start, end)))
    return Budget(user_id, limits, list(row.thresholds) if row else [50, 80, 100],
                  bool(row.auto_stop) if row else True, spend)


def _whose(actor: Actor, user_id: uuid.UUID | None) -> uuid.UUID:
    if user_id is None or user_id == actor.id:
        return actor.id
    if not actor.is_admin:
        raise PermissionDenied("Only an admin can see or set another user's budget.")
    return user_id


def _amount(value: Any, period: BudgetPeriod) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return read_amount(value, f"The {period.value} budget").quantize(Decimal("0.01"))


def _thresholds(values: Any) -> list[int]:
    found = []
    for value in values:
        try:
            number = int(str(value).strip().rstrip("%"))
        except ValueError:
            raise ValidationError(f"An alert threshold must be a whole percentage, not "
                                  f"{value!r}.") from None
        if not 1 <= number <= 100:
            raise ValidationError(f"An alert threshold must be from 1 to 100 %, not {number}.")
        found.append(number)
    return sorted(set(found))


def set_budget(session: Session, actor: Actor, user_id: uuid.UUID | None = None, *,
               daily: Any = None, weekly: Any = None, monthly: Any = None,
               thresholds: Any = (50, 80, 100), auto_stop: bool = True,
               today: date | None = None) -> Budget:
    """Set a user's budget (None or '' for a period: no limit). Nothing is written when any
    value is refused."""
    user_id = _whose(actor, user_id)
    if not actor.can_write and not actor.is_admin:
        raise PermissionDenied("A viewer cannot set a budget.")
    limits = {BudgetPeriod.DAILY: _amount(daily, BudgetPeriod.DAILY),
              BudgetPeriod.WEEKLY: _amount(weekly, BudgetPeriod.WEEKLY),
              BudgetPeriod.MONTHLY: _amount(monthly, BudgetPeriod.MONTHLY)}
    levels = _thresholds(thresholds)
    today = today or _today()
    for spend in _budget(session, user_id, None, today).spend:
        limit = limits[spend.period]
        if limit is not None and limit < spend.spent_usd:
            raise ValidationError(
                f"The {spend.period.value} budget ${limit:,.2f} is below what this "
                f"{spend.period.value.removesuffix('ly').replace('dai', 'day')} has already "
                f"spent (${spend.spent_usd:,.4f}): set at least that, or no limit.")
    row = session.scalar(select(CostBudget).where(CostBudget.user_id == user_id)
                         .with_for_update())
    old = None if row is None else {"daily": str(row.daily_usd), "weekly": str(row.weekly_usd),
                                    "monthly": str(row.monthly_usd)}
    if row is None:
        row = CostBudget(user_id=user_id)
        session.add(row)
    row.daily_usd, row.weekly_usd = limits[BudgetPeriod.DAILY], limits[BudgetPeriod.WEEKLY]
    row.monthly_usd, row.thresholds = limits[BudgetPeriod.MONTHLY], levels
    row.auto_stop, row.updated_by = auto_stop, actor.id
    session.flush()
    audit.record(session, actor, "budget.set", "cost_budgets", user_id, old=old, new={
        "daily": str(row.daily_usd), "weekly": str(row.weekly_usd),
        "monthly": str(row.monthly_usd), "thresholds": levels, "auto_stop": auto_stop})
    return _budget(session, user_id, row, today)


def _reached(session: Session, user_id: uuid.UUID, today: date) -> tuple[Budget | None,
                                                                        PeriodSpend | None]:
    row = session.scalar(select(CostBudget).where(CostBudget.user_id == user_id))
    if row is None:
        return None, None
    budget = _budget(session, user_id, row, today)
    hit = next((s for s in budget.spend if s.reached), None)
    return budget, hit


def check_start(session: Session, user_id: uuid.UUID, what: str = "run",
                today: date | None = None) -> None:
    """Refuse new work while a limit with auto-stop is reached."""
    budget, hit = _reached(session, user_id, today or _today())
    if budget is not None and hit is not None and budget.auto_stop:
        raise BudgetReached(f"This {what} was not started: {hit.describe()} is reached; "
                            f"{HOW_TO_RAISE}.")


def over_budget(session: Session, user_id: uuid.UUID, today: date | None = None) -> str | None:
    """Why new work would be refused now (``check_start``'s message), or None."""
    try:
        check_start(session, user_id, today=today)
    except BudgetReached as exc:
        return str(exc)
    return None


def after_charge(session: Session, user_id: uuid.UUID, today: date | None = None) -> str | None:
    """Fire the thresholds this user's spending has crossed (once per period each) and return
    why work must stop when a limit with auto-stop is reached (else None)."""
    budget, hit = _reached(session, user_id, today or _today())
    if budget is None:
        return None
    for spend in budget.spend:
        percent = spend.percent
        if percent is None:
            continue
        for level in budget.thresholds:
            if percent >= level:
                _fire(session, user_id, spend, level)
    if hit is not None and budget.auto_stop:
        return f"{STOPPED_BY_BUDGET}: {hit.describe()}"
    return None


def _fire(session: Session, user_id: uuid.UUID, spend: PeriodSpend, level: int) -> None:
    fired = session.scalar(select(BudgetAlert.id).where(
        BudgetAlert.user_id == user_id, BudgetAlert.period == spend.period.value,
        BudgetAlert.period_start == spend.start, BudgetAlert.threshold == level))
    if fired is not None:
        return
    try:
        with session.begin_nested():  # another worker firing the same alert wins cleanly
            session.add(BudgetAlert(user_id=user_id, period=spend.period.value,
                                    period_start=spend.start, threshold=level,
                                    limit_usd=spend.limit_usd, spent_usd=spend.spent_usd))
            session.flush()
    except IntegrityError:
        return
    title = (f"{spend.period.value.capitalize()} budget: {level} % reached" if level < 100 else
             f"{spend.period.value.capitalize()} budget reached")
    session.add(InAppNotification(user_id=user_id, title=title, body=(
        f"${spend.spent_usd:,.4f} of ${spend.limit_usd:,.2f} spent since "
        f"{spend.start.isoformat()} (UTC)." + (f" Work stops at the limit: {HOW_TO_RAISE}."
                                               if level >= 100 else ""))))


# --- Notifications -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Notification:
    id: uuid.UUID
    title: str
    body: str
    created_at: datetime
    read: bool


def notifications(session: Session, actor: Actor, limit: int = 100) -> list[Notification]:
    """The actor's notifications, newest first (read ones kept)."""
    rows = session.scalars(select(InAppNotification).where(InAppNotification.user_id == actor.id)
                           .order_by(InAppNotification.created_at.desc()).limit(limit))
    return [Notification(r.id, r.title, r.body, r.created_at, r.read_at is not None)
            for r in rows]


def unread_count(session: Session, actor: Actor) -> int:
    return int(session.scalar(select(func.count()).select_from(InAppNotification).where(
        InAppNotification.user_id == actor.id, InAppNotification.read_at.is_(None))) or 0)


def mark_read(session: Session, actor: Actor, ids: list[uuid.UUID] | None = None) -> int:
    """Mark the actor's notifications read (all unread ones when ``ids`` is None)."""
    query = update(InAppNotification).where(InAppNotification.user_id == actor.id,
                                            InAppNotification.read_at.is_(None))
    if ids is not None:
        query = query.where(InAppNotification.id.in_(ids))
    return int(session.execute(query.values(read_at=utcnow())).rowcount or 0)  # type: ignore[attr-defined]
