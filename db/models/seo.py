"""SEO (seed 001's SEO & Analytics tables): page audit reports, findings a user ignored,
keyword research, keyword rankings and backlinks.

``seo_reports`` keeps the seed's columns and adds what an audit run needs: the whole audit as
JSON (``audit``), what could not be checked and why, the render flag, and the worker fields
(``worker_id``, ``heartbeat_at``, ``started_at``, ``finished_at``) like ``runs``. ``score`` is
NULL until an audit completes: a queued or failed audit has no score (the seed's NOT NULL would
force a made-up 0). ``normalized_url`` groups a URL's reports into its history.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamps, UUIDPrimaryKey, one_of
from db.types import JSONDocument, UTCDateTime, Vocabulary, utcnow
from vocabularies import AUDIT_STATUSES, FileStatus, WorkStatus


class SeoReport(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "seo_reports"
    __table_args__ = (
        one_of("status", WorkStatus, only=AUDIT_STATUSES),
        one_of("pdf_status", FileStatus),
        # History of one URL, newest first; the list of a user's reports.
        Index("ix_seo_reports_user_id_normalized_url_created_at", "user_id", "normalized_url",
              "created_at"),
        Index("ix_seo_reports_user_id_created_at", "user_id", "created_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    normalized_url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    score: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[WorkStatus] = mapped_column(Vocabulary(WorkStatus, 20),
                                               default=WorkStatus.QUEUED)
    meta_description: Mapped[str | None] = mapped_column(Text)
    meta_keywords: Mapped[str | None] = mapped_column(Text)
    headings: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    images: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    links: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    performance: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    technical_seo: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    content_analysis: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    ai_insights: Mapped[str | None] = mapped_column(Text)
    recommendations: Mapped[list[Any] | None] = mapped_column(JSONDocument)
    pdf_url: Mapped[str | None] = mapped_column(Text)
    report_type: Mapped[str] = mapped_column(String(20), default="full")
    # Beyond the seed: the audit itself and its run.
    render: Mapped[bool] = mapped_column(Boolean, default=False)
    audit: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    error: Mapped[str | None] = mapped_column(Text)
    not_checked: Mapped[list[Any]] = mapped_column(JSONDocument, default=list)
    failing_count: Mapped[int | None] = mapped_column(Integer)
    worker_id: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The PDF export, made by a worker (``pdf_url`` is the file's URI once completed).
    pdf_status: Mapped[FileStatus | None] = mapped_column(Vocabulary(FileStatus, 20))
    pdf_error: Mapped[str | None] = mapped_column(Text)


class SeoIgnoredFinding(UUIDPrimaryKey, Base):
    """A finding the user marked as a false positive, remembered for one (normalised) URL: every
    report of that URL shows it as ignored. ``finding_key`` is the evidence item's key; an
    empty key ignores the whole audit."""

    __tablename__ = "seo_ignored_findings"
    __table_args__ = (UniqueConstraint("user_id", "url", "audit_id", "finding_key"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    audit_id: Mapped[str] = mapped_column(String(120))
    finding_key: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KeywordResearch(UUIDPrimaryKey, Base):
    """Seed 001's keyword_research. Keywords found in a page's content have ``topic`` = the URL,
    ``source`` = "page_content" and their weight and where they occur in ``metadata``."""

    __tablename__ = "keyword_research"
    __table_args__ = (Index("ix_keyword_research_user_id_topic", "user_id", "topic"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(Text)
    keyword: Mapped[str] = mapped_column(Text)
    search_volume: Mapped[int] = mapped_column(Integer, default=0)
    difficulty: Mapped[int] = mapped_column(Integer, default=50)
    cpc: Mapped[int] = mapped_column(Integer, default=0)
    trend: Mapped[str] = mapped_column(String(10), default="stable")
    related_keywords: Mapped[list[str] | None] = mapped_column(JSONDocument)
    source: Mapped[str] = mapped_column(String(50), default="page_content")
    # ``metadata`` is reserved by SQLAlchemy's declarative classes; the column keeps the seed's name.
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KeywordRanking(UUIDPrimaryKey, Base):
    """Seed 001's keyword_rankings, one row per keyword, page and day. Positions are floats:
    Search Console reports an average position (3.4), not a rank. Clicks, impressions and CTR
    come with a Search Console export."""

    __tablename__ = "keyword_rankings"
    __table_args__ = (
        Index("ix_keyword_rankings_user_id_keyword_checked_at", "user_id", "keyword",
              "checked_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    keyword: Mapped[str] = mapped_column(Text)
    position: Mapped[float | None] = mapped_column(Float)
    previous_position: Mapped[float | None] = mapped_column(Float)
    change: Mapped[float] = mapped_column(Float, default=0.0)
    search_engine: Mapped[str] = mapped_column(String(20), default="google")
    location: Mapped[str] = mapped_column(String(100), default="United States")
    page_title: Mapped[str | None] = mapped_column(Text)
    page_url: Mapped[str | None] = mapped_column(Text)
    snippet: Mapped[str | None] = mapped_column(Text)
    clicks: Mapped[int | None] = mapped_column(Integer)
    impressions: Mapped[int | None] = mapped_column(Integer)
    ctr: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(50), default="search_console")
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Backlink(UUIDPrimaryKey, Timestamps, Base):
    """Seed 001's backlinks, imported from a backlink tool's CSV export (``source`` names it)."""

    __tablename__ = "backlinks"
    __table_args__ = (Index("ix_backlinks_user_id_target_url", "user_id", "target_url"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    target_url: Mapped[str] = mapped_column(Text)
    source_url: Mapped[str] = mapped_column(Text)
    source_domain: Mapped[str] = mapped_column(Text)
    anchor_text: Mapped[str | None] = mapped_column(Text)
    is_do_follow: Mapped[bool] = mapped_column(Boolean, default=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    domain_rating: Mapped[int] = mapped_column(Integer, default=0)
    domain_authority: Mapped[int] = mapped_column(Integer, default=0)
    page_authority: Mapped[int] = mapped_column(Integer, default=0)
    is_toxic: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(50), default="csv")
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_checked: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
