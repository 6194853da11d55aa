"""SEO site crawls (issue 5, point 4): one row per crawl, one per page crawled, one per finding.

A crawl moves queued → running → completed | failed | canceled like a run. Its pages and
findings are written once, when the crawl ends (findings need every page), in the transaction
that sets the final status: a crawl is never left with half its findings.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamps, UUIDPrimaryKey, one_of
from db.types import JSONDocument, UTCDateTime, Vocabulary
from vocabularies import Severity, WorkStatus


class SeoCrawl(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "seo_crawls"
    __table_args__ = (
        one_of("status", WorkStatus),
        Index("ix_seo_crawls_status_created_at", "status", "created_at"),
        Index("ix_seo_crawls_site_key_created_at", "site_key", "created_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    start_url: Mapped[str] = mapped_column(Text)
    # The site a crawl belongs to (scheme-less host and port, "www." dropped): history and the
    # diff compare crawls of one site, whichever page they started from.
    site_key: Mapped[str] = mapped_column(String(300))
    max_pages: Mapped[int] = mapped_column(Integer)
    options: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    status: Mapped[WorkStatus] = mapped_column(Vocabulary(WorkStatus, 20),
                                               default=WorkStatus.QUEUED)
    pages_crawled: Mapped[int] = mapped_column(Integer, default=0)
    pages_queued: Mapped[int] = mapped_column(Integer, default=0)
    errors_count: Mapped[int] = mapped_column(Integer, default=0)
    findings_count: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    worker_id: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    error_message: Mapped[str | None] = mapped_column(Text)


class SeoCrawlPage(UUIDPrimaryKey, Base):
    """One URL the crawl requested (a redirecting URL and its target are separate rows)."""

    __tablename__ = "seo_crawl_pages"
    __table_args__ = (Index("ix_seo_crawl_pages_crawl_id_depth", "crawl_id", "depth"),)

    crawl_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("seo_crawls.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(Integer)
    depth: Mapped[int | None] = mapped_column(Integer)  # clicks from the start; None: sitemap only
    title: Mapped[str | None] = mapped_column(Text)
    meta_description: Mapped[str | None] = mapped_column(Text)
    indexable: Mapped[bool] = mapped_column(Boolean, default=False)
    indexability: Mapped[str | None] = mapped_column(Text)  # why not indexable
    canonical: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    response_time_ms: Mapped[int | None] = mapped_column(Integer)
    page_bytes: Mapped[int | None] = mapped_column(Integer)
    inlinks: Mapped[int] = mapped_column(Integer, default=0)
    in_sitemap: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[int | None] = mapped_column(Integer)
    redirect_chain: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    audit: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)


class SeoCrawlFinding(UUIDPrimaryKey, Base):
    """One crawl-level finding for one group of pages (``/product/*``)."""

    __tablename__ = "seo_crawl_findings"
    __table_args__ = (
        one_of("severity", Severity),
        Index("ix_seo_crawl_findings_crawl_id_finding_id", "crawl_id", "finding_id"),
    )

    crawl_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("seo_crawls.id", ondelete="CASCADE"))
    finding_id: Mapped[str] = mapped_column(String(60))  # the kind: "broken-link", …
    key: Mapped[str] = mapped_column(Text)  # stable across crawls: "broken-link|/product/*"
    severity: Mapped[Severity] = mapped_column(Vocabulary(Severity, 10))
    group: Mapped[str] = mapped_column("url_group", String(300))
    title: Mapped[str] = mapped_column(Text)
    urls: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    recommendation: Mapped[str] = mapped_column(Text, default="")
