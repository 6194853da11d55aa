"""Builds and the knowledge base (seed 000): from an objective and sample pages to a confirmed
config package, the history of its iterations, and what is remembered for the next build."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamps, UUIDPrimaryKey, one_of
from db.types import JSONDocument, UTCDateTime, Vocabulary, utcnow
from vocabularies import BuildStatus


class Build(UUIDPrimaryKey, Timestamps, Base):
    """One build: the objective, its sample pages and the package being shaped by feedback.

    ``uploaded_samples`` holds uploaded HTML as ``[{"name", "html"}]`` (size-capped by the
    service); ``sample_pages`` the pages the analysis worked on, fetched or uploaded, as
    ``[{"url", "html", "rendered"}]``, so feedback iterations never fetch again;
    ``pending_feedback`` is the feedback a worker has yet to apply."""

    __tablename__ = "builds"
    __table_args__ = (
        one_of("status", BuildStatus),
        Index("ix_builds_status_created_at", "status", "created_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user_objective: Mapped[str] = mapped_column(Text)
    initial_target_urls: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    uploaded_samples: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    sample_pages: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    # The form's render switch and wait-for selector: render every sample URL in Chromium
    # (waiting for that selector), and the package renders too.
    render_javascript: Mapped[bool] = mapped_column(Boolean, default=False,
                                                    server_default="false")
    wait_for: Mapped[str | None] = mapped_column(Text)
    status: Mapped[BuildStatus] = mapped_column(Vocabulary(BuildStatus, 30),
                                                default=BuildStatus.PENDING_ANALYSIS)
    temporary_config_package: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    final_config_package: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    package_results: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    output_schema: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    notes: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    error_message: Mapped[str | None] = mapped_column(Text)
    iteration: Mapped[int] = mapped_column(Integer, default=0)
    pending_feedback: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    # The knowledge-base entry the build started from. No foreign key: entries point back at
    # builds, and a cycle of keys would make both tables awkward to create and delete.
    started_from_entry_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    schema_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("extractor_schemas.id", ondelete="SET NULL"))
    job_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("scraping_jobs.id", ondelete="SET NULL"))
    worker_id: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BuildIteration(UUIDPrimaryKey, Base):
    """One ``temporary_config_package`` of a build, kept so two iterations can be compared."""

    __tablename__ = "build_iterations"
    __table_args__ = (UniqueConstraint("build_id", "number"),)

    build_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("builds.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    package: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    output_schema: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    sample_report: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    change_summary: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ObjectiveEmbedding(UUIDPrimaryKey, Base):
    """A vector for an objective's text (computed offline by ``core.builder.knowledge``)."""

    __tablename__ = "objective_embeddings"

    text_source: Mapped[str] = mapped_column(Text)
    embedding_vector: Mapped[list[float]] = mapped_column(JSONDocument)
    method: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KnowledgeBaseEntry(UUIDPrimaryKey, Base):
    """A confirmed package, remembered by the sites it worked on and the objective it served."""

    __tablename__ = "knowledge_base_entries"

    source_build_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("builds.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    platform_identifiers: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    output_schema_hash: Mapped[str] = mapped_column(String(64), index=True)
    objective_embedding_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("objective_embeddings.id", ondelete="SET NULL"))
    objective: Mapped[str] = mapped_column(Text)
    config_package: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    output_schema: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
