"""``python -m core runs …``: start and wait, list, show, cancel; a failed run exits 1."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from core.platform.settings import PROJECT_ROOT, get_settings
from db.models import Run
from vocabularies import WorkStatus


@pytest.fixture
def cli(cli, local_fetching, monkeypatch):  # type: ignore[no-untyped-def]
    """The shared ``cli``, with workers fetching from the local fixture site."""
    monkeypatch.setenv("EXECUTOR", "local")
    get_settings.cache_clear()
    return cli


def test_start_and_wait_prints_progress_until_completed(cli, analyst, make_job) -> None:
    job = make_job(analyst)
    status, out, err = cli("--user", analyst.email, "runs", "start", str(job), "--wait",
                           "--interval", "0.2")
    assert status == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("Run ") and "queued for" in lines[0]
    assert lines[-1].startswith("completed: 100% · all 3 pages done · fetched 3, found ")


def test_a_failed_run_exits_non_zero(cli, analyst, make_job) -> None:
    job = make_job(analyst, url="/missing.html")
    status, out, err = cli("--user", analyst.email, "runs", "start", str(job), "--wait",
                           "--interval", "0.2")
    assert status == 1
    assert "Run failed: No page could be fetched" in err


def strict(constant: str) -> None:
    raise AssertionError(f"{constant} is not JSON")


def test_list_show_and_cancel(cli, analyst, make_job, monkeypatch) -> None:
    monkeypatch.setenv("EXECUTOR", "queue")
    get_settings.cache_clear()
    job = make_job(analyst)
    run_id = cli("--user", analyst.email, "runs", "start", str(job))[1].split()[1]
    assert run_id in cli("--user", analyst.email, "runs", "list")[1]
    shown = json.loads(cli("--user", analyst.email, "runs", "show", run_id)[1])
    assert shown["status"] == "queued" and shown["events"][0]["event"] == "state_transition"
    assert cli("--user", analyst.email, "runs", "cancel", run_id)[1].strip().endswith("canceled")
    status, _, err = cli("--user", analyst.email, "runs", "cancel", run_id)
    assert status == 2 and "already canceled" in err
    shown = json.loads(cli("--user", analyst.email, "runs", "show", run_id)[1])
    assert (shown["progress_percent"], shown["progress"]) == (
        0, f"Stopped after 0 pages of at most 50: canceled by {analyst.email}.")  # it pages


def test_serve_executes_queued_runs(cli, analyst, make_job, monkeypatch) -> None:
    monkeypatch.setenv("EXECUTOR", "queue")
    get_settings.cache_clear()
    job = make_job(analyst)
    run_id = cli("--user", analyst.email, "runs", "start", str(job))[1].split()[1]
    with pytest.raises(SystemExit) as done:
        cli("worker", "serve", "--max-runs", "1")
    assert done.value.code == 0
    shown = json.loads(cli("--user", analyst.email, "runs", "show", run_id)[1],
                       parse_constant=strict)  # JSON any parser reads: no NaN
    assert shown["status"] == "completed" and shown["items_stored"] >= 10
    nodes = {event["event"]: event["node"] for event in shown["events"]}
    assert nodes["page_fetched"] == "fetch" and nodes["completion"] is None
    assert shown["credits_charged"] == "3.0000"  # three pages, a credit per request
    kinds = {k["kind"]: k for k in shown["cost"]["by_kind"]}  # what it cost, and why
    assert kinds["requests"]["quantity"] == "3" and int(kinds["bytes_fetched"]["quantity"]) > 0
    # priced or not depends on the price table (another test may have emptied it): either way
    # the rows without a price are counted, never shown as $0
    unpriced = [k for k in kinds.values() if k["usd"] is None]
    assert shown["cost"]["unpriced_rows"] >= len(unpriced)


def _wait_for_the_end(db, run_id: str) -> Run:  # type: ignore[no-untyped-def]
    for _ in range(600):
        with db.transaction() as session:
            run = session.get_one(Run, uuid.UUID(run_id))
        if run.status not in WorkStatus.ACTIVE:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} still {run.status} after a minute")


def test_the_command_forks_the_worker_of_its_run_which_outlives_it(cli, analyst, make_job,
                                                                    db) -> None:
    # `python -m core` (the real entry point) forks the worker of the run it starts, its imports
    # done: another process, in a session of its own, that works on after the command exited
    # and logs where a spawned worker logs
    job = make_job(analyst)
    command = subprocess.Popen([sys.executable, "-m", "core", "--user", analyst.email, "runs",
                                "start", str(job)], cwd=PROJECT_ROOT, env=os.environ.copy(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = command.communicate(timeout=120)
    assert command.returncode == 0, err
    run_id = out.split()[1]
    run = _wait_for_the_end(db, run_id)
    assert run.status == WorkStatus.COMPLETED and run.items_extracted > 0
    worker = int(run.worker_id.rsplit(":", 1)[1])
    assert worker != command.pid
    log = get_settings().data_dir / "logs" / "worker.log"
    # the worker logs the end once execute_run returns: on PostgreSQL that is after it has put
    # its rows in the search indexes, which follows the committed status
    for _ in range(300):
        if f"run {run_id}: completed" in log.read_text():
            break
        time.sleep(0.1)
    assert f"run {run_id}: completed" in log.read_text()
    assert f"worker {worker} forked for: core.worker run {run_id}" in log.read_text()


def test_the_command_forks_its_worker_where_sigchld_is_ignored(cli, analyst, make_job,
                                                               db) -> None:
    # a supervisor may start commands with SIGCHLD ignored (kept across exec): the kernel then
    # reaps the go-between itself, and the command must not fail for it
    job = make_job(analyst)
    done = subprocess.run([sys.executable, "-m", "core", "--user", analyst.email, "runs", "start",
                           str(job), "--wait", "--interval", "0.2"], cwd=PROJECT_ROOT,
                          env=os.environ.copy(), capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: signal.signal(signal.SIGCHLD, signal.SIG_IGN))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("completed: 100%")


def test_start_and_wait_through_the_real_entry_point(cli, analyst, make_job, db) -> None:
    job = make_job(analyst)
    done = subprocess.run([sys.executable, "-m", "core", "--user", analyst.email, "runs", "start",
                           str(job), "--wait", "--interval", "0.2"], cwd=PROJECT_ROOT,
                          env=os.environ.copy(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[-1].startswith("completed: 100% · all 3 pages done · fetched 3, found ")
    run = _wait_for_the_end(db, lines[0].split()[1])
    assert run.worker_id is not None and run.items_extracted > 0


def test_the_worker_of_a_run_is_forked_before_the_command_opens_its_database(
        cli, analyst, make_job, monkeypatch) -> None:
    # `python -m core runs start` forks its worker ahead, before any database connection exists
    # (none crosses the fork), and hands it the run once queued; the `fork_worker` of old is
    # not called. A refused start tells its worker there is nothing (end of file). With
    # EXECUTOR=queue no worker is forked at all: a `serve` takes the run.
    from core.accounts import setup
    from core.platform import processes

    events: list[str] = []
    handed: list[int] = []  # what each worker forked ahead reads

    def fork_standby(kind: str, *_: object) -> processes._Standby:
        events.append(f"{kind} worker forked")
        reader, writer = os.pipe()
        handed.append(reader)
        return processes._Standby(kind, 0, writer)

    def read(reader: int) -> bytes:
        with os.fdopen(reader, "rb") as pipe:
            return pipe.read()

    monkeypatch.setattr(processes, "_may_fork", True)
    monkeypatch.setattr(processes, "only_thread", lambda: True)  # the fixture site's thread
    monkeypatch.setattr(processes, "_fork_standby", fork_standby)
    monkeypatch.setattr(processes, "fork_worker", lambda args, _main: events.append("forked"))
    opened = setup.open_database
    monkeypatch.setattr(setup, "open_database", lambda *a, **k: events.append(
        "database opened") or opened(*a, **k))
    job = make_job(analyst)
    status, out, err = cli("--user", analyst.email, "runs", "start", str(job))
    assert status == 0, err
    assert events == ["run worker forked", "database opened"]
    run_id = out.split()[1]
    assert read(handed[0]) == f"run\0{run_id}".encode()

    status, _, err = cli("--user", analyst.email, "runs", "start", str(job), "--wait")
    assert status == 2 and "already has a run in progress" in err
    assert events[2:] == ["run worker forked", "database opened"] and read(handed[1]) == b""

    assert cli("--user", analyst.email, "runs", "cancel", run_id)[0] == 0
    events.clear()
    monkeypatch.setenv("EXECUTOR", "queue")
    get_settings.cache_clear()
    assert cli("--user", analyst.email, "runs", "start", str(job))[0] == 0
    assert events == ["database opened"]
