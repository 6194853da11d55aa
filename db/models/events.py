"""The workflow timeline (seed 003 RunEvent and WorkflowNodeState).

``run_events`` is an append-only record of what happened in a workflow — a run, a build, an SEO
crawl or an SEO audit (exactly one of ``run_id``, ``build_id``, ``crawl_id``, ``report_id`` is
set, or ``provider_run_id`` for an advisor provider run). ``workflow_node_states`` holds one row per node of a workflow instance: its state now,
kept up to date as events are written. Only ``core.timeline`` writes either table.

The closed vocabularies (event types, workflow kinds, node types, node states) are defined here,
once, because the check constraints need them and ``db`` imports nothing from ``core``;
``core.timeline`` re-exports them.
"""

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, UUIDPrimaryKey
from db.models.postgresql import postgresql_options
from db.types import JSONDocument, UTCDateTime, utcnow


class EventType(enum.StrEnum):
    """What an event says happened (seed 003's types, plus a page being fetched)."""

    STATE_TRANSITION = "state_transition"  # the workflow's status changed
    HANDOFF = "handoff"  # work handed on: to a worker (a claim), the knowledge base, a model, a job
    PAGE_FETCHED = "page_fetched"
    RETRY = "retry"
    VALIDATION_RESULT = "validation_result"
    FAILURE = "failure"
    COMPLETION = "completion"
    STEP_RESULT = "step_result"  # what a step made of its input: items extracted, rows stored…


class WorkflowKind(enum.StrEnum):
    RUN = "run"
    BUILD = "build"
    CRAWL = "crawl"
    AUDIT = "audit"
    ADVISOR = "advisor"  # one provider run of the architecture advisor
    AGENT_JOB = "agent_job"


class NodeType(enum.StrEnum):
    """What kind of step a workflow node is (seed 003's node_type, in this app's terms)."""

    FETCH = "fetch"  # HTTP requests
    RENDER = "render"  # a browser runs the page
    EXTRACT = "extract"  # reading data out of pages
    ANALYSE = "analyse"  # working something out: a proposal, checks, findings, a score
    VALIDATE = "validate"  # checking data against rules
    HUMAN = "human"  # waits for a person
    STORE = "store"  # writes what was found


class NodeState(enum.StrEnum):
    IDLE = "idle"  # not reached (yet)
    ACTIVE = "active"
    WAITING = "waiting"  # for a worker or for a person
    COMPLETED = "completed"
    FAILED = "failed"


def values_in(column: str, vocabulary: type[enum.StrEnum]) -> str:
    """``column IN ('a', 'b', …)``: a check constraint from an enum."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in vocabulary)})"


WORKFLOW_COLUMNS = {WorkflowKind.RUN: "run_id", WorkflowKind.BUILD: "build_id",
                    WorkflowKind.CRAWL: "crawl_id", WorkflowKind.AUDIT: "report_id",
                    WorkflowKind.ADVISOR: "provider_run_id",
                    WorkflowKind.AGENT_JOB: "agent_job_id"}
ONE_WORKFLOW = " + ".join(f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)"
                          for c in WORKFLOW_COLUMNS.values()) + " = 1"


def only_where(predicate: str) -> dict[str, Any]:
    """A partial index's options (both databases): only the rows where ``predicate`` holds.
    ``run_events`` indexes its workflow columns so: each row has one of the six set, and an
    index of all rows would hold five NULL entries per event, each written with it (a crawl
    writes one event per page)."""
    return {"sqlite_where": text(predicate), "info": postgresql_options(where=text(predicate))}


class _WorkflowColumns:
    """Which workflow a row belongs to: exactly one of these is set."""

    run_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("runs.id", ondelete="CASCADE"))
    build_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("builds.id", ondelete="CASCADE"))
    crawl_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("seo_crawls.id", ondelete="CASCADE"))
    report_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("seo_reports.id", ondelete="CASCADE"))
    provider_run_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("advisor_provider_runs.id", ondelete="CASCADE"))
    agent_job_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("agent_jobs.id", ondelete="CASCADE"))


class RunEvent(UUIDPrimaryKey, _WorkflowColumns, Base):
    __tablename__ = "run_events"
    __table_args__ = (
        *(Index(f"ix_run_events_{column}_occurred_at", column, "occurred_at",
                **only_where(f"{column} IS NOT NULL"))
          for column in WORKFLOW_COLUMNS.values()),
        CheckConstraint(ONE_WORKFLOW, name="one_workflow"),
        CheckConstraint(values_in("event_type", EventType), name="event_type"),
    )

    event_type: Mapped[str] = mapped_column(String(40))
    node_id: Mapped[str | None] = mapped_column(String(60))  # the workflow node: fetch, extract…
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkflowNodeState(UUIDPrimaryKey, _WorkflowColumns, Base):
    """One node of one workflow instance, as it is now."""

    __tablename__ = "workflow_node_states"
    __table_args__ = (
        # NULLs are distinct in a unique constraint: each holds for its own kind of workflow.
        Index("uq_workflow_node_states_run_id_node_id", "run_id", "node_id", unique=True),
        Index("uq_workflow_node_states_build_id_node_id", "build_id", "node_id", unique=True),
        Index("uq_workflow_node_states_crawl_id_node_id", "crawl_id", "node_id", unique=True),
        Index("uq_workflow_node_states_report_id_node_id", "report_id", "node_id", unique=True),
        Index("uq_workflow_node_states_provider_run_id_node_id", "provider_run_id", "node_id",
              unique=True),
        Index("uq_workflow_node_states_agent_job_id_node_id", "agent_job_id", "node_id",
              unique=True),
        CheckConstraint(ONE_WORKFLOW, name="one_workflow"),
        CheckConstraint(values_in("node_type", NodeType), name="node_type"),
        CheckConstraint(values_in("state", NodeState), name="state"),
    )

    node_id: Mapped[str] = mapped_column(String(60))
    node_type: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default=NodeState.IDLE)
    active_iteration: Mapped[int | None] = mapped_column(Integer)
    events: Mapped[int] = mapped_column(Integer, default=0)  # events written on this node
    failures: Mapped[int] = mapped_column(Integer, default=0)  # of them, failures
    last_error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first active
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
