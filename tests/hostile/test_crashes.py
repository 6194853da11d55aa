"""A crashing process: workers and ``serve`` killed with SIGKILL in the middle of their work.
Each case asserts that nothing is lost (what was stored stays) and nothing is stuck (the row
ends failed, without a ``serve`` where a page or the CLI looks at it; leftover files removed).
And a cancel is heard while a request hangs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.builder import builds
from core.platform.settings import PROJECT_ROOT, get_settings
from core.scraping import exports, runs
from core.seo import crawls
from db.models import Build, Export, Result, Run, RunResult, ScrapingJob, SeoCrawl
from db.types import utcnow
from tests.core.test_results import T0

SLOW_PACKAGE = {"version": 1, "fields": {"message": {"selector": "p.message"}}}
STALE_AFTER = 2  # seconds without a heartbeat before a worker is taken for dead, in these tests


@pytest.fixture
def crash_env(app_env, local_fetching, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work starts a real worker process (``EXECUTOR=local``); dead ones are noticed fast."""
    monkeypatch.setenv("EXECUTOR", "local")
    monkeypatch.setenv("RUN_STALE_AFTER_SECONDS", str(STALE_AFTER))
    get_settings.cache_clear()


def wait_for(db, model, row_id, predicate: Callable[[Any], bool], timeout: float = 60) -> Any:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.transaction() as session:
            row = session.get(model, row_id)
            if predicate(row):
                return row
        time.sleep(0.05)
    raise AssertionError(f"{model.__name__} {row_id} did not get there in {timeout} s")


def kill_worker(row: Any) -> None:
    os.kill(int(row.worker_id.rsplit(":", 1)[1]), signal.SIGKILL)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)


def slow_job(db, owner, site: str, seconds: float, pages: int = 60) -> uuid.UUID:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        job = ScrapingJob(user_id=owner.id, name="slow", target_url=f"{site}/slow?s={seconds}&p=1",
                          target_urls=[f"{site}/slow?s={seconds}&p=1"],
                          pagination_type="url_pattern",
                          pagination={"pattern": f"/slow?s={seconds}&p={{page}}",
                                      "first_page": 1, "last_page": pages},
                          config_package=SLOW_PACKAGE, options={"max_pages": pages,
                                                                "concurrency": 1})
        session.add(job)
        session.flush()
        return job.id


def start_run(db, owner, job_id) -> uuid.UUID:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return runs.start_run(session, owner, job_id).id


# --- Runs ----------------------------------------------------------------------------------

def test_cancel_is_heard_while_a_request_hangs(db, analyst, site, crash_env,
                                               monkeypatch) -> None:
    # One page that answers after 60 s, with a 60 s timeout: waiting out the request would take
    # a minute. The cancel must not wait for it.
    monkeypatch.setenv("FETCH_TIMEOUT_SECONDS", "90")
    get_settings.cache_clear()
    run_id = start_run(db, analyst, slow_job(db, analyst, site, 60, pages=1))
    wait_for(db, Run, run_id, lambda r: r.status == "running" and r.heartbeat_at is not None)
    time.sleep(0.5)  # the request is in flight
    with db.transaction() as session:
        runs.cancel_run(session, analyst, run_id)
    done = wait_for(db, Run, run_id, lambda r: r.status != "running", timeout=15)
    assert done.status == "canceled"


def test_a_killed_run_is_failed_by_runs_show_without_serve(db, analyst, site, crash_env) -> None:
    run_id = start_run(db, analyst, slow_job(db, analyst, site, 0.3))
    running = wait_for(db, Run, run_id, lambda r: r.pages_fetched >= 2)
    kill_worker(running)
    time.sleep(STALE_AFTER + 0.5)
    shown = cli("--user", analyst.email, "runs", "show", str(run_id))
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)
    assert doc["status"] == "failed" and "no heartbeat" in doc["error_message"]
    with db.transaction() as session:  # nothing lost: every page fetched is still there
        stored = session.scalar(select(func.count()).select_from(RunResult)
                                .where(RunResult.run_id == run_id))
    assert stored >= 2


def test_a_killed_serve_leaves_its_run_failed_for_runs_list(db, analyst, site, crash_env,
                                                            monkeypatch) -> None:
    monkeypatch.setenv("EXECUTOR", "queue")  # only serve takes the run
    get_settings.cache_clear()
    run_id = start_run(db, analyst, slow_job(db, analyst, site, 0.3))
    serve = subprocess.Popen([sys.executable, "-m", "core.worker", "serve"], cwd=PROJECT_ROOT,
                             env=os.environ.copy(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        wait_for(db, Run, run_id, lambda r: r.pages_fetched >= 2)
    finally:
        serve.kill()
        serve.wait()
    time.sleep(STALE_AFTER + 0.5)
    listed = cli("--user", analyst.email, "runs", "list")
    assert listed.returncode == 0, listed.stderr
    line = next(line for line in listed.stdout.splitlines() if str(run_id) in line)
    assert " failed " in f" {line} "
    with db.transaction() as session:  # nothing lost: the pages it fetched are stored
        assert session.get(Run, run_id).pages_fetched >= 2
        assert session.scalar(select(func.count()).select_from(RunResult)
                              .where(RunResult.run_id == run_id)) >= 2


# --- Exports --------------------------------------------------------------------------------

def _big_run(db, owner, rows: int) -> uuid.UUID:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        job = ScrapingJob(user_id=owner.id, name="big", target_url="https://shop.example/")
        session.add(job)
        session.flush()
        run = Run(job_id=job.id, user_id=owner.id, status="completed",
                  idempotency_key=uuid.uuid4().hex, items_extracted=rows)
        session.add(run)
        session.flush()
        job_id, run_id = job.id, run.id
    table = Result.__table__
    for start in range(0, rows, 20_000):
        with db.transaction() as session:
            session.execute(table.insert(), [
                {"id": uuid.uuid4(), "run_id": run_id, "job_id": job_id,
                 "data": {"name": f"item {n}", "text": "x" * 200, "n": n},
                 "source_url": "https://shop.example/", "content_hash": uuid.uuid4().hex,
                 "confidence_score": 1.0, "created_at": T0 + timedelta(microseconds=n)}
                for n in range(start, min(rows, start + 20_000))])
    return run_id


def test_a_killed_export_is_failed_and_its_spool_removed(db, analyst, crash_env) -> None:
    run_id = _big_run(db, analyst, 150_000)
    with db.transaction() as session:
        export_id = exports.start_export(session, analyst, run_id, "csv").id
    folder = get_settings().exports_dir
    spool = folder / f"{export_id}.csv.part.spool"
    deadline = time.monotonic() + 120
    while not spool.exists():  # kill it while its work files are on disk
        assert time.monotonic() < deadline, "the export never spooled"
        time.sleep(0.005)
    with db.transaction() as session:
        kill_worker(session.get(Export, export_id))
    time.sleep(STALE_AFTER + 0.5)
    with db.transaction() as session:  # what the Results page's export list does
        [info] = exports.list_exports(session, analyst, run_id)
    assert info.status == "failed" and "worker process stopped" in (info.error_message or "")
    assert sorted(p.name for p in folder.iterdir()) == []  # no spool, no partial file


# --- Builds and crawls -----------------------------------------------------------------------

def _housekeeping() -> None:
    """One round of ``serve`` with nothing queued: it reaps every kind of work."""
    done = subprocess.run([sys.executable, "-m", "core.worker", "serve", "--idle-exit", "0"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_killed_build_is_failed_not_left_working(db, analyst, site, crash_env,
                                                    monkeypatch) -> None:
    monkeypatch.setenv("FETCH_TIMEOUT_SECONDS", "90")
    get_settings.cache_clear()
    with db.transaction() as session:
        build_id = builds.create_build(session, analyst, builds.BuildInput(
            objective="the message", urls=[f"{site}/slow?s=60"])).id
    working = wait_for(db, Build, build_id, lambda b: b.worker_id is not None)
    time.sleep(0.3)
    kill_worker(working)
    time.sleep(STALE_AFTER + 0.5)
    with db.transaction() as session:  # what the builder page polls
        detail = builds.live_build(session, analyst, build_id)
    assert detail.status == "failed" and "stopped responding" in (detail.error_message or "")


def test_a_killed_crawl_is_failed_and_keeps_its_pages(db, analyst, seo_site, crash_env,
                                                      monkeypatch) -> None:
    monkeypatch.setenv("FETCH_DELAY_SECONDS", "0.3")  # slow enough to be killed mid-crawl
    get_settings.cache_clear()
    with db.transaction() as session:
        crawl_id = crawls.start_crawl(session, analyst, seo_site.base_url + "/", 200,
                                      {"concurrency": 1}).id
    running = wait_for(db, SeoCrawl, crawl_id, lambda c: (c.pages_crawled or 0) >= 2)
    kill_worker(running)
    time.sleep(STALE_AFTER + 0.5)
    _housekeeping()
    with db.transaction() as session:
        crawl = crawls.get_crawl(session, analyst, crawl_id)
    assert crawl.status == "failed" and crawl.pages_crawled >= 2


def test_housekeeping_fails_a_dead_export_too(db, analyst, crash_env) -> None:
    """An export row that a worker claimed and stopped beating for: serve fails it."""
    run_id = _big_run(db, analyst, 1)
    with db.transaction() as session:
        export_id = exports.request_export(session, analyst, run_id, "csv").id
        row = session.get(Export, export_id)
        part = get_settings().exports_dir / f"{export_id}.csv.part"
        row.file_path, row.worker_id = str(part)[: -len(".part")], "elsewhere:1"
        row.heartbeat_at = utcnow() - timedelta(seconds=STALE_AFTER + 5)
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_text("half")
    Path(str(part) + ".spool").write_bytes(b"half")
    _housekeeping()
    with db.transaction() as session:
        assert session.get(Export, export_id).status == "failed"
    assert list(part.parent.iterdir()) == []
