"""Units of background work: what runs, builds, SEO crawls, SEO audits, exports, PDFs and model
connection tests have in common.

Each kind of work is a database row that a worker process takes, works on while it writes a
heartbeat, and finishes. A module that does a kind of work describes it with a ``WorkKind``
(its ``WORK`` constant) and builds it from the helpers here:

- ``spawn_after_commit``: starting work only writes intent; once that transaction commits a
  worker (``python -m core.worker KIND ID``) is started on this machine, unless
  ``EXECUTOR=queue`` and a ``serve`` process claims the kind from the queue (then the ``serve``
  processes of this machine are woken: core/platform/doorbell.py);
- ``claim_by_id`` / ``claim_oldest``: one conditional UPDATE decides which worker has a row, so
  a row is worked on once however many workers look (``FOR UPDATE SKIP LOCKED`` lets many
  ``serve`` processes poll one PostgreSQL without waiting on each other);
- ``heartbeat``: beat from a thread while slow work runs (runs and crawls beat from their own
  flush loop, which writes progress too);
- ``request_cancel``: a queued row is canceled at once, a running one at its next heartbeat;
- ``stale``: the condition under which a row's worker is taken for dead
  (``RUN_STALE_AFTER_SECONDS`` without a heartbeat); ``fail_stale`` marks such rows failed.

``core.worker`` is the table of kinds: one subcommand per kind, and ``serve``, which claims the
kinds that can be queued and reaps every kind.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, event, select, update
from sqlalchemy.orm import QueryableAttribute, Session

from core.platform.database import Database
from core.platform.doorbell import Bell, folder, ring
from core.platform.errors import Conflict
from core.platform.processes import defer_worker, spawn_worker
from core.platform.settings import get_settings
from db.models import AgentJob, Build, Export, ProviderRun, Run, SeoCrawl, SeoReport
from db.types import utcnow
from vocabularies import WorkStatus

Claim = Callable[[Session, uuid.UUID, str], bool]
ClaimNext = Callable[[Session, str], uuid.UUID | None]
Reap = Callable[[Session, datetime], int]
Execute = Callable[[Database, uuid.UUID], str]
# The rows a worker holds with a heartbeat; those that move queued → running → finished
# (``WorkStatus``); those a user can cancel while they run.
Worked = Run | SeoCrawl | SeoReport | Build | AgentJob | Export | ProviderRun
Queued = Run | SeoCrawl | SeoReport
Cancelable = Run | SeoCrawl


class WorkName(StrEnum):
    """Every kind of background work, as ``python -m core.worker NAME ID`` names it."""

    RUN = "run"
    BUILD = "build"
    SEO_CRAWL = "seo-crawl"
    SEO_AUDIT = "seo-audit"
    EXPORT = "export"
    SEO_REPORT_PDF = "seo-report-pdf"
    LLM_TEST = "llm-test"
    AGENT_JOB = "agent-job"
    ADVISOR = "advisor"
    ADVISOR_PDF = "advisor-pdf"


@dataclass(frozen=True)
class WorkKind:
    """One kind of background work.

    ``name`` is the worker subcommand (``python -m core.worker NAME ID``). ``execute`` works on
    one row and returns the status it ended in. Kinds that a ``serve`` process takes from the
    queue have ``claim`` (this row, for this worker) and ``claim_next`` (the oldest waiting row);
    the others (exports, PDFs, connection tests) always get a worker of their own, and their
    ``execute`` checks the row's state itself. ``reap_stale`` tidies up after dead workers.
    """

    name: WorkName
    execute: Execute
    claim: Claim | None = None
    claim_next: ClaimNext | None = None
    reap_stale: Reap | None = None

    @property
    def queued(self) -> bool:
        """Whether ``serve`` takes this kind from the queue."""
        return self.claim_next is not None


def worker_id() -> str:
    """This process, as ``worker_id`` columns record it: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def spawn_after_commit(session: Session, kind: WorkName, row_id: uuid.UUID, *,
                       queued: bool = True) -> None:
    """Start ``python -m core.worker KIND ROW_ID`` once ``session`` commits (so the worker finds
    the row, and a rolled-back request starts nothing).

    ``queued``: a ``serve`` process also claims this kind, so with ``EXECUTOR=queue`` nothing is
    spawned here and the row waits for one. Kinds no ``serve`` claims always get a worker.
    """
    if not spawns_worker(queued):  # a waiting `serve` here takes it at once
        event.listen(session, "after_commit", lambda _session: ring(folder(Bell.WORKERS)),
                     once=True)
        return
    args = [WorkName(kind).value, str(row_id)]

    def start(_session: Session) -> None:
        if not defer_worker(args):  # a command forks it once its transaction is over
            spawn_worker(args)
    event.listen(session, "after_commit", start, once=True)


def spawns_worker(queued: bool = True) -> bool:
    """Whether work of a kind started here gets a worker of its own (``spawn_after_commit``):
    always for kinds no ``serve`` claims (``queued`` False), else only with ``EXECUTOR=local``."""
    return not queued or get_settings().executor == "local"


def claim_by_id(session: Session, model: type[Worked], row_id: uuid.UUID, worker: str,
                waiting: list[ColumnElement[bool]], **values: Any) -> bool:
    """Give the row to ``worker`` if it is still ``waiting``: one conditional UPDATE, so of two
    workers (or a worker and a cancel) only one wins. Sets ``worker_id``, ``heartbeat_at`` and
    ``values``; ``started_at=True`` stamps the start with the same time."""
    now = utcnow()
    if values.get("started_at") is True:
        values["started_at"] = now
    claimed = session.execute(update(model).where(model.id == row_id, *waiting)
                              .values(worker_id=worker, heartbeat_at=now, **values))
    return claimed.rowcount == 1  # type: ignore[attr-defined]


def claim_queued(session: Session, model: type[Queued], row_id: uuid.UUID, worker: str) -> bool:
    """queued → running for ``worker`` (runs, crawls and audits move this way)."""
    return claim_by_id(session, model, row_id, worker, [model.status == WorkStatus.QUEUED],
                       status=WorkStatus.RUNNING, started_at=True)


def claim_oldest(session: Session, worker: str, model: type[Worked],
                 waiting: list[ColumnElement[bool]], oldest_first: QueryableAttribute[datetime],
                 claim: Claim) -> uuid.UUID | None:
    """The oldest waiting row, claimed with ``claim``; None when there is none (or another
    worker took it first). SQLite ignores ``SKIP LOCKED``; the conditional update in ``claim``
    still lets only one worker win."""
    row_id = session.scalar(select(model.id).where(*waiting).order_by(oldest_first).limit(1)
                            .with_for_update(skip_locked=True))
    if row_id is not None and claim(session, row_id, worker):
        return row_id
    return None


def request_cancel(row: Cancelable, noun: str) -> bool:
    """Ask a queued or running row (a run, a crawl) to stop: a queued one is canceled at once
    (True); a running one has ``cancel_requested`` set, which its worker reads at every
    heartbeat, and stops there keeping what it found (False)."""
    if row.status not in WorkStatus.ACTIVE:
        raise Conflict(f"This {noun} is already {row.status}.")
    row.cancel_requested = True
    if row.status != WorkStatus.QUEUED:
        return False
    row.status, row.finished_at = WorkStatus.CANCELED, utcnow()
    return True


def stale(model: type[Worked], now: datetime) -> ColumnElement[bool]:
    """The row's worker has not beaten for ``RUN_STALE_AFTER_SECONDS``: it is taken for dead."""
    return model.heartbeat_at < now - timedelta(seconds=get_settings().run_stale_after_seconds)


def fail_stale(session: Session, model: type[Queued], now: datetime | None,
               **values: Any) -> list[uuid.UUID]:
    """Mark running rows whose worker died ``failed`` (plus ``values``); return their ids."""
    now = now or utcnow()
    running = [model.status == WorkStatus.RUNNING, stale(model, now)]
    ids = list(session.scalars(select(model.id).where(*running)))
    if ids:
        session.execute(update(model).where(model.id.in_(ids), model.status == WorkStatus.RUNNING)
                        .values(status=WorkStatus.FAILED, finished_at=now, **values))
    return ids


@contextlib.contextmanager
def heartbeat(database: Database, model: type[Worked], row_id: uuid.UUID,
              *still: ColumnElement[bool]) -> Iterator[None]:
    """Write ``heartbeat_at`` every ``RUN_HEARTBEAT_SECONDS`` from a thread while the block runs
    (a long fetch, render or analysis must not look like a dead worker). ``still``: only while
    the row matches these conditions."""
    stop, every = threading.Event(), get_settings().run_heartbeat_seconds

    def beat() -> None:
        while not stop.wait(every):
            with database.transaction() as session:
                session.execute(update(model).where(model.id == row_id, *still)
                                .values(heartbeat_at=utcnow()))

    thread = threading.Thread(target=beat, name=f"heartbeat-{row_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
