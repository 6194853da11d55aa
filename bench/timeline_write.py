"""What writing a run's events through ``core.timeline`` costs, next to a plain executemany.

    .venv/bin/python bench/timeline_write.py              # 2,000 events, SQLite in a temp folder
    .venv/bin/python bench/timeline_write.py --events 15000 --database-url postgresql+psycopg://…

The run executor's flusher used to insert ``run_events`` rows as dicts with one executemany (the
baseline here, into a scratch table of the same columns); it
now builds typed events and calls ``timeline.record_many`` (one executemany too, plus the node
states: one SELECT and a few UPDATEs per flush). Anchor (issue 11): recording must add no more
than 5 % to a crawl's time — ``bench/crawl.py`` crawls 2,000 pages in about 17–25 s wall and
6 s CPU here, so the figure to compare is the extra milliseconds per 2,000 events.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Column, MetaData, String, Table, Uuid, insert  # noqa: E402

from core import ledger, timeline  # noqa: E402
from core.platform.database import open_database  # noqa: E402
from core.timeline import WorkflowRef  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import Run, ScrapingJob, User  # noqa: E402
from db.types import JSONDocument, UTCDateTime, utcnow  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    upgrade(url)
    database = open_database(url, migrate=False)
    with database.transaction() as session:
        user = User(email=f"bench-{uuid.uuid4().hex[:6]}@example.com", name="bench",
                    role="analyst", password_hash="x")
        session.add(user)
        session.flush()
        job = ScrapingJob(user_id=user.id, name="bench", target_url="https://shop.test/",
                          target_urls=[], pagination_type="none", pagination={},
                          config_package={}, options={})
        session.add(job)
        session.flush()
        run = Run(job_id=job.id, user_id=user.id, status="running", target_urls=[],
                  idempotency_key=uuid.uuid4().hex)
        session.add(run)
        session.flush()
        run_id, user_id, job_id = run.id, user.id, job.id

    # The baseline writes the same rows to a table of the same columns (without the foreign keys
    # and checks): only core.timeline writes run_events, a bench included.
    scratch = Table("bench_run_events", MetaData(), Column("id", Uuid, primary_key=True),
                    Column("run_id", Uuid), Column("event_type", String(40)),
                    Column("node_id", String(60)), Column("payload", JSONDocument),
                    Column("occurred_at", UTCDateTime))
    with database.transaction() as session:
        scratch.create(session.connection(), checkfirst=True)

    def as_rows(session):  # type: ignore[no-untyped-def]
        session.execute(insert(scratch), [
            {"id": uuid.uuid4(), "run_id": run_id, "event_type": "page_fetched",
             "node_id": "fetch", "occurred_at": utcnow(),
             "payload": {"url": f"https://shop.test/{i}", "status": 200, "bytes": 14_000,
                         "seconds": 0.012, "items": 10}} for i in range(args.events)])

    def as_events(session):  # type: ignore[no-untyped-def]
        timeline.record_many(session, WorkflowRef.run(run_id), [
            timeline.PageFetched(node="fetch", url=f"https://shop.test/{i}", status=200,
                                 bytes=14_000, seconds=0.012, items=10, at=utcnow())
            for i in range(args.events)])
        ledger.record(session, ledger.Owner(user_id, run_id=run_id, job_id=job_id),
                      ledger.fetch_charges(args.events, 14_000 * args.events))

    results = {}
    for name, write in (("dict rows, one executemany (before)", as_rows),
                        ("timeline.record_many + ledger.record (now)", as_events)):
        best = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            with database.transaction() as session:
                write(session)
            best = min(best, time.perf_counter() - started)
        results[name] = best
        print(f"{name:<45} {best * 1000:8.1f} ms for {args.events:,} events (best of "
              f"{args.repeat})")
    before, now = results.values()
    print(f"extra: {(now - before) * 1000:.1f} ms per {args.events:,} events "
          f"({(now - before) / args.events * 1e6:.1f} µs per event); anchor: ≤ 5 % of a crawl's "
          f"time (2,000 pages ≈ 17–25 s here, so ≤ 850 ms)")
    database.dispose()


if __name__ == "__main__":
    main()
