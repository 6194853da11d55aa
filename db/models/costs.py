"""The cost ledger: one row per billable quantity (requests, bytes fetched, pages rendered,
browser seconds, model tokens), with what it belongs to (a user, and a run, job, build, SEO crawl
or SEO audit when there is one, or an advisor provider run and its workflow
node) and its cost in USD when a price is known (NULL: unpriced, which
is not free). Rows are only ever inserted, and only by ``core.ledger``."""

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, Text, Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, UUIDPrimaryKey
from db.models.events import values_in
from db.types import UTCDateTime, utcnow


class CostKind(enum.StrEnum):
    """What a ledger row counts; each kind has one unit (``COST_UNITS``)."""

    REQUESTS = "requests"  # HTTP requests, retries included
    BYTES_FETCHED = "bytes_fetched"
    RENDERS = "renders"  # pages rendered in Chromium
    BROWSER_SECONDS = "browser_seconds"
    LLM_INPUT_TOKENS = "llm_input_tokens"
    LLM_OUTPUT_TOKENS = "llm_output_tokens"
    LLM_CACHE_READ_TOKENS = "llm_cache_read_tokens"
    LLM_CACHE_WRITE_TOKENS = "llm_cache_write_tokens"
    STORAGE_GB_MONTHS = "storage_gb_months"  # result and export storage


COST_UNITS = {CostKind.REQUESTS: "requests", CostKind.BYTES_FETCHED: "bytes",
              CostKind.RENDERS: "pages", CostKind.BROWSER_SECONDS: "seconds",
              CostKind.LLM_INPUT_TOKENS: "tokens", CostKind.LLM_OUTPUT_TOKENS: "tokens",
              CostKind.LLM_CACHE_READ_TOKENS: "tokens", CostKind.LLM_CACHE_WRITE_TOKENS: "tokens",
              CostKind.STORAGE_GB_MONTHS: "GB-months"}

MODEL_KINDS = (CostKind.LLM_INPUT_TOKENS, CostKind.LLM_OUTPUT_TOKENS,
               CostKind.LLM_CACHE_READ_TOKENS, CostKind.LLM_CACHE_WRITE_TOKENS)


class PriceKind(enum.StrEnum):
    """What a price row prices: every ``CostKind``, and credits (USD per credit)."""

    REQUESTS = "requests"
    BYTES_FETCHED = "bytes_fetched"
    RENDERS = "renders"
    BROWSER_SECONDS = "browser_seconds"
    LLM_INPUT_TOKENS = "llm_input_tokens"
    LLM_OUTPUT_TOKENS = "llm_output_tokens"
    LLM_CACHE_READ_TOKENS = "llm_cache_read_tokens"
    LLM_CACHE_WRITE_TOKENS = "llm_cache_write_tokens"
    STORAGE_GB_MONTHS = "storage_gb_months"
    CREDITS = "credits"


class PriceStatus(enum.StrEnum):
    """How a ledger row was priced when it was recorded."""

    EXACT = "exact"  # a price for this very kind (and provider/model) was in force
    DEFAULT = "default"  # only the kind's catch-all price (no provider, pattern ``*``) matched
    MISSING = "missing"  # no price in force: cost_usd is NULL — unpriced, not free


class CostEvent(UUIDPrimaryKey, Base):
    __tablename__ = "cost_events"
    __table_args__ = (Index("ix_cost_events_user_id_occurred_at", "user_id", "occurred_at"),
                      CheckConstraint(values_in("kind", CostKind), name="kind"),
                      CheckConstraint(values_in("price_status", PriceStatus),
                                      name="price_status"))

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("runs.id", ondelete="SET NULL"), index=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("scraping_jobs.id", ondelete="SET NULL"), index=True)
    build_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("builds.id", ondelete="SET NULL"), index=True)
    crawl_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("seo_crawls.id", ondelete="SET NULL"), index=True)
    report_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("seo_reports.id", ondelete="SET NULL"), index=True)
    # An architecture-advisor provider run, and the workflow node that spent it (a model call
    # of the compute generator, the validator…).
    advisor_run_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("advisor_provider_runs.id", ondelete="SET NULL"), index=True)
    node: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    unit: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str | None] = mapped_column(String(60))
    model: Mapped[str | None] = mapped_column(String(120))
    cost_usd: Mapped[Decimal | None] = mapped_column(Numeric(20, 10))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    price_status: Mapped[str] = mapped_column(String(10), default=PriceStatus.MISSING.value)
    price_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("prices.id", ondelete="SET NULL"))


class Price(UUIDPrimaryKey, Base):
    """One price with its effective dates: ``usd`` per ``per`` units of ``kind`` (e.g. 2.50 per
    1,000,000 input tokens), in force from ``effective_from`` (inclusive) until
    ``effective_until`` (exclusive; NULL: still in force). ``provider`` '' and ``model_pattern``
    '*' make the kind's catch-all (a *default* price); for model kinds ``model_pattern`` is a
    case-insensitive shell pattern and the longest matching one wins. Rows for one
    (kind, provider, pattern) never overlap in time (``core.ledger.prices`` checks it)."""

    __tablename__ = "prices"
    __table_args__ = (CheckConstraint(values_in("kind", PriceKind), name="kind"),
                      CheckConstraint("usd >= 0", name="usd_not_negative"),
                      CheckConstraint("per > 0", name="per_positive"),
                      Index("ix_prices_kind_effective_from", "kind", "effective_from"))

    kind: Mapped[str] = mapped_column(String(40))
    provider: Mapped[str] = mapped_column(String(60), default="")
    model_pattern: Mapped[str] = mapped_column(String(120), default="*")
    usd: Mapped[Decimal] = mapped_column(Numeric(20, 10))
    per: Mapped[int] = mapped_column(BigInteger, default=1)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    effective_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DailyCostSummary(UUIDPrimaryKey, Base):
    """Seed 001 ``daily_cost_summaries``, one row per user, UTC day, kind, provider, model and
    job (``job_key``: the job id as text, '' for none), kept up to date by ``core.ledger`` in
    the same transaction as the ledger rows it adds up."""

    __tablename__ = "daily_cost_summaries"
    __table_args__ = (Index("uq_daily_cost_summaries_key", "user_id", "day", "kind", "provider",
                            "model", "job_key", unique=True),
                      Index("ix_daily_cost_summaries_day", "day"))

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(40))
    provider: Mapped[str] = mapped_column(String(60), default="")
    model: Mapped[str] = mapped_column(String(120), default="")
    job_key: Mapped[str] = mapped_column(String(36), default="")
    quantity: Mapped[Decimal] = mapped_column(Numeric(24, 6), default=0)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(24, 10), default=0)
    events: Mapped[int] = mapped_column(Integer, default=0)
    unpriced: Mapped[int] = mapped_column(Integer, default=0)  # rows with no price
