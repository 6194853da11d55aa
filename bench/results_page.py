"""Results page and exports at scale: a run of 1,000,000 results.

    .venv/bin/python bench/results_page.py                 # SQLite, and PostgreSQL when
                                                           # TEST_DATABASE_URL is set
    .venv/bin/python bench/results_page.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/results_page.py --rows 100000   # a quicker look

For each database: a fresh database (a temporary SQLite file; a new PostgreSQL database on the
given server, dropped at the end) is filled with one run of ``--rows`` results by bulk insert
(``executemany`` on SQLite, ``COPY`` on PostgreSQL). Then it prints

- the service calls behind the page, one by one (count, page 1, a deep page, sort by a data field,
  search, filter, fill rates, items per page, the run picker);
- the Results page through AppTest: first render, page change (page 2 and the last page);
- CSV and Parquet exports, each in its own process (the CLI's code path): time and peak RSS
  (the child's high-water mark, VmHWM in /proc/self/status; Linux).

Targets (issue 3): under 1 s per render; exports under 500 MB peak RSS.

``--requested-indexes`` adds, after the fill, the optional extras in REQUESTED_INDEXES (the paging
indexes are part of the schema since migration 0003), to show the figures with and without them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import psycopg  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from core.scraping import results  # noqa: E402
from core.platform.access import Actor  # noqa: E402
from core.platform.database import Database, open_database  # noqa: E402
from core.accounts.passwords import hash_password  # noqa: E402
from core.scraping.results import FieldFilter, ResultQuery  # noqa: E402
from core.platform.settings import get_settings  # noqa: E402
from core.accounts.users import actor_of  # noqa: E402
from db.models import Run, ScrapingJob, User  # noqa: E402

EMAIL, PASSWORD = "bench@example.com", "bench-password-1"
ITEMS_PER_PAGE = 20
BATCH = 20_000
BRANDS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell"]
COLUMNS = ("id", "run_id", "job_id", "data", "source_url", "content_hash", "confidence_score",
           "created_at")
Row = tuple[uuid.UUID, uuid.UUID, uuid.UUID, str, str, str, float, datetime]
# Name of the throw-away PostgreSQL databases: this prefix and a random suffix (``--db-prefix``
# of bench/results_scale.py, for a server where a bench may only create databases of one name).
DB_PREFIX = "scrapedeck_bench_"
# The paging indexes first measured here now ship with migration 0003; what is left is optional.
REQUESTED_INDEXES = {
    "sqlite": [# Items per page as a covering scan. SQLite only: a PostgreSQL B-tree refuses
               # entries over ~2.7 kB, and a long URL would then fail the worker's insert.
               "CREATE INDEX ix_results_run_id_source_url ON results (run_id, source_url)",
               "ANALYZE"],
    "postgresql": ["VACUUM ANALYZE results"],
}


def items(run_id: uuid.UUID, job_id: uuid.UUID, count: int) -> Iterator[Row]:
    """Product-like items, 20 per catalog page, with optional and nested fields."""
    rng = random.Random(7)
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    for i in range(count):
        data: dict[str, Any] = {
            "name": f"Product {i}", "price": round(rng.uniform(1, 500), 2),
            "rating": round(rng.uniform(1, 5), 1), "in_stock": rng.random() < 0.8,
            "sku": f"SKU-{i:07d}", "image": f"https://shop.example/img/{i}.jpg",
            "specs": {"color": rng.choice(["red", "blue", "green"]),
                      "weight_kg": round(rng.uniform(0.1, 20), 2)},
            "tags": rng.sample(["new", "sale", "eco", "gift"], k=rng.randint(0, 2)),
        }
        if rng.random() < 0.7:
            data["brand"] = rng.choice(BRANDS)
        yield (uuid.uuid4(), run_id, job_id, json.dumps(data),
               f"https://shop.example/catalog?page={i // ITEMS_PER_PAGE + 1}",
               hashlib.sha256(str(i).encode()).hexdigest(), round(rng.uniform(0.5, 1.0), 3),
               start + timedelta(milliseconds=50 * i))


def batches(rows: Iterator[Row]) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def fill_sqlite(path: str, rows: Iterator[Row]) -> None:
    """executemany with the values as SQLAlchemy stores them on SQLite (hex UUIDs, naive UTC)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")  # a throw-away database: no need to wait for the disk
    conn.execute("PRAGMA cache_size=-1000000")
    sql = f"INSERT INTO results ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    for batch in batches(rows):
        conn.executemany(sql, [(r[0].hex, r[1].hex, r[2].hex, r[3], r[4], r[5], r[6],
                                r[7].strftime("%Y-%m-%d %H:%M:%S.%f")) for r in batch])
        conn.commit()
    conn.execute("ANALYZE")
    conn.close()


def fill_postgres(url: str, rows: Iterator[Row]) -> None:
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        copy_sql = f"COPY results ({', '.join(COLUMNS)}) FROM STDIN"
        with conn.cursor() as cur, cur.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
        conn.execute("VACUUM ANALYZE results")


def seed_run(database: Database, rows: int) -> tuple[Actor, uuid.UUID, uuid.UUID]:
    with database.transaction() as session:
        user = User(email=EMAIL, name="Bench", role="analyst",
                    password_hash=hash_password(PASSWORD))
        session.add(user)
        session.flush()
        job = ScrapingJob(user_id=user.id, name="Catalog (bench)",
                          target_url="https://shop.example")
        session.add(job)
        session.flush()
        run = Run(job_id=job.id, user_id=user.id, status="completed", items_extracted=rows,
                  idempotency_key=f"bench-{uuid.uuid4()}")
        session.add(run)
        session.flush()
        return actor_of(user), job.id, run.id


@contextmanager
def fresh_database(kind: str, server_url: str | None, workdir: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    admin_url = make_url(server_url)
    name = f"{DB_PREFIX}{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def timed(action: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Best of ``repeat`` wall times (seconds) and the last outcome."""
    best, outcome = float("inf"), None
    for _ in range(repeat):
        began = time.perf_counter()
        outcome = action()
        best = min(best, time.perf_counter() - began)
    return best, outcome


def service_timings(database: Database, actor: Actor, job_id: uuid.UUID, run_id: uuid.UUID,
                    rows: int) -> list[tuple[str, float, str]]:
    def call(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
        def action() -> Any:
            with database.transaction() as session:
                return fn(session, actor, *args)
        return action

    last = max(1, -(-rows // 50))
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("page 1 (newest first)", call(results.query_results, ResultQuery(run_id=run_id))),
        ("page 2", call(results.query_results, ResultQuery(run_id=run_id, page=2))),
        ("last page", call(results.query_results, ResultQuery(run_id=run_id, page=last))),
        ("confidence >= 0.9", call(results.query_results,
                                   ResultQuery(run_id=run_id, min_confidence=0.9))),
        ("sort by confidence", call(results.query_results,
                                    ResultQuery(run_id=run_id, sort=results.CONFIDENCE))),
        ("sort by price (data field)", call(results.query_results,
                                            ResultQuery(run_id=run_id, sort="price"))),
        ("search 'Product 4242'", call(results.query_results,
                                       ResultQuery(run_id=run_id, search="Product 4242"))),
        ("filter brand = Acme", call(results.query_results, ResultQuery(
            run_id=run_id, filters=(FieldFilter("brand", "Acme", exact=True),)))),
        ("all runs of the job, page 1", call(results.query_results, ResultQuery(job_id=job_id))),
        ("fill rates (latest 10,000)", call(results.field_fill_rates, run_id)),
        ("items per page", call(results.items_per_page, run_id)),
        ("run picker", lambda: call_picker(database, actor)),
    ]
    out = []
    for label, action in cases:
        seconds, outcome = timed(action)
        out.append((label, seconds, describe(outcome)))
    return out


def call_picker(database: Database, actor: Actor) -> Any:
    with database.transaction() as session:
        return results.runs_for_picker(session, actor)


def describe(outcome: Any) -> str:
    if isinstance(outcome, results.ResultsPage):
        return f"{outcome.total:,} matching, page {outcome.page}/{outcome.pages:,}"
    if isinstance(outcome, results.FillRates):
        return f"{len(outcome.frame)} fields from {outcome.sampled:,} results"
    return f"{len(outcome):,} rows"


def signed_in() -> Any:
    """A new browser session of the app, signed in as the run's owner."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120).run()
    at.text_input(key="signin_email").input(EMAIL)
    at.text_input(key="signin_password").input(PASSWORD)
    return at.button[0].click().run()


def page_timings(url: str, workdir: Path) -> list[tuple[str, float, str]]:
    """The Results page through AppTest. The first session pays for importing the page's modules
    (altair, openpyxl…) once per server process; the figures that follow are a new session's."""
    os.environ.update(DATABASE_URL=url, SCRAPEDECK_DATA_DIR=str(workdir / "data"),
                      ADMIN_EMAIL="admin@example.com", ADMIN_PASSWORD=PASSWORD,
                      AUTH_COOKIE_KEY="bench-cookie-key-of-at-least-32-bytes!",
                      APP_STARTS_WORKER="0")  # measure the page, not a background worker
    get_settings.cache_clear()
    at = signed_in()

    def step(label: str, change: Callable[[], Any]) -> tuple[str, float, str]:
        began = time.perf_counter()
        change()
        seconds = time.perf_counter() - began
        assert not at.exception, at.exception
        return label, seconds, at.caption[0].value if at.caption else ""

    def tab(label: str) -> Callable[[], Any]:
        def open_tab() -> Any:
            at.session_state["results_tab"] = label
            return at.run()
        return open_tab

    cold = step("first render, new process", lambda: at.switch_page("pages/results.py").run())
    at = signed_in()
    page_number = lambda: at.number_input(key="results_page")  # noqa: E731
    return [
        cold,
        step("first render", lambda: at.switch_page("pages/results.py").run()),
        step("rerun, same page", lambda: at.run()),
        step("page change → 2", lambda: page_number().set_value(2).run()),
        step("page change → last", lambda: page_number().set_value(page_number().max).run()),
        step("Charts tab", tab("Charts")),
        step("Exports tab", tab("Exports")),
    ]


# Peak RSS is the child's VmHWM: ru_maxrss would also count the parent's memory at fork time.
CHILD = """
import re, sys, time
from pathlib import Path
from core.platform.access import Actor
from core.platform.database import open_database
from core.scraping.exports import export_run_to_path
url, run_id, fmt, out, user_id = sys.argv[1:]
database = open_database(url, migrate=False)
actor = Actor(id=__import__("uuid").UUID(user_id), email="", name="", role="analyst")
began, cpu = time.perf_counter(), time.process_time()
summary = export_run_to_path(database, actor, run_id, fmt, out)
wall, cpu = time.perf_counter() - began, time.process_time() - cpu
peak_kb = re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1)
print(wall, peak_kb, summary.row_count, summary.size_bytes, cpu)
"""


def export_timings(url: str, actor: Actor, run_id: uuid.UUID,
                   workdir: Path) -> list[tuple[str, float, str]]:
    out = []
    for fmt in ("csv", "parquet"):
        target = workdir / f"bench.{fmt}"
        done = subprocess.run(
            [sys.executable, "-c", CHILD, url, str(run_id), fmt, str(target), str(actor.id)],
            cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
        seconds, rss_kb, rows, size, cpu = done.stdout.split()
        out.append((f"export {fmt}", float(seconds),
                    f"wall; CPU {float(cpu):.1f} s (the exporting process); peak RSS "
                    f"{int(rss_kb) / 1024:.0f} MB, {int(rows):,} rows, "
                    f"{int(size) / 1e6:.0f} MB file"))
        target.unlink()
    return out


def add_requested_indexes(kind: str, url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in REQUESTED_INDEXES[kind]:
            conn.execute(text(statement))
    engine.dispose()


def bench(kind: str, server_url: str | None, rows: int, indexes: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="scrapedeck-bench-") as tmp, \
            fresh_database(kind, server_url, Path(tmp)) as url:
        workdir = Path(tmp)
        database = open_database(url)
        actor, job_id, run_id = seed_run(database, rows)
        began = time.perf_counter()
        if kind == "sqlite":
            fill_sqlite(str(make_url(url).database), items(run_id, job_id, rows))
        else:
            fill_postgres(url, items(run_id, job_id, rows))
        print(f"\n## {kind}: {rows:,} results inserted in {time.perf_counter() - began:.1f} s")
        if indexes:
            began = time.perf_counter()
            add_requested_indexes(kind, url)
            print(f"requested indexes built in {time.perf_counter() - began:.1f} s")
        print()
        report("Service calls (best of 3)", service_timings(database, actor, job_id, run_id, rows))
        report("Results page (AppTest)", page_timings(url, workdir))
        report("Exports (own process each)", export_timings(url, actor, run_id, workdir))
        database.dispose()


def report(title: str, lines: list[tuple[str, float, str]]) -> None:
    print(f"{title:<32} {'seconds':>8}  notes")
    for label, seconds, note in lines:
        print(f"  {label:<30} {seconds:>8.3f}  {note}")
    print(flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg", metavar="URL", default=os.environ.get("TEST_DATABASE_URL"),
                        help="PostgreSQL server URL (default: TEST_DATABASE_URL)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--requested-indexes", action="store_true",
                        help="add the indexes asked of the lead before measuring")
    args = parser.parse_args()
    kinds = [k for k in ("sqlite", "postgresql") if args.only in (None, k)]
    for kind in kinds:
        if kind == "postgresql" and not args.pg:
            print("PostgreSQL skipped: give --pg URL or set TEST_DATABASE_URL.")
            continue
        bench(kind, args.pg, args.rows, args.requested_indexes)


if __name__ == "__main__":
    main()
