"""Executing one SEO crawl in a worker process (``python -m core.worker seo-crawl ID``).

The crawl itself is asyncio (``core.seo.crawl``). Every ``RUN_HEARTBEAT_SECONDS`` a short
transaction, run in a thread, writes the counters and the heartbeat and reads the cancel flag;
a cancel stops the crawl within that time. The same transaction records what the crawl spent
since the last beat — requests, bytes, renders — in the cost ledger (``core.ledger``) and asks
``core.budgets`` whether a limit is reached: the crawl then stops as a cancel would, keeps its
pages and ends "stopped: budget reached". When the crawl ends (done, canceled, or the site
unreachable) the findings are computed and the pages, findings, summary and final status are
written in one transaction, so a crawl's results are all there or not at all. Its events go to
the timeline (``core.timeline``: fetch → check → findings → store); what it spent after the
last beat goes to the ledger in that same last transaction.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from core import budgets, ledger, timeline
from core.platform.aio import wait_set
from core.platform.database import Database
from core.platform.words import counted
from core.seo.crawl import CrawlOptions, CrawlOutcome, SiteCrawler
from core.seo.crawl_page import CrawledPage
from core.seo.findings import CrawlContext, Finding, find_all
from core.seo.crawls import reap_stale_crawls
from core.platform.settings import get_settings
from core.platform.work import WorkKind, WorkName, claim_oldest, claim_queued
from db.models import SeoCrawl, SeoCrawlFinding, SeoCrawlPage
from db.types import utcnow
from vocabularies import WorkStatus


def claim_crawl(session: Session, crawl_id: uuid.UUID, worker: str) -> bool:
    """queued → running for this worker; False when another worker (or a cancel) was first."""
    if claim_queued(session, SeoCrawl, crawl_id, worker):
        timeline.record(session, timeline.WorkflowRef.crawl(crawl_id), timeline.Handoff(
            target=timeline.HandoffTarget.WORKER, worker=worker))
        return True
    return False


def claim_next_crawl(session: Session, worker: str) -> uuid.UUID | None:
    """The oldest queued crawl, claimed (``FOR UPDATE SKIP LOCKED`` as for runs)."""
    return claim_oldest(session, worker, SeoCrawl, [SeoCrawl.status == WorkStatus.QUEUED],
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
                 options: CrawlOptions, user_id: uuid.UUID | None = None) -> None:
        self.database = database
        self.crawl_id = crawl_id
        self.user_id = user_id
        self.crawler = SiteCrawler(start_url, options)
        self.charged = (0, 0, 0, 0.0)  # requests, bytes, renders, browser seconds in the ledger
        self.stopped_by: str | None = None  # why a budget stopped the crawl

    def charge(self, session: Session) -> None:
        """Record what the crawl spent since the last charge (nothing twice)."""
        if self.user_id is None:
            return
        spent = self.crawler.progress
        now = (spent.requests, spent.bytes_fetched, spent.renders, spent.browser_seconds)
        delta = [a - b for a, b in zip(now, self.charged)]
        self.charged = now
        ledger.record(session, ledger.Owner(self.user_id, crawl_id=self.crawl_id),
                      ledger.fetch_charges(int(delta[0]), int(delta[1]), int(delta[2]),
                                           delta[3]))

    async def execute(self) -> CrawlOutcome:
        ended = asyncio.Event()
        beat = asyncio.create_task(self._heartbeat(get_settings().run_heartbeat_seconds, ended))
        try:
            return await self.crawler.run()
        finally:
            # Let a beat in progress finish rather than cancel it: a beat that has taken its
            # pages may still wait for a thread (a busy machine), and a cancel then drops them
            # with their events. What is left after it, the final store writes.
            ended.set()
            await beat

    async def _heartbeat(self, seconds: float, ended: asyncio.Event) -> None:
        while not await wait_set(ended, seconds):
            if await asyncio.to_thread(self._beat, self.crawler.take_recorded()):
                if self.stopped_by is not None:  # the summary says so, not "canceled"
                    self.crawler.stop(budgets.STOPPED_BY_BUDGET)
                else:
                    self.crawler.cancel.set()

    def _beat(self, pages: list[CrawledPage]) -> bool:
        """Write the counters, heartbeat, costs and the events of ``pages`` (those recorded
        since the last beat); return whether the crawl must stop (a cancel was requested, or a
        budget is reached)."""
        progress = self.crawler.progress
        with self.database.transaction() as session:
            timeline.record_many(session, timeline.WorkflowRef.crawl(self.crawl_id),
                                 page_events(pages))
            self.charge(session)
            if self.user_id is not None and self.stopped_by is None:
                self.stopped_by = budgets.after_charge(session, self.user_id)
            if self.stopped_by is not None:
                return True
            session.execute(update(SeoCrawl).where(SeoCrawl.id == self.crawl_id).values(
                pages_crawled=progress.pages_crawled, pages_queued=progress.pages_queued,
                errors_count=progress.errors, heartbeat_at=utcnow()))
            return bool(session.scalar(select(SeoCrawl.cancel_requested)
                                       .where(SeoCrawl.id == self.crawl_id)))


def page_events(pages: Sequence[CrawledPage]) -> list[timeline.Event]:
    """The fetch step's events for these pages (one each: fetched, or failed with its error;
    a URL robots.txt disallows was not fetched) and one check-step event for those read."""
    now = utcnow()
    found: list[timeline.Event] = []
    for page in pages:
        if page.blocked_by_robots:
            continue
        seconds = page.response_time_ms / 1000 if page.response_time_ms is not None else None
        if page.error:
            found.append(timeline.Failure(node="fetch", url=page.url, status=page.status_code,
                                          error=page.error, at=now))
        else:
            found.append(timeline.PageFetched(node="fetch", url=page.url,
                                              status=page.status_code, bytes=page.page_bytes,
                                              seconds=seconds, at=now))
    checked = sum(page.facts is not None for page in pages)
    if checked:
        found.append(timeline.StepResult(node="check", pages=checked, at=now))
    return found


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
                  findings: list[Finding], status: WorkStatus, error: str | None,
                  recorded: Sequence[CrawledPage] = ()) -> None:
    """Write the crawl's pages, findings, summary and status, with the events of the pages
    ``recorded`` since the last heartbeat, the findings and the store."""
    if outcome.pages:  # Core executemany: a 5,000-page crawl is one statement, not 5,000 objects
        session.execute(cast(Table, SeoCrawlPage.__table__).insert(),
                        [page_row(crawl_id, p) for p in outcome.pages])
    if findings:
        rows = [finding_row(crawl_id, f) for f in findings]
        for row in rows:  # the attribute is "group"; the column is "url_group"
            row["url_group"] = row.pop("group")
        session.execute(cast(Table, SeoCrawlFinding.__table__).insert(), rows)
    session.execute(update(SeoCrawl).where(SeoCrawl.id == crawl_id).values(
        status=status, finished_at=utcnow(), heartbeat_at=utcnow(), error_message=error,
        pages_crawled=len(outcome.pages), pages_queued=0,
        errors_count=sum(bool(p.error) and not p.blocked_by_robots for p in outcome.pages),
        findings_count=len(findings), summary=summarise(outcome, findings)))
    event: timeline.Event
    if status == WorkStatus.COMPLETED:
        event = timeline.Completion(to=status)
    elif status == WorkStatus.FAILED:
        event = timeline.Failure(to=status, error=error)
    else:
        event = timeline.StateTransition(to=status)
    steps: list[timeline.Event] = []
    if outcome.pages and status != WorkStatus.FAILED:
        steps = [timeline.StepResult(node="findings", findings=len(findings)),
                 timeline.StepResult(node="store", pages=len(outcome.pages),
                                     findings=len(findings))]
    timeline.record_many(session, timeline.WorkflowRef.crawl(crawl_id),
                         [*page_events(recorded), *steps, event])


def fail(database: Database, crawl_id: uuid.UUID, error: str) -> None:
    with database.transaction() as session:
        session.execute(update(SeoCrawl).where(SeoCrawl.id == crawl_id).values(
            status=WorkStatus.FAILED, finished_at=utcnow(), error_message=error))
        timeline.record(session, timeline.WorkflowRef.crawl(crawl_id),
                        timeline.Failure(to=WorkStatus.FAILED, error=error))


def charge(session: Session, user_id: uuid.UUID, crawl_id: uuid.UUID,
           execution: CrawlExecution) -> None:
    """What the crawl's page requests spent since its last heartbeat, into the ledger."""
    execution.charge(session)


def execute_crawl(database: Database, crawl_id: uuid.UUID) -> str:
    """Run a claimed crawl to its end; return its final status. A site's trouble never raises."""
    with database.transaction() as session:
        crawl = session.get_one(SeoCrawl, crawl_id)
        start_url, options, user_id = crawl.start_url, crawl_options(crawl), crawl.user_id
    execution = CrawlExecution(database, crawl_id, start_url, options, user_id)
    try:
        outcome = asyncio.run(execution.execute())
        findings = find_all(outcome.pages, CrawlContext(
            outcome.start_url, get_settings().seo_crawl_deep_page_clicks))
    except Exception as exc:
        fail(database, crawl_id, f"The crawl stopped on an internal error: {exc!r}")
        with database.transaction() as session:
            charge(session, user_id, crawl_id, execution)
        raise
    status, error = WorkStatus.COMPLETED, None
    if execution.stopped_by is not None:
        status = WorkStatus.STOPPED_BUDGET
        error = (f"{execution.stopped_by}. What was crawled is kept "
                 f"({counted(len(outcome.pages), 'page')}).")
    elif outcome.stopped == "canceled":
        status = WorkStatus.CANCELED
    elif not any(p.status_code for p in outcome.pages):
        status = WorkStatus.FAILED
        error = outcome.pages[0].error if outcome.pages else "Nothing could be fetched."
    with database.transaction() as session:
        store_outcome(session, crawl_id, outcome, findings, status, error,
                      execution.crawler.take_recorded())
        charge(session, user_id, crawl_id, execution)
    return status


WORK = WorkKind(WorkName.SEO_CRAWL, execute=execute_crawl, claim=claim_crawl,
                claim_next=claim_next_crawl, reap_stale=reap_stale_crawls)
