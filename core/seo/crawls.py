"""SEO site crawls as records: start, watch, cancel, read findings, trends and diffs.

A crawl is a row that moves queued → running → completed | failed | canceled, like a run
(``core.scraping.runs``). Starting one only writes intent; with ``EXECUTOR=local`` a worker process
(``python -m core.worker seo-crawl CRAWL_ID``) is spawned when the transaction commits, and any
``core.worker serve`` claims crawls left queued. The worker (``core.seo.crawl_runner``) writes
progress every ``RUN_HEARTBEAT_SECONDS`` and, at the end, the pages, the findings and the
summary in one transaction.

Crawls of one site (``site_key``: host without ``www.``, and port) form its history: issue
counts per finding per crawl (the trend), and new / fixed / persisting issues between two
crawls, compared on stable keys (check id and URL, ``core.seo.findings.issues``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import budgets, timeline
from core.platform import audit
from core.platform.access import Actor, require_change, require_writer
from core.platform.errors import Conflict, ValidationError
from core.platform.records import get_readable
from core.scrape.urls import AddressPolicy, check_target_url, normalize_url, site_key
from core.seo.crawl import MAX_CONCURRENCY
from core.seo.diff import Issue, diff_issues, evidence_text
from core.platform.settings import get_settings
from core.platform.work import WorkName, fail_stale, request_cancel, spawn_after_commit
from db.models import SeoCrawl, SeoCrawlFinding, SeoCrawlPage
from vocabularies import Severity, WorkStatus

if TYPE_CHECKING:  # pandas is imported where a table is built: the worker never needs it
    import pandas as pd

DEFAULT_CONCURRENCY = 4
OPTION_KEYS = ("delay", "concurrency", "respect_robots", "render", "audit")


@dataclass(frozen=True)
class CrawlSummary:
    id: uuid.UUID
    start_url: str
    site_key: str
    status: WorkStatus
    max_pages: int
    options: dict[str, Any]
    pages_crawled: int
    pages_queued: int
    errors_count: int
    findings_count: int
    cancel_requested: bool
    error_message: str | None
    summary: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def active(self) -> bool:
        return self.status in WorkStatus.ACTIVE

    @property
    def progress_percent(self) -> int:
        if not self.active:
            return 100 if self.status == WorkStatus.COMPLETED else 0
        return min(99, int(100 * self.pages_crawled / max(self.max_pages, 1)))


@dataclass(frozen=True)
class CrawlDiff:
    previous_id: uuid.UUID | None
    new: pd.DataFrame  # finding, url, title, detail
    fixed: pd.DataFrame
    persisting: pd.DataFrame


def _summary(crawl: SeoCrawl) -> CrawlSummary:
    return CrawlSummary(
        id=crawl.id, start_url=crawl.start_url, site_key=crawl.site_key, status=crawl.status,
        max_pages=crawl.max_pages, options=crawl.options or {},
        pages_crawled=crawl.pages_crawled, pages_queued=crawl.pages_queued,
        errors_count=crawl.errors_count, findings_count=crawl.findings_count,
        cancel_requested=crawl.cancel_requested, error_message=crawl.error_message,
        summary=crawl.summary or {}, created_at=crawl.created_at, started_at=crawl.started_at,
        finished_at=crawl.finished_at)


def _load(session: Session, actor: Actor, crawl_id: uuid.UUID | str) -> SeoCrawl:
    return get_readable(session, SeoCrawl, crawl_id, actor, "Crawl")


# --- Starting and stopping ---------------------------------------------------------------------

def check_options(url: str, max_pages: Any, options: dict[str, Any] | None) -> tuple[str, int, dict[str, Any]]:
    """The start URL (normalised), page budget and options to store, or ``ValidationError``
    listing every problem."""
    settings = get_settings()
    problems: list[str] = []
    try:
        start = normalize_url(check_target_url(url or "", allow_private=AddressPolicy.from_settings()))
    except ValidationError as exc:
        start, problems = None, [f"url: {exc}"]
    limit = settings.seo_crawl_max_pages
    if isinstance(max_pages, bool) or not isinstance(max_pages, int) or not 1 <= max_pages <= limit:
        problems.append(f"max_pages: must be a whole number from 1 to {limit}, not {max_pages!r}")
    given = dict(options or {})
    problems += [f"options.{key}: unknown option (known: {', '.join(OPTION_KEYS)})"
                 for key in given if key not in OPTION_KEYS]
    chosen = {"delay": settings.fetch_delay_seconds, "concurrency": DEFAULT_CONCURRENCY,
              "respect_robots": True, "render": False, "audit": True,
              **{k: v for k, v in given.items() if k in OPTION_KEYS}}
    if isinstance(chosen["delay"], bool) or not isinstance(chosen["delay"], int | float) \
            or not 0 <= chosen["delay"] <= 60:
        problems.append(f"options.delay: seconds from 0 to 60, not {chosen['delay']!r}")
    concurrency = chosen["concurrency"]
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) \
            or not 1 <= concurrency <= MAX_CONCURRENCY:
        problems.append(f"options.concurrency: from 1 to {MAX_CONCURRENCY}, not {concurrency!r}")
    problems += [f"options.{key}: must be true or false, not {chosen[key]!r}"
                 for key in ("respect_robots", "render", "audit")
                 if not isinstance(chosen[key], bool)]
    if problems:
        raise ValidationError("The crawl cannot start.", problems)
    return start or "", max_pages, chosen


def start_crawl(session: Session, actor: Actor, url: str, max_pages: int,
                options: dict[str, Any] | None = None) -> CrawlSummary:
    """Queue a crawl of the site at ``url`` (and, with the local executor, start its worker
    when the transaction commits). Refused while this user already crawls that site."""
    require_writer(actor)
    start, max_pages, chosen = check_options(url, max_pages, options)
    key = site_key(start)
    busy = session.scalar(select(SeoCrawl.id).where(
        SeoCrawl.user_id == actor.id, SeoCrawl.site_key == key,
        SeoCrawl.status.in_(WorkStatus.ACTIVE)).limit(1))
    if busy is not None:
        raise Conflict(f"A crawl of {key} is already in progress; wait for it or cancel it.")
    budgets.check_start(session, actor.id, "crawl")
    crawl = SeoCrawl(user_id=actor.id, start_url=start, site_key=key, max_pages=max_pages,
                     options=chosen, status=WorkStatus.QUEUED, summary={})
    session.add(crawl)
    session.flush()
    timeline.record(session, timeline.WorkflowRef.crawl(crawl.id),
                    timeline.StateTransition(to=WorkStatus.QUEUED, by=actor.email))
    audit.record(session, actor, "seo_crawl.start", "seo_crawl", crawl.id,
                 new={"url": start, "max_pages": max_pages, **chosen})
    spawn_after_commit(session, WorkName.SEO_CRAWL, crawl.id)
    return _summary(crawl)


def cancel_crawl(session: Session, actor: Actor, crawl_id: uuid.UUID | str) -> CrawlSummary:
    """A queued crawl is canceled at once; a running one stops within a heartbeat and keeps
    the findings over the pages it fetched."""
    crawl = _load(session, actor, crawl_id)
    require_change(actor, crawl.user_id, "crawl")
    if crawl.status in WorkStatus.ACTIVE:
        audit.record(session, actor, "seo_crawl.cancel", "seo_crawl", crawl.id,
                     old={"status": crawl.status}, new={"cancel_requested": True})
    event: timeline.Event
    if request_cancel(crawl, "crawl"):
        event = timeline.StateTransition(to=WorkStatus.CANCELED, by=actor.email)
    else:
        event = timeline.Handoff(target=timeline.HandoffTarget.WORKER, request="cancel",
                                 by=actor.email)
    timeline.record(session, timeline.WorkflowRef.crawl(crawl.id), event)
    return _summary(crawl)


def reap_stale_crawls(session: Session, now: datetime | None = None) -> int:
    """Fail running crawls whose worker stopped heartbeating (``RUN_STALE_AFTER_SECONDS``)."""
    message = "The worker stopped responding (no heartbeat); the crawl was lost."
    stale = fail_stale(session, SeoCrawl, now, error_message=message)
    for crawl_id in stale:
        timeline.record(session, timeline.WorkflowRef.crawl(crawl_id), timeline.Failure(
            to=WorkStatus.FAILED, reason="heartbeat lost", error=message))
    return len(stale)


# --- Reading -----------------------------------------------------------------------------------

CRAWL_COLUMNS = ["id", "start_url", "status", "pages", "errors", "findings", "created_at",
                 "finished_at"]


def list_crawls(session: Session, actor: Actor, limit: int = 200) -> pd.DataFrame:
    """Newest first: the actor's crawls (every crawl for an admin)."""
    import pandas as pd

    query = select(SeoCrawl).order_by(SeoCrawl.created_at.desc()).limit(limit)
    if not actor.is_admin:
        query = query.where(SeoCrawl.user_id == actor.id)
    rows = [(c.id, c.start_url, c.status, c.pages_crawled, c.errors_count, c.findings_count,
             c.created_at, c.finished_at) for c in session.scalars(query)]
    return pd.DataFrame(rows, columns=CRAWL_COLUMNS)


def get_crawl(session: Session, actor: Actor, crawl_id: uuid.UUID | str) -> CrawlSummary:
    return _summary(_load(session, actor, crawl_id))


def has_active_crawls(session: Session, actor: Actor) -> bool:
    """Whether the crawl page needs to keep refreshing (and reap dead crawls meanwhile)."""
    reap_stale_crawls(session)
    query = select(SeoCrawl.id).where(SeoCrawl.status.in_(WorkStatus.ACTIVE)).limit(1)
    if not actor.is_admin:
        query = query.where(SeoCrawl.user_id == actor.id)
    return session.scalar(query) is not None


PAGE_COLUMNS = ["url", "status", "depth", "title", "score", "indexable", "why_not_indexable",
                "inlinks", "words", "response_ms", "in_sitemap", "redirects_to", "error"]


def crawl_pages(session: Session, actor: Actor, crawl_id: uuid.UUID | str) -> pd.DataFrame:
    """One row per URL the crawl requested, shallowest first."""
    import pandas as pd

    crawl = _load(session, actor, crawl_id)
    pages = session.scalars(select(SeoCrawlPage).where(SeoCrawlPage.crawl_id == crawl.id)
                            .order_by(SeoCrawlPage.depth.is_(None), SeoCrawlPage.depth,
                                      SeoCrawlPage.url))
    rows = [(p.url, p.status_code, p.depth, p.title, p.score, p.indexable, p.indexability,
             p.inlinks, p.word_count, p.response_time_ms, p.in_sitemap,
             p.final_url if p.redirect_chain else None, p.error) for p in pages]
    return pd.DataFrame(rows, columns=PAGE_COLUMNS)


FINDING_COLUMNS = ["severity", "finding", "group", "title", "count", "urls", "evidence",
                   "recommendation", "key"]


def crawl_findings(session: Session, actor: Actor, crawl_id: uuid.UUID | str) -> pd.DataFrame:
    """The crawl's findings, most severe first: one row per check and path group."""
    import pandas as pd

    crawl = _load(session, actor, crawl_id)
    rows = [(f.severity, f.finding_id, f.group, f.title, len(f.urls), f.urls, f.evidence,
             f.recommendation, f.key)
            for f in session.scalars(select(SeoCrawlFinding)
                                     .where(SeoCrawlFinding.crawl_id == crawl.id))]
    order = {severity: rank for rank, severity in enumerate(Severity)}
    rows.sort(key=lambda r: (order[r[0]], r[1], r[2]))
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def _site_crawls(session: Session, actor: Actor, crawl: SeoCrawl) -> list[SeoCrawl]:
    """Finished crawls of the same site the actor may read, oldest first."""
    query = (select(SeoCrawl).where(SeoCrawl.site_key == crawl.site_key,
                                    SeoCrawl.status.in_((WorkStatus.COMPLETED,
                                                         WorkStatus.CANCELED)))
             .order_by(SeoCrawl.created_at))
    if not actor.is_admin:
        query = query.where(SeoCrawl.user_id == actor.id)
    return list(session.scalars(query))


def crawl_history(session: Session, actor: Actor, crawl_id: uuid.UUID | str) -> pd.DataFrame:
    """Issue counts per finding per finished crawl of this crawl's site, for a trend chart:
    columns crawl_id, finished_at, finding, issues (URLs affected)."""
    import pandas as pd

    crawls = _site_crawls(session, actor, _load(session, actor, crawl_id))
    counts: dict[tuple[uuid.UUID, str], int] = {}
    if crawls:
        for finding_crawl, finding_id, urls in session.execute(
                select(SeoCrawlFinding.crawl_id, SeoCrawlFinding.finding_id,
                       SeoCrawlFinding.urls)
                .where(SeoCrawlFinding.crawl_id.in_([c.id for c in crawls]))):
            key = (finding_crawl, finding_id)
            counts[key] = counts.get(key, 0) + len(urls)
    when = {c.id: c.finished_at or c.created_at for c in crawls}
    rows = [(crawl, when[crawl], finding, n) for (crawl, finding), n in counts.items()]
    rows.sort(key=lambda r: (r[1], r[2]))
    return pd.DataFrame(rows, columns=["crawl_id", "finished_at", "finding", "issues"])


def _issues(session: Session, crawl_id: uuid.UUID) -> list[Issue]:
    return [Issue(audit_id=f.finding_id, key=item.get("url", ""), title=f.title,
                  detail=evidence_text({k: v for k, v in item.items() if k != "url"}))
            for f in session.scalars(select(SeoCrawlFinding)
                                     .where(SeoCrawlFinding.crawl_id == crawl_id))
            for item in (f.evidence or {}).get("items", [])]


def diff_crawls(session: Session, actor: Actor, crawl_id: uuid.UUID | str,
                previous_id: uuid.UUID | str | None = None) -> CrawlDiff:
    """New, fixed and persisting issues (one per check and URL) of a crawl against an earlier
    crawl of the same site: ``previous_id``, or the latest finished one before it."""
    import pandas as pd

    crawl = _load(session, actor, crawl_id)
    previous: SeoCrawl | None
    if previous_id is not None:
        previous = _load(session, actor, previous_id)
        if previous.site_key != crawl.site_key:
            raise ValidationError(f"Crawls of different sites ({previous.site_key} and "
                                  f"{crawl.site_key}) cannot be compared.")
    else:
        earlier = [c for c in _site_crawls(session, actor, crawl)
                   if c.created_at < crawl.created_at and c.id != crawl.id]
        previous = earlier[-1] if earlier else None
    before = _issues(session, previous.id) if previous is not None else []
    change = diff_issues(before, _issues(session, crawl.id))

    def table(items: list[Issue]) -> pd.DataFrame:
        return pd.DataFrame([(i.audit_id, i.key, i.title, i.detail) for i in items],
                            columns=["finding", "url", "title", "detail"])

    return CrawlDiff(previous_id=previous.id if previous is not None else None,
                     new=table(change.new), fixed=table(change.fixed),
                     persisting=table(change.persisting))


@dataclass(frozen=True)
class CrawlReport:
    """Everything the crawl page shows for one finished crawl."""

    crawl: CrawlSummary
    findings: pd.DataFrame  # crawl_findings
    pages: pd.DataFrame  # crawl_pages
    history: pd.DataFrame  # crawl_history
    diff: CrawlDiff


def crawl_report(session: Session, actor: Actor, crawl_id: uuid.UUID | str) -> CrawlReport:
    return CrawlReport(crawl=get_crawl(session, actor, crawl_id),
                       findings=crawl_findings(session, actor, crawl_id),
                       pages=crawl_pages(session, actor, crawl_id),
                       history=crawl_history(session, actor, crawl_id),
                       diff=diff_crawls(session, actor, crawl_id))
