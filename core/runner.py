"""Executing one run: the fetch → render → extract → validate → store pipeline.

The crawl is asyncio (``core.scrape``); the database is written from a thread by a *flusher*
that wakes every ``RUN_HEARTBEAT_SECONDS``: it stores the results found since the last flush
(deduplicated by the ``(job_id, content_hash)`` constraint), the per-URL outcomes, run events and
cost events, updates the counters and the heartbeat, and reads the cancel flag — all in one short
transaction. A run that is canceled stops taking pages and keeps what it found.

Memory stays flat however many pages a run has: what the crawl found is held only until the next
flush (items are deduplicated within that batch in Python and against everything stored before
by the database's unique constraint). A fast crawl is flushed every ``FLUSH_AT_RESULTS`` results
rather than every heartbeat, and when the database falls behind — unwritten results reach
``MAX_PENDING_RESULTS`` — the workers pause until the flusher has caught up. Rows are written
with one Core ``executemany`` per table; run events are stamped when they happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.database import Database
from core.jobspec import JobOptions, job_package
from core.jsondoc import effective_schema, instance_validator
from core.runs import add_event, reap_stale_runs
from core.scrape.extract import confidence, content_hash, extract_records
from core.scrape.fetch import Fetcher
from core.scrape.options import FetchOptions
from core.scrape.package import ConfigPackage
from core.scrape.paginate import Paginator
from core.scrape.result import FetchResult
from core.settings import get_settings
from core.work import WorkKind, claim_oldest, claim_queued
from db.models import CostEvent, ExtractorSchema, Result, Run, RunEvent, RunResult, ScrapingJob
from db.types import utcnow

MAX_INVALID_ITEM_EVENTS = 200  # invalid items beyond this are counted, not each recorded
# Unflushed results at which the flusher writes without waiting for the heartbeat (so a fast
# crawl writes in batches of about this size), and at which workers pause until it has (so memory
# stays bounded even when the database writes slower than the crawl finds items).
FLUSH_AT_RESULTS = 2_000
MAX_PENDING_RESULTS = 10_000


@dataclass(frozen=True)
class RunPlan:
    """Everything the pipeline needs, read once at the start of the run."""

    run_id: uuid.UUID
    job_id: uuid.UUID
    user_id: uuid.UUID
    target_urls: list[str]
    package: ConfigPackage
    options: FetchOptions
    max_pages: int
    render: bool
    wait_for: str | None
    validator: Draft202012Validator | None
    strict: bool


def load_plan(session: Session, run: Run) -> RunPlan:
    job = session.get(ScrapingJob, run.job_id)
    options = JobOptions.from_stored(job.options)
    package = job_package(job)
    validator, strict = None, False
    if job.extractor_schema_id is not None:
        schema = session.get(ExtractorSchema, job.extractor_schema_id)
        validator = instance_validator(
            effective_schema(schema.schema_definition, schema.allow_extra_fields))
        strict = schema.strict_validation
    return RunPlan(
        run_id=run.id, job_id=job.id, user_id=run.user_id,
        target_urls=list(run.target_urls or job.target_urls or [job.target_url]),
        package=package, options=options.fetch_options(), max_pages=options.max_pages,
        render=options.render_javascript or package.render.javascript,
        wait_for=options.wait_for or package.render.wait_for,
        validator=validator, strict=strict)


@dataclass
class Pending:
    """What the pipeline found since the last flush (owned by the event loop)."""

    results: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # run_events rows
    hashes: set[str] = field(default_factory=set)  # of ``results``, to drop repeats within a batch
    bytes_fetched: int = 0
    requests: int = 0
    browser_seconds: float = 0.0


@dataclass
class Progress:
    pages_fetched: int = 0
    items_found: int = 0
    items_invalid: int = 0
    errors: int = 0
    urls_processed: int = 0
    urls_pending: int = 0


class RunExecution:
    """One run in progress. ``execute()`` drives it to a final status."""

    def __init__(self, database: Database, plan: RunPlan) -> None:
        self.database = database
        self.plan = plan
        self.pending = Pending()
        self.progress = Progress()
        self.items_stored = 0  # only the flusher (one at a time) touches this
        self.cancel = asyncio.Event()
        self.queue: asyncio.Queue[tuple[str, Paginator]] = asyncio.Queue()
        self._wake_flusher = asyncio.Event()  # flush now: the buffer is full, or the crawl ended
        self._flushed = asyncio.Event()  # a flush finished (or the flusher stopped)
        self._stopping = False
        self._flusher: asyncio.Task[None] | None = None

    async def execute(self) -> str:
        self._flusher = asyncio.create_task(
            self._flush_every(get_settings().run_heartbeat_seconds))
        try:
            async with Fetcher(self.plan.options) as fetcher:
                await self._crawl(fetcher)
        finally:
            # Let a flush in progress finish (never cancel it halfway: its counters would then
            # land after the final flush's), then write what is left.
            self._stopping = True
            self._wake_flusher.set()
            await self._flusher
        await asyncio.to_thread(self._flush, *self._take())
        return "canceled" if self.cancel.is_set() else "completed"

    async def _crawl(self, fetcher: Fetcher) -> None:
        for target in self.plan.target_urls:
            pages = Paginator(self.plan.package.pagination, target, max_pages=self.plan.max_pages)
            self._enqueue(pages.first_urls(), pages)
        workers = [asyncio.create_task(self._work(fetcher))
                   for _ in range(self.plan.options.concurrency)]
        await self.queue.join()
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    def _enqueue(self, urls: Iterable[str], pages: Paginator) -> None:
        for url in urls:
            self.queue.put_nowait((url, pages))
            self.progress.urls_pending += 1

    async def _work(self, fetcher: Fetcher) -> None:
        while True:
            await self._room()
            url, pages = await self.queue.get()
            try:
                if not self.cancel.is_set():
                    page = await (fetcher.render(url, wait_for=self.plan.wait_for)
                                  if self.plan.render else fetcher.fetch(url))
                    self._record_page(page)
                    self._enqueue(pages.next_urls(page), pages)
            except Exception as exc:  # a bug on one page must not cost the run
                self._record_page(FetchResult(url, url, error=f"internal error: {exc!r}"))
            finally:
                self.progress.urls_pending -= 1
                self.progress.urls_processed += 1
                self.queue.task_done()

    def _record_page(self, page: FetchResult) -> None:
        pending, progress = self.pending, self.progress
        pending.requests += max(page.attempts, 1)
        pending.bytes_fetched += page.n_bytes
        if self.plan.render:
            pending.browser_seconds += page.elapsed_s
        if page.retries:
            self._event("retry", "fetch", {"url": page.url, "retries": page.retries})
        if not page.ok:
            progress.errors += 1
            pending.outcomes.append({"id": uuid.uuid4(), "run_id": self.plan.run_id,
                                     "timestamp": utcnow(), "target_url": page.url,
                                     "success": False, "status_code": page.status_code,
                                     "error": page.error, "data": None})
            self._event("failure", "fetch", {"url": page.url, "error": page.error})
            return
        progress.pages_fetched += 1
        items = self._extract(page)
        now = utcnow()
        pending.outcomes.append({"id": uuid.uuid4(), "run_id": self.plan.run_id, "timestamp": now,
                                 "target_url": page.url, "success": True, "error": None,
                                 "status_code": page.status_code, "data": {"items": items}})
        self._event("page_fetched", "fetch", {
            "url": page.final_url, "status": page.status_code, "bytes": page.n_bytes,
            "seconds": round(page.elapsed_s, 3), "items": items}, now)

    def _event(self, event_type: str, node: str | None, payload: dict[str, Any],
               at: datetime | None = None) -> None:
        """A run_events row, stamped now (when it happened, not when it is flushed)."""
        self.pending.events.append({"id": uuid.uuid4(), "run_id": self.plan.run_id,
                                    "event_type": event_type, "node_id": node,
                                    "payload": payload, "occurred_at": at or utcnow()})

    def _extract(self, page: FetchResult) -> int:
        records = extract_records(self.plan.package, page.text, page.final_url)
        self.progress.items_found += len(records)
        required = [f.name for f in self.plan.package.fields if f.required]
        for record in records:
            errors = list(self.plan.validator.iter_errors(record.data)) if self.plan.validator \
                else []
            if errors and self.plan.strict:
                self._reject(record.data, page.final_url, errors)
                continue
            digest = content_hash(record.data)
            if digest in self.pending.hashes:
                continue
            self.pending.hashes.add(digest)
            self.pending.results.append({
                "id": uuid.uuid4(), "run_id": self.plan.run_id, "job_id": self.plan.job_id,
                "data": record.data, "source_url": page.final_url, "content_hash": digest,
                "confidence_score": round(confidence(record, required, errors), 4),
                "created_at": utcnow()})
        if len(self.pending.results) >= FLUSH_AT_RESULTS:
            self._wake_flusher.set()
        return len(records)

    def _reject(self, data: dict[str, Any], url: str, errors: list[Any]) -> None:
        self.progress.items_invalid += 1
        if self.progress.items_invalid <= MAX_INVALID_ITEM_EVENTS:
            self._event("validation_result", "validate", {
                "url": url, "data": data,
                "violations": [f"{'.'.join(map(str, e.absolute_path)) or '$'}: {e.message}"
                               for e in errors]})

    def _take(self) -> tuple[Pending, Progress]:
        """Hand the flusher this batch and the counters as they are now, so the counters it
        writes never run ahead of the rows it writes."""
        taken, self.pending = self.pending, Pending()
        return taken, dataclasses.replace(self.progress)

    async def _room(self) -> None:
        """Wait while the flusher is behind: results not yet written have reached the cap."""
        while (len(self.pending.results) >= MAX_PENDING_RESULTS and self._flusher is not None
               and not self._flusher.done()):
            self._flushed.clear()
            self._wake_flusher.set()
            await self._flushed.wait()

    async def _flush_every(self, seconds: float) -> None:
        """Flush every ``seconds``, or at once when woken, until the crawl has ended."""
        try:
            while not self._stopping:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(seconds):
                        await self._wake_flusher.wait()
                self._wake_flusher.clear()
                if self._stopping:
                    break
                if await asyncio.to_thread(self._flush, *self._take()):
                    self.cancel.set()
                self._flushed.set()
        finally:
            self._flushed.set()  # nobody waits for a flusher that stopped

    def _flush(self, batch: Pending, progress: Progress) -> bool:
        """Write one batch and the counters; return whether a cancel was requested."""
        plan = self.plan
        with self.database.transaction() as session:
            self.items_stored += _insert_new_results(session, batch.results)
            if batch.outcomes:
                session.execute(RunResult.__table__.insert(), batch.outcomes)
            if batch.events:  # one executemany, not an ORM object per page
                session.execute(RunEvent.__table__.insert(), batch.events)
            _record_costs(session, plan, batch)
            total = progress.urls_processed + progress.urls_pending
            session.execute(update(Run).where(Run.id == plan.run_id).values(
                pages_fetched=progress.pages_fetched, items_found=progress.items_found,
                items_extracted=self.items_stored, errors_count=progress.errors,
                urls_processed=progress.urls_processed, urls_total=total,
                progress_percent=int(100 * progress.urls_processed / total) if total else 0,
                heartbeat_at=utcnow()))
            return bool(session.scalar(select(Run.cancel_requested).where(Run.id == plan.run_id)))


def _insert_new_results(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert, skipping items this job already has; return how many were new."""
    if not rows:
        return 0
    table = Result.__table__  # Core, not the ORM's bulk path: these rows never become objects
    if session.get_bind().dialect.name == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing(
            index_elements=["job_id", "content_hash"])
        # psycopg's executemany reports no row count; RETURNING tells which rows went in.
        return len(session.execute(statement.returning(table.c.id), rows).all())
    # SQLite: one executemany of one statement, whose rowcount is the rows inserted (conflicts
    # skipped). Not RETURNING: SQLAlchemy would then write out a multi-row INSERT per batch, a
    # different SQL text for each batch size, each compiled and kept in sqlite3's statement
    # cache (up to 128 of them, large ones): the worker's memory grew all run long.
    statement = sqlite.insert(table).on_conflict_do_nothing(
        index_elements=["job_id", "content_hash"])
    return session.execute(statement, rows).rowcount


def _record_costs(session: Session, plan: RunPlan, batch: Pending) -> None:
    quantities = [("bytes_fetched", batch.bytes_fetched, "bytes"), ("pages", batch.requests, "requests"),
                  ("browser_seconds", round(batch.browser_seconds, 3), "seconds")]
    for kind, quantity, unit in quantities:
        if quantity:
            session.add(CostEvent(user_id=plan.user_id, run_id=plan.run_id, job_id=plan.job_id,
                                  kind=kind, quantity=Decimal(str(quantity)), unit=unit))


def claim(session: Session, run_id: uuid.UUID, worker: str) -> bool:
    """queued → running for this worker; False when another worker (or a cancel) got there first."""
    if claim_queued(session, Run, run_id, worker):
        add_event(session, run_id, "state_transition", None, to="running", worker=worker)
        return True
    return False


def claim_next(session: Session, worker: str) -> uuid.UUID | None:
    """The oldest queued run, claimed (``FOR UPDATE SKIP LOCKED``: see ``core.work``)."""
    return claim_oldest(session, worker, Run, [Run.status == "queued"], Run.created_at, claim)


def finish(database: Database, run_id: uuid.UUID, status: str, error: str | None = None,
           invalid_items: int = 0) -> None:
    with database.transaction() as session:
        run = session.get(Run, run_id)
        run.status, run.finished_at, run.error_message = status, utcnow(), error
        if status == "completed":
            run.progress_percent = 100
        run.meta = {**(run.meta or {}), "items_invalid": invalid_items}
        add_event(session, run_id, "completion" if status == "completed" else "state_transition",
                  None, to=status, error=error)


def execute_run(database: Database, run_id: uuid.UUID) -> str:
    """Run a claimed run to its end; return its final status. Never raises for site trouble."""
    with database.transaction() as session:
        run = session.get(Run, run_id)
        try:
            plan = load_plan(session, run)
        except Exception as exc:  # a job edited into an unusable state fails the run, clearly
            plan, error = None, f"The job cannot run: {exc}"
    if plan is None:
        finish(database, run_id, "failed", error)
        return "failed"
    execution = RunExecution(database, plan)
    try:
        status = asyncio.run(execution.execute())
    except Exception as exc:
        finish(database, run_id, "failed", f"The run stopped on an internal error: {exc!r}",
               execution.progress.items_invalid)
        raise
    progress = execution.progress
    error = None
    if status == "completed" and progress.pages_fetched == 0 and progress.errors:
        status, error = "failed", "No page could be fetched; see the errors per URL."
    finish(database, run_id, status, error, progress.items_invalid)
    return status


WORK = WorkKind("run", execute=execute_run, claim=claim, claim_next=claim_next,
                reap_stale=reap_stale_runs)
