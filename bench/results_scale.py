"""The results path at scale, each ScrapeDeck figure beside its anchor, measured in one invocation
on SQLite and on PostgreSQL (issue 16's goals).

    .venv/bin/python bench/results_scale.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/results_scale.py --only sqlite --rows 200000   # a quicker look
    .venv/bin/python bench/results_scale.py --part ingest                 # one part only

Three parts, each on fresh databases (a temporary SQLite file; a new PostgreSQL database on the
``--pg`` server, dropped at the end):

1. **ingest** — results rows/s through the run's own store path: ``--ingest`` product-like records
   (seven fields, strict JSON Schema) go through ``RunExecution._store`` (validate, hash, dedupe,
   the row) and ``RunExecution._flush`` (one transaction per ``FLUSH_AT_RESULTS`` rows: results,
   counters, heartbeat, cancel check), as a run's flusher writes them: one after the other, and
   (second line) overlapped as in a run, the flusher's thread writing a batch while the crawl
   stores the next (up to ``MAX_PENDING_RESULTS`` unwritten). Anchor: the same number of
   rows, already built as tuples, written in batches of the same size by the bare driver —
   ``executemany`` on SQLite, ``COPY`` on PostgreSQL — into the same table with the same indexes.
   Goal: ≥ 15k rows/s on SQLite, ≥ 30k rows/s on PostgreSQL. A third line repeats the
   ScrapeDeck figure with an index on each of the seven fields (core/scraping/field_indexes.py, as
   if each had been sorted by): their write cost. PostgreSQL's search indexes (pg_trgm, migration
   0024) are part of the schema, so in every line there; since migration 0026 the flush writes
   its rows outside them (``search_pending``, as the anchor does) and the run indexes them when
   its flusher is idle and at its end: ScrapeDeck's note times that indexing apart, and gives
   the rate of both together. More lines: the anchor writing the rows into the search indexes
   (the write before 0026), then the anchor and ScrapeDeck with the search indexes dropped
   (as before 0024): their write cost.
2. **query** — a run of ``--rows`` results (bulk-filled as in bench/results_page.py): sorts by data
   fields, field filters and a search through ``results.query_results`` (what the Results page
   calls). The first call is shown apart (it builds the field's index when the query needs one:
   once per field name and database), then the best of three, and this process's CPU seconds
   (all of the work on SQLite; the client's share on PostgreSQL). Goal: each < 0.5 s.
3. **export** — CSV and Parquet of that run, each in its own process as the CLI writes them:
   wall seconds (best of two), that process's CPU seconds, peak RSS (VmHWM) and file size. Goal: ≤ 10 s and ≤ 300 MB each.

The machine is shared: figures move with its load; the anchors are measured in the same
invocation so the ratios hold.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "bench"))

import psycopg  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import results_page as page_bench  # noqa: E402
from crawl import PACKAGE, SCHEMA, bench_owner  # noqa: E402  (the same product job as the crawl bench)
from core.platform.database import Database, open_database  # noqa: E402
from core.scrape.extract import ExtractedRecord  # noqa: E402
from core.scraping import field_indexes, results, runner  # noqa: E402
from core.scraping.results import FieldFilter, ResultQuery  # noqa: E402
from db.models import Run, ScrapingJob  # noqa: E402

GOALS = {"ingest": {"sqlite": 15_000, "postgresql": 30_000}, "query": 0.5, "export_s": 10.0,
         "export_mb": 300}
COLUMNS = ("id", "run_id", "job_id", "data", "source_url", "content_hash", "confidence_score",
           "created_at")


# --- Part 1: ingestion ---------------------------------------------------------------------------

def records(count: int, seed: int = 11) -> list[tuple[ExtractedRecord, str]]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        data = {"name": f"Product {i} {rng.choice(['Lamp', 'Kettle', 'Drill'])}",
                "price": round(rng.uniform(1, 900), 2), "currency": "USD",
                "rating": round(rng.uniform(1, 5), 1),
                "url": f"https://shop.example/p/{i}", "image": f"https://shop.example/i/{i}.jpg",
                "sku": f"SKU-{i:07d}"}
        out.append((ExtractedRecord(data=data, found={k: True for k in PACKAGE["fields"]}),
                    f"https://shop.example/list/{i // 10 + 1}.html"))
    return out


def seed_job(database: Database) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """A user, a strict schema, a job with the package and a running run: (user, job, run)."""
    with database.transaction() as session:
        user, schema = bench_owner(session, "product", SCHEMA)
        job = ScrapingJob(user_id=user.id, name="bench", target_url="https://shop.example/",
                          target_urls=["https://shop.example/"], config_package=PACKAGE,
                          extractor_schema_id=schema.id)
        session.add(job)
        session.flush()
        run = Run(job_id=job.id, user_id=user.id, status="running",
                  idempotency_key=f"bench-{uuid.uuid4()}")
        session.add(run)
        session.flush()
        return user.id, job.id, run.id


def ingest_scrapedeck(url: str, items: list[tuple[ExtractedRecord, str]],
                      overlapped: bool = False) -> tuple[float, str]:
    """rows/s through the run's store and flush; the note splits the time. One after the other,
    or ``overlapped`` as in a run: the flusher's thread writes a batch while the crawl stores
    the next ones, pausing at ``MAX_PENDING_RESULTS`` unwritten (store then counts that wait)."""
    database = open_database(url)
    _, _, run_id = seed_job(database)
    with database.transaction() as session:
        plan = runner.load_plan(session, session.get_one(Run, run_id))
    execution = runner.RunExecution(database, plan)
    store_s = flush_s = 0.0
    flusher = ThreadPoolExecutor(1) if overlapped else None
    writing: Future[bool] | None = None
    cpu = time.process_time()
    began = time.perf_counter()
    for record, source in items:
        t = time.perf_counter()
        execution._store(record, source)
        store_s += time.perf_counter() - t
        waiting = len(execution.pending.results)
        if waiting < runner.FLUSH_AT_RESULTS:
            continue
        if flusher is None:
            t = time.perf_counter()
            execution._flush(*execution._take())
            flush_s += time.perf_counter() - t
            continue
        if writing is not None and not writing.done():
            if waiting < runner.MAX_PENDING_RESULTS:
                continue  # the crawl goes on while the flusher writes
            t = time.perf_counter()
            writing.result()  # the workers pause until the flusher has caught up
            store_s += time.perf_counter() - t
        writing = flusher.submit(execution._flush, *execution._take())
    t = time.perf_counter()
    if writing is not None:
        writing.result()
        flusher.shutdown()  # type: ignore[union-attr]
    execution._flush(*execution._take())
    flush_s += time.perf_counter() - t
    elapsed = time.perf_counter() - began
    cpu = time.process_time() - cpu
    stored = execution.items_stored
    # PostgreSQL: the rows went in outside the search indexes (migration 0026); the run puts
    # them in when its flusher is idle and at its end. Timed apart: the trade.
    t = time.perf_counter()
    indexed = execution.index_for_search()
    index_s = time.perf_counter() - t
    database.dispose()
    assert stored == len(items), (stored, len(items))
    note = (f"store {store_s:.1f} s + {'last ' if overlapped else ''}flush {flush_s:.1f} s; "
            f"this process's CPU {cpu:.1f} s ({stored / cpu:,.0f} rows per CPU s)")
    if indexed:
        assert indexed == stored, (indexed, stored)
        note += (f"; then search indexing at the run's end {index_s:.1f} s: "
                 f"{stored / (elapsed + index_s):,.0f} rows/s both together")
    return stored / elapsed, note


def anchor_rows(items: list[tuple[ExtractedRecord, str]], run_id: uuid.UUID,
                job_id: uuid.UUID) -> list[tuple[Any, ...]]:
    now = datetime.now(timezone.utc)
    return [(uuid.uuid4(), run_id, job_id, json.dumps(record.data), source,
             hashlib.sha256(json.dumps(record.data, sort_keys=True).encode()).hexdigest(),
             1.0, now + timedelta(microseconds=n)) for n, (record, source) in enumerate(items)]


def ingest_anchor(kind: str, url: str, items: list[tuple[ExtractedRecord, str]],
                  pending: bool = True) -> tuple[float, str]:
    """The bare driver writing the same rows (built beforehand) in batches of the same size.
    PostgreSQL: outside the search indexes as the run's flush writes them (``search_pending``),
    or into them when not ``pending`` (the write before migration 0026)."""
    database = open_database(url)
    _, job_id, run_id = seed_job(database)
    database.dispose()
    rows = anchor_rows(items, run_id, job_id)
    batch = runner.FLUSH_AT_RESULTS
    if kind == "sqlite":
        sql_rows = [(r[0].hex, r[1].hex, r[2].hex, *r[3:7],
                     r[7].replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")) for r in rows]
        conn = sqlite3.connect(str(make_url(url).database))
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        sql = f"INSERT INTO results ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * 8)})"
        cpu = time.process_time()
        began = time.perf_counter()
        for start in range(0, len(sql_rows), batch):
            conn.executemany(sql, sql_rows[start:start + batch])
            conn.commit()
        elapsed = time.perf_counter() - began
        cpu = time.process_time() - cpu
        conn.close()
        return len(rows) / elapsed, (f"executemany of tuples, a commit per batch; CPU {cpu:.1f} s "
                                     f"({len(rows) / cpu:,.0f} rows per CPU s)")
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        cpu = time.process_time()
        began = time.perf_counter()
        for start in range(0, len(rows), batch):
            with conn.cursor() as cur, cur.copy(
                    f"COPY results ({', '.join(COLUMNS)}, search_pending) FROM STDIN") as copy:
                for row in rows[start:start + batch]:
                    copy.write_row((*row, pending))
            conn.commit()
        elapsed = time.perf_counter() - began
        cpu = time.process_time() - cpu
    return len(rows) / elapsed, (f"COPY of tuples, a commit per batch; CPU {cpu:.1f} s "
                                 f"({len(rows) / cpu:,.0f} rows per CPU s)")


def with_field_indexes(url: str) -> str:
    """The database at ``url`` with an index on each of the package's fields, as if each had
    been sorted by on the Results page (core/scraping/field_indexes.py): their write cost."""
    open_database(url).dispose()  # the schema first
    engine = create_engine(url)
    with engine.begin() as conn:
        for key in PACKAGE["fields"]:
            conn.exec_driver_sql(field_indexes.index_ddl(engine.dialect.name, key))
    engine.dispose()
    return url


SEARCH_INDEXES = ("ix_results_data_trgm", "ix_results_source_url_trgm")  # PostgreSQL, 0024


def without_search_indexes(url: str) -> str:
    """The database at ``url`` as before migration 0024 (no trigram indexes): their write cost."""
    open_database(url).dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        for name in SEARCH_INDEXES:
            conn.exec_driver_sql(f"DROP INDEX {name}")
    engine.dispose()
    return url


def part_ingest(kind: str, server: str | None, count: int, workdir: Path) -> list[Line]:
    items = records(count)
    fields = len(PACKAGE["fields"])
    cases: list[tuple[str, Any]] = [
        ("anchor", lambda u: ingest_anchor(kind, u, items)),
        ("ScrapeDeck store + flush", lambda u: ingest_scrapedeck(u, items)),
        ("  same, flushing as a run does", lambda u: ingest_scrapedeck(u, items, True)),
        (f"  same, {fields} field indexes", lambda u: ingest_scrapedeck(
            with_field_indexes(u), items))]
    if kind == "postgresql":
        cases += [("  anchor, into the search indexes", lambda u: ingest_anchor(
                      kind, u, items, pending=False)),
                  ("  anchor, no search indexes", lambda u: ingest_anchor(
                      kind, without_search_indexes(u), items)),
                  ("  ScrapeDeck, no search indexes", lambda u: ingest_scrapedeck(
                      without_search_indexes(u), items))]
    lines = []
    for n, (label, measure) in enumerate(cases):
        sub = workdir / f"ingest{n}"
        sub.mkdir()
        with page_bench.fresh_database(kind, server, sub) as url:
            rate, note = measure(url)
        lines.append((label, rate, note))
    goal = GOALS["ingest"][kind]
    verdicts = ["MET" if line[1] >= goal else "not met" for line in lines[1:3]]
    lines.append(("goal", goal, f"ScrapeDeck / anchor = {lines[1][1] / lines[0][1]:.2f}, "
                                f"{lines[2][1] / lines[0][1]:.2f} overlapped; one after the "
                                f"other {verdicts[0]}, overlapped as in a run {verdicts[1]}"))
    return lines


# --- Parts 2 and 3: a million results --------------------------------------------------------

def part_query_export(kind: str, server: str | None, rows: int, workdir: Path,
                      parts: set[str]) -> tuple[list[Line], list[Line]]:
    with page_bench.fresh_database(kind, server, workdir) as url:
        database = open_database(url)
        actor, job_id, run_id = page_bench.seed_run(database, rows)
        began = time.perf_counter()
        if kind == "sqlite":
            page_bench.fill_sqlite(str(make_url(url).database),
                                   page_bench.items(run_id, job_id, rows))
        else:
            page_bench.fill_postgres(url, page_bench.items(run_id, job_id, rows))
        print(f"  ({rows:,} results filled in {time.perf_counter() - began:.1f} s)", flush=True)
        queries: list[Line] = []
        if "query" in parts:
            def call(q: ResultQuery) -> Any:
                def action() -> Any:
                    with database.transaction() as session:
                        return results.query_results(session, actor, q)
                return action

            for label, q in (
                    ("sort by price (data field)", ResultQuery(run_id=run_id, sort="price")),
                    ("sort by price, page 2,000", ResultQuery(run_id=run_id, sort="price",
                                                             page=2000)),
                    ("sort by brand, ascending", ResultQuery(run_id=run_id, sort="brand",
                                                             descending=False)),
                    ("filter brand = Acme", ResultQuery(run_id=run_id, filters=(
                        FieldFilter("brand", "Acme", exact=True),))),
                    ("filter brand contains 'cm'", ResultQuery(run_id=run_id, filters=(
                        FieldFilter("brand", "cm"),))),
                    ("search 'Product 4242'", ResultQuery(run_id=run_id,
                                                          search="Product 4242"))):
                # The first call builds the field's index when the query needs one it lacks
                # (core/scraping/field_indexes.py): shown apart, then the best of three.
                first_cpu = time.process_time()
                first = time.perf_counter()
                call(q)()
                first = time.perf_counter() - first
                first_cpu = time.process_time() - first_cpu
                cpu = time.process_time()
                seconds, outcome = page_bench.timed(call(q))
                cpu = (time.process_time() - cpu) / 3
                verdict = "MET" if seconds < GOALS["query"] else "not met"
                queries.append((label, seconds,
                                f"{page_bench.describe(outcome)}; first call {first:.2f} s "
                                f"(CPU here {first_cpu:.2f} s); CPU here {cpu:.3f} s per call; "
                                f"goal < 0.5 s: {verdict}"))
        exported: list[Line] = []
        if "export" in parts:
            # Best of two runs per format (the machine is shared), with that run's CPU.
            tries = [page_bench.export_timings(url, actor, run_id, workdir) for _ in range(2)]
            for label, seconds, note in (min(same, key=lambda line: line[1])
                                         for same in zip(*tries)):
                peak = float(note.split("peak RSS ")[1].split(" MB")[0])
                verdict = ("MET" if seconds <= GOALS["export_s"] and peak <= GOALS["export_mb"]
                           else "not met")
                exported.append((label, seconds, f"{note}; goal ≤ 10 s, ≤ 300 MB: {verdict}"))
        database.dispose()
    return queries, exported


Line = tuple[str, float, str]


def report(title: str, unit: str, lines: list[Line]) -> None:
    print(f"{title:<36} {unit:>10}  notes")
    for label, value, note in lines:
        shown = f"{value:>10,.0f}" if unit == "rows/s" else f"{value:>10.3f}"
        print(f"  {label:<34} {shown}  {note}")
    print(flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="results for query/export")
    parser.add_argument("--ingest", type=int, default=100_000, help="records for ingestion")
    parser.add_argument("--pg", metavar="URL", default=os.environ.get("TEST_DATABASE_URL"),
                        help="PostgreSQL server URL (default: TEST_DATABASE_URL)")
    parser.add_argument("--db-prefix", default=page_bench.DB_PREFIX,
                        help="name prefix of the throw-away PostgreSQL databases")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--part", action="append", choices=("ingest", "query", "export"))
    args = parser.parse_args()
    parts = set(args.part or ("ingest", "query", "export"))
    page_bench.DB_PREFIX = args.db_prefix
    for kind in [k for k in ("sqlite", "postgresql") if args.only in (None, k)]:
        if kind == "postgresql" and not args.pg:
            print("PostgreSQL skipped: give --pg URL or set TEST_DATABASE_URL.")
            continue
        print(f"## {kind}", flush=True)
        with tempfile.TemporaryDirectory(prefix="scrapedeck-scale-") as tmp:
            if "ingest" in parts:
                report(f"Ingestion ({args.ingest:,} rows)", "rows/s",
                       part_ingest(kind, args.pg, args.ingest, Path(tmp)))
            if parts & {"query", "export"}:
                queries, exported = part_query_export(kind, args.pg, args.rows, Path(tmp), parts)
                if queries:
                    report(f"Queries on {args.rows:,} (best of 3)", "seconds", queries)
                if exported:
                    report(f"Exports of {args.rows:,} (own process)", "seconds", exported)


if __name__ == "__main__":
    main()
