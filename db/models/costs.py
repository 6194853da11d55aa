"""The cost ledger: one row per billable quantity (bytes fetched, pages, browser seconds, LLM
tokens…). Prices and dashboards build on it; rows are only ever inserted."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, UUIDPrimaryKey
from db.types import UTCDateTime, utcnow


class CostEvent(UUIDPrimaryKey, Base):
    __tablename__ = "cost_events"
    __table_args__ = (Index("ix_cost_events_user_id_occurred_at", "user_id", "occurred_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("runs.id", ondelete="SET NULL"), index=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("scraping_jobs.id", ondelete="SET NULL"), index=True)
    build_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("builds.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # bytes_fetched, pages, browser_seconds, …
    quantity: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    unit: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str | None] = mapped_column(String(60))
    model: Mapped[str | None] = mapped_column(String(120))
    cost_usd: Mapped[Decimal | None] = mapped_column(Numeric(14, 6))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
