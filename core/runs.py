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

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.access import Actor, require_change
from core.errors import Conflict
from core.records import get_readable
from core.schedule import next_run_utc
from core.work import fail_stale, request_cancel, spawn_after_commit
from db.models import Run, RunEvent, RunResult, ScrapingJob
from db.types import utcnow

if TYPE_CHECKING:  # pandas is imported where a table is built: a worker process never needs it
    import pandas as pd

ACTIVE = ("queued", "running")
FINISHED = ("completed", "failed", "canceled")


@dataclass(frozen=True)
class RunSummary:
    id: uuid.UUID
    job_id: uuid.UUID
    job_name: str
    status: str
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

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass(frozen=True)
class RunDetail:
    run: RunSummary
    url_errors: pd.DataFrame  # target_url, status_code, error, timestamp
    events: pd.DataFrame  # occurred_at, event_type, node_id, payload


def _summary(run: Run, job_name: str) -> RunSummary:
    return RunSummary(
        id=run.id, job_id=run.job_id, job_name=job_name, status=run.status,
        pages_fetched=run.pages_fetched, items_found=run.items_found,
        items_extracted=run.items_extracted, errors_count=run.errors_count,
        progress_percent=run.progress_percent, urls_processed=run.urls_processed,
        urls_total=run.urls_total, error_message=run.error_message, created_at=run.created_at,
        started_at=run.started_at, finished_at=run.finished_at,
        cancel_requested=run.cancel_requested, meta=run.meta or {})


def _load_job(session: Session, actor: Actor, job_id: uuid.UUID | str) -> ScrapingJob:
    return get_readable(session, ScrapingJob, job_id, actor, "Job")


def _load_run(session: Session, actor: Actor, run_id: uuid.UUID | str) -> Run:
    return get_readable(session, Run, run_id, actor, "Run")


def add_event(session: Session, run_id: uuid.UUID, event_type: str, node_id: str | None = None,
              **payload: Any) -> None:
    session.add(RunEvent(run_id=run_id, event_type=event_type, node_id=node_id, payload=payload))


def enqueue(session: Session, job: ScrapingJob, idempotency_key: str, trigger: str,
            spawn: bool = True) -> Run:
    """Insert a queued run for ``job``, or return the run that already has this key.

    ``spawn``: with the local executor, start a worker for it on commit (scheduled runs are
    created by a ``serve`` process, which executes them itself)."""
    existing = session.scalar(select(Run).where(Run.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    run = Run(job_id=job.id, user_id=job.user_id, status="queued",
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
    add_event(session, run.id, "state_transition", None, to="queued", trigger=trigger)
    if spawn:
        spawn_after_commit(session, "run", run.id)
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
        active = session.scalar(select(Run.id).where(Run.job_id == job.id,
                                                     Run.status.in_(ACTIVE)).limit(1))
        if active is not None:
            raise Conflict(f"'{job.name}' already has a run in progress; wait for it or cancel it.")
    return _summary(enqueue(session, job, key, "manual"), job.name)


def cancel_run(session: Session, actor: Actor, run_id: uuid.UUID | str) -> RunSummary:
    """Ask a run to stop. A queued run is canceled at once; a running one stops at its next
    page boundary (the worker checks at every heartbeat) and keeps what it found."""
    run = _load_run(session, actor, run_id)
    require_change(actor, run.user_id, "run")
    if request_cancel(run, "run"):
        add_event(session, run.id, "state_transition", None, to="canceled", by=actor.email)
    else:
        add_event(session, run.id, "handoff", None, request="cancel", by=actor.email)
    return _summary(run, _job_name(session, run.job_id))


def rerun(session: Session, actor: Actor, run_id: uuid.UUID | str) -> RunSummary:
    run = _load_run(session, actor, run_id)
    return start_run(session, actor, run.job_id)


def _job_name(session: Session, job_id: uuid.UUID) -> str:
    return session.scalar(select(ScrapingJob.name).where(ScrapingJob.id == job_id)) or ""


RUN_COLUMNS = ["id", "job", "status", "progress", "pages", "items_found", "items_stored",
               "errors", "created_at", "started_at", "finished_at"]


def list_runs(session: Session, actor: Actor, job_id: uuid.UUID | str | None = None,
              limit: int = 200) -> pd.DataFrame:
    """Newest first: the actor's runs (every run for an admin)."""
    query = (select(Run, ScrapingJob.name).join(ScrapingJob, ScrapingJob.id == Run.job_id)
             .order_by(Run.created_at.desc()).limit(limit))
    if not actor.is_admin:
        query = query.where(Run.user_id == actor.id)
    if job_id is not None:
        query = query.where(Run.job_id == uuid.UUID(str(job_id)))
    rows = [(r.id, name, r.status, r.progress_percent, r.pages_fetched, r.items_found,
             r.items_extracted, r.errors_count, r.created_at, r.started_at, r.finished_at)
            for r, name in session.execute(query)]
    import pandas as pd

    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def get_run(session: Session, actor: Actor, run_id: uuid.UUID | str) -> RunSummary:
    run = _load_run(session, actor, run_id)
    return _summary(run, _job_name(session, run.job_id))


def run_detail(session: Session, actor: Actor, run_id: uuid.UUID | str,
               events_limit: int = 200) -> RunDetail:
    run = _load_run(session, actor, run_id)
    errors = session.execute(
        select(RunResult.target_url, RunResult.status_code, RunResult.error, RunResult.timestamp)
        .where(RunResult.run_id == run.id, RunResult.success.is_(False))
        .order_by(RunResult.timestamp)).all()
    events = session.execute(
        select(RunEvent.occurred_at, RunEvent.event_type, RunEvent.node_id, RunEvent.payload)
        .where(RunEvent.run_id == run.id)
        .order_by(RunEvent.occurred_at.desc()).limit(events_limit)).all()
    import pandas as pd

    return RunDetail(
        run=_summary(run, _job_name(session, run.job_id)),
        url_errors=pd.DataFrame(errors, columns=["url", "status_code", "error", "at"]),
        events=pd.DataFrame(events, columns=["at", "event", "node", "payload"]))


def reap_stale_runs(session: Session, now: datetime | None = None) -> int:
    """Mark running runs whose worker stopped heartbeating as failed; return how many.

    Their results are kept. Called by every ``serve`` loop and by the Runs page's live view, so a
    killed worker is noticed with or without a serve process.
    """
    stale = fail_stale(session, Run, now, error_message="The worker stopped responding (no "
                       "heartbeat); results so far are kept.")
    for run_id in stale:
        add_event(session, run_id, "failure", None, reason="heartbeat lost")
    return len(stale)


def has_active_runs(session: Session, actor: Actor) -> bool:
    """Whether the Runs page needs to keep refreshing."""
    query = select(Run.id).where(Run.status.in_(ACTIVE)).limit(1)
    if not actor.is_admin:
        query = query.where(Run.user_id == actor.id)
    return session.scalar(query) is not None


def live_runs(session: Session, actor: Actor) -> pd.DataFrame:
    """What the Runs page polls: first notice dead workers, then list."""
    reap_stale_runs(session)
    return list_runs(session, actor)


def enqueue_due_runs(session: Session, now: datetime | None = None) -> int:
    """Queue a run for every job whose schedule is due, and move its ``next_run_at`` on.

    The idempotency key is the job and the scheduled slot, so two schedulers that see the same
    due job create one run; ``SKIP LOCKED`` keeps them from waiting on each other on PostgreSQL.
    A slot that comes while the job's previous run is still queued or running is skipped (runs of
    one job never overlap), and a scheduler that was down for a while queues one catch-up run
    per job, not one per missed slot.
    """
    now = now or utcnow()
    due = session.scalars(select(ScrapingJob)
                          .where(ScrapingJob.schedule_cron.is_not(None),
                                 ScrapingJob.next_run_at <= now)
                          .with_for_update(skip_locked=True))
    queued = 0
    for job in due.all():
        slot = job.next_run_at
        busy = session.scalar(select(Run.id).where(Run.job_id == job.id,
                                                   Run.status.in_(ACTIVE)).limit(1))
        if busy is None:
            enqueue(session, job, f"schedule:{job.id}:{slot.isoformat()}", "schedule",
                    spawn=False)
            queued += 1
        job.next_run_at = next_run_utc(job.schedule_cron, job.schedule_timezone, max(now, slot))
    return queued
