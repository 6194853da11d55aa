"""Agents and agent jobs (seed 004): a registry of anything that takes a JSON input and returns
a JSON output (an external HTTP endpoint, or one of ScrapeDeck's own capabilities), jobs with
acceptance criteria that are dispatched to an agent, and a log of every call.

The seed's users and creators are ScrapeDeck users (``owner_id``, ``created_by``)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (Boolean, CheckConstraint, Float, ForeignKey, Index, Integer,
                        String, Text, Uuid)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamps, UUIDPrimaryKey, one_of
from db.types import JSONDocument, UTCDateTime, Vocabulary, utcnow
from vocabularies import AgentJobStatus, AgentLogStatus


class Agent(UUIDPrimaryKey, Timestamps, Base):
    """An agent: external (``endpoint_url``) or built in (``builtin`` names the capability)."""

    __tablename__ = "agents"
    __table_args__ = (
        CheckConstraint("(endpoint_url IS NULL) <> (builtin IS NULL)", name="endpoint_or_builtin"),
    )

    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)  # NULL: built in
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    endpoint_url: Mapped[str | None] = mapped_column(Text)
    builtin: Mapped[str | None] = mapped_column(String(40), unique=True)
    input_schema: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    output_schema: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    keywords: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    card: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)  # the card, as read


class AgentJob(UUIDPrimaryKey, Timestamps, Base):
    """A job for an agent: its input, what its output must satisfy, and where it stands."""

    __tablename__ = "agent_jobs"
    __table_args__ = (
        one_of("status", AgentJobStatus),
        CheckConstraint("max_attempts BETWEEN 1 AND 10", name="max_attempts"),
        Index("ix_agent_jobs_status", "status"),
        Index("ix_agent_jobs_assigned_agent_id", "assigned_agent_id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    acceptance_criteria: Mapped[str] = mapped_column(Text, default="")  # as the user wrote them
    input: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    output_schema: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)  # optional
    status: Mapped[AgentJobStatus] = mapped_column(Vocabulary(AgentJobStatus, 30),
                                                   default=AgentJobStatus.PENDING)
    assigned_agent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("agents.id", ondelete="SET NULL"))
    created_by: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    result: Mapped[Any | None] = mapped_column(JSONDocument)
    verdict: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)  # last checks
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)  # why it ended as it did, in words
    worker_id: Mapped[str | None] = mapped_column(String(120))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AgentJobLog(UUIDPrimaryKey, Base):
    """One call to an agent: what was sent, what came back, and how it was judged."""

    __tablename__ = "agent_job_logs"
    __table_args__ = (one_of("status", AgentLogStatus),)

    job_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("agent_jobs.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    request_payload: Mapped[Any] = mapped_column(JSONDocument)
    response_payload: Mapped[Any | None] = mapped_column(JSONDocument)
    status: Mapped[AgentLogStatus] = mapped_column(Vocabulary(AgentLogStatus, 20))
    reasons: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    cost_usd: Mapped[float | None] = mapped_column(Float)  # None: unpriced (an external agent)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
