"""The run-event timeline (seed 003 RunEvent): an append-only record of what happened in a run,
for the live views and the workflow graph. Rows are only ever inserted."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, UUIDPrimaryKey
from db.types import JSONDocument, UTCDateTime, utcnow

EVENT_TYPES = ("state_transition", "page_fetched", "retry", "failure", "completion", "handoff",
               "validation_result")


class RunEvent(UUIDPrimaryKey, Base):
    __tablename__ = "run_events"
    __table_args__ = (
        Index("ix_run_events_run_id_occurred_at", "run_id", "occurred_at"),
        Index("ix_run_events_build_id_occurred_at", "build_id", "occurred_at"),
        # An event belongs to a run or to a build (builds share the timeline).
        CheckConstraint("run_id IS NOT NULL OR build_id IS NOT NULL", name="run_or_build"),
    )

    run_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("runs.id", ondelete="CASCADE"))
    build_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("builds.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(40))
    node_id: Mapped[str | None] = mapped_column(String(60))  # pipeline step: fetch, extract…
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
