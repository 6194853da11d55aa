"""Background work as one mechanism (``core.platform.work``, ``core.worker``): with ``EXECUTOR=queue``
work waits for a ``serve`` process, which executes every kind that can be queued and tidies up
after dead workers of every kind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.builder import builds

from core.platform import processes, work
from core.seo import reports
from core.platform.settings import PROJECT_ROOT, get_settings
from core.worker import KINDS, main as worker_main, serve_once, work_kind
from db.models import Build, RunEvent, SeoReport
from db.types import utcnow

pytestmark = pytest.mark.usefixtures("app_env", "local_fetching")


@pytest.fixture
def queue_mode(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """EXECUTOR=queue; returns the worker commands the app would have spawned (none expected
    for queued kinds)."""
    monkeypatch.setenv("EXECUTOR", "queue")
    monkeypatch.setenv("WORKER_POLL_SECONDS", "0.1")
    get_settings.cache_clear()
    spawned: list[list[str]] = []
    monkeypatch.setattr(work, "spawn_worker", spawned.append)
    return spawned


def test_one_serve_process_executes_a_queued_build_and_a_queued_seo_audit(
        db, analyst, site, queue_mode) -> None:
    with db.transaction() as session:
        build = builds.create_build(session, analyst, builds.BuildInput(
            "all products on these pages: name, price, link",
            [f"{site}/catalog/page1.html", f"{site}/catalog/page2.html"]))
        report = reports.request_audit(session, analyst, f"{site}/catalog/page1.html")
    assert queue_mode == []  # nothing spawned: both wait for a serve process

    serve = subprocess.run(
        [sys.executable, "-m", "core.worker", "serve", "--max-runs", "2", "--idle-exit", "10"],
        cwd=PROJECT_ROOT, env=os.environ.copy(), capture_output=True, timeout=180)
    assert serve.returncode == 0, serve.stderr.decode()[-2000:]

    with db.transaction() as session:
        built = builds.get_build(session, analyst, build.id)
        audited = reports.get_report(session, analyst, report.id)
        audit_worker = session.scalar(select(SeoReport.worker_id)
                                      .where(SeoReport.id == report.id))
        [handoff] = session.scalars(select(RunEvent.payload).where(
            RunEvent.build_id == build.id, RunEvent.event_type == "handoff"))
    assert built.status == "pending_user_feedback" and built.iteration == 1, built.error_message
    assert audited.status == "completed" and audited.score is not None
    assert handoff["worker"] == audit_worker  # one process did both


def test_serve_fails_an_seo_audit_whose_worker_died(db, analyst, queue_mode) -> None:
    with db.transaction() as session:
        report = reports.request_audit(session, analyst, "https://lumen.example/lamps")
    with db.transaction() as session:
        assert reports.claim(session, report.id, "gone:1")
        session.get(SeoReport, report.id).heartbeat_at = utcnow() - timedelta(minutes=5)
    assert serve_once(db, "test-worker") is False  # nothing queued; the dead audit is noticed
    with db.transaction() as session:
        row = session.get(SeoReport, report.id)
        assert row.status == "failed" and "stopped responding" in row.error
        assert row.not_checked == [{"id": "all", "reason": "the audit did not finish"}]


def test_a_build_whose_worker_died_is_reaped_by_serve_too(db, analyst, site, queue_mode) -> None:
    with db.transaction() as session:
        build = builds.create_build(session, analyst, builds.BuildInput(
            "all products: name", [f"{site}/catalog/page1.html"]))
    with db.transaction() as session:
        assert builds.claim(session, build.id, "gone:1")
        session.get(Build, build.id).heartbeat_at = utcnow() - timedelta(minutes=5)
    assert serve_once(db, "test-worker") is False
    with db.transaction() as session:
        assert builds.get_build(session, analyst, build.id).status == "failed"


def test_queued_kinds_wait_for_serve_and_the_others_always_get_a_worker(
        db, analyst, queue_mode, monkeypatch) -> None:
    with db.transaction() as session:
        report = reports.request_audit(session, analyst, "https://lumen.example/lamps")
        work.spawn_after_commit(session, work.WorkName.SEO_REPORT_PDF, report.id, queued=False)
    assert queue_mode == [["seo-report-pdf", str(report.id)]]

    monkeypatch.setenv("EXECUTOR", "local")
    get_settings.cache_clear()
    with pytest.raises(RuntimeError), db.transaction() as session:
        reports.request_audit(session, analyst, "https://lumen.example/lamps")
        raise RuntimeError("rolled back: nothing starts")
    with db.transaction() as session:
        again = reports.request_audit(session, analyst, "https://lumen.example/lamps")
    assert queue_mode[1:] == [["seo-audit", str(again.id)]]


def test_a_command_forks_the_workers_its_transaction_asked_for_once_its_connections_closed(
        db, queue_mode, monkeypatch) -> None:
    # what `python -m core` does (processes.allow_forking): a worker is forked from the command
    # after its transaction, once no database connection is open to cross the fork
    forked: list[tuple[list[str], int]] = []
    monkeypatch.setattr(processes, "fork_worker", lambda args, _main: forked.append(
        (args, db.engine.pool.checkedin() + db.engine.pool.checkedout())))
    monkeypatch.setattr(processes, "_may_fork", True)
    monkeypatch.setattr(processes, "only_thread", lambda: True)  # the fixture site's server
    # thread is not the command's: fork_worker is not called for real here
    first, second = uuid.uuid4(), uuid.uuid4()
    with processes.forking_workers(db, worker_main), db.transaction() as session:
        session.execute(select(1))  # a connection in use
        work.spawn_after_commit(session, work.WorkName.EXPORT, first, queued=False)
        work.spawn_after_commit(session, work.WorkName.LLM_TEST, second, queued=False)
    assert forked == [(["export", str(first)], 0), (["llm-test", str(second)], 0)]
    assert queue_mode == []  # none spawned

    with pytest.raises(RuntimeError), processes.forking_workers(db, worker_main), \
            db.transaction() as session:
        work.spawn_after_commit(session, work.WorkName.EXPORT, uuid.uuid4(), queued=False)
        raise RuntimeError("rolled back: no worker")
    assert len(forked) == 2

    threads = iter([True, False])  # one thread as the block begins; another by its end
    monkeypatch.setattr(processes, "only_thread", lambda: next(threads))
    monkeypatch.setattr(processes, "spawn_worker", queue_mode.append)
    with processes.forking_workers(db, worker_main), db.transaction() as session:
        work.spawn_after_commit(session, work.WorkName.EXPORT, first, queued=False)
    assert len(forked) == 2 and queue_mode == [["export", str(first)]]  # spawned, not forked

    monkeypatch.setattr(processes, "_may_fork", False)  # the app, a test: spawned at once
    with processes.forking_workers(db, worker_main), db.transaction() as session:
        work.spawn_after_commit(session, work.WorkName.EXPORT, second, queued=False)
    assert len(forked) == 2 and queue_mode[1:] == [["export", str(second)]]


def test_every_subcommand_names_its_kind_and_serve_claims_the_queued_ones() -> None:
    kinds = [work_kind(name) for name in KINDS]
    assert [k.name for k in kinds] == list(KINDS)
    assert [k.name for k in kinds if k.queued] == ["run", "build", "seo-crawl", "seo-audit",
                                                   "agent-job", "advisor"]
    assert all(k.claim is not None for k in kinds if k.queued)


# A single-threaded command that forks a worker whose work left a thread pool idle (never shut
# down): the worker must still end, as an interpreter's exit shuts such pools down.
_FORKS_A_POOL = """
import sys, time
from concurrent.futures import ThreadPoolExecutor
from core.platform import processes

POOLS = []  # kept, as a module's own pool would be

def work(args):
    POOLS.append(ThreadPoolExecutor(1))
    POOLS[0].submit(time.sleep, 0.05).result()
    return 0

print(processes.fork_worker(["run", "pool"], work), flush=True)
"""


def _ended(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:  # a zombie nobody reaped has ended too
            return any(line.split()[1:2] == ["Z"] for line in status if line.startswith("State:"))
    except FileNotFoundError:
        return True


def _wait_until_ended(pid: int, what: str) -> None:
    """Wait up to 20 s for ``pid`` to end; kill it and fail (saying ``what`` it is) if not."""
    for _ in range(200):
        if _ended(pid):
            return
        time.sleep(0.1)
    os.kill(pid, 9)
    raise AssertionError(f"{what} was still running 20 s after its work ended")


def test_a_forked_worker_ends_though_its_work_left_a_thread_pool_idle(tmp_path) -> None:
    env = {**os.environ, "SCRAPEDECK_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", _FORKS_A_POOL], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    worker = int(done.stdout.strip())
    _wait_until_ended(worker, "the forked worker")
    log = (tmp_path / "logs" / "worker.log").read_text()
    assert f"worker {worker} forked for: core.worker run pool" in log


# A command that forks the worker of its work ahead (processes.worker_standing_by), before it
# has any database to open: the worker prepares (a marker file, as its imports would), and only
# then is the work asked for; it is handed to that same, prepared process.
_STANDS_BY = """
import os, sys, threading, time
from pathlib import Path
from core.platform import processes

MARK = Path(sys.argv[1])
DONE = []
SESSION = os.getsid(0)  # the command's

def prepare(kind):
    DONE.append(kind)
    written = MARK.with_suffix(".part")  # renamed whole: the command never reads it half-written
    written.write_text(str(os.getpid()))
    written.rename(MARK)

def work(args):
    print(f"prepared {DONE} in {os.getpid()}, own session {os.getsid(0) != SESSION}; work {args}",
          flush=True)
    return 0

class Database:  # forking_workers closes the command's connections before it hands work over
    def dispose(self):
        print("disposed", flush=True)

processes.allow_forking()
with processes.worker_standing_by("run", prepare, work):
    while not MARK.exists():  # the worker is there and prepared before any work is asked for
        time.sleep(0.01)
    print(MARK.read_text(), flush=True)
    if sys.argv[2] == "thread":  # a command that started a thread forks nothing any more
        threading.Thread(target=time.sleep, args=(3,), daemon=True).start()
    with processes.forking_workers(Database(), work):
        if sys.argv[2] == "work":
            processes.defer_worker(["run", "r1"])
        elif sys.argv[2] == "other kind":
            processes.defer_worker(["export", "e1"])
    if sys.argv[2] == "thread":  # the worker ahead left when forking_workers ended, not later
        status = Path(f"/proc/{MARK.read_text()}/status")
        for _ in range(200):
            if not status.exists() or "State:\tZ" in status.read_text():
                print("left", flush=True)
                break
            time.sleep(0.01)
"""


def _stand_by(tmp_path, case: str) -> tuple[list[str], int, str]:  # type: ignore[no-untyped-def]
    """Run ``_STANDS_BY`` for ``case``: (its output lines, the worker forked ahead, once it has
    ended, and what the workers logged)."""
    env = {**os.environ, "SCRAPEDECK_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", _STANDS_BY, str(tmp_path / "prepared"), case],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split()
    worker = int(lines[0])
    _wait_until_ended(worker, "the worker forked ahead")
    log = tmp_path / "logs" / "worker.log"
    return lines, worker, log.read_text() if log.exists() else ""


def test_a_worker_forked_ahead_prepares_then_works_on_what_the_command_hands_it(
        tmp_path) -> None:
    lines, worker, log = _stand_by(tmp_path, "work")
    assert lines[1:] == ["disposed"]  # the command's connections closed before the hand-over
    assert f"worker {worker} forked for: core.worker run r1" in log
    # the prepared process got the work, in a session of its own (as a spawned worker)
    assert f"prepared ['run'] in {worker}, own session True; work ['run', 'r1']" in log


def test_a_worker_forked_ahead_that_gets_nothing_exits_without_a_word(tmp_path) -> None:
    lines, _, log = _stand_by(tmp_path, "nothing")
    assert lines[1:] == [] and log == ""


def test_work_of_another_kind_is_forked_as_before_and_the_one_ahead_leaves(tmp_path) -> None:
    lines, worker, log = _stand_by(tmp_path, "other kind")
    for _ in range(200):  # the export's worker is another process: it may not have written yet
        if "prepared [] in" in log:
            break
        time.sleep(0.05)
        log = (tmp_path / "logs" / "worker.log").read_text()
    assert lines[1:] == ["disposed"]
    assert "forked for: core.worker export e1" in log and f"worker {worker}" not in log
    assert "prepared [] in" in log  # a new fork of the command: nothing prepared in it


def test_the_worker_ahead_leaves_when_forking_workers_ends_in_a_command_with_a_thread(
        tmp_path) -> None:
    lines, _, log = _stand_by(tmp_path, "thread")
    assert lines[1:] == ["left"] and log == ""


def test_no_worker_is_forked_ahead_where_the_command_may_not_fork(monkeypatch) -> None:
    # the app or a test (allow_forking not called), or a command running a thread: its workers
    # are spawned or forked when asked for, as before
    forked: list[str] = []
    monkeypatch.setattr(processes, "_fork_standby", lambda kind, *_: forked.append(kind))
    with processes.worker_standing_by("run", print, worker_main):
        pass
    monkeypatch.setattr(processes, "_may_fork", True)
    monkeypatch.setattr(processes, "only_thread", lambda: False)
    with processes.worker_standing_by("run", print, worker_main):
        pass
    with processes.worker_standing_by(None, print, worker_main):
        pass
    assert forked == []


# What `python -m core` does once its command is done (processes.exit_now): everything an exit
# does that anyone can see, without the interpreter's module-by-module teardown.
_EXITS_NOW = """
import atexit, logging, sys, threading, time
from core.platform import processes

logging.basicConfig(stream=sys.stderr, format="%(message)s")
atexit.register(lambda: print("atexit callbacks ran", flush=True))
threading.Thread(target=lambda: (time.sleep(0.2), print("the thread ended"))).start()
print("printed, not flushed")
logging.getLogger("x").warning("logged")
processes.exit_now(int(sys.argv[1]))
print("never")
"""


@pytest.mark.parametrize("status", [0, 3])
def test_a_command_exits_with_its_status_after_its_threads_callbacks_and_output(
        status: int) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # output buffered
    done = subprocess.run([sys.executable, "-c", _EXITS_NOW, str(status)], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == status, done.stderr
    assert done.stdout.splitlines() == ["printed, not flushed", "the thread ended",
                                        "atexit callbacks ran"]
    assert done.stderr.splitlines() == ["logged"]


def test_exit_now_in_a_process_started_without_its_standard_output() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from core.platform.processes import exit_now; exit_now(0)"],
        cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True, timeout=60,
        preexec_fn=lambda: os.close(1))  # noqa: PLW1509 - closed in the child only
    assert (done.returncode, done.stderr) == (0, "")


def test_a_descriptor_that_took_a_standard_streams_number_is_moved_above_them() -> None:
    # a command started with its input closed gets 0 for its next pipe: the worker it forks
    # would lose that pipe to its own input (processes._detach)
    probe = ("import os\nfrom core.platform.processes import _above_standard_streams\n"
             "os.close(0)\nreader, writer = os.pipe()\nassert reader == 0\n"
             "moved = _above_standard_streams(reader)\nos.write(writer, b'run r1')\n"
             "print(moved, os.read(moved, 16).decode())")
    done = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=60)
    moved, said = done.stdout.split(maxsplit=1)
    assert int(moved) > 2 and said.strip() == "run r1", done.stderr
