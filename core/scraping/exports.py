"""Exports of a run's results as CSV, JSON, JSON Lines, Excel or Parquet files.

The page never does the work inside a Streamlit rerun:

    start_export(session, actor, run_id, "csv")   # an exports row, status "processing"; after
                                                  # commit, `python -m core.worker export ID`
    perform_export(database, export_id)           # in that worker: file, then "completed"
                                                  # (or "failed" with the reason)
    export_file(session, actor, export_id)        # path, file name and MIME type to download

Files live in ``<data_dir>/exports/`` for ``EXPORT_TTL_HOURS``; ``remove_expired`` then deletes
them. The worker beats a heartbeat while it writes; an export whose worker died (no heartbeat for
``RUN_STALE_AFTER_SECONDS``) is marked failed and its partial and spool files are removed by the
same call, which ``serve``, every new export and every listing of a run's exports make. The constraint on ``exports.status`` allows processing|completed|failed only, so an expired
export stays "completed" with ``file_path`` and ``download_url`` cleared (``ExportInfo.expired``).

Streaming: results are read with ``yield_per`` (a server-side cursor on PostgreSQL) and written as
they come, so memory stays flat whatever the run's size. The file is written as ``*.part`` and
renamed when complete: a failed export leaves no file behind.

What a file holds, per result: its data, then ``_source_url``, ``_confidence`` and
``_fetched_at`` (ISO 8601, UTC). A data key with one of those names is renamed ``<key> (data)``.

- JSON (one array) and JSON Lines keep nested values as they are.
- CSV, Excel and Parquet have one column per key found in any result (the union, in order of
  first appearance); nested objects are flattened into dotted columns (``specs.color``), lists
  are written as JSON text. A dotted data key ("a.b") and a flattened nested key with the same
  name share one column. To know the union before writing the header, the results are read once
  into a spool file next to the output (one database read: a consistent set of rows even while the
  run is still adding results), then written from it.
- CSV cells: text as is, numbers as written, booleans ``true``/``false``, empty for missing/null.
  Formula neutralisation: a text cell (or column name) starting with ``=``, ``+``, ``-``, ``@``,
  a tab or a carriage return — what a spreadsheet would run as a formula — gets a leading ``'``,
  so ``=HYPERLINK(…)`` shows as text. ``raw_values`` (the CLI's ``--raw``, the page's "Raw
  values") writes every cell exactly as scraped instead.
- Excel: values keep their types; text that starts with "=" stays text (never a formula);
  characters Excel refuses are dropped and cells are cut at Excel's 32,767 characters; at most
  1,048,575 rows (Excel's limit): a bigger run fails with a message suggesting CSV or Parquet.
- Speed: CSV and Parquet are written by Arrow from the stored JSON text when that gives the same
  bytes (``core.scraping.export_tables`` says when it does not; then the general writers run).
- Parquet: a stable schema inferred from every value of a column in the first pass: only
  booleans → bool; only integers (within 64 bits) → int64; integers and/or decimals → float64;
  anything else (text, mixed types, lists) → string, with non-text values as JSON text; a column
  that is always empty → string. ``_confidence`` is float64, ``_fetched_at`` a UTC timestamp.
"""

from __future__ import annotations

import csv
import json
import logging
import marshal
import os
import queue
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (CursorResult, LargeBinary, String, Text, and_, cast, func, or_, select,
                        type_coerce, update)
from sqlalchemy.orm import Session

from core.platform import audit
from core.platform.access import Actor
from core.platform.database import Database
from core.platform.errors import Conflict, NotFound, ScrapeDeckError, ValidationError
from core.platform.outfiles import check_out_path
from core.scraping.results import (CONFIDENCE, FETCHED_AT, SOURCE_URL, ResultQuery, column_name,
                                   load_run, query_document, query_from_document, readable_query,
                                   selection)
from core.platform.settings import get_settings
from core.platform.work import WorkKind, WorkName, heartbeat, spawn_after_commit, stale, worker_id
from db.models import Export, Result, ScrapingJob
from db.types import utcnow
from vocabularies import ExportFormat, FileStatus

if TYPE_CHECKING:  # pyarrow and openpyxl load only in a process that writes such a file:
    # a `serve` worker imports this module for its housekeeping and stays small
    import pyarrow as pa
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

log = logging.getLogger("scrapedeck.exports")

BATCH_SIZE = 5_000
EXCEL_MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header
EXCEL_MAX_CHARS = 32_767
INT64 = range(-(2**63), 2**63)
MIME_TYPES = {
    ExportFormat.CSV: "text/csv",
    ExportFormat.JSON: "application/json",
    ExportFormat.JSONL: "application/x-ndjson",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.PARQUET: "application/vnd.apache.parquet",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as a formula
META_COLUMNS = (SOURCE_URL, CONFIDENCE, FETCHED_AT)


def _meta_types() -> dict[str, pa.DataType]:
    import pyarrow as pa
    return {SOURCE_URL: pa.string(), CONFIDENCE: pa.float64(),
            FETCHED_AT: pa.timestamp("us", tz="UTC")}

Record = dict[str, Any]


@dataclass(frozen=True)
class ExportInfo:
    id: uuid.UUID
    run_id: uuid.UUID
    format: ExportFormat
    status: FileStatus
    row_count: int | None
    size_bytes: int | None
    error_message: str | None
    created_at: datetime
    completed_at: datetime | None
    expires_at: datetime | None
    has_file: bool
    raw_values: bool = False
    query: ResultQuery | None = None  # None: every result of the run, in fetch order

    @property
    def downloadable(self) -> bool:
        return self.status == FileStatus.COMPLETED and self.has_file

    @property
    def expired(self) -> bool:
        return self.status == FileStatus.COMPLETED and not self.has_file


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    row_count: int
    size_bytes: int


def _info(row: Export) -> ExportInfo:
    return ExportInfo(id=row.id, run_id=row.run_id, format=row.format, status=row.status,
                      row_count=row.row_count, size_bytes=row.size_bytes,
                      error_message=row.error_message, created_at=row.created_at,
                      completed_at=row.completed_at, expires_at=row.expires_at,
                      has_file=row.file_path is not None, raw_values=bool(row.raw_values),
                      query=None if row.query is None else query_from_document(row.query))


def _check_format(fmt: str) -> ExportFormat:
    try:
        return ExportFormat(fmt)
    except ValueError:
        raise ValidationError(f"Export format must be one of {', '.join(ExportFormat)}; "
                              f"got '{fmt}'.") from None


# --- Service calls ------------------------------------------------------------------------------

def request_export(session: Session, actor: Actor, run_id: uuid.UUID | str,
                   fmt: str, raw_values: bool = False,
                   query: ResultQuery | None = None) -> ExportInfo:
    """A "processing" exports row for the run. Whoever may read a run may export it (viewers
    too: an export is a read). ``raw_values``: CSV cells exactly as scraped, formulas included.
    ``query``: the Results table's query (the run or all runs of its job, search, filters,
    threshold, sort; its page is ignored): the file holds every result it matches, in its order.
    Without one, every result of the run in fetch order."""
    checked = _check_format(fmt)
    run = load_run(session, actor, run_id)
    stored = None if query is None else query_document(readable_query(session, actor, query))
    row = Export(run_id=run.id, user_id=actor.id, format=checked, status=FileStatus.PROCESSING,
                 raw_values=raw_values, query=stored)
    session.add(row)
    session.flush()
    audit.record(session, actor, "export.create", "export", row.id,
                 new={"run": str(run.id), "format": checked.value, "raw_values": raw_values,
                      **({"query": stored} if stored else {})})
    return _info(row)


def start_export(session: Session, actor: Actor, run_id: uuid.UUID | str, fmt: str,
                 raw_values: bool = False, query: ResultQuery | None = None) -> ExportInfo:
    """``request_export``, then, once the transaction commits, a worker process that writes the
    file. Spawning after commit means the worker always finds the row, and a rolled-back request
    starts nothing."""
    info = request_export(session, actor, run_id, fmt, raw_values, query)
    spawn_after_commit(session, WorkName.EXPORT, info.id, queued=False)
    return info


def list_exports(session: Session, actor: Actor, run_id: uuid.UUID | str) -> list[ExportInfo]:
    """The run's exports, newest first. They follow the run's rights: its readers see them all.
    Exports whose worker died are marked failed first (see ``remove_expired``)."""
    run = load_run(session, actor, run_id)
    remove_expired(session, utcnow())
    return [_info(row) for row in session.scalars(
        select(Export).where(Export.run_id == run.id).order_by(Export.created_at.desc()))]


def export_file(session: Session, actor: Actor,
                export_id: uuid.UUID | str) -> tuple[Path, str, str]:
    """(path, file name to offer, MIME type) of a completed export the actor may read."""
    row = _load(session, export_id)
    run = load_run(session, actor, row.run_id)
    if row.status == FileStatus.PROCESSING:
        raise Conflict("This export is still being prepared.")
    if row.status == FileStatus.FAILED:
        raise Conflict(f"This export failed: {row.error_message}")
    if row.file_path is None or not Path(row.file_path).is_file():
        raise NotFound("This export has expired and its file was removed; export again.")
    job = session.get(ScrapingJob, run.job_id)
    slug = re.sub(r"[^a-z0-9]+", "-", (job.name if job else "results").lower()).strip("-")
    return Path(row.file_path), f"{slug or 'results'}-{run.id.hex[:8]}.{row.format}", \
        MIME_TYPES[row.format]


def _load(session: Session, export_id: uuid.UUID | str) -> Export:
    try:
        row = session.get(Export, uuid.UUID(str(export_id)))
    except ValueError:
        row = None
    if row is None:
        raise NotFound("Export not found.")
    return row


def remove_expired(session: Session, now: datetime) -> int:
    """Delete the files of exports whose time is up and clear their path; mark exports whose
    worker died as failed — no heartbeat for ``RUN_STALE_AFTER_SECONDS``, or never started and
    still processing after a whole TTL — and remove their partial and spool files.
    Returns how many files were removed. Called by ``serve``, before each export and when a run's
    exports are listed; safe to call from anywhere."""
    removed = 0
    for row in session.scalars(select(Export).where(Export.expires_at <= now,
                                                    Export.file_path.is_not(None))):
        Path(row.file_path).unlink(missing_ok=True)  # type: ignore[arg-type]
        row.file_path, row.download_url = None, None
        removed += 1
    never_started = now - timedelta(hours=get_settings().export_ttl_hours)
    dead = select(Export).where(Export.status == FileStatus.PROCESSING, or_(
        stale(Export, now), and_(Export.heartbeat_at.is_(None), Export.created_at <= never_started)))
    for row in session.scalars(dead.with_for_update(skip_locked=True)):
        if row.file_path:
            for leftover in _work_files(Path(row.file_path)):
                leftover.unlink(missing_ok=True)
        row.status, row.file_path = FileStatus.FAILED, None
        row.error_message = "The export did not finish: its worker process stopped."
        log.warning("export %s failed: its worker (%s) stopped", row.id, row.worker_id)
    return removed


# --- The work -----------------------------------------------------------------------------------

def perform_export(database: Database, export_id: uuid.UUID | str) -> ExportInfo:
    """Write the export's file and record the outcome. Runs in a worker process
    (``python -m core.worker export ID``). An export already taken by another worker, or no longer
    processing, is left alone; any error marks the export failed with the reason."""
    with database.transaction() as session:
        remove_expired(session, utcnow())
        row = _load(session, export_id)
        target = get_settings().exports_dir / f"{row.id}.{row.format}"
        claimed = session.execute(
            update(Export).where(Export.id == row.id, Export.status == FileStatus.PROCESSING,
                                 Export.file_path.is_(None))
            .values(file_path=str(target), worker_id=worker_id(), heartbeat_at=utcnow())
        ).rowcount == 1  # type: ignore[attr-defined]
        query = _query(row.run_id, row.query)
        fmt, raw = row.format, bool(row.raw_values)
    if claimed:
        with heartbeat(database, Export, row.id, Export.status == FileStatus.PROCESSING):
            _finish(database, row.id, query, fmt, target, raw)
    with database.transaction() as session:
        return _info(_load(session, export_id))


def _query(run_id: uuid.UUID, stored: dict[str, Any] | None) -> ResultQuery:
    """What an export holds: its stored query, or every result of the run in fetch order."""
    if stored is None:
        return ResultQuery(run_id=run_id, descending=False)
    return query_from_document(stored)


def _finish(database: Database, export_id: uuid.UUID, query: ResultQuery, fmt: ExportFormat,
            target: Path, raw: bool) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        rows, size = _write(database, query, fmt, target, raw)
    except Exception as exc:  # noqa: BLE001 - a background job records every failure
        log.exception("export %s failed", export_id)
        values: dict[str, Any] = dict(status=FileStatus.FAILED, file_path=None,
                                      error_message=_reason(exc))
    else:
        now = utcnow()
        values = dict(status=FileStatus.COMPLETED, row_count=rows, size_bytes=size,
                      completed_at=now,
                      expires_at=now + timedelta(hours=get_settings().export_ttl_hours),
                      download_url=target.resolve().as_uri())
    with database.transaction() as session:  # unless the reaper already gave it up for dead
        session.execute(update(Export).where(Export.id == export_id,
                                             Export.status == FileStatus.PROCESSING).values(**values))


def _reason(exc: Exception) -> str:
    if isinstance(exc, ScrapeDeckError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"The file could not be written: {exc.strerror or exc}."
    return f"Unexpected error ({type(exc).__name__}: {exc}); the worker log has the details."


def export_run_to_path(database: Database, actor: Actor, run_id: uuid.UUID | str, fmt: str,
                       out_path: str | Path, *, raw_values: bool = False,
                       force: bool = False) -> ExportSummary:
    """Write the run's results to ``out_path`` now, in this process (the CLI). An existing file
    is replaced only with ``force``; anything else at that path (a folder, a device, a link) is
    never replaced, and a missing folder is not created."""
    checked = _check_format(fmt)
    with database.transaction() as session:
        run_uuid = load_run(session, actor, run_id).id
    path = Path(out_path)
    check_out_path(path, force)
    try:
        rows, size = _write(database, _query(run_uuid, None), checked, path, raw_values)
    except OSError as exc:
        raise ValidationError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    with database.transaction() as session:
        audit.record(session, actor, "export.file", "run", run_uuid,
                     new={"format": checked.value, "path": str(path.resolve()), "rows": rows,
                          "raw_values": raw_values})
    return ExportSummary(path=path, row_count=rows, size_bytes=size)


def _part(path: Path) -> Path:
    return path.with_name(path.name + ".part")


def _work_files(path: Path) -> list[Path]:
    """The files a write to ``path`` makes before the result appears: the partial file and the
    spool of table formats."""
    return [_part(path), _spool(_part(path))]


def _spool(part: Path) -> Path:
    return part.with_name(part.name + ".spool")


def _write(database: Database, query: ResultQuery, fmt: ExportFormat, path: Path,
           raw: bool = False) -> tuple[int, int]:
    """Write every result ``query`` matches to ``path`` in ``fmt``; return (rows, bytes). The
    file appears only when complete."""
    part = _part(path)
    try:
        if fmt in DOCUMENT_WRITERS:
            with _records(database, query, flat=False) as records:
                rows = DOCUMENT_WRITERS[fmt](records, part)
        else:
            rows = _write_table(database, query, fmt, part, raw)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return rows, path.stat().st_size


# --- Reading results ----------------------------------------------------------------------------

@contextmanager
def _records(database: Database, q: ResultQuery, flat: bool) -> Iterator[Iterator[Record]]:
    """The results ``q`` matches, in its order, as export records, streamed in batches."""
    where, order = selection(Session(database.engine), q)  # the session only names the dialect
    query = (select(Result.data, Result.source_url, Result.confidence_score, Result.created_at)
             .where(*where).order_by(*order))
    with database.engine.connect() as connection:
        rows = connection.execution_options(yield_per=BATCH_SIZE).execute(query)
        yield (_record(row.data, row.source_url, row.confidence_score, row.created_at, flat)
               for row in rows)


def _record(data: dict[str, Any], source_url: str, confidence: float, fetched_at: datetime,
            flat: bool) -> Record:
    record = _flatten(data) if flat else dict(data)
    for key in set(META_COLUMNS) & record.keys():  # a data key named like a metadata column
        record[column_name(key)] = record.pop(key)
    record.update({SOURCE_URL: source_url, CONFIDENCE: confidence,
                   FETCHED_AT: fetched_at.isoformat()})
    return record


def _flatten(data: dict[str, Any], prefix: str = "") -> Record:
    """``{"a": {"b": 1}, "c": [1]}`` → ``{"a.b": 1, "c": "[1]"}``; an empty object → ``"{}"``."""
    flat: Record = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        elif isinstance(value, (dict, list)):
            flat[prefix + key] = _json_text(value)
        else:
            flat[prefix + key] = value
    return flat


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- JSON and JSON Lines ------------------------------------------------------------------------

def _write_json(records: Iterator[Record], part: Path) -> int:
    count = 0
    with part.open("w", encoding="utf-8") as out:
        out.write("[")
        for record in records:
            out.write(",\n" if count else "\n")
            out.write(_json_text(record))
            count += 1
        out.write("\n]\n" if count else "]\n")
    return count


def _write_jsonl(records: Iterator[Record], part: Path) -> int:
    count = 0
    with part.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(_json_text(record) + "\n")
            count += 1
    return count


DOCUMENT_WRITERS: dict[ExportFormat, Callable[[Iterator[Record], Path], int]] = {
    ExportFormat.JSON: _write_json, ExportFormat.JSONL: _write_jsonl}


# --- Tables: CSV, Excel, Parquet ----------------------------------------------------------------

@dataclass
class _Table:
    """What the first pass learnt: the columns in order of first appearance, the Python types
    of each one's values (an integer too big for 64 bits counts as text), and the row count."""

    columns: dict[str, set[type]]
    rows: int = 0

    def add(self, record: Record) -> None:
        self.rows += 1
        columns = self.columns
        for key, value in record.items():
            kind = str if type(value) is int and value not in INT64 else type(value)
            if key in columns:
                columns[key].add(kind)
            else:
                columns[key] = {kind}

    @property
    def names(self) -> list[str]:
        data = [name for name in self.columns if name not in META_COLUMNS]
        return data + list(META_COLUMNS)


def _write_table(database: Database, query: ResultQuery, fmt: ExportFormat, part: Path,
                 raw: bool = False) -> int:
    """CSV and Parquet by Arrow when it writes exactly what the general writers would (see
    ``core.scraping.export_tables``); otherwise, and for Excel, the general writers."""
    if fmt in (ExportFormat.CSV, ExportFormat.PARQUET):
        rows = _arrow_table(database, query, fmt, part, raw)
        if rows is not None:
            return rows
    return _general_table(database, query, fmt, part, raw)


def _arrow_table(database: Database, q: ResultQuery, fmt: ExportFormat, part: Path,
                 raw: bool = False) -> int | None:
    """The rows as the database holds them — JSON text, URL, confidence, UTC time as text —
    handed to ``export_tables.write_table``; None when it leaves the export to the general
    writers. SQLite gives the JSON as UTF-8 bytes (no text object to make, none to encode)."""
    if database.engine.dialect.name == "postgresql":
        data: Any = cast(Result.data, Text)
        fetched: Any = func.to_char(func.timezone("UTC", Result.created_at),
                                    "YYYY-MM-DD HH24:MI:SS.US")
    else:  # SQLite keeps JSON text and naive UTC text with microseconds
        data = cast(type_coerce(Result.data, Text), LargeBinary)
        fetched = type_coerce(Result.created_at, String)
    where, order = selection(Session(database.engine), q)  # the session only names the dialect
    query = (select(data, Result.source_url, Result.confidence_score, fetched)
             .where(*where).order_by(*order))
    from core.scraping import export_tables
    spool = _spool(part)
    try:
        with database.engine.connect() as connection:
            rows = connection.execution_options(yield_per=BATCH_SIZE).execute(query)
            with _read_ahead(_driver_batches(rows, BATCH_SIZE)) as batches:
                return export_tables.write_table(
                    batches, fmt, part, spool, _meta_types(),
                    {key: column_name(key) for key in META_COLUMNS}, neutralise, raw)
    finally:
        spool.unlink(missing_ok=True)


def _driver_batches(rows: CursorResult[Any], size: int) -> Iterator[Sequence[Any]]:
    """The rows in batches of ``size`` tuples as the database driver makes them: SQLAlchemy
    binds the query and opens the cursor (server-side on PostgreSQL); its first batch goes
    through SQLAlchemy (which may hold a row it read ahead), the rest straight from the driver's
    cursor, without a Row object per row. The columns must need no result processing."""
    first = [tuple(row) for row in rows.fetchmany(size)]
    if first:
        yield first
    if len(first) < size:
        return  # the end (SQLAlchemy may have closed the cursor)
    cursor = rows.cursor
    while batch := cursor.fetchmany(size):
        yield batch


Item = TypeVar("Item")


_AHEAD_END = object()  # the read-ahead thread's last word


@dataclass(frozen=True)
class _Failed:
    """What stopped the read-ahead thread, raised in the caller's thread."""

    error: BaseException


@contextmanager
def _read_ahead(items: Iterator[Item]) -> Iterator[Iterator[Item]]:
    """``items``, taken by a thread one ahead of the caller: the database (a PostgreSQL server
    making the next batch; SQLite's driver, which lets go of the interpreter while it steps)
    works while the caller does (Arrow lets go of it too). An error is raised where its item
    would have come. On leaving, the thread has stopped and will not touch ``items`` again."""
    ahead: queue.Queue[Any] = queue.Queue(maxsize=1)  # an item, _AHEAD_END or a _Failed
    stop = threading.Event()

    def put(entry: Any) -> bool:
        while not stop.is_set():
            try:
                ahead.put(entry, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False

    def take() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_AHEAD_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            put(_Failed(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a generator's own clean-up, here, in the thread that ran it

    def given() -> Iterator[Item]:
        while (entry := ahead.get()) is not _AHEAD_END:
            if isinstance(entry, _Failed):
                raise entry.error
            yield entry

    thread = threading.Thread(target=take, name="export-read-ahead", daemon=True)
    thread.start()
    try:
        yield given()
    finally:
        stop.set()
        thread.join()


def _general_table(database: Database, query: ResultQuery, fmt: ExportFormat, part: Path,
                   raw: bool = False) -> int:
    """Spool the records while learning the columns, then write the file from the spool. The
    spool holds batches of plain values in marshal format: a private file, fast both ways."""
    spool = _spool(part)
    write = _write_raw_csv if fmt == "csv" and raw else TABLE_WRITERS[fmt]
    try:
        table, batches = _Table(columns={}), 0
        with _records(database, query, flat=True) as records, spool.open("wb") as out:
            while batch := list(islice(records, BATCH_SIZE)):
                for record in batch:
                    table.add(record)
                marshal.dump(batch, out)
                batches += 1
        with spool.open("rb") as spooled:
            write(table, (record for _ in range(batches)
                                       for record in marshal.load(spooled)), part)
        return table.rows
    finally:
        spool.unlink(missing_ok=True)


def neutralise(text: str) -> str:
    """A CSV cell a spreadsheet would run as a formula, made text: a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _write_csv(table: _Table, records: Iterator[Record], part: Path) -> None:
    names = table.names
    with part.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([neutralise(name) for name in names])
        # Inline, not a function per cell: this runs for every cell of a million rows.
        writer.writerows(["" if (v := record.get(name)) is None
                          else "true" if v is True else "false" if v is False
                          else "'" + v if type(v) is str and v.startswith(FORMULA_START) else v
                          for name in names] for record in records)


def _write_raw_csv(table: _Table, records: Iterator[Record], part: Path) -> None:
    """CSV with every value exactly as scraped (the opt-out: formulas are not neutralised)."""
    names = table.names
    with part.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(names)
        writer.writerows(["" if (v := record.get(name)) is None
                          else "true" if v is True else "false" if v is False else v
                          for name in names] for record in records)


def _excel_cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value)[:EXCEL_MAX_CHARS])
    cell.data_type = "s"  # text stays text, even "=HYPERLINK(…)": scraped content is data
    return cell


def _write_xlsx(table: _Table, records: Iterator[Record], part: Path) -> None:
    if table.rows > EXCEL_MAX_ROWS:
        raise ValidationError(f"Excel holds at most {EXCEL_MAX_ROWS:,} rows and this export has "
                              f"{table.rows:,} results: export CSV or Parquet instead.")
    from openpyxl import Workbook
    names = table.names
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Results")
    sheet.append(names)
    for record in records:
        fetched = datetime.fromisoformat(record[FETCHED_AT]).replace(tzinfo=None)  # Excel: no tz
        sheet.append([_excel_cell(sheet, fetched if name == FETCHED_AT else record.get(name))
                      for name in names])
    book.save(part)


def _arrow_type(kinds: set[type]) -> pa.DataType:
    import pyarrow as pa
    kinds = kinds - {type(None)}
    if kinds == {bool}:
        return pa.bool_()
    if kinds == {int}:
        return pa.int64()
    if kinds and kinds <= {int, float}:
        return pa.float64()
    return pa.string()


def _arrow_values(values: list[Any], kind: pa.DataType) -> list[Any]:
    import pyarrow as pa
    if kind == pa.string():
        return [v if v is None or isinstance(v, str) else _json_text(v) for v in values]
    if kind == pa.timestamp("us", tz="UTC"):
        return [datetime.fromisoformat(v) for v in values]
    return values


def _write_parquet(table: _Table, records: Iterator[Record], part: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    meta_types = _meta_types()
    schema = pa.schema([(name, meta_types.get(name) or _arrow_type(table.columns[name]))
                        for name in table.names])
    with pq.ParquetWriter(part, schema) as writer:
        while batch := list(islice(records, BATCH_SIZE)):
            writer.write_batch(pa.RecordBatch.from_arrays(
                [pa.array(_arrow_values([r.get(f.name) for r in batch], f.type), f.type)
                 for f in schema], schema=schema))


TABLE_WRITERS: dict[ExportFormat, Callable[[_Table, Iterator[Record], Path], None]] = {
    ExportFormat.CSV: _write_csv, ExportFormat.XLSX: _write_xlsx,
    ExportFormat.PARQUET: _write_parquet}


def _export_status(database: Database, export_id: uuid.UUID) -> str:
    return perform_export(database, export_id).status


# Spawned per request, never queued; ``serve`` removes expired files and fails dead exports.
WORK = WorkKind(WorkName.EXPORT, execute=_export_status, reap_stale=remove_expired)
