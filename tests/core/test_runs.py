"""Runs: idempotent starts, the pipeline end to end on the fixture catalog, dedup across runs,
strict validation, cancel, and worker processes (spawned, killed, and served from a queue)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from core.scraping import results, runner, runs
from core.platform.errors import Conflict, NotFound, PermissionDenied
from core.scraping.results import ResultQuery
from core.scraping.runner import claim, execute_run
from core.platform.settings import PROJECT_ROOT, get_settings
from db.models import (CostEvent, ExtractorSchema, Result, Run, RunEvent, RunResult,
                       ScrapingJob)
from tests.conftest import prices_at_most_100_schema

def two_runs_of_one_job(db, analyst, make_job):  # type: ignore[no-untyped-def]
    """Two runs of one job, one after the other, both finished: the second finds what the
    first stored."""
    job = make_job(analyst)
    first = start(db, analyst, job)
    execute(db, first.id)
    second = start(db, analyst, job)
    execute(db, second.id)
    return first, second


def start(db, actor, job_id, key=None):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return runs.start_run(session, actor, job_id, key)


def execute(db, run_id) -> str:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        assert claim(session, run_id, "pytest")
    return execute_run(db, run_id)


def count(db, model, **where) -> int:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return session.scalar(query)


@pytest.fixture(autouse=True)
def queue_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process tests execute runs themselves; the worker tests below opt back in."""
    monkeypatch.setenv("EXECUTOR", "queue")
    get_settings.cache_clear()


class TestStarting:
    def test_the_same_idempotency_key_gives_the_same_run(self, db, analyst, make_job) -> None:
        job = make_job(analyst)
        first = start(db, analyst, job, "slot-1")
        again = start(db, analyst, job, "slot-1")
        assert first.id == again.id and first.status == "queued"
        assert count(db, Run) == 1

    def test_a_second_start_while_one_is_active_is_refused(self, db, analyst, make_job) -> None:
        job = make_job(analyst)
        start(db, analyst, job)
        with pytest.raises(Conflict, match="already has a run in progress"):
            start(db, analyst, job)

    def test_others_cannot_start_or_see_my_runs(self, db, analyst, make_user, make_job) -> None:
        job, other, viewer = make_job(analyst), make_user("analyst"), make_user("viewer")
        run = start(db, analyst, job)
        with db.transaction() as session:
            with pytest.raises(NotFound):
                runs.start_run(session, other, job)
            with pytest.raises(NotFound):
                runs.get_run(session, other, run.id)
            assert runs.list_runs(session, other).empty
        with pytest.raises(NotFound), db.transaction() as session:
            runs.cancel_run(session, viewer, run.id)

    def test_viewers_cannot_start_their_own_jobs(self, db, viewer, make_job) -> None:
        with pytest.raises(PermissionDenied, match="read-only"):
            start(db, viewer, make_job(viewer))

    def test_canceling_a_queued_run_is_immediate(self, db, analyst, make_job) -> None:
        run = start(db, analyst, make_job(analyst))
        with db.transaction() as session:
            assert runs.cancel_run(session, analyst, run.id).status == "canceled"
            with pytest.raises(Conflict, match="already canceled"):
                runs.cancel_run(session, analyst, run.id)


@pytest.mark.usefixtures("local_fetching")
class TestPipeline:
    def test_a_run_follows_next_buttons_and_stores_every_product(self, db, analyst,
                                                                 make_job) -> None:
        run = start(db, analyst, make_job(analyst))
        assert execute(db, run.id) == "completed"
        with db.transaction() as session:
            summary = runs.get_run(session, analyst, run.id)
            names = set(session.scalars(select(Result.data["name"].as_string())))
        assert (summary.pages_fetched, summary.errors_count, summary.progress_percent) == (3, 0, 100)
        assert summary.items_found == summary.items_extracted == len(names) >= 10
        assert "Aurora Desk Lamp" in names
        assert count(db, RunResult, run_id=run.id, success=True) == 3
        assert count(db, RunEvent, run_id=run.id, event_type="page_fetched") == 3
        assert count(db, CostEvent, run_id=run.id, kind="bytes_fetched") >= 1

    @pytest.fixture
    def handed(self, monkeypatch: pytest.MonkeyPatch) -> list[str]:
        """The URLs of the pages a run hands to its parse processes (the rest it reads where
        they arrive, on its event loop)."""
        urls: list[str] = []
        hand_over = runner.Offload.run

        async def counting(self, request):  # type: ignore[no-untyped-def]
            urls.append(request[2])
            return await hand_over(self, request)

        monkeypatch.setattr(runner.Offload, "run", counting)
        return urls

    @pytest.mark.parametrize("reads, inline, handed_over", [
        (10**9, 10**9, 0),  # every page is cheap to read: all read on the loop
        (0, 10**9, 2),  # the first page is read on the loop; it had records: the rest are not
        (0, 0, 3),  # the first page is parsed, found to hold too many, and handed over
    ])
    def test_pages_with_many_records_are_read_by_a_parse_process(
            self, db, analyst, make_job, monkeypatch, handed, reads, inline,
            handed_over) -> None:
        """A kind of page whose last page had more than PROCESS_FIELD_READS records × fields
        goes to a parse process, and loses nothing on the way."""
        monkeypatch.setattr(runner, "PROCESS_FIELD_READS", reads)
        monkeypatch.setattr(runner, "INLINE_FIELD_READS", inline)
        run = start(db, analyst, make_job(analyst))
        assert execute(db, run.id) == "completed"
        with db.transaction() as session:
            summary = runs.get_run(session, analyst, run.id)
        assert len(handed) == handed_over
        assert summary.pages_fetched == 3 and summary.items_extracted == count(db, Result) >= 10

    def test_records_read_by_the_parse_process_are_stored_as_the_loop_stores_them(
            self, db, analyst, make_job, monkeypatch, handed) -> None:
        """Checked in the process (schema, confidence, stored text, hash) or on the loop: the
        same rows."""
        def stored(reads: int) -> list[tuple[str, str, float]]:
            monkeypatch.setattr(runner, "PROCESS_FIELD_READS", reads)
            monkeypatch.setattr(runner, "INLINE_FIELD_READS", reads)
            schema = prices_at_most_100_schema(db, analyst)
            with db.transaction() as session:  # kept, with a lower confidence: not rejected
                session.get_one(ExtractorSchema, schema).strict_validation = False
            run = start(db, analyst, make_job(analyst, schema_id=schema))
            assert execute(db, run.id) == "completed"
            with db.transaction() as session:
                rows = session.execute(select(Result.content_hash, Result.data,
                                              Result.confidence_score).where(Result.run_id == run.id))
                return sorted((digest, repr(data), confidence) for digest, data, confidence in rows)

        on_the_loop = stored(10**9)
        assert handed == []
        in_the_process = stored(0)
        assert len(handed) == 3
        assert in_the_process == on_the_loop
        assert {confidence for _, _, confidence in on_the_loop} != {1.0}  # some broke the schema

    @pytest.mark.parametrize("trouble, error", [
        ("crash", "the page could not be read: its process was killed by SIGSEGV"),
        ("hang", "the page could not be read: it took longer than 1 s (its process was stopped)"),
    ])
    def test_a_parse_process_that_dies_or_hangs_costs_the_run_only_its_page(
            self, db, analyst, make_job, monkeypatch, trouble, error) -> None:
        test_process, read_page = os.getpid(), runner.read_page

        def troubled(reading, markup, url, *args, **kwargs):  # type: ignore[no-untyped-def]
            if os.getpid() != test_process and url.endswith("page2.html"):
                if trouble == "crash":
                    os.kill(os.getpid(), signal.SIGSEGV)  # as a parser's crash would
                time.sleep(600)  # as a parser caught in a loop would
            return read_page(reading, markup, url, *args, **kwargs)

        monkeypatch.setattr(runner, "read_page", troubled)  # the processes fork with it
        monkeypatch.setattr(runner, "INLINE_FIELD_READS", 0)  # every page to the process
        monkeypatch.setattr(runner, "PAGE_READ_SECONDS", 1.0)
        run = start(db, analyst, make_job(analyst))
        assert execute(db, run.id) == "completed_errors"
        with db.transaction() as session:
            summary = runs.get_run(session, analyst, run.id)
            failed = session.scalars(select(RunResult).where(RunResult.run_id == run.id,
                                                             RunResult.success.is_(False))).all()
        assert (summary.pages_fetched, summary.errors_count) == (1, 1)  # page 2 led to page 3
        assert [(r.target_url.rsplit("/", 1)[1], r.error) for r in failed] == [
            ("page2.html", error)]
        assert count(db, Result, run_id=run.id) >= 4  # page 1's records are kept

    def test_a_large_page_is_read_by_a_parse_process(self, db, analyst, make_job,
                                                     handed) -> None:
        job = make_job(analyst, url="/huge", pagination={"type": "none"},
                       package={"version": 1, "fields": {"text": {"selector": "p"}}})
        run = start(db, analyst, job)
        assert execute(db, run.id) == "completed"
        assert [url.rsplit("/", 1)[1] for url in handed] == ["huge"]  # 3 MB: over 256 KiB
        assert count(db, Result, run_id=run.id) == 1

    def test_a_full_buffer_is_written_without_waiting_for_the_heartbeat(
            self, db, analyst, make_job, monkeypatch) -> None:
        """Past MAX_PENDING_RESULTS unwritten results the workers pause and wake the flusher:
        memory stays bounded however far the database falls behind, and nothing is lost."""
        monkeypatch.setattr(runner, "MAX_PENDING_RESULTS", 2)
        monkeypatch.setenv("RUN_HEARTBEAT_SECONDS", "60")
        get_settings.cache_clear()
        run = start(db, analyst, make_job(analyst))
        started = time.monotonic()
        assert execute(db, run.id) == "completed"
        assert time.monotonic() - started < 50  # not a heartbeat (60 s) per flush
        with db.transaction() as session:
            summary = runs.get_run(session, analyst, run.id)
        assert summary.items_extracted == summary.items_found == count(db, Result) >= 10
        assert count(db, CostEvent, run_id=run.id, kind="bytes_fetched") >= 2  # the last, and earlier

    @pytest.mark.backends("postgresql")
    def test_results_are_written_outside_the_search_indexes_and_found_until_indexed(
            self, db, analyst, make_job, monkeypatch) -> None:
        """The flush writes rows outside the trigram indexes (search_pending, migration 0026);
        search finds them all the same."""
        monkeypatch.setattr(runner.RunExecution, "index_for_search", lambda self, rows=None: 0)
        run = start(db, analyst, make_job(analyst))
        assert execute(db, run.id) == "completed"
        assert count(db, Result, run_id=run.id, search_pending=True) == count(
            db, Result, run_id=run.id) >= 10
        with db.transaction() as session:
            page = results.query_results(session, analyst, ResultQuery(
                run_id=run.id, search="aurora desk"))
        assert list(page.frame["name"]) == ["Aurora Desk Lamp"]

    @pytest.mark.backends("postgresql")
    def test_a_run_puts_its_results_into_the_search_indexes_by_its_end(
            self, db, analyst, make_job) -> None:
        run = start(db, analyst, make_job(analyst))
        assert execute(db, run.id) == "completed"
        assert count(db, Result, run_id=run.id) >= 10
        assert count(db, Result, search_pending=True) == 0

    def test_items_seen_by_an_earlier_run_of_the_job_are_not_stored_again(
            self, db, analyst, make_job) -> None:
        first, second = two_runs_of_one_job(db, analyst, make_job)
        with db.transaction() as session:
            again = runs.get_run(session, analyst, second.id)
        assert again.items_found > 0 and again.items_extracted == 0
        assert count(db, Result, run_id=second.id) == 0

    def test_a_run_that_lost_some_urls_is_completed_with_errors(self, db, analyst, make_job,
                                                                 site) -> None:
        job = make_job(analyst, pagination={"type": "none"})
        with db.transaction() as session:
            session.get(ScrapingJob, job).target_urls = [
                f"{site}/catalog/page1.html", f"{site}/catalog/gone-1.html",
                f"{site}/catalog/gone-2.html"]
        run = start(db, analyst, job)
        assert execute(db, run.id) == "completed_errors"
        with db.transaction() as session:
            summary = runs.get_run(session, analyst, run.id)
        assert (summary.pages_fetched, summary.errors_count) == (1, 2)
        assert summary.error_message == ("2 of 3 pages could not be fetched; see the errors per "
                                         "URL.")
        assert summary.items_extracted >= 1

    def test_a_rerun_names_the_run_that_already_stored_its_items(
            self, db, analyst, make_job) -> None:
        first, second = two_runs_of_one_job(db, analyst, make_job)
        with db.transaction() as session:
            again = runs.get_run(session, analyst, second.id)
        stored = count(db, Result, run_id=first.id)
        assert [(e.id, e.items) for e in again.already_stored] == [(first.id, stored)]
        with db.transaction() as session:
            assert runs.get_run(session, analyst, first.id).already_stored == ()

    def test_strict_schemas_keep_invalid_items_out_and_record_why(self, db, analyst,
                                                                  make_job) -> None:
        schema_id = prices_at_most_100_schema(db, analyst)
        run = start(db, analyst, make_job(analyst, schema_id=schema_id))
        execute(db, run.id)
        with db.transaction() as session:
            prices = list(session.scalars(select(Result.data["price"].as_float())))
            rejected = session.scalars(select(RunEvent.payload).where(
                RunEvent.event_type == "validation_result")).first()
            summary = runs.get_run(session, analyst, run.id)
        assert prices and max(prices) <= 100
        assert summary.meta["items_invalid"] == summary.items_found - summary.items_extracted > 0
        assert "price: " in rejected["violations"][0] and "maximum of 100" in rejected["violations"][0]

    def test_a_misbehaving_url_costs_an_error_row_not_the_run(self, db, analyst, make_job,
                                                              site) -> None:
        job = make_job(analyst, url="/catalog/page1.html")
        with db.transaction() as session:
            row = session.get(ScrapingJob, job)
            row.target_urls = [site + "/catalog/page1.html", site + "/loop/a", site + "/data.json"]
        run = start(db, analyst, job)
        assert execute(db, run.id) == "completed_errors"
        with db.transaction() as session:
            detail = runs.run_detail(session, analyst, run.id)
            asked = runs.run_detail(session, analyst, run.id, events_limit=2)
        errors = dict(zip(detail.url_errors.url, detail.url_errors.error))
        assert "redirect loop" in errors[site + "/loop/a"]
        assert "not an HTML page" in errors[site + "/data.json"]
        assert detail.run.pages_fetched == 3
        # The events table is built only when asked for (`runs show`), not on each refresh
        # of the Runs page, which draws the workflow view instead.
        assert detail.events is None
        assert list(asked.events.event) == ["completion", "step_result"]

    def test_a_run_where_nothing_can_be_fetched_fails_with_a_reason(self, db, analyst,
                                                                    make_job) -> None:
        run = start(db, analyst, make_job(analyst, url="/no-such-page.html"))
        assert execute(db, run.id) == "failed"
        with db.transaction() as session:
            summary = runs.get_run(session, analyst, run.id)
        assert summary.error_message == "No page could be fetched; see the errors per URL."

    def test_a_broken_package_fails_the_run_clearly(self, db, analyst, make_job) -> None:
        run = start(db, analyst, make_job(analyst, package={"version": 1, "fields": {}}))
        assert execute(db, run.id) == "failed"
        with db.transaction() as session:
            assert "The job cannot run" in runs.get_run(session, analyst, run.id).error_message


SLOW = {"type": "url_pattern", "pattern": "/slow?s=0.5&p={page}", "first_page": 1,
        "last_page": 60}


def wait_for(db, run_id, predicate, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.transaction() as session:
            run = session.get(Run, run_id)
            if predicate(run):
                return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not get there in {timeout} s")


@pytest.mark.usefixtures("local_fetching")
class TestWorkerProcesses:
    @pytest.fixture(autouse=True)
    def worker_env(self, app_env, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("EXECUTOR", "local")
        get_settings.cache_clear()

    def test_starting_spawns_a_worker_that_completes_the_run(self, db, analyst, make_job) -> None:
        run = start(db, analyst, make_job(analyst))
        done = wait_for(db, run.id, lambda r: r.status in runs.WorkStatus.FINISHED)
        assert done.status == "completed" and done.items_extracted >= 10
        assert done.worker_id and done.heartbeat_at is not None

    def test_cancel_stops_a_running_run_within_five_seconds_and_keeps_results(
            self, db, analyst, make_job) -> None:
        run = start(db, analyst, make_job(analyst, pagination=dict(SLOW), package=SLOW_PACKAGE,
                                          concurrency=1))
        wait_for(db, run.id, lambda r: r.pages_fetched >= 2)
        with db.transaction() as session:
            runs.cancel_run(session, analyst, run.id)
        asked = time.monotonic()
        done = wait_for(db, run.id, lambda r: r.status in runs.WorkStatus.FINISHED, timeout=10)
        assert done.status == "canceled" and time.monotonic() - asked < 5
        assert 2 <= done.pages_fetched < 60
        assert count(db, RunResult, run_id=run.id) == done.pages_fetched

    def test_a_killed_worker_leaves_a_failed_run_with_its_results(
            self, db, analyst, make_job, monkeypatch: pytest.MonkeyPatch) -> None:
        run = start(db, analyst, make_job(analyst, pagination=dict(SLOW), package=SLOW_PACKAGE,
                                          concurrency=1))
        running = wait_for(db, run.id, lambda r: r.pages_fetched >= 2)
        pid = int(running.worker_id.rsplit(":", 1)[1])
        os.kill(pid, signal.SIGKILL)
        monkeypatch.setenv("RUN_STALE_AFTER_SECONDS", "2")
        get_settings.cache_clear()
        time.sleep(2.5)
        with db.transaction() as session:
            assert runs.reap_stale_runs(session) == 1
        with db.transaction() as session:
            summary = runs.get_run(session, analyst, run.id)
        assert summary.status == "failed" and "no heartbeat" in summary.error_message
        assert count(db, RunResult, run_id=run.id) >= 2


SLOW_PACKAGE = {"version": 1, "fields": {"message": {"selector": "p.message"}}}


@pytest.mark.backends("postgresql")  # scale-out is coordinated by PostgreSQL
def test_three_serve_processes_execute_thirty_queued_runs_exactly_once(
        app_env, db, analyst, make_job, local_fetching, monkeypatch) -> None:
    monkeypatch.setenv("WORKER_POLL_SECONDS", "0.1")
    run_ids = []
    for _ in range(30):
        job = make_job(analyst, url="/catalog/page3.html", pagination={"type": "none"})
        run_ids.append(start(db, analyst, job).id)
    workers = [subprocess.Popen([sys.executable, "-m", "core.worker", "serve", "--idle-exit", "2"],
                                cwd=PROJECT_ROOT, env=os.environ.copy(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
               for _ in range(3)]
    for worker in workers:
        assert worker.wait(timeout=120) == 0, worker.stderr.read().decode()[-2000:]
    with db.transaction() as session:
        statuses = list(session.scalars(select(Run.status).where(Run.id.in_(run_ids))))
        claims = session.execute(
            select(RunEvent.run_id, func.count()).where(
                RunEvent.run_id.in_(run_ids), RunEvent.event_type == "handoff",
                RunEvent.payload["target"].as_string() == "worker")
            .group_by(RunEvent.run_id)).all()
        workers_used = set(session.scalars(select(Run.worker_id).where(Run.id.in_(run_ids))))
    assert statuses == ["completed"] * 30
    assert sorted(n for _, n in claims) == [1] * 30
    assert len(workers_used) >= 2


@pytest.mark.backends("postgresql")  # budgets hold in the database, whichever worker charges
def test_a_daily_budget_stops_the_runs_of_three_serve_processes_and_keeps_their_results(
        app_env, db, admin, analyst, site, local_fetching, monkeypatch) -> None:
    from core import budgets
    from core.budgets import BudgetReached
    from core.ledger import prices
    from db.models import BudgetAlert

    monkeypatch.setenv("WORKER_POLL_SECONDS", "0.1")
    with db.transaction() as session:  # $1 a request, so a few pages reach the budget
        prices.seed_starting_prices(session)
        prices.set_price(session, admin, prices.read_new_price(
            "requests", "1", effective_from=datetime(2001, 1, 1, tzinfo=timezone.utc)))
        budgets.set_budget(session, analyst, daily="6")
    run_ids = []
    for n in range(3):
        with db.transaction() as session:
            job = ScrapingJob(user_id=analyst.id, name=f"slow {n}",
                              target_url=f"{site}/slow?s=0.3&j={n}&i=0",
                              target_urls=[f"{site}/slow?s=0.3&j={n}&i={i}" for i in range(30)],
                              pagination_type="none", pagination={}, config_package=SLOW_PACKAGE,
                              options={"max_pages": 50, "concurrency": 1})
            session.add(job)
            session.flush()
            job_id = job.id
        run_ids.append(start(db, analyst, job_id).id)
    workers = [subprocess.Popen([sys.executable, "-m", "core.worker", "serve", "--idle-exit", "2"],
                                cwd=PROJECT_ROOT, env=os.environ.copy(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
               for _ in range(3)]
    for worker in workers:
        assert worker.wait(timeout=120) == 0, worker.stderr.read().decode()[-2000:]
    with db.transaction() as session:
        done = [runs.get_run(session, analyst, run_id) for run_id in run_ids]
        spent = budgets.get_budget(session, analyst).spend[0].spent_usd
        alerts = session.scalar(select(func.count()).select_from(BudgetAlert).where(
            BudgetAlert.user_id == analyst.id, BudgetAlert.threshold == 100))
        titles = [n.title for n in budgets.notifications(session, analyst)]
    kept = [count(db, Result, run_id=run_id) for run_id in run_ids]
    assert [r.status for r in done] == ["stopped_budget"] * 3
    assert all("daily budget of $6.00" in r.error_message for r in done)
    assert kept == [r.items_extracted for r in done]  # what each found is kept
    assert sum(r.pages_fetched for r in done) < 90  # each stopped well before its 30 pages
    assert 6 <= spent < 6 + 3 * 8  # over by at most about one heartbeat per worker
    assert alerts == 1 and titles.count("Daily budget reached") == 1  # once, not per worker
    with pytest.raises(BudgetReached), db.transaction() as session:
        runs.start_run(session, analyst, done[0].job_id)


class TestSchedules:
    """A due schedule queues one run per slot, however many schedulers look."""

    def schedule(self, db, job_id, cron="*/15 * * * *", zone="Europe/Berlin"):  # type: ignore[no-untyped-def]
        with db.transaction() as session:
            job = session.get(ScrapingJob, job_id)
            job.schedule_cron, job.schedule_timezone = cron, zone
            job.next_run_at = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)

    def test_a_due_job_is_queued_once_and_moves_to_its_next_slot(self, db, analyst,
                                                                  make_job) -> None:
        job = make_job(analyst)
        self.schedule(db, job)
        now = datetime(2026, 3, 1, 10, 0, 30, tzinfo=timezone.utc)
        with db.transaction() as session:
            assert runs.enqueue_due_runs(session, now) == 1
        with db.transaction() as session:  # a second scheduler, same moment: nothing more
            assert runs.enqueue_due_runs(session, now) == 0
            row = session.get(ScrapingJob, job)
            run = session.scalar(select(Run).where(Run.job_id == job))
        assert row.next_run_at == datetime(2026, 3, 1, 10, 15, tzinfo=timezone.utc)
        assert run.idempotency_key == f"schedule:{job}:2026-03-01T10:00:00+00:00"
        assert run.meta == {"trigger": "schedule"}

    def test_two_schedulers_racing_on_the_same_slot_make_one_run(self, db, analyst,
                                                                 make_job) -> None:
        job = make_job(analyst)
        self.schedule(db, job)
        with db.transaction() as session:
            row = session.get(ScrapingJob, job)
            runs.enqueue(session, row, f"schedule:{job}:{row.next_run_at.isoformat()}",
                         "schedule", spawn=False)  # the other scheduler got there first
        with db.transaction() as session:
            runs.enqueue_due_runs(session, datetime(2026, 3, 1, 10, 1, tzinfo=timezone.utc))
        assert count(db, Run, job_id=job) == 1

    def test_a_scheduler_that_was_down_queues_one_catch_up_run(self, db, analyst,
                                                               make_job) -> None:
        job = make_job(analyst)
        self.schedule(db, job)
        later = datetime(2026, 3, 1, 13, 7, tzinfo=timezone.utc)
        with db.transaction() as session:
            assert runs.enqueue_due_runs(session, later) == 1
            assert session.get(ScrapingJob, job).next_run_at == datetime(
                2026, 3, 1, 13, 15, tzinfo=timezone.utc)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return "\tZ" not in next(line for line in status if line.startswith("State:"))
    except FileNotFoundError:
        return False


def test_a_serve_worker_started_for_an_app_exits_when_the_app_dies(app_env) -> None:
    # A stand-in for the app: it starts `serve --parent <its pid>` and prints the worker's pid.
    app = subprocess.Popen(
        [sys.executable, "-c", "import os, subprocess, sys, time\n"
         "w = subprocess.Popen([sys.executable, '-m', 'core.worker', 'serve', '--parent', "
         "str(os.getpid())])\nprint(w.pid, flush=True)\ntime.sleep(120)"],
        cwd=PROJECT_ROOT, env={**os.environ, "WORKER_POLL_SECONDS": "0.2"},
        stdout=subprocess.PIPE, text=True)
    worker_pid = int(app.stdout.readline())
    time.sleep(1.0)
    assert _alive(worker_pid)
    app.kill()
    app.wait()
    deadline = time.monotonic() + 15
    while _alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker_pid)


def test_outcome_rows_are_stored_as_the_model_would_store_them(db, analyst, make_job) -> None:
    """SQLite's outcome rows skip SQLAlchemy's processing of each value: the same outcomes,
    written both ways, leave the same stored values and read back the same."""
    import uuid
    from datetime import timedelta, timezone
    from typing import cast

    from sqlalchemy import Table, text

    from core.scraping.runner import _insert_outcomes
    from db.types import utcnow

    run = start(db, analyst, make_job(analyst))
    moment = utcnow().replace(microsecond=0) + timedelta(microseconds=7)
    outcomes = [
        {"run_id": run.id, "timestamp": moment, "target_url": "https://a.example/é?q=1",
         "success": True, "error": None, "status_code": 200,
         "data": {"items": 3, "fields": ["naïve", "b"]}},
        {"run_id": run.id, "timestamp": moment.astimezone(timezone.utc), "target_url": "x",
         "success": False, "error": "connection refused", "status_code": None, "data": None}]
    postgres = db.engine.dialect.name == "postgresql"
    by_driver = [{**row, "id": uuid.uuid4()} for row in outcomes]
    by_model = [{**row, "id": uuid.uuid4()} for row in outcomes]
    with db.transaction() as session:
        _insert_outcomes(session, by_driver)
        session.execute(cast(Table, RunResult.__table__).insert(), by_model)
    columns = "target_url, success, status_code, data, error, timestamp"
    with db.transaction() as session:
        stored = [[tuple(session.execute(text(f"SELECT {columns} FROM run_results WHERE id = :id"),
                                         {"id": row["id"].hex if not postgres else row["id"]})
                         .one()) for row in rows] for rows in (by_driver, by_model)]
        read = [[session.get(RunResult, row["id"]) for row in rows] for rows in (by_driver, by_model)]
        assert stored[0] == stored[1]
        for one, other in zip(*read):
            assert (one.target_url, one.success, one.status_code, one.data, one.error,
                    one.timestamp) == (other.target_url, other.success, other.status_code,
                                       other.data, other.error, other.timestamp)
        assert read[0][0].data == {"items": 3, "fields": ["naïve", "b"]}
        assert read[0][1].data is None and read[0][0].timestamp == moment
