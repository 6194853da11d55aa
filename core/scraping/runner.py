"""Executing one run: the fetch → render → extract → validate → store pipeline.

The crawl is asyncio (``core.scrape``); the database is written from a thread by a *flusher*
that wakes every ``RUN_HEARTBEAT_SECONDS``: it stores the results found since the last flush
(deduplicated by the ``(job_id, content_hash)`` constraint), the per-URL outcomes, run events
(through ``core.timeline``) and costs (through ``core.ledger``), updates the counters and the
heartbeat, and reads the cancel flag — all in one short transaction. A run that is canceled stops
at once, requests in flight included (a page that hangs does not hold the cancel up for its
timeout and retries), and keeps what it found.

Memory stays flat however many pages a run has: what the crawl found is held only until the next
flush (items are deduplicated within that batch in Python and against everything stored before
by the database's unique constraint). A fast crawl is flushed every ``FLUSH_AT_RESULTS`` results
rather than every heartbeat, and when the database falls behind — unwritten results reach
``MAX_PENDING_RESULTS`` — the workers pause until the flusher has caught up. Run events are
stamped when they happen.

A page is read (parsed, its records extracted) on the event loop when that is cheap; a page with
many records, a large one or one with slow transforms goes to a forked parse process
(``core.scrape.offload``), which also checks its records (``RecordCheck``), so that the loop,
which holds the GIL, keeps to fetching and storing while another core reads (``_read``).

Results are the hot path (tens of thousands a second): an item is checked by the schema's compiled
validator (jsonschema words the violations of failing items only), becomes a plain tuple (a
time-ordered id from ``db.plain_rows.OrderedIds``, its JSON text, URL, hash, confidence and time)
and is written through the driver itself: on SQLite one JSON array of tuples per statement
(``db.plain_rows.SqliteRows``: the flusher thread then leaves the GIL to the loop for the whole
insert), ``COPY`` of one pre-formatted text on PostgreSQL (after one indexed look-up of the
batch's hashes the job already has — skipped while the job had no results at the run's first
write and no COPY of the run has met a repeat; a unique violation from a concurrent run of the
same job falls back to ``INSERT … ON CONFLICT DO NOTHING``). URL outcomes (and the timeline's
run events) go to SQLite's driver as plain values too; other rows through one Core
``executemany`` per table.

On PostgreSQL the COPY writes results outside the search (trigram) indexes, whose upkeep cost the
database more than the rest of the row: ``search_pending`` (migration 0026). The run puts them
in (``index_for_search``) after a flush the heartbeat woke (the crawl is not filling the buffer)
and once it is finished; search finds pending rows meanwhile (core/scraping/results.py). A run
that stopped on an internal error leaves its pending rows so: found all the same, by a scan of
them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from core.platform.aio import wait_set
from core.platform.database import Database
from core.platform.doorbell import Bell, folder, ring
from core.platform import heap
from core.scraping.jobspec import JobOptions, job_package
from core.platform.jsondoc import InstanceValidator, effective_schema, instance_validator
from core import budgets, credits, ledger, timeline
from core.scraping.runs import reap_stale_runs
from core.scraping.selector_health import Reads, count_reads, record_reads
from core.scrape.dom import Document, parse_html
from core.scrape.extract import (ExtractedRecord, canonical_and_hash, compact_json, confidence,
                                 records_in, roots_of)
from core.scrape.fetch import LARGE_BODY_BYTES, Fetcher
from core.scrape.offload import Offload, OffloadDied, OffloadUnavailable
from core.scrape.options import FetchOptions
from core.scrape.package import ConfigPackage, NextButton
from core.scrape.paginate import Paginator, next_button_link, next_button_url
from core.scrape.result import FetchResult
from core.scrape.transforms import SLOW_TRANSFORMS, TransformTimeout
from core.platform.settings import get_settings
from core.platform.work import WorkKind, WorkName, claim_oldest, claim_queued
from core.timeline import WorkflowRef
from db.models import ExtractorSchema, Result, Run, RunResult, ScrapingJob
from db.plain_rows import OrderedIds, SqliteRows, sqlite_driver, sqlite_time
from db.types import utcnow
from vocabularies import WorkStatus

MAX_INVALID_ITEM_EVENTS = 200  # invalid items beyond this are counted, not each recorded
# Unflushed results at which the flusher writes without waiting for the heartbeat (so a fast
# crawl writes in batches of about this size), and at which workers pause until it has (so memory
# stays bounded even when the database writes slower than the crawl finds items). Each commit
# writes every page of the unique (job, hash) index it touched into the WAL, and a batch touches
# pages all over it: 5,000 a flush, not 2,000, took bench/crawl.py from ~1,310 to ~1,390 pages/s
# and 0.3 s less CPU (results reach the page at most a heartbeat later, as before).
FLUSH_AT_RESULTS = 5_000
# Field reads (records × fields) of a kind's last page above which its pages go to a parse
# process: handing a page over and back costs the loop about what reading this many does.
PROCESS_FIELD_READS = 40
# Field reads a page found to need more than that may still be read on the event loop once
# parsed there: past this it goes to a parse process all the same (25,000 records of 10 fields
# in 250 KB took 0.6 s, every request waiting).
INLINE_FIELD_READS = 2_000
# Seconds the parse process may take over one page before it is stopped and the page fails (the
# pages behind it go to a new one): a parser caught in a loop on a hostile page would otherwise
# hold the run until it is canceled. A regex transform stops itself after 1 s a match; dateparser
# took 20 s over the text of one 255 KB page.
PAGE_READ_SECONDS = 120.0
MAX_PENDING_RESULTS = 10_000
# PostgreSQL: rows a flush wrote outside the search indexes (``search_pending``) that one idle
# heartbeat indexes (about 0.3 s of the database's CPU), and that each transaction of the run's
# final indexing does.
SEARCH_INDEX_IDLE_ROWS = 5_000
SEARCH_INDEX_FINAL_ROWS = 20_000


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
    validator: InstanceValidator | None
    strict: bool
    max_charge_usd: Decimal | None = None  # the job's caps on one run (None: no cap)
    max_items: int | None = None
    started_at: datetime | None = None  # when a worker claimed the run (a plan's longest run)


def load_plan(session: Session, run: Run) -> RunPlan:
    job = session.get_one(ScrapingJob, run.job_id)
    options = JobOptions.from_stored(job.options)
    package = job_package(job)
    validator, strict = None, False
    if job.extractor_schema_id is not None:
        schema = session.get_one(ExtractorSchema, job.extractor_schema_id)
        validator = instance_validator(
            effective_schema(schema.schema_definition, schema.allow_extra_fields))
        strict = schema.strict_validation
    return RunPlan(
        run_id=run.id, job_id=job.id, user_id=run.user_id,
        target_urls=list(run.target_urls or job.target_urls or [job.target_url]),
        package=package, options=options.fetch_options(), max_pages=options.max_pages,
        render=options.render_javascript or package.render.javascript,
        wait_for=options.wait_for or package.render.wait_for,
        validator=validator, strict=strict,
        max_charge_usd=Decimal(str(options.max_charge_usd)) if options.max_charge_usd else None,
        max_items=options.max_items_per_run or None, started_at=run.started_at)


class Checked(NamedTuple):
    """A record as the store keeps it: whether it broke the schema, its JSON text as stored, its
    content hash and its confidence (worked out where the record was read)."""

    invalid: bool
    text: str
    digest: str
    confidence: float


class PageRead(NamedTuple):
    """A page as read (what a parse process answers): why it could not be (its transforms ran
    out of time) or None, its records, each one checked when the page's records are stored as
    they are (else None: a record waits for its detail page), and where its "next" button
    leads."""

    error: str | None
    records: list[ExtractedRecord]
    checked: list[Checked] | None
    link: str | None


@dataclass(frozen=True)
class RecordCheck:
    """Validate a record and make its stored form: the same wherever it runs (the event loop,
    or a parse process, where it takes none of the loop's time)."""

    validator: InstanceValidator | None
    strict: bool  # an invalid record is rejected: nothing else about it is needed
    required: tuple[str, ...]
    json_text: bool  # the stored text is ``compact_json`` (SQLite) rather than the canonical text

    def __call__(self, record: ExtractedRecord) -> Checked:
        validator = self.validator
        if validator is None or validator.is_valid(record.data):
            errors = []
        elif self.strict:
            return _REJECTED
        else:  # kept, with the confidence its invalid fields leave it
            errors = list(validator.iter_errors(record.data))
        canonical, digest = canonical_and_hash(record.data)
        # PostgreSQL parses the text into jsonb: the hash's canonical text does (one dump per
        # item). SQLite keeps the text: compact, the keys in the extractor's order.
        return Checked(bool(errors), compact_json(record.data) if self.json_text else canonical,
                       digest, round(confidence(record, self.required, errors), 4))


_REJECTED = Checked(invalid=True, text="", digest="", confidence=0.0)

# A result waiting for the flush: (id as 32 hex digits, data as JSON text, source URL, content
# hash, confidence, created at). Plain values: the driver binds them without any SQLAlchemy type
# processing.
ResultRow = tuple[str, str, str, str, float, Any]


@dataclass
class Pending:
    """What the pipeline found since the last flush (owned by the event loop)."""

    results: list[ResultRow] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    events: list[timeline.Event] = field(default_factory=list)  # stamped when they happened
    hashes: set[str] = field(default_factory=set)  # of ``results``, to drop repeats within a batch
    invalid: int = 0  # items that broke the schema (the validate step's count: not all have events)
    bytes_fetched: int = 0
    requests: int = 0
    renders: int = 0
    browser_seconds: float = 0.0
    reads: dict[str, Reads] = field(default_factory=dict)  # per field: how its selectors did


@dataclass
class Progress:
    pages_fetched: int = 0
    items_found: int = 0
    items_invalid: int = 0
    errors: int = 0
    urls_processed: int = 0
    urls_pending: int = 0


class _DetailPages:
    """The detail pages of one run: each URL fetched once, and the records waiting for it."""

    def __init__(self) -> None:
        self.waiting: dict[str, list[tuple[ExtractedRecord, str]]] = {}
        self.fetched: dict[str, tuple[dict[str, Any], dict[str, bool]]] = {}
        self.given = 0

    def wait(self, link: Any, record: ExtractedRecord, source: str, limit: int) -> str:
        """"fetch" (a new URL: fetch it), "waiting" (already asked for), "known" (already
        fetched: take ``ready``), "limit" (too many) or "none" (the record has no link)."""
        if not isinstance(link, str) or not link.startswith(("http://", "https://")):
            return "none"
        key = link.split("#", 1)[0]
        if key in self.fetched:
            self.waiting.setdefault(key, []).append((record, source))
            return "known"
        if key in self.waiting:
            self.waiting[key].append((record, source))
            return "waiting"
        if self.given >= limit:
            return "limit"
        self.given += 1
        self.waiting[key] = [(record, source)]
        return "fetch"

    def done(self, link: str, data: dict[str, Any],
             found: dict[str, bool]) -> list[tuple[ExtractedRecord, str]]:
        key = link.split("#", 1)[0]
        self.fetched[key] = (data, found)
        return self.ready(link)

    def ready(self, link: str) -> list[tuple[ExtractedRecord, str]]:
        """The records waiting for ``link``, each with the detail page's fields added."""
        key = link.split("#", 1)[0]
        data, found = self.fetched[key]
        return [(ExtractedRecord({**record.data, **data}, {**record.found, **found}), source)
                for record, source in self.waiting.pop(key, [])]


@dataclass(frozen=True, slots=True)
class _PageReading:
    """How one kind of page of a run is read, worked out once per run: its package, whether
    it must be parsed with lxml (any XPath to run on it), and, on a listing page, the "next"
    button to follow."""

    package: ConfigPackage
    xpath: bool  # the records are read with lxml (the package has XPath), else with lexbor
    next_button: NextButton | None
    # The "next" button is looked for on the records' document: its selector wants the same
    # engine (lxml for XPath, else lexbor: the engines build some trees differently, <tbody>).
    next_on_same_document: bool
    slow: bool  # a transform that may take long (SLOW_TRANSFORMS): parsed off the loop

    @classmethod
    def of(cls, package: ConfigPackage, *, detail: bool = False) -> _PageReading:
        pagination = None if detail else package.pagination
        next_button = pagination if isinstance(pagination, NextButton) else None
        xpath = package.uses_xpath
        same = next_button is not None and (next_button.selector.type == "xpath") == xpath
        specs = [*package.fields, *(b for f in package.fields for b in f.fallbacks)]
        slow = any(t.name in SLOW_TRANSFORMS for spec in specs for t in spec.transforms)
        return cls(package, xpath, next_button, same, slow)

    def next_link(self, document: Document, markup: str | bytes, url: str) -> str | None:
        """Where the page's "next" button leads (None: nowhere, or no button to follow)."""
        if self.next_button is None:
            return None
        if self.next_on_same_document:
            return next_button_link(document, self.next_button, url)
        return next_button_url(self.next_button, markup, url)


@dataclass(slots=True)
class _PageKind:
    """One kind of page of a run (listing or detail): how it is read, the check its records get
    where they are read (None: they are checked later, whole), and the records × fields its last
    page had (which decides where the next one is read)."""

    reading: _PageReading
    check: RecordCheck | None
    field_reads: int = 0


class _TooManyReads(Exception):
    def __init__(self, reads: int) -> None:
        super().__init__(f"{reads} field reads")
        self.reads = reads


def read_page(reading: _PageReading, markup: str | bytes, url: str,
              check: RecordCheck | None = None, limit: int | None = None) -> PageRead:
    """One page's records, each checked by ``check`` when given, and the URL its "next" button
    leads to, with one parse for all. ``limit``: raise ``_TooManyReads`` (a few milliseconds of
    parsing spent) instead of reading more records × fields than that."""
    try:
        document = parse_html(markup, xpath=reading.xpath)
        roots = roots_of(document, reading.package)
        if limit is not None and (reads := len(roots) * len(reading.package.fields)) > limit:
            raise _TooManyReads(reads)
        records = records_in(document, reading.package, url, roots)
    except TransformTimeout as exc:
        return PageRead(f"extraction stopped: {exc}", [], None, None)
    checked = None if check is None else [check(record) for record in records]
    return PageRead(None, records, checked, reading.next_link(document, markup, url))


class RunExecution:
    """One run in progress. ``execute()`` drives it to a final status."""

    def __init__(self, database: Database, plan: RunPlan) -> None:
        self.database = database
        self.plan = plan
        self.pending = Pending()
        self.progress = Progress()
        self.items_stored = 0  # only the flusher (one at a time) touches this
        self.cancel = asyncio.Event()
        # (status, why) when a limit stopped the run: a budget (core.budgets) or the job's cap
        self.stopped: tuple[WorkStatus, str] | None = None
        # a listing page comes with its Paginator; a detail page (package "detail") with None
        self.queue: asyncio.Queue[tuple[str, Paginator | None]] = asyncio.Queue()
        self.details = _DetailPages()
        self._wake_flusher = asyncio.Event()  # flush now: the buffer is full, or the crawl ended
        self._flushed = asyncio.Event()  # a flush finished (or the flusher stopped)
        self._stopping = False
        self._flusher: asyncio.Task[None] | None = None
        self._result_ids = OrderedIds()
        self._postgres = database.engine.dialect.name == "postgresql"
        self._check = RecordCheck(
            plan.validator, plan.strict, tuple(f.name for f in plan.package.fields if f.required),
            json_text=not self._postgres)
        # the kinds of page of the run, by ``detail``: listing pages (their records checked where
        # they are read, unless they wait for their detail pages), and detail pages if any
        detail = plan.package.detail
        self._kinds = {False: _PageKind(_PageReading.of(plan.package),
                                        self._check if detail is None else None)}
        if detail is not None:
            self._kinds[True] = _PageKind(_PageReading.of(detail.package, detail=True), None)
        # Pages the parse process may have waiting before the loop reads one itself (a page of
        # usual size without slow transforms): half the requests in flight waiting on it means
        # the process is behind, and both should work.
        self._backlog = max(2, plan.options.concurrency // 2)
        # PostgreSQL: rows this run wrote outside the search indexes, not indexed yet (at most)
        self.unindexed = 0
        # PostgreSQL: whether a batch's hashes are looked up before its COPY (None: not known
        # yet). Not while the job has no other results and no COPY of this run met a repeat.
        self._look_up_hashes: bool | None = None

    async def execute(self) -> WorkStatus:
        self._flusher = asyncio.create_task(
            self._flush_every(get_settings().run_heartbeat_seconds))
        try:
            async with Fetcher(self.plan.options) as fetcher, \
                    Offload(self._read_in_process, deadline=PAGE_READ_SECONDS) as offload:
                await self._crawl(fetcher, offload)
        finally:
            # Let a flush in progress finish (never cancel it halfway: its counters would then
            # land after the final flush's), then write what is left.
            self._stopping = True
            self._wake_flusher.set()
            await self._flusher
        await asyncio.to_thread(self._flush, *self._take())
        if self.stopped is not None:
            return self.stopped[0]
        return WorkStatus.CANCELED if self.cancel.is_set() else WorkStatus.COMPLETED

    def _stop(self, status: WorkStatus, why: str) -> None:
        """A limit was reached: stop like a cancel (keeping what was found), first reason wins."""
        if self.stopped is None:
            self.stopped = (status, why)

    async def _crawl(self, fetcher: Fetcher, offload: Offload) -> None:
        for target in self.plan.target_urls:
            pages = Paginator(self.plan.package.pagination, target, max_pages=self.plan.max_pages)
            self._enqueue(pages.first_urls(), pages)
        workers = [asyncio.create_task(self._work(fetcher, offload))
                   for _ in range(self.plan.options.concurrency)]
        # Wait for the last page, or for a cancel, whichever comes first: a cancel (read by the
        # flusher at every heartbeat) stops requests in flight too, however long they would hang.
        watchers = [asyncio.create_task(self.queue.join()),
                    asyncio.create_task(self.cancel.wait())]
        await asyncio.wait(watchers, return_when=asyncio.FIRST_COMPLETED)
        for task in (*workers, *watchers):
            task.cancel()
        await asyncio.gather(*workers, *watchers, return_exceptions=True)

    def _enqueue(self, urls: Iterable[str], pages: Paginator | None) -> None:
        for url in urls:
            self.queue.put_nowait((url, pages))
            self.progress.urls_pending += 1

    async def _work(self, fetcher: Fetcher, offload: Offload) -> None:
        while True:
            await self._room()
            url, pages = await self.queue.get()
            # Processed: recorded, as fetched or as failed. A URL taken after a stop, or whose
            # request a stop cut short (the task is cancelled), is left: "stopped after N pages"
            # must count only pages that were done.
            processed = False
            try:
                if not self.cancel.is_set():
                    page = await (fetcher.render(url, wait_for=self.plan.wait_for)
                                  if self.plan.render else fetcher.fetch(url))
                    page, read = await self._read(page, pages is None, offload)
                    if pages is None:
                        self._record_detail(url, page, read.records)
                    else:
                        self._record_page(page, read)
                        self._enqueue(pages.next_urls_given(page, read.link), pages)
                    processed = True
            except Exception as exc:  # a bug on one page must not cost the run
                self._record_page(FetchResult(url, url, error=f"internal error: {exc!r}"))
                processed = True
            finally:
                self.progress.urls_pending -= 1
                self.progress.urls_processed += processed
                self.queue.task_done()

    async def _read(self, page: FetchResult, detail: bool,
                    offload: Offload) -> tuple[FetchResult, PageRead]:
        """The page (an error when it could not be read) and what it holds: read on the event
        loop when that is cheap, else by the parse process (``core.scrape.offload``).

        A large page or one read with a slow transform (SLOW_TRANSFORMS: a regex up to its
        time limit, a date) goes to the parse process, so is a page of a kind whose last page
        had more than ``PROCESS_FIELD_READS`` records × fields when the process checks its
        records too (they are stored as read): there it takes none of the loop's time (the loop
        holds the GIL: everything else the crawl does waits while it reads). Other pages are
        read where they arrived: handing one over and back costs more than reading it, and a
        listing page whose records wait for their detail pages hands over only its parse, which
        for the few listing pages of such a crawl saved less than the process cost to fork
        (bench/books_site.py). While the process is ``_backlog`` pages behind, the loop reads
        the pages it may read itself, so that both keep busy. A process that cannot fork reads
        every page on its loop.
        """
        if not page.ok:
            return page, PageRead(None, [], None, None)
        kind = self._kinds[detail]  # a detail page comes only from a package with a detail part
        reading, check, markup = kind.reading, kind.check, page.markup
        if self._may_read_here(reading, markup) and (
                check is None or kind.field_reads <= PROCESS_FIELD_READS
                or offload.backlog >= self._backlog):
            try:
                return self._read_as(page, kind, read_page(
                    reading, markup, page.final_url, check, INLINE_FIELD_READS))
            except _TooManyReads as exc:  # this one holds too many: to the process after all
                kind.field_reads = exc.reads
        try:
            read = await offload.run((detail, markup, page.final_url))
        except OffloadUnavailable:
            read = read_page(reading, markup, page.final_url, check)
        except OffloadDied as exc:
            read = PageRead(f"the page could not be read: {exc}", [], None, None)
        return self._read_as(page, kind, read)

    @staticmethod
    def _may_read_here(reading: _PageReading, markup: str | bytes) -> bool:
        # the parser reads UTF-8: a text's characters take up to 4 bytes each (1 if ASCII)
        size = len(markup) if isinstance(markup, bytes) or markup.isascii() else 4 * len(markup)
        return not reading.slow and size <= LARGE_BODY_BYTES

    @staticmethod
    def _read_as(page: FetchResult, kind: _PageKind,
                 read: PageRead) -> tuple[FetchResult, PageRead]:
        if read.error is not None:
            return dataclasses.replace(page, error=read.error), read
        kind.field_reads = len(read.records) * len(kind.reading.package.fields)
        return page, read

    def _read_in_process(self, request: tuple[bool, str | bytes, str]) -> PageRead:
        """The parse process's work (``Offload``): a page of this kind, its markup and URL."""
        detail, markup, final_url = request
        kind = self._kinds[detail]
        return read_page(kind.reading, markup, final_url, kind.check)

    def _record_page(self, page: FetchResult, read: PageRead | None = None, *,
                     detail: bool = False) -> bool:
        """Count the fetch and record its outcome; False (and an error) when it failed."""
        pending, progress = self.pending, self.progress
        pending.requests += max(page.attempts, 1)
        pending.bytes_fetched += page.n_bytes
        node = "render" if self.plan.render else "fetch"
        if self.plan.render:
            pending.renders += 1
            pending.browser_seconds += page.elapsed_s
        if page.retries:
            self._event(timeline.Retry(
                node=node, url=page.url, retries=page.retries, at=utcnow(),
                extra={"cause": page.retried_after,
                       "max_retries": self.plan.options.max_retries}))
        if not page.ok:
            progress.errors += 1
            self._outcome(page, utcnow(), None)
            self._event(timeline.Failure(node=node, url=page.url, error=page.error,
                                         status=page.status_code, at=utcnow(),
                                         extra={"detail": True} if detail else {}))
            return False
        progress.pages_fetched += 1
        if detail:
            return True
        assert read is not None  # a listing page that was fetched was read
        items, fallbacks = self._extract(page, read)
        now = utcnow()
        self._outcome(page, now, {"items": items})
        self._event(timeline.PageFetched(
            node=node, url=page.final_url, status=page.status_code, bytes=page.n_bytes,
            seconds=round(page.elapsed_s, 3), items=items, rendered=self.plan.render or None,
            at=now, extra={"fallbacks": fallbacks} if fallbacks else {}))
        return True

    def _outcome(self, page: FetchResult, at: datetime, data: dict[str, Any] | None) -> None:
        """The URL's outcome row for the next flush: ``data`` for a page that was fetched,
        None for one that failed (``page.error`` says why)."""
        self.pending.outcomes.append({
            "id": self._result_ids.next_uuid(), "run_id": self.plan.run_id, "timestamp": at,
            "target_url": page.url, "success": page.ok, "error": page.error,
            "status_code": page.status_code, "data": data})

    def _record_detail(self, url: str, page: FetchResult,
                       records: Sequence[ExtractedRecord]) -> None:
        """A record's detail page: its fields join every record waiting for it (none when it
        could not be fetched: the fields stay empty, never filled from elsewhere)."""
        detail = self.plan.package.detail
        assert detail is not None  # only a package with a detail section fetches detail pages
        data: dict[str, Any] = {}
        found = {f.name: False for f in detail.fields}
        if self._record_page(page, detail=True):
            if records:
                data, found = records[0].data, records[0].found
                count_reads(self.pending.reads, records[:1], page.final_url)
            now, fields = utcnow(), sorted(data)
            self._outcome(page, now, {"detail_fields": fields})
            self._event(timeline.PageFetched(
                node="render" if self.plan.render else "fetch", url=page.final_url,
                status=page.status_code, bytes=page.n_bytes, rendered=self.plan.render or None,
                at=now, extra={"detail": True, "fields": fields}))
        for record, source in self.details.done(url, data, found):
            self._store(record, source)

    def _event(self, event: timeline.Event) -> None:
        """An event for the next flush (stamped by the caller: when it happened)."""
        self.pending.events.append(event)

    def _extract(self, page: FetchResult, read: PageRead) -> tuple[int, dict[str, int]]:
        """Store the page's records; (how many, per field how many were read by a fallback)."""
        records = read.records
        self.progress.items_found += len(records)
        count_reads(self.pending.reads, records, page.final_url)
        fallbacks: dict[str, int] = {}
        for record in records:
            for name in record.fallbacks:
                fallbacks[name] = fallbacks.get(name, 0) + 1
        detail = self.plan.package.detail
        if detail is None:
            checks: Sequence[Checked | None] = read.checked or [None] * len(records)
            for record, checked in zip(records, checks):
                self._store(record, page.final_url, checked)
            return len(records), fallbacks
        for record in records:
            link = record.data.get(detail.link)
            follow = self.details.wait(link, record, page.final_url, detail.max_pages)
            if follow == "fetch":  # "fetch" and "known" come only for an http(s) URL (a str)
                self._enqueue([str(link)], None)
            elif follow == "limit":
                self._event(timeline.Failure(
                    node="fetch", url=link, at=utcnow(), extra={"detail": True},
                    error=f"not followed: the run already has {detail.max_pages} detail "
                    "pages (detail.max_pages)"))
            if follow in ("limit", "none"):
                self._store(record, page.final_url)
            elif follow == "known":
                for waiting, source in self.details.ready(str(link)):
                    self._store(waiting, source)
        return len(records), fallbacks

    def _store(self, record: ExtractedRecord, source_url: str,
               checked: Checked | None = None) -> None:
        """Keep one record for the next flush (once per content hash), checked here unless
        ``checked`` says how it was where it was read."""
        cap = self.plan.max_items
        if cap is not None and self.items_stored + len(self.pending.results) >= cap:
            self._stop(WorkStatus.STOPPED_CAP, f"stopped: the job's cap of {cap:,} items per "
                                               "run was reached")
            self.cancel.set()
            return
        if checked is None:
            checked = self._check(record)
        if checked.invalid and self.plan.strict:
            self._reject(record.data, source_url)
            return
        if checked.digest in self.pending.hashes:
            return
        self.pending.hashes.add(checked.digest)
        self.pending.results.append((self._result_ids.next_hex(), checked.text, source_url,
                                     checked.digest, checked.confidence, utcnow()))
        if len(self.pending.results) >= FLUSH_AT_RESULTS:
            self._wake_flusher.set()

    def _reject(self, data: dict[str, Any], url: str) -> None:
        self.progress.items_invalid += 1
        self.pending.invalid += 1
        if self.progress.items_invalid <= MAX_INVALID_ITEM_EVENTS:
            assert self.plan.validator is not None  # only a schema makes an item invalid
            self._event(timeline.ValidationResult(
                node="validate", url=url, data=data, at=utcnow(),
                violations=[f"{'.'.join(map(str, e.absolute_path)) or '$'}: {e.message}"
                            for e in self.plan.validator.iter_errors(data)]))

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
                # idle: woken by the heartbeat, not by a full buffer
                idle = not await wait_set(self._wake_flusher, seconds)
                self._wake_flusher.clear()
                if self._stopping:
                    break
                if await asyncio.to_thread(self._flush, *self._take()):
                    self.cancel.set()
                self._flushed.set()
                if idle and self.unindexed:
                    await asyncio.to_thread(self.index_for_search, SEARCH_INDEX_IDLE_ROWS)
        finally:
            self._flushed.set()  # nobody waits for a flusher that stopped

    def index_for_search(self, rows: int | None = None) -> int:
        """Put up to ``rows`` (None: all) of the rows this run wrote outside the search indexes
        into them, ``SEARCH_INDEX_FINAL_ROWS`` per transaction; how many it did. PostgreSQL:
        on SQLite no row is ever pending. The flusher calls it when idle; ``execute_run``, once the
        run is finished."""
        done = 0
        while self.unindexed and (rows is None or done < rows):
            chunk = SEARCH_INDEX_FINAL_ROWS if rows is None else min(rows - done,
                                                                    SEARCH_INDEX_FINAL_ROWS)
            with self.database.transaction() as session:
                indexed = _index_for_search(session, self.plan.run_id, chunk)
            done += indexed
            self.unindexed = 0 if indexed < chunk else max(0, self.unindexed - indexed)
        return done

    def _insert_new_results(self, session: Session, rows: list[ResultRow]) -> int:
        """Insert, skipping items this job already has; how many were new. PostgreSQL: the
        look-up of the batch's hashes is skipped until it can find something: while the job had
        no results at the run's first write, a COPY goes straight in, and the first one that
        meets a repeat (the unique constraint) is rolled back and makes the look-up the rule."""
        if not rows:
            return 0
        if (sqlite := sqlite_driver(session)) is not None:
            return _insert_new_results_sqlite(sqlite, self.plan, rows)
        if self._look_up_hashes is None:
            self._look_up_hashes = session.scalar(select(Result.id).where(
                Result.job_id == self.plan.job_id).limit(1)) is not None
        driver = session.connection().connection.driver_connection
        stored = _copy_new_results(session, driver, self.plan, rows, self._look_up_hashes)
        if stored is None:
            self._look_up_hashes = True
            stored = _copy_new_results(session, driver, self.plan, rows, True)
        assert stored is not None  # a COPY after the look-up ends in an upsert, if need be
        return stored

    def _flush(self, batch: Pending, progress: Progress) -> bool:
        """Write one batch and the counters; return whether a cancel was requested."""
        plan = self.plan
        with self.database.transaction() as session:
            stored = self._insert_new_results(session, batch.results)
            self.items_stored += stored
            if self._postgres:
                self.unindexed += stored  # the COPY's rows; the rare INSERT's are indexed
            if stored < len(batch.results):
                _note_already_stored(session, plan.run_id, plan.job_id,
                                     [row[3] for row in batch.results])
            if batch.outcomes:
                _insert_outcomes(session, batch.outcomes)
            # one executemany each, not an ORM object per page
            timeline.record_many(session, WorkflowRef.run(plan.run_id),
                                 [*batch.events, *step_results(batch, stored)])
            record_reads(session, plan.job_id, plan.user_id, plan.package, batch.reads, utcnow())
            ledger.record(session, ledger.Owner(plan.user_id, run_id=plan.run_id,
                                                job_id=plan.job_id),
                          ledger.fetch_charges(batch.requests, batch.bytes_fetched,
                                               batch.renders, batch.browser_seconds))
            credits.charge(session, plan.user_id, plan.run_id, {
                ledger.CostKind.REQUESTS: batch.requests, ledger.CostKind.RENDERS: batch.renders})
            if (reason := budgets.after_charge(session, plan.user_id)) is not None:
                self._stop(WorkStatus.STOPPED_BUDGET, reason)  # gracefully, keeping what it has
            if (reason := credits.while_running(session, plan.user_id,
                                                plan.started_at)) is not None:
                self._stop(WorkStatus.STOPPED_BUDGET, reason)
            if plan.max_charge_usd is not None:
                spent = ledger.cost_of(session, ledger.Scope(run_id=plan.run_id))
                if spent >= plan.max_charge_usd:
                    self._stop(WorkStatus.STOPPED_CAP, (
                        f"stopped: the job's cap of ${plan.max_charge_usd:,.2f} per run was "
                        f"reached (${spent:,.4f} spent)"))
            total = progress.urls_processed + progress.urls_pending
            session.execute(update(Run).where(Run.id == plan.run_id).values(
                pages_fetched=progress.pages_fetched, items_found=progress.items_found,
                items_extracted=self.items_stored, errors_count=progress.errors,
                urls_processed=progress.urls_processed, urls_total=total,
                progress_percent=int(100 * progress.urls_processed / total) if total else 0,
                heartbeat_at=utcnow()))
            return self.stopped is not None or bool(
                session.scalar(select(Run.cancel_requested).where(Run.id == plan.run_id)))


_RESULT_COLUMNS = ("id", "run_id", "job_id", "data", "source_url", "content_hash",
                   "confidence_score", "created_at")
_RUN_COLUMNS = ("run_id", "job_id")  # the same for every row of a run: given once
_SQLITE_RESULTS = SqliteRows("results", tuple(c for c in _RESULT_COLUMNS if c not in _RUN_COLUMNS),
                             fixed=_RUN_COLUMNS,
                             on_conflict="ON CONFLICT (job_id, content_hash) DO NOTHING")
# PostgreSQL: the rows go in outside the search indexes (search_pending, migration 0026)
_POSTGRES_COPY = f"COPY results ({', '.join(_RESULT_COLUMNS)}, search_pending) FROM STDIN"


def step_results(batch: Pending, stored: int) -> list[timeline.Event]:
    """The extract, validate and store steps' events for one flush: the items found on the
    list pages fetched since the last one, the items that broke the schema (all of them: past
    ``MAX_INVALID_ITEM_EVENTS`` they have no event each), and what this write stored (read off
    the batch, so the page loop does no extra work)."""
    pages = [e for e in batch.events
             if isinstance(e, timeline.PageFetched) and e.items is not None]
    found: list[timeline.Event] = []
    if pages:
        found.append(timeline.StepResult(
            node="extract", pages=len(pages), items=sum(e.items or 0 for e in pages),
            at=max((e.at for e in pages if e.at is not None), default=None)))
    if batch.invalid:
        found.append(timeline.StepResult(node="validate", invalid=batch.invalid))
    if batch.results:
        found.append(timeline.StepResult(node="store", stored=stored,
                                         repeated=len(batch.results) - stored))
    return found


def _insert_new_results_sqlite(driver: Any, plan: RunPlan, rows: list[ResultRow]) -> int:
    """SQLite: the rows inserted, conflicts skipped (``db.plain_rows.SqliteRows``). Values as
    SQLAlchemy's types store them: UUIDs as 32 hex digits, naive UTC times with microseconds.
    ``driver``: the session's driver connection (``db.plain_rows.sqlite_driver``), in its
    transaction."""
    return _SQLITE_RESULTS.insert(driver, [
        (row_id, data, url, digest, score, sqlite_time(created))
        for row_id, data, url, digest, score, created in rows],
        fixed=(plan.run_id.hex, plan.job_id.hex))


def _insert_outcomes(session: Session, outcomes: list[dict[str, Any]]) -> None:
    """The batch's URL outcome rows. SQLite: plain values, as the model's types store them
    (UUIDs as 32 hex digits, naive UTC times, the JSON text, booleans as 0/1), handed to the
    driver (``db.plain_rows.SqliteRows``): SQLAlchemy's processing of each row's values took
    longer than inserting it. PostgreSQL: one executemany through SQLAlchemy."""
    driver = sqlite_driver(session)
    if driver is None:
        session.execute(cast(Table, RunResult.__table__).insert(), outcomes)
        return
    _SQLITE_OUTCOMES.insert(driver, [
        (row["id"].hex, row["run_id"].hex, row["target_url"], row["success"],
         row["status_code"], json.dumps(row["data"]), row["error"], sqlite_time(row["timestamp"]))
        for row in outcomes])


_SQLITE_OUTCOMES = SqliteRows("run_results", (
    "id", "run_id", "target_url", "success", "status_code", "data", "error", "timestamp"))


def _copy_new_results(session: Session, driver: Any, plan: RunPlan, rows: list[ResultRow],
                      look_up: bool) -> int | None:
    """PostgreSQL: drop the rows whose hash the job already has (one indexed look-up), then COPY
    the rest; how many went in. Another run of the same job may store one of them in between:
    then the COPY's unique violation is rolled back to a savepoint and the rows go in by INSERT
    … ON CONFLICT DO NOTHING instead. Without ``look_up`` the COPY takes every row, and None
    says that one of them was a repeat (nothing was written)."""
    with driver.cursor() as cursor:
        new = rows
        if look_up:
            cursor.execute("SELECT content_hash FROM results WHERE job_id = %s AND "
                           "content_hash = ANY(%s)", (str(plan.job_id), [row[3] for row in rows]))
            known = {digest for (digest,) in cursor.fetchall()}
            new = [row for row in rows if row[3] not in known]
            if not new:
                return 0
        cursor.execute("SAVEPOINT results_copy")
        try:
            with cursor.copy(_POSTGRES_COPY) as copy:
                copy.write(_copy_text(new, str(plan.run_id), str(plan.job_id)))
        except Exception as exc:
            if getattr(exc, "sqlstate", None) != "23505":  # unique_violation
                raise
            cursor.execute("ROLLBACK TO SAVEPOINT results_copy")
            return _upsert_results(session, plan, new) if look_up else None
        cursor.execute("RELEASE SAVEPOINT results_copy")
    return len(new)


# COPY's text format: a tab between fields, a row per line, and these characters escaped (as
# psycopg's ``write_row`` escapes them)
_COPY_SPECIAL = re.compile("[\b\t\n\v\f\r\\\\]")
_COPY_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f",
                 "\r": "\\r", "\\": "\\\\"}


def _copy_escaped(match: re.Match[str]) -> str:
    return _COPY_ESCAPES[match.group()]


def _copy_text(rows: list[ResultRow], run_id: str, job_id: str) -> str:
    """The rows as the text of ``_POSTGRES_COPY``: one f-string a row rather than a value at a
    time through ``write_row``. The JSON text can hold no control character (JSON escapes them)
    but a backslash; the URL could hold anything. Times and floats as psycopg writes them
    (``str``)."""
    lines = []
    for row_id, data, url, digest, score, created in rows:
        if "\\" in data:
            data = data.replace("\\", "\\\\")
        if _COPY_SPECIAL.search(url):
            url = _COPY_SPECIAL.sub(_copy_escaped, url)
        lines.append(f"{row_id}\t{run_id}\t{job_id}\t{data}\t{url}\t{digest}\t{score}\t"
                     f"{created}\tt\n")
    return "".join(lines)


def _index_for_search(session: Session, run_id: uuid.UUID, rows: int) -> int:
    """PostgreSQL: up to ``rows`` of the run's rows outside the search indexes go into them
    (through ix_results_search_pending); how many."""
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute("UPDATE results SET search_pending = false WHERE id IN (SELECT id FROM "
                       "results WHERE run_id = %s AND search_pending LIMIT %s)",
                       (str(run_id), rows))
        return int(cursor.rowcount)


def _upsert_results(session: Session, plan: RunPlan, rows: list[ResultRow]) -> int:
    """INSERT … ON CONFLICT DO NOTHING, one row per item; how many went in."""
    from sqlalchemy.dialects import postgresql  # here: a run on SQLite never loads it

    table = cast(Table, Result.__table__)
    upsert = postgresql.insert(table).on_conflict_do_nothing(
        index_elements=["job_id", "content_hash"])
    values = [{"id": uuid.UUID(row_id), "run_id": plan.run_id, "job_id": plan.job_id,
               "data": json.loads(data), "source_url": url, "content_hash": digest,
               "confidence_score": score, "created_at": created}
              for row_id, data, url, digest, score, created in rows]
    # psycopg's executemany reports no row count; RETURNING tells which rows went in.
    return len(session.execute(upsert.returning(table.c.id), values).all())


def _note_already_stored(session: Session, run_id: uuid.UUID, job_id: uuid.UUID,
                         hashes: list[str]) -> None:
    """Count, by the run that stored them, the items of this batch the job already had, into
    the run's ``meta["already_stored_by"]`` (run id → items), so the run can say where its items
    are. Runs only for batches that had repeats."""
    counts: dict[str, int] = {}
    for start in range(0, len(hashes), 500):
        query = (select(Result.run_id, func.count()).where(
            Result.job_id == job_id, Result.run_id != run_id,
            Result.content_hash.in_(hashes[start:start + 500])).group_by(Result.run_id))
        for earlier, n in session.execute(query):
            counts[str(earlier)] = counts.get(str(earlier), 0) + n
    if counts:
        run = session.get_one(Run, run_id)
        known = dict((run.meta or {}).get("already_stored_by", {}))
        for key, n in counts.items():
            known[key] = known.get(key, 0) + n
        run.meta = {**(run.meta or {}), "already_stored_by": known}


def claim(session: Session, run_id: uuid.UUID, worker: str) -> bool:
    """queued → running for this worker; False when another worker (or a cancel) got there first."""
    if claim_queued(session, Run, run_id, worker):
        timeline.record(session, WorkflowRef.run(run_id),
                        timeline.Handoff(target=timeline.HandoffTarget.WORKER, worker=worker))
        return True
    return False


def claim_next(session: Session, worker: str) -> uuid.UUID | None:
    """The oldest queued run, claimed (``FOR UPDATE SKIP LOCKED``: see ``core.platform.work``)."""
    return claim_oldest(session, worker, Run, [Run.status == WorkStatus.QUEUED], Run.created_at,
                        claim)


def finish(database: Database, run_id: uuid.UUID, status: WorkStatus, error: str | None = None,
           invalid_items: int = 0) -> None:
    with database.transaction() as session:
        run = session.get_one(Run, run_id)
        run.status, run.finished_at, run.error_message = status, utcnow(), error
        if status in (WorkStatus.COMPLETED, WorkStatus.COMPLETED_WITH_ERRORS):
            run.progress_percent = 100
        run.meta = {**(run.meta or {}), "items_invalid": invalid_items}
        event: timeline.Event
        if status in (WorkStatus.COMPLETED, WorkStatus.COMPLETED_WITH_ERRORS):
            event = timeline.Completion(to=status)
        elif status == WorkStatus.FAILED:
            event = timeline.Failure(to=status, error=error)
        else:
            event = timeline.StateTransition(to=status)
        timeline.record(session, WorkflowRef.run(run_id), event)
        credits.settle_run(session, run_id)
    ring(folder(Bell.WAITERS))  # `runs start --wait` returns now, not after the search indexing


def execute_run(database: Database, run_id: uuid.UUID) -> str:
    """Run a claimed run to its end; return its final status. Never raises for site trouble."""
    error: str | None = None
    with database.transaction() as session:
        run = session.get_one(Run, run_id)
        try:
            plan = load_plan(session, run)
        except Exception as exc:  # a job edited into an unusable state fails the run, clearly
            plan, error = None, f"The job cannot run: {exc}"
    if plan is None:
        finish(database, run_id, WorkStatus.FAILED, error)
        return WorkStatus.FAILED
    execution = RunExecution(database, plan)
    heap.keep_freed_memory()  # each page's parse allocates and frees (core.platform.heap)
    try:
        status = asyncio.run(execution.execute())
    except Exception as exc:
        finish(database, run_id, WorkStatus.FAILED,
               f"The run stopped on an internal error: {exc!r}",
               execution.progress.items_invalid)
        raise
    progress = execution.progress
    error = None
    if status == WorkStatus.COMPLETED and progress.pages_fetched == 0 and progress.errors:
        status, error = WorkStatus.FAILED, "No page could be fetched; see the errors per URL."
    elif status == WorkStatus.COMPLETED and progress.errors:
        status = WorkStatus.COMPLETED_WITH_ERRORS
        error = (f"{progress.errors} of {progress.urls_processed} pages could not be fetched; "
                 "see the errors per URL.")
    if execution.stopped is not None:
        stored = execution.items_stored
        error = (f"{execution.stopped[1]}. " + ("Nothing was found before that." if not stored
                 else "The one item found until then is kept." if stored == 1
                 else f"The {stored:,} items found until then are kept."))
    finish(database, run_id, status, error, progress.items_invalid)
    # Once the run is finished (its results all stored, and found by search already): the rest
    # of its rows into the search indexes, so that the run's time does not include it.
    execution.index_for_search()
    heap.give_back_free_memory()  # a `serve` worker holds no more between runs than it needs
    return status


WORK = WorkKind(WorkName.RUN, execute=execute_run, claim=claim, claim_next=claim_next,
                reap_stale=reap_stale_runs)
