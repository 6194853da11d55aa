"""Scraping (seed 002, with seed 000's run fields): schemas, jobs, runs, per-URL outcomes,
results and exports."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean, Float, ForeignKey, Index, Integer, Numeric, String, Text,
    UniqueConstraint, Uuid, cast, false,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamps, UUIDPrimaryKey, one_of
from db.models.postgresql import postgresql_options
from db.types import JSONDocument, UTCDateTime, Vocabulary, utcnow
from vocabularies import ExportFormat, FileStatus, PaginationType, WorkStatus


class ExtractorSchema(UUIDPrimaryKey, Timestamps, Base):
    """One version of a JSON Schema. Versions of one schema share ``family_id``; a version that a
    job uses is never changed in place (an edit makes the next version)."""

    __tablename__ = "extractor_schemas"
    __table_args__ = (UniqueConstraint("family_id", "version"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    schema_definition: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    strict_validation: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_extra_fields: Mapped[bool] = mapped_column(Boolean, default=True)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)


class ScrapingJob(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "scraping_jobs"
    __table_args__ = (one_of("pagination_type", PaginationType),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    target_url: Mapped[str] = mapped_column(Text)
    target_urls: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    pagination_type: Mapped[PaginationType] = mapped_column(Vocabulary(PaginationType, 20),
                                                          default=PaginationType.NONE)
    pagination: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    extractor_schema_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("extractor_schemas.id", ondelete="RESTRICT"), index=True)
    config_package: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    schedule_cron: Mapped[str | None] = mapped_column(String(120))
    schedule_timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class Run(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "runs"
    __table_args__ = (
        one_of("status", WorkStatus),
        Index("ix_runs_status_created_at", "status", "created_at"),
    )

    job_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("scraping_jobs.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[WorkStatus] = mapped_column(Vocabulary(WorkStatus, 20),
                                               default=WorkStatus.QUEUED)
    target_urls: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    items_found: Mapped[int] = mapped_column(Integer, default=0)
    items_extracted: Mapped[int] = mapped_column(Integer, default=0)
    errors_count: Mapped[int] = mapped_column(Integer, default=0)
    progress_percent: Mapped[int] = mapped_column(Integer, default=0)
    urls_processed: Mapped[int] = mapped_column(Integer, default=0)
    urls_total: Mapped[int] = mapped_column(Integer, default=0)
    credits_charged: Mapped[Decimal] = mapped_column(Numeric(14, 4), default=Decimal(0))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    # ``metadata`` is reserved by SQLAlchemy's declarative classes; the column keeps the seed's name.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONDocument, default=dict)
    # the confirmed build a run was started from (``builds run``); None for a job's own runs
    build_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("builds.id", ondelete="SET NULL"), index=True)
    error_message: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    worker_id: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RunResult(UUIDPrimaryKey, Base):
    """Seed 000's RUN_RESULT: the outcome of fetching one URL in a run."""

    __tablename__ = "run_results"

    run_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    target_url: Mapped[str] = mapped_column(Text)
    success: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    error: Mapped[str | None] = mapped_column(Text)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Result(UUIDPrimaryKey, Base):
    """One extracted item. ``(job_id, content_hash)`` is unique: an item is stored once per job,
    however many runs see it."""

    __tablename__ = "results"
    __table_args__ = (
        UniqueConstraint("job_id", "content_hash"),
        # The Results page pages through a run (or a job) newest first, optionally above a
        # confidence threshold; ``id`` breaks ties so an offset is stable.
        Index("ix_results_run_id_created_at_id", "run_id", "created_at", "id"),
        Index("ix_results_run_id_confidence_score", "run_id", "confidence_score", "created_at",
              "id"),
        Index("ix_results_job_id_created_at_id", "job_id", "created_at", "id"),
        # Search indexes (PostgreSQL) follow the class; indexes on single data fields are built
        # by the app (core/scraping/field_indexes.py).
    )

    run_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("runs.id", ondelete="CASCADE"))
    job_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("scraping_jobs.id", ondelete="CASCADE"))
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    source_url: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    confidence_score: Mapped[float] = mapped_column(Float, default=1.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # PostgreSQL: a row a run wrote that the search indexes below do not hold yet. A run's flush
    # writes its rows so (the trigram indexes cost more than the rest of the write) and indexes
    # them when the flusher is idle and at the run's end; search finds them meanwhile through
    # ix_results_search_pending (core/scraping/results.py). Always false on SQLite.
    search_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


# PostgreSQL only (pg_trgm, migrations 0024 and 0026): the Results search, a case-insensitive
# substring of the item's JSON text or of its source URL, reads these instead of every document;
# rows not indexed yet (search_pending) through the last one.
_results = Result.__table__.c
Index("ix_results_data_trgm", cast(_results.data, Text).label("data_text"),
      info={"only_on": "postgresql", **postgresql_options(
          using="gin", ops={"data_text": "gin_trgm_ops"}, where=~_results.search_pending)}
      ).ddl_if(dialect="postgresql")
Index("ix_results_source_url_trgm", _results.source_url,
      info={"only_on": "postgresql", **postgresql_options(
          using="gin", ops={"source_url": "gin_trgm_ops"}, where=~_results.search_pending)}
      ).ddl_if(dialect="postgresql")
Index("ix_results_search_pending", _results.run_id,
      info={"only_on": "postgresql", **postgresql_options(where=_results.search_pending)}
      ).ddl_if(dialect="postgresql")

class Export(UUIDPrimaryKey, Base):
    __tablename__ = "exports"
    __table_args__ = (
        one_of("format", ExportFormat),
        one_of("status", FileStatus),
    )

    run_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    format: Mapped[ExportFormat] = mapped_column(Vocabulary(ExportFormat, 10))
    status: Mapped[FileStatus] = mapped_column(Vocabulary(FileStatus, 20),
                                               default=FileStatus.PROCESSING)
    download_url: Mapped[str | None] = mapped_column(Text)
    file_path: Mapped[str | None] = mapped_column(Text)
    row_count: Mapped[int | None] = mapped_column(Integer)
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # CSV only: write values exactly as scraped (True), or neutralise cells a spreadsheet would
    # read as a formula (False, the default).
    raw_values: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # What the file holds: the Results query shown on screen when it was asked for (scope — the
    # run or all runs of its job —, search, filters, threshold and sort; see
    # core.scraping.results.query_document). NULL: every result of the run, in fetch order.
    query: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    worker_id: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ElementSelector(UUIDPrimaryKey, Timestamps, Base):
    """Seed 001's ELEMENT_SELECTORS, kept per job and field: the field's primary selector and the
    fallbacks its build found, with how often they read a value. Runs update it: every record a
    run extracts is an attempt; ``success_rate`` is the share of attempts that gave a value (by
    the primary or a fallback), ``last_verified`` when one last did, on ``page_path``.
    ``metadata``: ``primary_hits``, ``fallback_hits`` (per fallback number) and ``empty``."""

    __tablename__ = "element_selectors"
    __table_args__ = (UniqueConstraint("job_id", "element_name"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("scraping_jobs.id", ondelete="CASCADE"), index=True)
    page_path: Mapped[str] = mapped_column(String(500), index=True)
    element_name: Mapped[str] = mapped_column(String(255), index=True)
    primary_selector: Mapped[str] = mapped_column(Text)
    fallback_selectors: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    success_rate: Mapped[float] = mapped_column(Float, default=1.0)
    total_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_verified: Mapped[datetime | None] = mapped_column(UTCDateTime)
    screenshot_ref: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONDocument, default=dict)
