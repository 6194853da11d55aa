"""Budgets and the notifications they send (seed 001 ``cost_budgets``, ``alert_history``,
``in_app_notifications``). Written only by ``core.budgets``."""

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy import Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, UUIDPrimaryKey
from db.models.events import values_in
from db.types import JSONDocument, UTCDateTime, utcnow


class BudgetPeriod(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"  # ISO weeks, Monday to Sunday, UTC
    MONTHLY = "monthly"


class CostBudget(UUIDPrimaryKey, Base):
    """A user's spending limits in USD per period (NULL: no limit for that period), the alert
    thresholds in percent (each fires once per period) and whether work stops at the limit."""

    __tablename__ = "cost_budgets"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    daily_usd: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    weekly_usd: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    monthly_usd: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    thresholds: Mapped[list[Any]] = mapped_column(JSONDocument, default=lambda: [50, 80, 100])
    auto_stop: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BudgetAlert(UUIDPrimaryKey, Base):
    """One threshold of one period crossed (seed 001 ``alert_history``): unique per user,
    period, period start and threshold, so it fires once however many workers see it."""

    __tablename__ = "budget_alerts"
    __table_args__ = (Index("uq_budget_alerts_once", "user_id", "period", "period_start",
                            "threshold", unique=True),
                      CheckConstraint(values_in("period", BudgetPeriod), name="period"))

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    threshold: Mapped[int] = mapped_column(Integer)
    limit_usd: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    spent_usd: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InAppNotification(UUIDPrimaryKey, Base):
    """Seed 001 ``in_app_notifications``: kept after being read (``read_at``)."""

    __tablename__ = "in_app_notifications"
    __table_args__ = (Index("ix_in_app_notifications_user_id_read_at", "user_id", "read_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
