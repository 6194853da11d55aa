"""A ``serve`` worker executes each piece of work in a fork of itself (core.worker): what the work
allocates goes with the fork, and a fork that dies takes nothing else with it. Real processes,
on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.platform.settings import PROJECT_ROOT, get_settings
from core.scraping import runs
from db.models import Run

SLOW_PACKAGE = {"version": 1, "fields": {"message": {"selector": "p.message"}}}
SLOW = {"type": "url_pattern", "pattern": "/slow?s=0.4&p={page}", "first_page": 1,
        "last_page": 60}


@pytest.fixture(autouse=True)
def queued(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXECUTOR", "queue")  # runs wait for the serve worker below
    monkeypatch.setenv("WORKER_POLL_SECONDS", "0.2")
    monkeypatch.setenv("SCRAPEDECK_WARM_COMMANDS", "0")  # serve's only child: the work's fork
    get_settings.cache_clear()


def start(db, actor, job_id):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return runs.start_run(session, actor, job_id)


def status(db, run_id) -> tuple[str, int, str | None]:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        run = session.get(Run, run_id)
        return run.status, run.pages_fetched, run.error_message


def until(condition, seconds: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds} s")


def children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"  # ended; its new parent has not reaped it yet


def serve(log: Path, *args: str) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "core.worker", "serve", *args],
                                cwd=PROJECT_ROOT, env=os.environ.copy(), stdout=out,
                                stderr=subprocess.STDOUT)


def test_each_run_is_executed_by_a_fork_and_serve_outlives_one_that_is_killed(
        app_env, db, analyst, make_job, local_fetching, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RUN_STALE_AFTER_SECONDS", "2")
    slow = start(db, analyst, make_job(analyst, pagination=dict(SLOW), package=SLOW_PACKAGE,
                                       concurrency=1))
    quick = start(db, analyst, make_job(analyst, url="/catalog/page3.html",
                                        pagination={"type": "none"}))
    log = tmp_path / "serve.log"
    worker = serve(log, "--idle-exit", "3")
    try:
        until(lambda: status(db, slow.id)[1] >= 2)
        (fork,) = children(worker.pid)  # the slow run's process (its parse process is its own)
        os.kill(fork, signal.SIGKILL)  # as the kernel's OOM killer would

        assert worker.wait(timeout=60) == 0  # it went on, then idled out
    finally:
        worker.kill()
    text = log.read_text()

    assert f"its process {fork} ended with signal 9" in text
    assert status(db, quick.id)[0] == "completed"
    finished = re.search(rf"run {quick.id}: completed \(process (\d+)\)", text)
    assert finished and int(finished[1]) not in (worker.pid, fork)
    state, pages, error = status(db, slow.id)  # reaped by the same serve, once stale
    assert state == "failed" and pages >= 2 and "no heartbeat" in (error or "")


def test_a_fork_ends_with_its_serve(app_env, db, analyst, make_job, local_fetching,
                                    tmp_path) -> None:
    slow = start(db, analyst, make_job(analyst, pagination=dict(SLOW), package=SLOW_PACKAGE,
                                       concurrency=1))
    worker = serve(tmp_path / "serve.log")
    try:
        until(lambda: status(db, slow.id)[1] >= 1)
        (fork,) = children(worker.pid)
    finally:
        worker.kill()
        worker.wait(timeout=10)

    until(lambda: gone(fork), seconds=10)
    pages = status(db, slow.id)[1]
    time.sleep(1.5)  # three pages' time: nobody fetches them
    assert status(db, slow.id)[1] == pages
