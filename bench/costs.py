"""The Costs report and ``python -m core costs summary`` over 1,000,000 ledger rows of one user.

    .venv/bin/python bench/costs.py                        # a fresh SQLite file
    .venv/bin/python bench/costs.py --url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/costs.py --filled URL [--project DIR]   # time an already filled one

Writes 1,000,000 ledger rows (requests, bytes, browser seconds, model tokens; spread over the
current month's days and a few jobs) through ``core.ledger.record`` — which keeps the daily
summaries — then times, cold (a new process for the CLI, a new engine for the report): the
month's report (what the Costs page renders first) and ``costs summary --by model``.
Anchor: under 0.5 s each (issue 11).

The command runs ``--repeat`` times (after one untimed run that leaves the bytecode caches an
installed copy has); it prints the fastest and the median wall time and the least CPU time
(user + system) of one run, as the machine may be shared. ``--filled URL`` skips the writing
and times a database this bench filled before (its URL is printed); ``--project DIR`` times
the command of another checkout (a "before") on the same data.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from crawl import app_env  # noqa: E402  (the environment of a measured ScrapeDeck process)

ANCHOR_SECONDS = 0.5


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--filled", default="", metavar="URL",
                        help="a database this bench filled before: time it, write nothing")
    parser.add_argument("--project", type=Path, default=ROOT,
                        help="the checkout whose `python -m core` is timed (default: this one)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.filled:
        return _time(args.filled, args.project.resolve(), args.repeat)
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/costs.db"
    if args.url:  # a fresh database on that server
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url
        name = f"bench_costs_{uuid.uuid4().hex[:6]}"
        admin = create_engine(make_url(args.url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
    os.environ.update(DATABASE_URL=url, ADMIN_EMAIL="bench@example.com",
                      ADMIN_PASSWORD="correct-horse-1")
    from core import costs, ledger
    from core.accounts.users import get_active_actor
    from core.ledger import Charge, CostKind, Owner
    from core.platform.database import open_database
    from core.platform.settings import get_settings

    get_settings.cache_clear()
    subprocess.run([sys.executable, "-m", "core", "init"], cwd=ROOT, check=True,
                   capture_output=True)
    database = open_database(url, migrate=False)
    with database.transaction() as session:
        actor = get_active_actor(session, "bench@example.com")
    assert actor is not None
    now = datetime.now(timezone.utc)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    span = max((now - start).total_seconds(), 3600.0)
    charges = [Charge(CostKind.REQUESTS, 1), Charge(CostKind.BYTES_FETCHED, 20_000),
               Charge(CostKind.BROWSER_SECONDS, 1.5),
               *ledger.model_charges("OpenAI", "gpt-4o-mini", 1_200, 300),
               *ledger.model_charges("Local", "llama3", 800, 100)]
    per_call, written, began = 2_000, 0, time.perf_counter()
    calls = args.rows // per_call
    for call in range(calls):
        batch = [charges[i % len(charges)] for i in range(per_call)]
        at = start + timedelta(seconds=span * call / calls)
        with database.transaction() as session:
            written += ledger.record(session, Owner(actor.id), batch, at=at)
    write_seconds = time.perf_counter() - began
    database.dispose()
    print(f"wrote {written:,} ledger rows through core.ledger.record in {write_seconds:.1f} s "
          f"({written / write_seconds:,.0f} rows/s)")

    print(f"filled database (for --filled): {url}")
    return _time(url, args.project.resolve(), args.repeat)


def _time(url: str, project: Path, repeat: int) -> int:
    from core import costs
    from core.accounts.users import get_active_actor
    from core.platform.database import open_database

    os.environ.update(DATABASE_URL=url, ADMIN_EMAIL="bench@example.com",
                      ADMIN_PASSWORD="correct-horse-1")
    database = open_database(url, migrate=False)
    with database.transaction() as session:
        actor = get_active_actor(session, "bench@example.com")
    database.dispose()
    assert actor is not None, "not a database this bench filled"
    fresh = open_database(url, migrate=False)
    began = time.perf_counter()
    with fresh.transaction() as session:
        found = costs.report(session, actor, costs.Period.MONTH)
    report_seconds = time.perf_counter() - began
    fresh.dispose()
    print(f"Costs report, month, cold: {report_seconds:.3f} s  (anchor < {ANCHOR_SECONDS} s)  "
          f"total ${found.total_usd:,.4f}, {found.unpriced_rows:,} unpriced rows")
    command = [sys.executable, "-m", "core", "--user", "bench@example.com", "costs", "summary",
               "--period", "month", "--by", "model"]
    env = app_env()
    walls, cpus = [], []
    for attempt in range(repeat + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        done = subprocess.run(command, cwd=project, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        assert done.returncode == 0, done.stderr
        if attempt:  # the first run writes the bytecode caches
            walls.append(wall)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    cli_seconds = min(walls)
    print(f"`costs summary --by model`, new process ({project}), {repeat} runs: wall "
          f"{cli_seconds:.3f} s fastest, {statistics.median(walls):.3f} s median; CPU "
          f"{min(cpus):.3f} s least  (anchor < {ANCHOR_SECONDS} s; includes Python start-up)")
    return 0 if max(report_seconds, cli_seconds) < ANCHOR_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
