"""The architecture advisor's tables (seed 003): a query, its provider runs and, per run and
iteration, the domain tasks, domain proposals, the combined proposal, the validation findings
with their evidence, and the refinement feedback that starts the next iteration.

The closed sets are the StrEnums below, defined once; every check constraint is built from them.
Workflow events and node states live in ``run_events`` / ``workflow_node_states``
(``provider_run_id``), written by ``core.timeline`` only. The guards that need more than one row
(acceptance, the iteration bound, feedback on every validating → optimizing move, the provider
of evidence) are enforced by ``core.advisor.records``. ``advisor_pdfs`` holds the state of a
query's PDF export.
"""

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, Uuid)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, UUIDPrimaryKey, one_of
from db.models.events import values_in
from db.types import JSONDocument, UTCDateTime, Vocabulary, utcnow
from vocabularies import FileStatus

MAX_ITERATION = 3  # iterations are numbered 0..3: at most three refinements


class ProviderScope(enum.StrEnum):
    AWS = "aws"
    AZURE = "azure"
    BOTH = "both"


class Provider(enum.StrEnum):
    AWS = "aws"
    AZURE = "azure"


class RunStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for a worker (not in the seed: a run is work like a scrape run)
    GENERATING = "generating"
    VALIDATING = "validating"
    OPTIMIZING = "optimizing"
    ACCEPTED = "accepted"
    STOPPED = "stopped"
    FAILED = "failed"


FINAL_STATUSES = (RunStatus.ACCEPTED, RunStatus.STOPPED, RunStatus.FAILED)


class TerminalReason(enum.StrEnum):
    ACCEPTED = "accepted"
    ITERATION_LIMIT = "iteration_limit"
    EVIDENCE_UNAVAILABLE = "evidence_unavailable"
    DOMAIN_FAILURE = "domain_failure"
    TIMEOUT = "timeout"
    CANCELED = "canceled"  # a person stopped it (not in the seed)
    WORKER_LOST = "worker_lost"  # its worker stopped beating (not in the seed)


class Domain(enum.StrEnum):
    COMPUTE = "compute"
    STORAGE = "storage"
    NETWORK = "network"
    DATABASE = "database"


class FindingDomain(enum.StrEnum):
    COMPUTE = "compute"
    STORAGE = "storage"
    NETWORK = "network"
    DATABASE = "database"
    CROSS_DOMAIN = "cross_domain"


class TaskStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


ACTIVE_TASK_STATUSES = (TaskStatus.PENDING, TaskStatus.RUNNING)


class SynthesisStatus(enum.StrEnum):
    DRAFT = "draft"
    COHERENT = "coherent"
    CONFLICT_DETECTED = "conflict_detected"


class Outcome(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Priority(enum.StrEnum):
    """What a query's designs are optimised for, among the services that meet its constraints
    (``optimization_preferences["priority"]``)."""

    COST = "cost"  # the cheapest service that meets the constraints
    AVAILABILITY = "availability"  # the highest SLA, then the most zones, then the cheapest


class SourceType(enum.StrEnum):
    OFFICIAL_DOC = "official_doc"


class Availability(enum.StrEnum):
    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"


def _run_fk() -> Mapped[uuid.UUID]:
    return mapped_column(Uuid, ForeignKey("advisor_provider_runs.id", ondelete="CASCADE"),
                         index=True)


class ArchitectureQuery(UUIDPrimaryKey, Base):
    __tablename__ = "advisor_queries"
    __table_args__ = (
        CheckConstraint("length(trim(raw_text)) > 0", name="raw_text_not_empty"),
        CheckConstraint(values_in("provider_scope", ProviderScope), name="provider_scope"),
    )

    # The seed's workspace: here the user who asked (each user's queries are their own).
    owner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    raw_text: Mapped[str] = mapped_column(Text)
    provider_scope: Mapped[str] = mapped_column(String(10))
    constraints: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    optimization_preferences: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProviderRun(UUIDPrimaryKey, Base):
    __tablename__ = "advisor_provider_runs"
    __table_args__ = (
        CheckConstraint(values_in("provider", Provider), name="provider"),
        CheckConstraint(values_in("status", RunStatus), name="status"),
        CheckConstraint(f"terminal_reason IS NULL OR {values_in('terminal_reason', TerminalReason)}",
                        name="terminal_reason"),
        CheckConstraint(f"iteration_count >= 0 AND iteration_count <= {MAX_ITERATION}",
                        name="iteration_range"),
        CheckConstraint("accepted = (status = 'accepted')", name="accepted_status"),
        UniqueConstraint("query_id", "provider"),
        Index("ix_advisor_provider_runs_status_created_at", "status", "created_at"),
    )

    query_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("advisor_queries.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.QUEUED)
    iteration_count: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    terminal_reason: Mapped[str | None] = mapped_column(String(30))
    error: Mapped[str | None] = mapped_column(Text)  # what went wrong, in words
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_seconds: Mapped[float] = mapped_column(default=300.0)
    worker_id: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)


class DomainTask(UUIDPrimaryKey, Base):
    __tablename__ = "advisor_domain_tasks"
    __table_args__ = (
        CheckConstraint(values_in("domain", Domain), name="domain"),
        CheckConstraint(values_in("task_status", TaskStatus), name="task_status"),
        # One task per (run, domain, iteration) at all, so certainly one active one.
        UniqueConstraint("provider_run_id", "domain", "iteration"),
    )

    provider_run_id: Mapped[uuid.UUID] = _run_fk()
    domain: Mapped[str] = mapped_column(String(20))
    iteration: Mapped[int] = mapped_column(Integer)
    task_status: Mapped[str] = mapped_column(String(20), default=TaskStatus.PENDING)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failure_reason: Mapped[str | None] = mapped_column(Text)


class DomainProposal(UUIDPrimaryKey, Base):
    __tablename__ = "advisor_domain_proposals"
    __table_args__ = (
        CheckConstraint(values_in("domain", Domain), name="domain"),
        UniqueConstraint("provider_run_id", "domain", "iteration"),
    )

    provider_run_id: Mapped[uuid.UUID] = _run_fk()
    domain: Mapped[str] = mapped_column(String(20))
    iteration: Mapped[int] = mapped_column(Integer)
    proposal_content: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    rationale: Mapped[str] = mapped_column(Text)
    dependencies: Mapped[list[str] | None] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArchitectureProposal(UUIDPrimaryKey, Base):
    __tablename__ = "advisor_architecture_proposals"
    __table_args__ = (
        CheckConstraint(values_in("synthesis_status", SynthesisStatus), name="synthesis_status"),
        UniqueConstraint("provider_run_id", "iteration"),
    )

    provider_run_id: Mapped[uuid.UUID] = _run_fk()
    iteration: Mapped[int] = mapped_column(Integer)
    combined_design: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    cross_domain_assumptions: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    synthesis_status: Mapped[str] = mapped_column(String(20))
    partial: Mapped[bool] = mapped_column(Boolean, default=False)  # some domain is missing
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ValidationFinding(UUIDPrimaryKey, Base):
    __tablename__ = "advisor_findings"
    __table_args__ = (
        CheckConstraint(values_in("domain", FindingDomain), name="domain"),
        CheckConstraint(values_in("outcome", Outcome), name="outcome"),
        CheckConstraint(values_in("severity", Severity), name="severity"),
        CheckConstraint("outcome <> 'fail' OR length(trim(coalesce(remediation, ''))) > 0",
                        name="fail_has_remediation"),
        Index("ix_advisor_findings_provider_run_id_iteration", "provider_run_id", "iteration"),
    )

    provider_run_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("advisor_provider_runs.id", ondelete="CASCADE"))
    iteration: Mapped[int] = mapped_column(Integer)
    domain: Mapped[str] = mapped_column(String(20))
    check: Mapped[str] = mapped_column(String(60))  # which rule: availability, budget…
    outcome: Mapped[str] = mapped_column(String(10))
    severity: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    remediation: Mapped[str | None] = mapped_column(Text)
    evidence_required: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvidenceReference(UUIDPrimaryKey, Base):
    __tablename__ = "advisor_evidence"
    __table_args__ = (
        CheckConstraint(values_in("provider", Provider), name="provider"),
        CheckConstraint(values_in("source_type", SourceType), name="source_type"),
        CheckConstraint(values_in("availability_status", Availability),
                        name="availability_status"),
    )

    finding_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("advisor_findings.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(10))
    source_type: Mapped[str] = mapped_column(String(20), default=SourceType.OFFICIAL_DOC)
    source_uri: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str] = mapped_column(Text)
    retrieved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    availability_status: Mapped[str] = mapped_column(String(20))


class RefinementFeedback(UUIDPrimaryKey, Base):
    __tablename__ = "advisor_feedback"
    __table_args__ = (UniqueConstraint("provider_run_id", "iteration_from"),)

    provider_run_id: Mapped[uuid.UUID] = _run_fk()
    iteration_from: Mapped[int] = mapped_column(Integer)
    target_domains: Mapped[list[str]] = mapped_column(JSONDocument)
    instructions: Mapped[str] = mapped_column(Text)
    blocking_issues: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AdvisorPdf(UUIDPrimaryKey, Base):
    """The PDF export of a query (its runs' final designs with their evidence), printed by a
    worker (``python -m core.worker advisor-pdf QUERY_ID``) and kept as a file until asked again."""

    __tablename__ = "advisor_pdfs"
    __table_args__ = (one_of("status", FileStatus),)

    query_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("advisor_queries.id", ondelete="CASCADE"), unique=True)
    status: Mapped[FileStatus] = mapped_column(Vocabulary(FileStatus, 20))
    error: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
