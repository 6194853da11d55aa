"""How fast a run's workflow view is built: graph, timeline and the first page of the log.

    .venv/bin/python bench/workflow_graph.py                       # PostgreSQL on 127.0.0.1
    .venv/bin/python bench/workflow_graph.py --server postgresql+psycopg://postgres@127.0.0.1:5432/test

A run of 5,000 pages with 15,000 events (5,000 pages fetched, 3,000 retries, 2,000 failed
pages, 5,000 items that broke the schema), written by ``core.timeline`` in flushes of 500 like
the run executor's, with its ledger rows, into a new database (dropped at the end). Anchors
(issue 12): the graph, the timeline and the first page of the log under 1 s; a live refresh
(the same, while the run is still running) under 0.3 s; and an AppTest render of the Runs page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, make_url, text  # noqa: E402

from core import ledger, timeline  # noqa: E402
from core.accounts.passwords import hash_password  # noqa: E402
from core.platform.access import Actor  # noqa: E402
from core.platform.database import open_database  # noqa: E402
from core.timeline import WorkflowRef  # noqa: E402
from core.timeline import view as wf  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import Run, ScrapingJob, User  # noqa: E402
from db.types import utcnow  # noqa: E402

PASSWORD = "bench-password-1"


def fill(database, pages: int, flush: int = 500) -> tuple[Actor, uuid.UUID]:  # type: ignore[no-untyped-def]
    with database.transaction() as session:
        user = User(email=f"bench-{uuid.uuid4().hex[:6]}@example.com", name="bench",
                    role="analyst", password_hash=hash_password(PASSWORD))
        session.add(user)
        session.flush()
        job = ScrapingJob(user_id=user.id, name="bench", target_url="https://shop.test/",
                          target_urls=[], pagination_type="none", pagination={},
                          config_package={}, options={})
        session.add(job)
        session.flush()
        run = Run(job_id=job.id, user_id=user.id, status="running", target_urls=[],
                  idempotency_key=uuid.uuid4().hex, started_at=utcnow())
        session.add(run)
        session.flush()
        actor = Actor(id=user.id, email=user.email, name=user.name, role=user.role)
        ref = WorkflowRef.run(run.id)
        start = utcnow() - timedelta(seconds=pages * 0.12 + 60)
        timeline.record_many(session, ref, [
            timeline.StateTransition(to="queued", trigger="manual", at=start),
            timeline.Handoff(target=timeline.HandoffTarget.WORKER, worker="bench",
                             at=start + timedelta(seconds=2))])
    owner = ledger.Owner(actor.id, run_id=run.id, job_id=job.id)
    for first in range(0, pages, flush):
        batch: list[timeline.Event] = []
        for i in range(first, min(first + flush, pages)):
            at = start + timedelta(seconds=3 + i * 0.12)
            url = f"https://shop.test/catalog/{i}"
            batch.append(timeline.PageFetched(node="fetch", url=url, status=200, bytes=14_000,
                                              seconds=0.083, items=10, at=at))
            batch.append(timeline.ValidationResult(node="validate", url=url, at=at,
                                                   violations=["price: not a number"],
                                                   data={"name": f"item {i}", "price": "n/a"}))
            if i % 5 < 3:
                batch.append(timeline.Retry(node="fetch", url=url, retries=1, at=at))
            if i % 5 < 2:
                batch.append(timeline.Failure(node="fetch", url=url + "/broken", status=503,
                                              error="HTTP 503", at=at))
        with database.transaction() as session:
            timeline.record_many(session, WorkflowRef.run(run.id), batch)
            ledger.record(session, owner, ledger.fetch_charges(
                requests=len(batch), bytes_fetched=14_000 * flush))
    return actor, run.id


def timed(label: str, action, repeat: int, anchor: float) -> float:  # type: ignore[no-untyped-def]
    action()  # warm up (imports, plans)
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    median = statistics.median(times)
    verdict = "ok" if median < anchor else "OVER"
    print(f"{label:<58} median {median * 1000:7.1f} ms  max {max(times) * 1000:7.1f} ms"
          f"   anchor < {anchor * 1000:.0f} ms  {verdict}")
    return median


def view_once(database, actor: Actor, ref: WorkflowRef) -> None:  # type: ignore[no-untyped-def]
    import plotly.graph_objects as go

    with database.transaction() as session:
        view = wf.workflow_view(session, actor, ref)
        view.dot()
        axis = wf.place(view.bars, compress=True)
        go.Figure(go.Bar(y=[b.label for b, _, _ in axis.bars],
                         base=[s for _, s, _ in axis.bars],
                         x=[e - s for _, s, e in axis.bars], orientation="h")).to_json()
        wf.log_page(session, actor, ref, origin=view.started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=os.environ.get(
        "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-apptest", action="store_true")
    args = parser.parse_args()
    admin_url = make_url(args.server)
    name = f"bench_graph_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        database = open_database(url, migrate=False)
        began = time.perf_counter()
        actor, run_id = fill(database, args.pages)
        ref = WorkflowRef.run(run_id)
        with database.transaction() as session:
            count = session.scalar(text("SELECT count(*) FROM run_events WHERE run_id = :r"),
                                   {"r": run_id})
            session.execute(text("ANALYZE run_events"))
        print(f"a run of {args.pages:,} pages, {count:,} events "
              f"(written in {time.perf_counter() - began:.1f} s)")
        live = timed("live refresh (running): graph + timeline + log page 1",
                     lambda: view_once(database, actor, ref), args.repeat, 0.3)
        with database.transaction() as session:
            timeline.record(session, ref, timeline.Completion(to="completed"))
            session.get(Run, run_id).status = "completed"
        timed("finished run: graph + timeline + log page 1",
              lambda: view_once(database, actor, ref), args.repeat, 1.0)

        def filtered() -> None:
            with database.transaction() as session:
                wf.log_page(session, actor, ref, node="validate", outcomes=["invalid"])
        timed("log page 1 of one step (validate, invalid)", filtered, args.repeat, 0.3)

        def selected() -> None:
            with database.transaction() as session:
                view = wf.build_view(session, ref)
                bars = wf.node_bars(session, actor, ref, "fetch")
                wf.place([*view.bars, *bars], node="fetch", compress=True, origin=view.started)
                wf.log_page(session, actor, ref, node="fetch", origin=view.started)
        timed("step selected (fetch): view + its 300 bars + its log page", selected,
              args.repeat, 1.0)

        def parts() -> None:
            with database.transaction() as session:
                wf.build_view(session, ref)
        timed("  of which the view (node states, counts, ledger, bars)", parts, args.repeat, 1.0)
        del live
        if not args.no_apptest:
            apptest(url, actor, args.repeat)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def apptest(url: str, actor: Actor, repeat: int) -> None:
    """The Runs page rendered by Streamlit's AppTest (the script run, no browser)."""
    import tempfile

    from streamlit.testing.v1 import AppTest

    from core.platform.settings import PROJECT_ROOT, get_settings

    os.environ.update({"DATABASE_URL": url, "SCRAPEDECK_DATA_DIR": tempfile.mkdtemp(),
                       "APP_STARTS_WORKER": "0", "ADMIN_EMAIL": "admin@example.com",
                       "ADMIN_PASSWORD": PASSWORD,
                       "AUTH_COOKIE_KEY": "bench-cookie-key-of-at-least-32-bytes!"})
    get_settings.cache_clear()
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60).run()
    at.text_input(key="signin_email").input(actor.email)
    at.text_input(key="signin_password").input(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click().run()
    at = at.switch_page("pages/runs.py")

    def render() -> None:
        at.run()
        assert not at.exception, at.exception
        assert at.get("graphviz_chart") and at.get("plotly_chart")
    timed("AppTest render of the Runs page (whole script)", render, max(3, repeat // 2), 1.0)


if __name__ == "__main__":
    main()
