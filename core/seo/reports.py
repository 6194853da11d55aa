"""SEO reports: page audits stored per URL, with history, trends, diffs and ignored findings.

A report moves queued → running → completed | failed. Requesting one only writes intent; the
audit (a network fetch, maybe a Chromium render) runs in a worker process:

    request_audit(session, actor, url, render)   # a queued seo_reports row; after commit,
                                                 # `python -m core.worker seo-audit ID`
    execute_audit(database, report_id)           # in that worker: audit_url, then the outcome

A site that cannot be audited (unreachable, not HTML, too big, a redirect loop…) gives a report
with status "failed", the reason in ``error`` and what could not be checked in ``not_checked``.

Ignored findings: a user marks a failing item (audit id + evidence key, or the whole audit) as a
false positive with a reason. It is remembered for the normalised URL, so every report of that
URL, earlier and later, shows it as ignored. The score stays what Lighthouse would compute (a
score that moved when someone clicked "ignore" would no longer agree with Lighthouse); the
issue counts come twice: all failing issues, and "open" ones that exclude the ignored.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core import ledger, timeline
from core.platform import audit
from core.platform.access import Actor, require_change, require_writer
from core.platform.database import Database
from core.platform.errors import ValidationError
from core.platform.records import get_readable
from core.scrape.urls import AddressPolicy, check_target_url, require_url
from core.seo.keywords import Keyword, extract_keywords, save_keywords
from core.seo.diff import Issue, IssueDiff, diff_issues, evidence_key, evidence_text, \
    issues_of_audit
from core.platform.work import (WorkKind, WorkName, claim_oldest, claim_queued, fail_stale,
                                heartbeat, spawn_after_commit)
from db.models import SeoIgnoredFinding, SeoReport
from db.types import utcnow
from vocabularies import FileStatus, WorkStatus

if TYPE_CHECKING:  # pandas is imported where a table is built: the worker never needs it
    import pandas as pd

log = logging.getLogger("scrapedeck.seo")

# Which of the audit's page facts go into the seed's technical_seo and content_analysis columns.
TECHNICAL_FACTS = ("canonical", "indexable", "indexability", "meta_robots", "x_robots_tag",
                   "hreflang", "content_type", "rendered")
CONTENT_FACTS = ("lang", "word_count", "og", "twitter", "structured_data_types")
NOT_FINISHED = {"id": "all", "reason": "the audit did not finish"}


# --- Plain data returned to pages and the CLI ---------------------------------------------------

@dataclass(frozen=True)
class ReportSummary:
    id: uuid.UUID
    url: str
    normalized_url: str
    status: WorkStatus  # one of AUDIT_STATUSES
    score: int | None
    title: str | None
    render: bool
    error: str | None
    failing_count: int | None
    created_at: datetime
    finished_at: datetime | None
    pdf_status: FileStatus | None
    pdf_error: str | None

    @property
    def active(self) -> bool:
        return self.status in WorkStatus.ACTIVE


@dataclass(frozen=True)
class EvidenceRow:
    key: str
    text: str
    ignored_reason: str | None = None  # set when this item is ignored


@dataclass(frozen=True)
class AuditRow:
    id: str
    title: str
    group: str
    verdict: str
    weight: float
    points_recoverable: float
    recommendation: str
    lighthouse: bool
    evidence: list[EvidenceRow]
    details: str = ""  # why it failed, or why it does not apply
    ignored_reason: str | None = None  # the whole audit is ignored
    note: str = ""  # why Lighthouse's count may differ on this page (its scripts), in words

    @property
    def open_items(self) -> int:
        """Failing items not ignored (an audit without items counts as one)."""
        if self.ignored_reason is not None:
            return 0
        if not self.evidence:
            return 1
        return sum(1 for e in self.evidence if e.ignored_reason is None)


@dataclass(frozen=True)
class ReportView:
    """Everything the page, the HTML and the PDF show about one report."""

    summary: ReportSummary
    final_url: str | None
    status_code: int | None
    response_time_ms: float | None
    page_bytes: int | None
    failing: list[AuditRow]  # what to fix first: most points recoverable on top
    passed: list[AuditRow]
    not_applicable: list[AuditRow]
    not_checked: list[str]
    ignored: list[IgnoredFinding]
    failing_issues: int  # every failing item
    open_issues: int  # failing items not ignored

    @property
    def ignored_issues(self) -> int:
        return self.failing_issues - self.open_issues


@dataclass(frozen=True)
class IgnoredFinding:
    url: str
    audit_id: str
    key: str
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class ReportDiff:
    before: ReportSummary
    after: ReportSummary
    issues: IssueDiff[Issue]
    ignored: set[tuple[str, str]] = field(default_factory=set)


# --- Requesting and reading ---------------------------------------------------------------------

def summary_of(row: SeoReport) -> ReportSummary:
    return ReportSummary(id=row.id, url=row.url, normalized_url=row.normalized_url,
                         status=row.status, score=row.score,
                         title=row.title, render=row.render, error=row.error,
                         failing_count=row.failing_count, created_at=row.created_at,
                         finished_at=row.finished_at, pdf_status=row.pdf_status,
                         pdf_error=row.pdf_error)


def _load(session: Session, actor: Actor, report_id: uuid.UUID | str) -> SeoReport:
    return get_readable(session, SeoReport, report_id, actor, "Report")


def request_audit(session: Session, actor: Actor, url: str, render: bool = False,
                  spawn: bool = True) -> ReportSummary:
    """A queued report for ``url``; once the transaction commits, a worker audits it (spawned
    here, or with ``EXECUTOR=queue`` a ``serve`` process; ``spawn=False``: the caller runs
    ``execute_audit`` itself)."""
    require_writer(actor)
    normalized = require_url(url)
    # The URL policy as written (no DNS); the fetcher checks resolved names before fetching.
    check_target_url(url, allow_private=AddressPolicy.from_settings(), resolve=False)
    row = SeoReport(user_id=actor.id, url=url.strip(), normalized_url=normalized,
                    status=WorkStatus.QUEUED, render=bool(render), not_checked=[])
    session.add(row)
    session.flush()
    timeline.record(session, timeline.WorkflowRef.audit(row.id),
                    timeline.StateTransition(to=WorkStatus.QUEUED, by=actor.email))
    audit.record(session, actor, "seo_audit.request", "seo_report", row.id,
                 new={"url": row.url, "render": row.render})
    if spawn:
        spawn_after_commit(session, WorkName.SEO_AUDIT, row.id)
    return summary_of(row)


def get_report(session: Session, actor: Actor, report_id: uuid.UUID | str) -> ReportSummary:
    return summary_of(_load(session, actor, report_id))


def report_status(session: Session, actor: Actor, report_id: uuid.UUID | str) -> ReportSummary:
    """What the live view polls: first notice a dead worker, then the report."""
    reap_stale_reports(session)
    return get_report(session, actor, report_id)


REPORT_COLUMNS = ["id", "url", "status", "score", "failing", "render", "created_at", "error"]


def list_reports(session: Session, actor: Actor, url: str | None = None,
                 limit: int = 200) -> pd.DataFrame:
    """Newest first: the actor's reports (everyone's for an admin), of one URL when given."""
    import pandas as pd

    query = select(SeoReport).order_by(SeoReport.created_at.desc()).limit(limit)
    if not actor.is_admin:
        query = query.where(SeoReport.user_id == actor.id)
    if url:
        query = query.where(SeoReport.normalized_url == require_url(url))
    rows = [(r.id, r.url, r.status, r.score, r.failing_count, r.render, r.created_at, r.error)
            for r in session.scalars(query)]
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)


def audited_urls(session: Session, actor: Actor) -> list[str]:
    """Normalised URLs with at least one report, most recently audited first."""
    query = select(SeoReport.normalized_url, SeoReport.created_at).order_by(
        SeoReport.created_at.desc())
    if not actor.is_admin:
        query = query.where(SeoReport.user_id == actor.id)
    return list(dict.fromkeys(url for url, _ in session.execute(query)))


def report_view(session: Session, actor: Actor, report_id: uuid.UUID | str) -> ReportView:
    row = _load(session, actor, report_id)
    ignored = _ignored_for(session, row.user_id, row.normalized_url)
    return build_view(summary_of(row), row.audit or {}, row.not_checked or [], ignored)


def build_view(summary: ReportSummary, audit: dict[str, Any], not_checked: list[Any],
               ignored: list[IgnoredFinding]) -> ReportView:
    reasons = {(i.audit_id, i.key): i.reason for i in ignored}
    rows = [_audit_row(result, reasons) for result in audit.get("audits", [])]
    failing = sorted((r for r in rows if r.verdict == "fail"),
                     key=lambda r: (-r.points_recoverable, -r.weight, r.id))
    failing_issues = sum(max(1, len(r.evidence)) for r in failing)
    return ReportView(
        summary=summary, final_url=audit.get("final_url"), status_code=audit.get("status_code"),
        response_time_ms=audit.get("response_time_ms"), page_bytes=audit.get("page_bytes"),
        failing=failing, passed=[r for r in rows if r.verdict == "pass"],
        not_applicable=[r for r in rows if r.verdict == "not_applicable"],
        # An audit that could not run (verdict "error") was not checked either.
        not_checked=[_not_checked_text(item) for item in not_checked]
        + [f"{r.title}: {r.details or 'the check could not run'}" for r in rows
           if r.verdict not in ("pass", "fail", "not_applicable")],
        ignored=ignored, failing_issues=failing_issues,
        open_issues=sum(r.open_items for r in failing))


def _audit_row(result: dict[str, Any], reasons: dict[tuple[str, str], str]) -> AuditRow:
    audit_id = result.get("id", "")
    failed = result.get("verdict") == "fail"
    evidence = [EvidenceRow(key=(key := evidence_key(item)), text=evidence_text(item),
                            ignored_reason=reasons.get((audit_id, key)) if failed else None)
                for item in result.get("evidence") or []]
    return AuditRow(
        id=audit_id, title=result.get("title") or audit_id, group=result.get("group") or "",
        verdict=str(result.get("verdict") or ""), weight=float(result.get("weight") or 0),
        points_recoverable=float(result.get("points_recoverable") or 0),
        recommendation=result.get("recommendation") or "",
        lighthouse=bool(result.get("lighthouse")), evidence=evidence,
        details=result.get("details") or "", ignored_reason=reasons.get((audit_id, "")),
        note=result.get("note") or "")


def _not_checked_text(item: Any) -> str:
    if isinstance(item, dict):
        what = item.get("title") or item.get("id") or item.get("audit") or ""
        why = item.get("reason") or item.get("why") or ""
        return f"{what}: {why}" if what and why else str(what or why or item)
    return str(item)


# --- Trend and diff ----------------------------------------------------------------------------

TREND_COLUMNS = ["created_at", "score", "failing_issues", "open_issues", "report_id"]


def trend(session: Session, actor: Actor, url: str) -> pd.DataFrame:
    """Score and issue counts of the URL's completed reports, oldest first (for a chart)."""
    import pandas as pd

    normalized = require_url(url)
    query = (select(SeoReport).where(SeoReport.normalized_url == normalized,
                                     SeoReport.status == WorkStatus.COMPLETED)
             .order_by(SeoReport.created_at))
    if not actor.is_admin:
        query = query.where(SeoReport.user_id == actor.id)
    rows = []
    for row in session.scalars(query):
        ignored = {(i.audit_id, i.key) for i in
                   _ignored_for(session, row.user_id, normalized)}
        issues = issues_of_audit(row.audit)
        open_count = sum(1 for i in issues if not _is_ignored(i, ignored))
        rows.append((row.created_at, row.score, len(issues), open_count, row.id))
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def _is_ignored(issue: Issue, ignored: set[tuple[str, str]]) -> bool:
    return (issue.audit_id, "") in ignored or (issue.audit_id, issue.key) in ignored


def diff_reports(session: Session, actor: Actor, before_id: uuid.UUID | str,
                 after_id: uuid.UUID | str) -> ReportDiff:
    """New, fixed and persisting issues from one report of a URL to another."""
    before, after = _load(session, actor, before_id), _load(session, actor, after_id)
    if before.normalized_url != after.normalized_url:
        raise ValidationError("Only reports of the same URL can be compared: "
                              f"{before.url} and {after.url} differ.")
    for row in (before, after):
        if row.status != WorkStatus.COMPLETED:
            raise ValidationError(f"The report of {row.created_at:%Y-%m-%d %H:%M} is "
                                  f"{row.status}; only completed reports can be compared.")
    ignored = {(i.audit_id, i.key)
               for i in _ignored_for(session, after.user_id, after.normalized_url)}
    return ReportDiff(before=summary_of(before), after=summary_of(after),
                      issues=diff_issues(issues_of_audit(before.audit),
                                         issues_of_audit(after.audit)),
                      ignored=ignored)


# --- Ignoring findings -------------------------------------------------------------------------

def _ignored_for(session: Session, user_id: uuid.UUID, normalized: str) -> list[IgnoredFinding]:
    rows = session.scalars(select(SeoIgnoredFinding).where(
        SeoIgnoredFinding.user_id == user_id, SeoIgnoredFinding.url == normalized)
        .order_by(SeoIgnoredFinding.created_at))
    return [IgnoredFinding(url=r.url, audit_id=r.audit_id, key=r.finding_key, reason=r.reason,
                           created_at=r.created_at) for r in rows]


def ignore_finding(session: Session, actor: Actor, report_id: uuid.UUID | str, audit_id: str,
                   key: str, reason: str) -> IgnoredFinding:
    """Mark a failing item of the report (``key`` "" = the whole audit) as a false positive for
    the report's URL. Ignoring it again replaces the reason."""
    row = _load(session, actor, report_id)
    require_change(actor, row.user_id, "report")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why this finding is ignored (for whoever reads the report "
                              "next).")
    issues = {(i.audit_id, i.key) for i in issues_of_audit(row.audit)}
    if (audit_id, key) not in issues and not (key == "" and any(
            a == audit_id for a, _ in issues)):
        raise ValidationError(f"'{audit_id}' has no failing item '{key}' in this report.")
    existing = session.scalar(select(SeoIgnoredFinding).where(
        SeoIgnoredFinding.user_id == row.user_id, SeoIgnoredFinding.url == row.normalized_url,
        SeoIgnoredFinding.audit_id == audit_id, SeoIgnoredFinding.finding_key == key))
    if existing is None:
        existing = SeoIgnoredFinding(user_id=row.user_id, url=row.normalized_url,
                                     audit_id=audit_id, finding_key=key, reason=reason)
        session.add(existing)
    else:
        existing.reason = reason
    session.flush()
    return IgnoredFinding(url=existing.url, audit_id=audit_id, key=key, reason=reason,
                          created_at=existing.created_at)


def unignore_finding(session: Session, actor: Actor, report_id: uuid.UUID | str, audit_id: str,
                     key: str) -> bool:
    """Count the finding again; False when it was not ignored."""
    row = _load(session, actor, report_id)
    require_change(actor, row.user_id, "report")
    deleted = session.execute(delete(SeoIgnoredFinding).where(
        SeoIgnoredFinding.user_id == row.user_id, SeoIgnoredFinding.url == row.normalized_url,
        SeoIgnoredFinding.audit_id == audit_id, SeoIgnoredFinding.finding_key == key))
    return bool(deleted.rowcount)  # type: ignore[attr-defined]


# --- The work (worker process) -----------------------------------------------------------------

def claim(session: Session, report_id: uuid.UUID, worker: str) -> bool:
    """queued → running for this worker; False when another worker got there first."""
    if claim_queued(session, SeoReport, report_id, worker):
        timeline.record(session, timeline.WorkflowRef.audit(report_id), timeline.Handoff(
            target=timeline.HandoffTarget.WORKER, worker=worker))
        return True
    return False


def claim_next(session: Session, worker: str) -> uuid.UUID | None:
    """The oldest queued audit, claimed (``serve``; ``EXECUTOR=queue``)."""
    return claim_oldest(session, worker, SeoReport, [SeoReport.status == WorkStatus.QUEUED],
                        SeoReport.created_at, claim)


def run_audit(database: Database, report_id: uuid.UUID) -> str:
    """Audit a claimed report's URL and store the outcome; return the final status. The fetch
    happens outside any transaction; a heartbeat shows the worker is alive meanwhile."""
    with database.transaction() as session:
        row = session.get_one(SeoReport, report_id)
        url, render, owner, normalized = row.url, row.render, row.user_id, row.normalized_url
    keywords: list[Keyword] = []
    charges: list[ledger.Charge] = []
    internal = False
    try:
        with heartbeat(database, SeoReport, report_id, SeoReport.status == WorkStatus.RUNNING):
            values, keywords, charges = _outcome(url, render)
    except Exception as exc:  # noqa: BLE001 - a background job records every failure
        internal = True
        log.exception("seo audit %s failed", report_id)
        values = dict(status=WorkStatus.FAILED, error=f"The audit stopped on an internal error "
                      f"({type(exc).__name__}: {exc}); the worker log has the details.",
                      not_checked=[NOT_FINISHED])
    with database.transaction() as session:
        session.execute(update(SeoReport).where(SeoReport.id == report_id).values(
            **values, finished_at=utcnow(), heartbeat_at=utcnow()))
        if keywords:
            save_keywords(session, owner, normalized, keywords, report_id)
        ledger.record(session, ledger.Owner(owner, report_id=report_id), charges)
        timeline.record_many(session, timeline.WorkflowRef.audit(report_id),
                             audit_events(url, values, internal))
    return values["status"]


def audit_events(url: str, values: dict[str, Any], internal: bool) -> list[timeline.Event]:
    """The audit's steps as events, from the report's columns: the page fetched, the checks
    that failed, the score, the report stored; or the failure, at the fetch when the page could
    not be read (``internal``: the audit itself broke, at no step in particular)."""
    technical = values.get("technical_seo") or {}
    performance = values.get("performance") or {}
    final_url = technical.get("final_url") or url
    status = technical.get("status_code")
    if values["status"] != WorkStatus.COMPLETED:
        return [timeline.Failure(node=None if internal else "fetch", to=values["status"],
                                 url=None if internal else url, status=status,
                                 error=values.get("error"))]
    millis = performance.get("response_time_ms")
    return [timeline.PageFetched(node="fetch", url=final_url, status=status,
                                 bytes=performance.get("page_bytes"),
                                 seconds=millis / 1000 if millis is not None else None),
            timeline.StepResult(node="check", failing=values.get("failing_count") or 0),
            timeline.StepResult(node="score", score=values.get("score")),
            timeline.StepResult(node="store", url=final_url, stored=1),
            timeline.Completion(to=WorkStatus.COMPLETED)]


def _outcome(url: str, render: bool
             ) -> tuple[dict[str, Any], list[Keyword], list[ledger.Charge]]:
    """The report's columns from an audit of ``url``, the page's keywords, and what the
    audit's requests and renders cost."""
    from core.scrape.fetch import Fetcher
    from core.scrape.result import FetchResult
    from core.scrape.options import Viewport
    from core.seo.audit import PageAudit, audit_url_async, default_options
    from core.seo.serialize import page_audit_to_dict

    class KeepingFetcher(Fetcher):
        """The project's ``Fetcher``, keeping the audited page's response (keyword research
        reads the same HTML the audit did, without a second request) and what it spent."""

        page: FetchResult | None = None
        spent: dict[str, Any]

        def _keep(self, page: FetchResult, rendered: bool) -> FetchResult:
            self.page = page
            self.spent["requests"] += max(page.attempts, 1)
            self.spent["bytes_fetched"] += page.n_bytes
            if rendered:
                self.spent["renders"] += 1
                self.spent["browser_seconds"] += page.elapsed_s
            return page

        async def fetch(self, url: str) -> FetchResult:
            return self._keep(await super().fetch(url), rendered=False)

        async def render(self, url: str, *, wait_for: str | None = None,
                         init_script: str | None = None,
                         viewport: Viewport | None = None) -> FetchResult:
            return self._keep(await super().render(url, wait_for=wait_for, init_script=init_script,
                                                   viewport=viewport), rendered=True)

    async def audit() -> tuple[PageAudit, KeepingFetcher]:
        async with KeepingFetcher(default_options()) as fetcher:
            fetcher.spent = {"requests": 0, "bytes_fetched": 0, "renders": 0,
                             "browser_seconds": 0.0}
            return await audit_url_async(url, render=render, fetcher=fetcher), fetcher

    page_audit, keeping = asyncio.run(audit())
    page = keeping.page
    html = page.text if page is not None and page_audit.error is None else ""
    return (report_columns(page_audit_to_dict(page_audit)),
            extract_keywords(html) if html else [], ledger.fetch_charges(**keeping.spent))


def report_columns(doc: dict[str, Any]) -> dict[str, Any]:
    """Map an audit document (``page_audit_to_dict``) onto the seed's columns."""
    facts = doc.get("facts") or {}
    failed = doc.get("error") is not None
    issues = issues_of_audit(doc)
    ordered = sorted((a for a in doc.get("audits", []) if a.get("verdict") == "fail"),
                     key=lambda a: -float(a.get("points_recoverable") or 0))
    return dict(
        status=WorkStatus.FAILED if failed else WorkStatus.COMPLETED, error=doc.get("error"),
        score=None if failed else doc.get("score"), title=doc.get("title"),
        meta_description=doc.get("meta_description"), meta_keywords=facts.get("meta_keywords"),
        headings=_fact(facts, "headings"), images=_fact(facts, "images"),
        links=_fact(facts, "links"),
        performance={"response_time_ms": doc.get("response_time_ms"),
                     "page_bytes": doc.get("page_bytes"), "redirects": doc.get("redirects")},
        technical_seo={"status_code": doc.get("status_code"), "final_url": doc.get("final_url"),
                       "fetched_at": doc.get("fetched_at"),
                       **{k: facts.get(k) for k in TECHNICAL_FACTS if k in facts}},
        content_analysis={k: facts.get(k) for k in CONTENT_FACTS if k in facts} or None,
        recommendations=[{"audit_id": a.get("id"), "title": a.get("title"),
                          "points_recoverable": a.get("points_recoverable"),
                          "recommendation": a.get("recommendation")} for a in ordered],
        audit=doc, not_checked=list(doc.get("not_checked") or []),
        failing_count=None if failed else len(issues))


def _fact(facts: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = facts.get(name)
    if value is None:
        return None
    return value if isinstance(value, dict) else {"items": value}


def reap_stale_reports(session: Session, now: datetime | None = None) -> int:
    """Fail running audits whose worker stopped heartbeating; return how many."""
    message = "The audit worker stopped responding (no heartbeat)."
    stale = fail_stale(session, SeoReport, now, not_checked=[NOT_FINISHED], error=message)
    for report_id in stale:
        timeline.record(session, timeline.WorkflowRef.audit(report_id), timeline.Failure(
            to=WorkStatus.FAILED, reason="heartbeat lost", error=message))
    return len(stale)


def require_report(session: Session, actor: Actor, report_id: uuid.UUID | str) -> SeoReport:
    """The report row for modules next to this one (exports)."""
    row = _load(session, actor, report_id)
    if row.status in WorkStatus.ACTIVE:
        raise ValidationError("This audit is still running; export it once it has finished.")
    return row


def ignored_for_report(session: Session, row: SeoReport) -> list[IgnoredFinding]:
    return _ignored_for(session, row.user_id, row.normalized_url)


WORK = WorkKind(WorkName.SEO_AUDIT, execute=run_audit, claim=claim, claim_next=claim_next,
                reap_stale=reap_stale_reports)
