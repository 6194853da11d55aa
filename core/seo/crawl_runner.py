"""Executing one SEO crawl in a worker process (``python -m core.worker seo-crawl ID``).

The crawl itself is asyncio (``core.seo.crawl``). Every ``RUN_HEARTBEAT_SECONDS`` a short
transaction, run in a thread, writes the counters and the heartbeat and reads the cancel flag;
a cancel stops the crawl within that time. When the crawl ends (done, canceled, or the site
unreachable) the findings are computed and the pages, findings, summary and final status are
written in one transaction, so a crawl's results are all there or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.database import Database
from core.seo.crawl import CrawlOptions, CrawlOutcome, SiteCrawler
from core.seo.crawl_page import CrawledPage
from core.seo.findings import CrawlContext, Finding, find_all
from core.seo.crawls import reap_stale_crawls
from core.settings import get_settings
from core.work import WorkKind, claim_oldest, claim_queued
from db.models import SeoCrawl, SeoCrawlFinding, SeoCrawlPage
from db.types import utcnow


def claim_crawl(session: Session, crawl_id: uuid.UUID, worker: str) -> bool:
    """queued → running for this worker; False when another worker (or a cancel) was first."""
    return claim_queued(session, SeoCrawl, crawl_id, worker)


def claim_next_crawl(session: Session, worker: str) -> uuid.UUID | None:
    """The oldest queued crawl, claimed (``FOR UPDATE SKIP LOCKED`` as for runs)."""
    return claim_oldest(session, worker, SeoCrawl, [SeoCrawl.status == "queued"],
                        SeoCrawl.created_at, claim_crawl)


def crawl_options(crawl: SeoCrawl) -> CrawlOptions:
    stored = crawl.options or {}
    return CrawlOptions(max_pages=crawl.max_pages, delay=float(stored.get("delay", 0)),
                        concurrency=int(stored.get("concurrency", 4)),
                        respect_robots=bool(stored.get("respect_robots", True)),
                        render=bool(stored.get("render", False)),
                        audit=bool(stored.get("audit", True)))


class CrawlExecution:
    def __init__(self, database: Database, crawl_id: uuid.UUID, start_url: str,
                 options: CrawlOptions) -> None:
        self.database = database
        self.crawl_id = crawl_id
        self.crawler = SiteCrawler(start_url, options)

    async def execute(self) -> CrawlOutcome:
        beat = asyncio.create_task(self._heartbeat(get_settings().run_heartbeat_seconds))
        try:
            return await self.crawler.run()
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    async def _heartbeat(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            if await asyncio.to_thread(self._beat):
                self.crawler.cancel.set()

    def _beat(self) -> bool:
        """Write the counters and heartbeat; return whether a cancel was requested."""
        progress = self.crawler.progress
        with self.database.transaction() as session:
            session.execute(update(SeoCrawl).where(SeoCrawl.id == self.crawl_id).values(
                pages_crawled=progress.pages_crawled, pages_queued=progress.pages_queued,
                errors_count=progress.errors, heartbeat_at=utcnow()))
            return bool(session.scalar(select(SeoCrawl.cancel_requested)
                                       .where(SeoCrawl.id == self.crawl_id)))


def page_row(crawl_id: uuid.UUID, page: CrawledPage) -> dict[str, Any]:
    facts = page.facts
    return {"id": uuid.uuid4(), "crawl_id": crawl_id, "url": page.url,
            "final_url": page.final_url or page.url, "status_code": page.status_code,
            "depth": page.depth, "title": facts.title if facts else None,
            "meta_description": facts.meta_description if facts else None,
            "indexable": page.indexable,
            "indexability": "; ".join(page.non_indexable_reasons()) or None,
            "canonical": page.canonical, "content_hash": facts.content_hash if facts else None,
            "word_count": facts.word_count if facts else 0,
            "response_time_ms": page.response_time_ms, "page_bytes": page.page_bytes,
            "inlinks": page.inlinks, "in_sitemap": page.in_sitemap, "score": page.score,
            "redirect_chain": page.redirects, "error": page.error, "audit": page.audit}


def finding_row(crawl_id: uuid.UUID, finding: Finding) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "crawl_id": crawl_id, "finding_id": finding.id,
            "key": finding.key, "severity": finding.severity, "group": finding.group,
            "title": finding.title, "urls": finding.urls, "evidence": finding.evidence,
            "recommendation": finding.recommendation}


def summarise(outcome: CrawlOutcome, findings: list[Finding]) -> dict[str, Any]:
    pages = outcome.pages
    scores = [p.score for p in pages if p.score is not None]
    return {
        "pages": len(pages),
        "html_pages": sum(p.is_html for p in pages),
        "errors": sum(bool(p.error) and not p.blocked_by_robots for p in pages),
        "indexable": sum(p.indexable for p in pages),
        "statuses": dict(Counter(str(p.status_code or "none") for p in pages)),
        "findings": dict(Counter(f.severity for f in findings)),
        "issues": sum(len(f.urls) for f in findings),
        "average_score": round(sum(scores) / len(scores)) if scores else None,
        "sitemaps": outcome.sitemap.sitemaps, "sitemap_urls": len(outcome.sitemap.urls),
        "not_checked": outcome.not_checked, "stopped": outcome.stopped,
        "seconds": round(outcome.elapsed_s, 2),
        "pages_per_second": round(len(pages) / outcome.elapsed_s, 1) if outcome.elapsed_s else None,
    }


def store_outcome(session: Session, crawl_id: uuid.UUID, outcome: CrawlOutcome,
                  findings: list[Finding], status: str, error: str | None) -> None:
    if outcome.pages:  # Core executemany: a 5,000-page crawl is one statement, not 5,000 objects
        session.execute(SeoCrawlPage.__table__.insert(),
                        [page_row(crawl_id, p) for p in outcome.pages])
    if findings:
        rows = [finding_row(crawl_id, f) for f in findings]
        for row in rows:  # the attribute is "group"; the column is "url_group"
            row["url_group"] = row.pop("group")
        session.execute(SeoCrawlFinding.__table__.insert(), rows)
    session.execute(update(SeoCrawl).where(SeoCrawl.id == crawl_id).values(
        status=status, finished_at=utcnow(), heartbeat_at=utcnow(), error_message=error,
        pages_crawled=len(outcome.pages), pages_queued=0,
        errors_count=sum(bool(p.error) and not p.blocked_by_robots for p in outcome.pages),
        findings_count=len(findings), summary=summarise(outcome, findings)))


def fail(database: Database, crawl_id: uuid.UUID, error: str) -> None:
    with database.transaction() as session:
        session.execute(update(SeoCrawl).where(SeoCrawl.id == crawl_id).values(
            status="failed", finished_at=utcnow(), error_message=error))


def execute_crawl(database: Database, crawl_id: uuid.UUID) -> str:
    """Run a claimed crawl to its end; return its final status. A site's trouble never raises."""
    with database.transaction() as session:
        crawl = session.get(SeoCrawl, crawl_id)
        start_url, options = crawl.start_url, crawl_options(crawl)
    try:
        outcome = asyncio.run(CrawlExecution(database, crawl_id, start_url, options).execute())
        findings = find_all(outcome.pages, CrawlContext(
            outcome.start_url, get_settings().seo_crawl_deep_page_clicks))
    except Exception as exc:
        fail(database, crawl_id, f"The crawl stopped on an internal error: {exc!r}")
        raise
    status, error = "completed", None
    if outcome.stopped == "canceled":
        status = "canceled"
    elif not any(p.status_code for p in outcome.pages):
        status = "failed"
        error = outcome.pages[0].error if outcome.pages else "Nothing could be fetched."
    with database.transaction() as session:
        store_outcome(session, crawl_id, outcome, findings, status, error)
    return status


WORK = WorkKind("seo-crawl", execute=execute_crawl, claim=claim_crawl,
                claim_next=claim_next_crawl, reap_stale=reap_stale_crawls)
