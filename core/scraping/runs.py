"""Runs: starting, cancelling, listing and watching the executions of scraping jobs.

A run is a row that moves queued → running → completed | failed | canceled. Starting one only
writes intent; the work happens in a worker process (``core.worker``):

- ``EXECUTOR=local`` (default): when the starting transaction commits, a worker process is
  spawned for the run on this machine;
- ``EXECUTOR=queue``: the run stays queued until a ``python -m core.worker serve`` process, on
  any machine, claims it.

Every run has an idempotency key, unique in the database: starting twice with the same key (a
double click, two schedulers firing for the same slot) yields the one run.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.platform import audit
from core.platform.access import Actor, require_change
from core.platform.errors import Conflict, NotFound
from core.platform.records import get_readable
from core.platform.work import WorkName, fail_stale, request_cancel, spawn_after_commit
from core import budgets, credits, timeline
from core.timeline import WorkflowRef
from db.models import Run, RunResult, ScrapingJob
from db.types import utcnow
from vocabularies import WorkStatus

if TYPE_CHECKING:  # pandas is imported where a table is built: a worker process never needs it
    import pandas as pd

MAX_LIST = 10_000  # rows one list call returns at most


@dataclass(frozen=True)
class EarlierRun:
    """A run of the same job that had already stored some of the items a later run found."""
    id: uuid.UUID
    created_at: datetime
    items: int  # how many of the later run's items it holds


@dataclass(frozen=True)
class RunSummary:
    id: uuid.UUID
    job_id: uuid.UUID
    job_name: str
    status: WorkStatus
    pages_fetched: int
    items_found: int
    items_extracted: int
    errors_count: int
    progress_percent: int
    urls_processed: int
    urls_total: int
    error_message: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cancel_requested: bool
    meta: dict[str, Any] = field(default_factory=dict)
    credits_charged: Decimal = Decimal(0)  # written from the ledger when the run ends
    already_stored: tuple[EarlierRun, ...] = ()  # where the items it found but did not store are
    # The most pages the run can fetch: its target URLs times the job's max_pages when it pages
    # (its page range when shorter), plus its detail pages' cap; at least the pages it knows of.
    # None when the job cannot say (its package no longer parses).
    pages_at_most: int | None = None
    build_id: uuid.UUID | None = None  # the confirmed build it was started from (builds run)

    @property
    def active(self) -> bool:
        return self.status in WorkStatus.ACTIVE

    @property
    def done_share(self) -> float:
        """Pages done over the most it can do: 1.0 only for a run that completed (a canceled or
        failed run that happened to finish its known pages still did not finish its work)."""
        if self.status in (WorkStatus.COMPLETED, WorkStatus.COMPLETED_WITH_ERRORS):
            return 1.0
        at_most = max(self.pages_at_most or 0, self.urls_total)
        share = self.urls_processed / at_most if at_most else 0.0
        return min(share, 0.99)

    def progress_words(self, status_word: str | None = None) -> str:
        """What a progress line says: pages done of at most M (and, with next-button paging,
        how many were found so far); for a run that stopped, after how many pages and why
        (``status_word`` names its status where no error or canceller says more)."""
        done = self.urls_processed
        at_most = max(self.pages_at_most or 0, self.urls_total)
        of = f" of at most {at_most}" if at_most else ""
        if self.status in (WorkStatus.COMPLETED, WorkStatus.COMPLETED_WITH_ERRORS):
            return f"100% · all {done} pages done"
        if self.active:
            if not self.urls_total:
                return "starting…"
            found = f" · {self.urls_total} found so far" if self.urls_total < at_most else ""
            return f"{round(100 * self.done_share)}% · {done} pages done{of}{found}"
        if self.status == WorkStatus.FAILED:
            return f"Failed after {done} pages{of}: see the error below."
        who = self.meta.get("canceled_by") if self.status == WorkStatus.CANCELED else None
        why = (self.error_message or (f"canceled by {who}" if who else None)
               or (status_word or self.status.replace("_", " ")).lower())
        return f"Stopped after {done} pages{of}: {why.rstrip('.')}."

    @property
    def duration_seconds(self) -> float | None:
        """From its start to its end (to now while it runs); None before it started."""
        if self.started_at is None:
            return None
        return ((self.finished_at or utcnow()) - self.started_at).total_seconds()


@dataclass(frozen=True)
class RunDetail:
    run: RunSummary
    url_errors: pd.DataFrame  # target_url, status_code, error, timestamp
    events: pd.DataFrame | None  # at, event, node, payload (None: not asked for)


def _earlier_runs(session: Session, run: Run) -> tuple[EarlierRun, ...]:
    """The runs that had already stored the items ``run`` found again, largest share first
    (recorded by the worker as it skipped them)."""
    counts = (run.meta or {}).get("already_stored_by") or {}
    ids = []
    for key in counts:
        try:
            ids.append(uuid.UUID(str(key)))
        except ValueError:
            continue
    if not ids:
        return ()
    found = session.execute(select(Run.id, Run.created_at).where(Run.id.in_(ids))).all()
    return tuple(sorted((EarlierRun(rid, created, int(counts[str(rid)])) for rid, created in found),
                        key=lambda e: (-e.items, e.created_at)))


def pages_at_most(job: ScrapingJob | None, targets: int) -> int | None:
    """The most pages a run of ``job`` over ``targets`` target URLs can fetch (see
    ``RunSummary.pages_at_most``), from the job as it is now."""
    if job is None:  # before the imports: `runs start` asks with no job, before it commits
        return None
    from core.platform.errors import ScrapeDeckError
    from core.scrape.package import NoPagination, UrlPattern
    from core.scraping.jobspec import JobOptions, job_package

    try:
        package = job_package(job)
        max_pages = JobOptions.from_stored(job.options).max_pages
    except (ScrapeDeckError, TypeError, ValueError):
        return None
    paging = package.pagination
    per_target = 1 if isinstance(paging, NoPagination) else max_pages
    if isinstance(paging, UrlPattern) and paging.last_page is not None:
        per_target = max(1, min(max_pages, paging.last_page - paging.first_page + 1))
    return max(1, targets) * per_target + (package.detail.max_pages if package.detail else 0)


def _summary(run: Run, job_name: str, session: Session | None = None) -> RunSummary:
    job = session.get(ScrapingJob, run.job_id) if session is not None else None
    return RunSummary(
        id=run.id, job_id=run.job_id, job_name=job_name, status=run.status,
        pages_fetched=run.pages_fetched, items_found=run.items_found,
        items_extracted=run.items_extracted, errors_count=run.errors_count,
        progress_percent=run.progress_percent, urls_processed=run.urls_processed,
        urls_total=run.urls_total, error_message=run.error_message, created_at=run.created_at,
        started_at=run.started_at, finished_at=run.finished_at,
        cancel_requested=run.cancel_requested, meta=run.meta or {},
        credits_charged=run.credits_charged or Decimal(0),
        already_stored=_earlier_runs(session, run) if session is not None else (),
        pages_at_most=pages_at_most(job, len(run.target_urls or [])),
        build_id=run.build_id)


def _load_job(session: Session, actor: Actor, job_id: uuid.UUID | str) -> ScrapingJob:
    return get_readable(session, ScrapingJob, job_id, actor, "Job")


def _load_run(session: Session, actor: Actor, run_id: uuid.UUID | str) -> Run:
    return get_readable(session, Run, run_id, actor, "Run")


def enqueue(session: Session, job: ScrapingJob, idempotency_key: str, trigger: str,
            spawn: bool = True) -> Run:
    """Insert a queued run for ``job``, or return the run that already has this key.

    ``spawn``: with the local executor, start a worker for it on commit (scheduled runs are
    created by a ``serve`` process, which executes them itself)."""
    existing = session.scalar(select(Run).where(Run.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    run = Run(job_id=job.id, user_id=job.user_id, status=WorkStatus.QUEUED,
              target_urls=list(job.target_urls or [job.target_url]),
              idempotency_key=idempotency_key, meta={"trigger": trigger})
    try:
        with session.begin_nested():  # a concurrent insert of the same key loses cleanly
            session.add(run)
            session.flush()
    except IntegrityError:
        existing = session.scalar(select(Run).where(Run.idempotency_key == idempotency_key))
        if existing is None:
            raise
        return existing
    timeline.record(session, WorkflowRef.run(run.id),
                    timeline.StateTransition(to=WorkStatus.QUEUED, trigger=trigger))
    if spawn:
        spawn_after_commit(session, WorkName.RUN, run.id)
    return run


def start_run(session: Session, actor: Actor, job_id: uuid.UUID | str,
              idempotency_key: str | None = None) -> RunSummary:
    """Queue a run of the job (and, with the local executor, start its worker on commit).

    Refused while the job already has a queued or running run: a second click then finds the
    first run instead of starting a twin.
    """
    job = _load_job(session, actor, job_id)
    require_change(actor, job.user_id, "job")
    key = idempotency_key or f"manual:{job.id}:{uuid.uuid4()}"
    replay = session.scalar(select(Run).where(Run.idempotency_key == key))
    if replay is None:
        check_start(session, job)
    run = enqueue(session, job, key, "manual")
    if replay is None:  # a replayed key started nothing new
        audit.record(session, actor, "run.start", "run", run.id,
                     new={"job": job.name, "trigger": "manual"})
    return _summary(run, job.name)


def check_start(session: Session, job: ScrapingJob) -> None:
    """Refuse a new run of ``job`` while one is queued or running (runs of a job never
    overlap), or when its owner's budget or credits say no; every way a person starts a run
    asks here."""
    active = session.scalar(select(Run.id).where(Run.job_id == job.id,
                                                 Run.status.in_(WorkStatus.ACTIVE)).limit(1))
    if active is not None:
        raise Conflict(f"'{job.name}' already has a run in progress; wait for it or cancel it.")
    budgets.check_start(session, job.user_id, "run")
    credits.check_start(session, job.user_id)


def cancel_run(session: Session, actor: Actor, run_id: uuid.UUID | str) -> RunSummary:
    """Ask a run to stop. A queued run is canceled at once; a running one stops at its next
    page boundary (the worker checks at every heartbeat) and keeps what it found."""
    run = _load_run(session, actor, run_id)
    require_change(actor, run.user_id, "run")
    was = run.status
    if run.status in WorkStatus.ACTIVE and not run.cancel_requested:
        run.meta = {**(run.meta or {}), "canceled_by": actor.email}
    if request_cancel(run, "run"):
        event: timeline.Event = timeline.StateTransition(to=WorkStatus.CANCELED, by=actor.email)
    else:
        event = timeline.Handoff(target=timeline.HandoffTarget.WORKER, request="cancel",
                                 by=actor.email)
    timeline.record(session, WorkflowRef.run(run.id), event)
    if was in WorkStatus.ACTIVE:
        audit.record(session, actor, "run.cancel", "run", run.id, old={"status": was},
                     new={"status": run.status, "cancel_requested": True})
    return _summary(run, _job_name(session, run.job_id))


def rerun(session: Session, actor: Actor, run_id: uuid.UUID | str) -> RunSummary:
    run = _load_run(session, actor, run_id)
    return start_run(session, actor, run.job_id)


def _job_name(session: Session, job_id: uuid.UUID) -> str:
    return session.scalar(select(ScrapingJob.name).where(ScrapingJob.id == job_id)) or ""


RUN_COLUMNS = ["id", "job", "status", "progress", "pages", "items_found", "items_stored",
               "errors", "created_at", "started_at", "finished_at", "duration"]


def list_runs(session: Session, actor: Actor, job_id: uuid.UUID | str | None = None,
              limit: int = 200) -> pd.DataFrame:
    """Newest first: the actor's runs (every run for an admin). Runs whose worker died are
    marked failed first, so no list shows a dead run as running."""
    reap_stale_runs(session)
    query = (select(Run, ScrapingJob.name).join(ScrapingJob, ScrapingJob.id == Run.job_id)
             .order_by(Run.created_at.desc()).limit(max(1, min(limit, MAX_LIST))))
    if not actor.is_admin:
        query = query.where(Run.user_id == actor.id)
    if job_id is not None:
        try:
            query = query.where(Run.job_id == uuid.UUID(str(job_id)))
        except ValueError:
            raise NotFound("Job not found.") from None
    bounds: dict[tuple[uuid.UUID, int], int | None] = {}
    rows = []
    for r, name, job in session.execute(query.add_columns(ScrapingJob)):
        key = (r.job_id, len(r.target_urls or []))
        if key not in bounds:  # one parse of each job's package per list
            bounds[key] = pages_at_most(job, key[1])
        summary = _summary(r, name)
        summary = dataclasses.replace(summary, pages_at_most=bounds[key])
        rows.append((r.id, name, r.status, round(100 * summary.done_share), r.pages_fetched,
                     r.items_found, r.items_extracted, r.errors_count, r.created_at,
                     r.started_at, r.finished_at, summary.duration_seconds))
    import pandas as pd

    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def get_run(session: Session, actor: Actor, run_id: uuid.UUID | str) -> RunSummary:
    reap_stale_runs(session)  # a run whose worker died reads as failed, with or without `serve`
    run = _load_run(session, actor, run_id)
    return _summary(run, _job_name(session, run.job_id), session)


def run_detail(session: Session, actor: Actor, run_id: uuid.UUID | str,
               events_limit: int | None = None) -> RunDetail:
    """The run with its URL errors; its newest ``events_limit`` events only when asked (``runs
    show``: the Runs page draws the workflow view instead, and refreshes this every second)."""
    reap_stale_runs(session)
    run = _load_run(session, actor, run_id)
    errors = session.execute(
        select(RunResult.target_url, RunResult.status_code, RunResult.error, RunResult.timestamp)
        .where(RunResult.run_id == run.id, RunResult.success.is_(False))
        .order_by(RunResult.timestamp)).all()
    import pandas as pd

    return RunDetail(
        run=_summary(run, _job_name(session, run.job_id), session),
        url_errors=pd.DataFrame(errors, columns=["url", "status_code", "error", "at"]),
        events=None if events_limit is None else timeline.events_table(
            session, WorkflowRef.run(run.id), max(1, min(events_limit, MAX_LIST))))


def run_graph(session: Session, actor: Actor, run_id: uuid.UUID | str) -> timeline.Graph:
    """The run's workflow graph: fetch → render → extract → validate → store, with states."""
    run = _load_run(session, actor, run_id)
    return timeline.graph(session, WorkflowRef.run(run.id))


def reap_stale_runs(session: Session, now: datetime | None = None) -> int:
    """Mark running runs whose worker stopped heartbeating as failed; return how many.

    Their results are kept. Called by every ``serve`` loop and whenever runs are listed or shown
    (``runs list``/``runs show``, the Runs page), so a killed worker is noticed without ``serve``.
    """
    message = "The worker stopped responding (no heartbeat); results so far are kept."
    stale = fail_stale(session, Run, now, error_message=message)
    for run_id in stale:
        timeline.record(session, WorkflowRef.run(run_id), timeline.Failure(
            to=WorkStatus.FAILED, reason="heartbeat lost", error=message))
        credits.settle_run(session, run_id)
    return len(stale)


def has_active_runs(session: Session, actor: Actor) -> bool:
    """Whether the Runs page needs to keep refreshing."""
    query = select(Run.id).where(Run.status.in_(WorkStatus.ACTIVE)).limit(1)
    if not actor.is_admin:
        query = query.where(Run.user_id == actor.id)
    return session.scalar(query) is not None


def live_runs(session: Session, actor: Actor) -> pd.DataFrame:
    """What the Runs page polls: ``list_runs`` (which first notices dead workers)."""
    return list_runs(session, actor)


def enqueue_due_runs(session: Session, now: datetime | None = None) -> int:
    """Queue a run for every job whose schedule is due, and move its ``next_run_at`` on.

    The idempotency key is the job and the scheduled slot, so two schedulers that see the same
    due job create one run; ``SKIP LOCKED`` keeps them from waiting on each other on PostgreSQL.
    A slot that comes while the job's previous run is still queued or running is skipped (runs of
    one job never overlap), and a scheduler that was down for a while queues one catch-up run
    per job, not one per missed slot.
    """
    from core.platform.schedule import next_run_utc  # croniter: only when schedules are read

    now = now or utcnow()
    due = session.scalars(select(ScrapingJob)
                          .where(ScrapingJob.schedule_cron.is_not(None),
                                 ScrapingJob.next_run_at <= now)
                          .with_for_update(skip_locked=True))
    queued = 0
    for job in due.all():
        slot, cron = job.next_run_at, job.schedule_cron
        if slot is None or cron is None:  # the query reads only jobs that have both
            continue
        busy = session.scalar(select(Run.id).where(Run.job_id == job.id,
                                                   Run.status.in_(WorkStatus.ACTIVE)).limit(1))
        if (busy is None and budgets.over_budget(session, job.user_id) is None
                and credits.start_refused(session, job.user_id) is None):
            enqueue(session, job, f"schedule:{job.id}:{slot.isoformat()}", "schedule",
                    spawn=False)
            queued += 1
        job.next_run_at = next_run_utc(cron, job.schedule_timezone, max(now, slot))
    return queued
